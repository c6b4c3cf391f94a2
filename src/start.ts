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
import { tcpTable, TcpConfig } from "./tcp/table"
import { ByteStream, StreamStatus } from "./tcp/stream"
import { MqttClient, MqttConnector } from "./mqtt/client"
import { MqttTelemetry, addMqttMetrics } from "./telemetry/mqtt"

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
        format: config.telemetryFormat as "statsd" | "influx",
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

/**
 * devicescript.json's `telemetry.format: "mqtt"`: TCP on the stack, an MQTT client to the broker at
 * telemetry.collector:port with telemetry.mqtt's settings, and the stack's and the client's metrics
 * published as one JSON object a round (src/telemetry/mqtt.ts), all started. Only a firmware that
 * calls this links TCP and MQTT (board firmware: main.ts passes it when MQTT is true). `connector`
 * replaces the TCP connection (tests: an in-memory broker).
 */
export function startMqttTelemetry(stack: NetStack, config: StackConfig, connector?: MqttConnector): MqttTelemetry {
    const m = config.mqtt
    if (!connector) {
        const tcp = tcpTable(stack, new TcpConfig())
        connector = async (host: string | number, port: number): Promise<ByteStream | StreamStatus> => {
            // the broker is config.collector: an address (a host name once a resolver is wired in)
            const c = typeof host === "number" ? tcp.connect(host, port) : null
            return c === null ? StreamStatus.Unreachable : c
        }
    }
    const client = new MqttClient(
        {
            host: config.collector,
            port: config.collectorPort,
            clientId: m.clientId,
            keepAlive: m.keepAlive,
            username: m.username || undefined,
            password: m.password || undefined,
        },
        connector
    )
    stack.reports.push(() => "mqtt: " + (client.connected() ? "connected" : "not connected") + ", outbox " + client.outboxMessages())
    client.start()
    const t = new MqttTelemetry(client, { topic: m.topic, qos: m.qos, intervalMs: config.telemetryIntervalMs, perMetric: m.perMetric })
    addStackMetrics(t, stack)
    addMqttMetrics(t, client)
    t.start()
    return t
}
