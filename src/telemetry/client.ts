// The telemetry client: samples registered metrics every interval and sends them to the collector
// over UDP, packed several per datagram up to the path MTU. Sending never blocks the sampler
// (non-blocking sendTo); when the network cannot take a datagram its metrics are counted as dropped,
// not queued.

import * as ds from "@devicescript/core"
import { NetStack } from "../stack"
import { SendResult } from "../ipv4/output"
import { UdpSocket } from "../udp/socket"
import { DatagramWriter } from "./writer"
import { MetricKind } from "./statsd"

export type Sampler = () => number | Promise<number>

export type TelemetryFormat = "statsd" | "influx"

/**
 * How a sample becomes a line: statsd.ts's StatsdEncoder or influx.ts's InfluxEncoder. Passed in, not
 * picked from a format at run time, so a firmware links only the one its configuration names.
 */
export interface TelemetryEncoder {
    /** The metric's name as the line carries it, worked out once when the metric is registered. */
    wireName(name: string): string
    /** One line without the newline; `t` is wall-clock Unix ms, or -1 when there is no clock. */
    line(wireName: string, kind: MetricKind, value: number, t: number): string
}

export interface TelemetryOptions {
    collector: number
    port: number
    encoder: TelemetryEncoder
    intervalMs: number
}

/** @devsWhenUsed */
class Metric {
    constructor(
        readonly name: string,
        readonly wireName: string,
        readonly kind: MetricKind,
        readonly sample: Sampler
    ) {}
}

/** @devsWhenUsed */
export class TelemetryStats {
    rounds = 0
    samples = 0
    datagrams_sent = 0
    datagrams_dropped = 0
    /** Samples lost with a dropped datagram, or that could not be read. */
    metrics_dropped = 0
    sample_errors = 0
    /** Why the last datagram was dropped. */
    last_error = SendResult.Sent
}

/** @devsWhenUsed */
export class TelemetryClient {
    readonly stats = new TelemetryStats()
    readonly metrics: Metric[] = []
    readonly socket: UdpSocket
    /** The datagram being filled, and how many metrics it holds (flushDatagram sends it). */
    readonly out: DatagramWriter
    pendingInDatagram = 0
    private running = false
    /** Wall-clock Unix ms for the encoder (Influx timestamps): an SNTP clock (-1 while not synchronised), or null. */
    clock: { now(): number } = null
    /** Called after each datagram with its text and outcome (the simulator runner prints it). */
    onDatagram: (buf: Buffer, len: number, result: SendResult) => void = null

    constructor(readonly stack: NetStack, readonly opts: TelemetryOptions) {
        this.socket = stack.udp.bind(0)
        this.socket.connect(opts.collector, opts.port)
        // path MTU minus the IPv4 and UDP headers: one datagram is one frame
        this.out = new DatagramWriter(stack.dev.mtu - 28)
    }

    /** Register a gauge: `telemetry.add("temperature", async () => await thermometer.reading.read())`. */
    add(name: string, sample: Sampler, kind = MetricKind.Gauge): void {
        this.metrics.push(new Metric(name, this.opts.encoder.wireName(name), kind, sample))
    }

    /** Register a counter (StatsD `|c`: the value sent is the increase since the last round). */
    addCounter(name: string, sample: Sampler): void {
        this.add(name, sample, MetricKind.Counter)
    }

    private readonly lastCounter: number[] = []

    /** Sample every metric once and send them (as many datagrams as needed). */
    async sampleOnce(): Promise<void> {
        const st = this.stats
        st.rounds++
        const w = this.out
        for (let i = 0; i < this.metrics.length; i++) {
            // encoding is script work (~1-2 k steps a metric): yield so a long list never trips the
            // step watchdog and other fibers (the drain, the driver) keep running
            if ((i & 7) === 7) await ds.sleep(0)
            const m = this.metrics[i]
            let v: number
            try {
                v = await m.sample()
            } catch (e) {
                v = NaN
            }
            // the sampler threw, or gave no finite number (v - v is NaN for NaN and ±Infinity)
            if (typeof v !== "number" || v - v !== 0) {
                st.sample_errors++
                st.metrics_dropped++
                continue
            }
            if (m.kind === MetricKind.Counter) {
                // the first round sends the whole count
                const prev = this.lastCounter[i] || 0
                this.lastCounter[i] = v
                v = v - prev
            }
            st.samples++
            const line = this.opts.encoder.line(m.wireName, m.kind, v, this.clock === null ? -1 : this.clock.now())
            const sep = w.len > 0 ? "\n" : ""
            if (!w.append(sep + line)) {
                flushDatagram(this)
                if (!w.append(line)) {
                    // a single line longer than a datagram: cannot be sent
                    st.metrics_dropped++
                    continue
                }
            }
            this.pendingInDatagram++
        }
        flushDatagram(this)
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
            const spent = ds.millis() - t0
            await ds.sleep(Math.max(1, this.opts.intervalMs - spent))
        }
    }
}

/** Send the datagram being filled (a dropped one is counted with its metrics). */
function flushDatagram(c: TelemetryClient): void {
    const w = c.out
    if (w.len === 0) return
    // a collector by name not resolved yet: no route to it
    const r = c.socket.remoteAddr === 0 ? SendResult.NoRoute : c.socket.send(w.buf, 0, w.len)
    if (r === SendResult.Sent || r === SendResult.Queued) c.stats.datagrams_sent++
    else {
        c.stats.datagrams_dropped++
        c.stats.metrics_dropped += c.pendingInDatagram
        c.stats.last_error = r
    }
    if (c.onDatagram !== null) c.onDatagram(w.buf, w.len, r)
    w.len = 0
    c.pendingInDatagram = 0
}
