// Starting the firmware from a configuration: the stack on a device, then the telemetry client with
// the stack's own metrics. The board firmware (board.ts), the simulator (sim/main.ts) and a project
// that uses this package all start this way.

import { StackConfig } from "./config/types"
import { NetDevice } from "./dev/netdev"
import { NetStack } from "./stack"
import { TelemetryClient } from "./telemetry/client"
import { addStackMetrics } from "./telemetry/metrics"
import { NamedCollector } from "./telemetry/named"
import { DnsResolver } from "./dns/resolver"
import { SntpClient } from "./ntp/client"
import { DhcpClient } from "./dhcp/client"

/** Builds the stack for `config` on `device` and starts it (the device's bring-up self-test included). */
export async function startStack(config: StackConfig, device: NetDevice): Promise<NetStack> {
    const stack = new NetStack(config, device)
    await stack.start()
    return stack
}

/** The telemetry client devicescript.json's `telemetry` describes, with the stack's metrics, started. */
export function startTelemetry(stack: NetStack, config: StackConfig): TelemetryClient {
    const telemetry = new TelemetryClient(stack, {
        collector: config.collector,
        port: config.collectorPort,
        format: config.telemetryFormat,
        intervalMs: config.telemetryIntervalMs,
        prefix: config.telemetryPrefix,
    })
    addStackMetrics(telemetry, stack)
    telemetry.start()
    return telemetry
}

/**
 * startTelemetry() for a collector given by name, with the resolver and (with ntp.servers, or a DHCP
 * client) the clock. With `dhcp`, each lease's DNS and NTP servers (options 6 and 42) replace the
 * configured ones; a lease that names none leaves them as they are.
 */
export function startNamedTelemetry(stack: NetStack, config: StackConfig, dhcp?: DhcpClient): NamedCollector {
    const t = startTelemetry(stack, config)
    const n = new NamedCollector(t, new DnsResolver(stack.udp, { servers: config.dnsServers || [] }), config.collectorName, config.collectorPort)
    n.follow.start()
    let c: SntpClient = null
    if (config.ntpServers || dhcp) {
        c = new SntpClient(stack.udp, { servers: config.ntpServers || [] })
        c.start()
        t.clock = c
        n.clock = c
    }
    if (dhcp) {
        const prev = dhcp.onLease
        dhcp.onLease = lease => {
            if (prev !== null) prev(lease)
            if (lease === null) return
            if (lease.dns.length > 0) n.dns.setServers(lease.dns)
            if (lease.ntp.length > 0) c.setServers(lease.ntp)
        }
    }
    return n
}
