// Telemetry over MQTT: the same metrics as the UDP client (add / addCounter, addStackMetrics), each
// round published through an MqttClient as one JSON object on one topic (and, optionally, one
// message per metric on `<topic>/<name>`), with QoS 1 by default so that the client's outbox keeps
// what a broker restart or a link flap would lose. Opt-in: a firmware that does not import this file
// links none of it (nor the MQTT client).
//
// Over QoS 1 every message arrives, so counters are sent as their running totals (not the
// increase since the last round, as StatsD wants): a consumer takes the differences itself and
// a message dropped from a full outbox loses no increments.

import * as ds from "@devicescript/core"
import { MqttClient, MqttMib } from "../mqtt/client"
import { DatagramWriter, formatNumber } from "./writer"
import { Sampler } from "./client"

export interface MqttTelemetryOptions {
    /** The topic each round's JSON object is published on (e.g. `devicescript.json` telemetry.prefix + "/telemetry"). */
    topic: string
    /** 0 or 1 (default 1). */
    qos?: number
    intervalMs: number
    /** Also publish each metric on `<topic>/<name>` (the value as text). */
    perMetric?: boolean
    /** Bytes of the JSON object at most (default 512; the client's tx buffer must hold it). */
    maxBytes?: number
}

/** @devsWhenUsed */
export class MqttTelemetryStats {
    rounds = 0
    samples = 0
    /** Messages the client took (QoS 1: queued in its outbox). */
    published = 0
    /** Messages the client refused (QoS 0 without connection, too big). */
    publish_failed = 0
    /** Samples not sent: a failing sampler, or no room left in the object. */
    metrics_dropped = 0
    sample_errors = 0
}

/** @devsWhenUsed */
export class MqttTelemetry {
    readonly stats = new MqttTelemetryStats()
    private readonly names: string[] = []
    private readonly samplers: Sampler[] = []
    private readonly out: DatagramWriter
    private running = false

    constructor(readonly client: MqttClient, readonly opts: MqttTelemetryOptions) {
        this.out = new DatagramWriter(opts.maxBytes || 512)
    }

    /** Register a gauge. Names are JSON keys: keep them to [A-Za-z0-9_.-]. */
    add(name: string, sample: Sampler): void {
        this.names.push(name)
        this.samplers.push(sample)
    }

    /** Register a counter: sent as its running total (see above). */
    addCounter(name: string, sample: Sampler): void {
        this.add(name, sample)
    }

    /** Sample every metric once and publish the round. */
    async sampleOnce(): Promise<void> {
        const st = this.stats
        const w = this.out
        const qos = this.opts.qos === undefined ? 1 : this.opts.qos
        st.rounds++
        w.reset()
        w.append("{")
        for (let i = 0; i < this.names.length; i++) {
            let v: number
            try {
                v = await this.samplers[i]()
            } catch (e) {
                v = NaN
            }
            // not a number, NaN or ±Infinity (v - v is NaN for the last three)
            if (typeof v !== "number" || isNaN(v - v)) {
                st.sample_errors++
                st.metrics_dropped++
                continue
            }
            const text = formatNumber(v)
            // RFC 8259 object: "name":value, comma-separated; the closing brace must still fit
            const before = w.len
            if (!w.append((before > 1 ? ',"' : '"') + this.names[i] + '":' + text) || w.len >= w.buf.length) {
                w.len = before
                st.metrics_dropped++
                continue
            }
            st.samples++
            if (this.opts.perMetric) this.count(await this.client.publish(this.opts.topic + "/" + this.names[i], text, qos))
        }
        w.append("}")
        this.count(await this.client.publish(this.opts.topic, w.buf.slice(0, w.len), qos))
    }

    private count(ok: boolean): void {
        if (ok) this.stats.published++
        else this.stats.publish_failed++
    }

    /** Sample every intervalMs in a fiber of its own until stop(). */
    start(): void {
        this.running = true
        this.loop.start()
    }

    stop(): void {
        this.running = false
    }

    private async loop(): Promise<void> {
        while (this.running) {
            const t0 = ds.millis()
            await this.sampleOnce()
            await ds.sleep(Math.max(1, this.opts.intervalMs - (ds.millis() - t0)))
        }
    }
}

/** The MQTT client's own counters as metrics: the outbox and the connection. */
export function addMqttMetrics(t: MqttTelemetry, c: MqttClient): void {
    t.add("mqtt_connected", () => (c.connected() ? 1 : 0))
    t.add("mqtt_outbox", () => c.outboxMessages())
    t.addCounter("mqtt_outbox_dropped", () => c.stats[MqttMib.OutboxDropped])
    t.addCounter("mqtt_qos1_acked", () => c.stats[MqttMib.Qos1Acked])
    t.addCounter("mqtt_disconnects", () => c.stats[MqttMib.Disconnects])
}
