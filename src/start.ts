// Starting the firmware from a configuration: the stack on a device, then the telemetry client with
// the stack's own metrics. The board firmware (board.ts), the simulator (sim/main.ts) and a project
// that uses this package all start this way.

import { StackConfig } from "./config/types"
import { NetDevice } from "./dev/netdev"
import { NetStack } from "./stack"
import { TelemetryClient, TelemetryEncoder } from "./telemetry/client"
import { StatsdEncoder } from "./telemetry/statsd"
import { InfluxEncoder } from "./telemetry/influx"
import { addStackMetrics } from "./telemetry/metrics"
import { NamedCollector } from "./telemetry/named"
import { DnsResolver } from "./dns/resolver"
import { SntpClient } from "./ntp/client"
import { DhcpClient } from "./dhcp/client"
import { tcpTable, TcpConfig, TcpTable } from "./tcp/table"
import { DnsOutcome } from "./dns/message"
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
    return startTelemetryWith(stack, config, telemetryEncoder(config))
}

/**
 * The line encoder telemetry.format names, picked at run time: both are linked. The board firmware
 * (main.ts) picks with a constant and calls startTelemetryWith, so it links one.
 */
export function telemetryEncoder(config: StackConfig): TelemetryEncoder {
    return config.telemetryFormat === "influx" ? new InfluxEncoder(config.telemetryPrefix) : new StatsdEncoder(config.telemetryPrefix)
}

/** startTelemetry() with the line encoder `encoder` (a StatsdEncoder or an InfluxEncoder). */
export function startTelemetryWith(stack: NetStack, config: StackConfig, encoder: TelemetryEncoder): TelemetryClient {
    const telemetry = new TelemetryClient(stack, {
        collector: config.collector,
        port: config.collectorPort,
        encoder: encoder,
        intervalMs: config.telemetryIntervalMs,
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
export function startNamedTelemetry(stack: NetStack, config: StackConfig, encoder: TelemetryEncoder, dhcp?: DhcpClient): NamedCollector {
    const t = startTelemetryWith(stack, config, encoder)
    const dns = configResolver(stack, config)
    const n = new NamedCollector(t, dns, config.collectorName, config.collectorPort)
    n.follow.start()
    let c: SntpClient = null
    if (config.ntpServers || dhcp) {
        // the clock sends from the resolver's socket (they take turns)
        c = new SntpClient(stack.udp, { servers: config.ntpServers || [], shareWith: dns })
        c.start()
        t.clock = c
        n.clock = c
    }
    if (dhcp) followLease(dhcp, dns, c)
    return n
}

/** The resolver for a collector by name: dns.servers (or none until a DHCP lease names some). */
function configResolver(stack: NetStack, config: StackConfig): DnsResolver {
    return new DnsResolver(stack.udp, { servers: config.dnsServers || [] })
}

/** Each lease's DNS and NTP servers (options 6 and 42) replace the resolver's and the clock's; a lease that names none leaves them. */
function followLease(dhcp: DhcpClient, dns: DnsResolver, clock: SntpClient): void {
    const prev = dhcp.onLease
    dhcp.onLease = lease => {
        if (prev !== null) prev(lease)
        if (lease === null) return
        if (lease.dns.length > 0) dns.setServers(lease.dns)
        if (clock !== null && lease.ntp.length > 0) clock.setServers(lease.ntp)
    }
}

/**
 * devicescript.json's `telemetry.format: "mqtt"`: TCP on the stack, an MQTT client to the broker at
 * telemetry.collector:port with telemetry.mqtt's settings, and the stack's and the client's metrics
 * published as one JSON object a round (src/telemetry/mqtt.ts), all started. Only a firmware that
 * calls this links TCP and MQTT (board firmware: main.ts passes it when MQTT is true). The broker
 * is an address here (startNamedMqttTelemetry: by name). `connector` replaces the TCP connection
 * (tests: an in-memory broker); `dhcp` is not used (main.ts passes either start function alike).
 */
export function startMqttTelemetry(stack: NetStack, config: StackConfig, dhcp?: DhcpClient, connector?: MqttConnector): MqttTelemetry {
    if (!connector) {
        const tcp = tcpTable(stack, new TcpConfig())
        connector = async (host: string | number, port: number): Promise<ByteStream | StreamStatus> => tcpStream(tcp, host as number, port)
    }
    return startMqttClient(stack, config, config.collector, connector)
}

/**
 * startMqttTelemetry() with the broker by name (`telemetry.collector: "broker.lan"`): each connection
 * attempt resolves it (dns.servers, or with `dhcp` each lease's DNS servers), so a reconnection after
 * the answer's TTL ran out asks again (the resolver's cache answers until then) and a new address is
 * used without a restart; a failed lookup connects to the last address it gave (RFC 8767's "serve
 * stale"), or counts as no connection before any. main.ts passes this when COLLECTOR_BY_NAME is true,
 * so a firmware with the broker's address links no resolver.
 */
export function startNamedMqttTelemetry(stack: NetStack, config: StackConfig, dhcp?: DhcpClient): MqttTelemetry {
    const tcp = tcpTable(stack, new TcpConfig())
    const dns = configResolver(stack, config)
    if (dhcp) followLease(dhcp, dns, null)
    let last = 0
    const connector = async (host: string | number, port: number): Promise<ByteStream | StreamStatus> => {
        const r = await dns.resolve(host as string)
        if (r.outcome === DnsOutcome.Ok) last = r.address
        return tcpStream(tcp, last, port)
    }
    return startMqttClient(stack, config, config.collectorName, connector)
}

/** A connection to `addr`:`port` (0: no address yet), or why not. */
function tcpStream(tcp: TcpTable, addr: number, port: number): ByteStream | StreamStatus {
    const c = addr !== 0 ? tcp.connect(addr, port) : null
    return c === null ? StreamStatus.Unreachable : c
}

/** The MQTT client to the broker `host` with telemetry.mqtt's settings, and the telemetry over it, started. */
function startMqttClient(stack: NetStack, config: StackConfig, host: string | number, connector: MqttConnector): MqttTelemetry {
    const m = config.mqtt
    const client = new MqttClient(
        {
            host: host,
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
