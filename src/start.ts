// Starting the firmware from a configuration: the stack on a device, then the telemetry client with
// the stack's own metrics. The board firmware (board.ts), the simulator (sim/main.ts) and a project
// that uses this package all start this way.

import { StackConfig } from "./config/types"
import { NetDevice } from "./dev/netdev"
import { NetStack } from "./stack"
import { TelemetryClient } from "./telemetry/client"
import { addStackMetrics } from "./telemetry/metrics"
import { DhcpClient, DhcpLease } from "./dhcp/client"
import * as ds from "@devicescript/core"
import { readSetting, writeSetting } from "@devicescript/settings"
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

/** The settings key of the last lease's address (INIT-REBOOT after a restart). */
const LAST_LEASE_KEY = "dhcp.last"

/**
 * The DHCP client devicescript.json's `interface.address: "dhcp"` and `dhcp` describe, started;
 * its state and lease in stack.format(). Returns at once: the last lease's address is read from
 * @devicescript/settings (at most 1 s) in the client's own fiber before it begins, and every new
 * lease's address is written back. `onLease` (optional) gets each lease and null when it is lost.
 */
export function startDhcp(stack: NetStack, config: StackConfig, onLease?: (lease: DhcpLease) => void): DhcpClient {
    const d = config.dhcp
    const c = new DhcpClient(stack, {
        hostName: d.hostName,
        baseMs: d.retransmitMs,
        fallbackMs: d.fallbackMs,
        fallbackAddress: d.fallbackAddress,
        fallbackPrefix: config.prefix,
        fallbackGateway: config.gateway,
    })
    stack.reports.push(() => c.format())
    let saved = 0
    c.onLease = lease => {
        if (lease !== null && lease.address !== saved) {
            saved = lease.address
            writeLastLease.start(saved)
        }
        if (onLease) onLease(lease)
    }
    dhcpBoot.start(c)
    return c
}

async function writeLastLease(addr: number): Promise<void> {
    try {
        await writeSetting(LAST_LEASE_KEY, addr)
    } catch (e) {}
}

async function dhcpBoot(c: DhcpClient): Promise<void> {
    let last = -1
    const reader = async () => {
        try {
            last = await readSetting(LAST_LEASE_KEY, 0)
        } catch (e) {
            last = 0
        }
    }
    reader.start()
    for (let k = 0; k < 50 && last < 0; k++) await ds.sleep(20)
    c.lastAddress = last > 0 ? last : 0
    c.start()
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
