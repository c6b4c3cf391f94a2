import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, makeRig, COLLECTOR_MAC } from "../support/rig"
import { COLLECTOR_IP } from "../support/config"
import { be16, be32 } from "../support/ref"
import { MetricKind } from "../../src/telemetry/statsd"
import { influxLine, influxMeasurement, influxKey } from "../../src/telemetry/influx"
import { formatNumber } from "../../src/telemetry/writer"
import { TelemetryClient } from "../../src/telemetry/client"
import { SendResult } from "../../src/ipv4/output"
import { QdiscMib } from "../../src/dev/counters"
import { StatsdEncoder } from "../../src/telemetry/statsd"
import { InfluxEncoder } from "../../src/telemetry/influx"

describe("encoders", () => {
    beforeEach(yieldToScheduler)
    test("StatsD lines and name sanitising", () => {
        const statsdName = (prefix: string, name: string) => new StatsdEncoder(prefix).wireName(name)
        const statsdLine = (name: string, value: number, kind: MetricKind) => new StatsdEncoder("").line(name, kind, value, -1)
        expect(statsdLine(statsdName("board", "uptime"), 42, MetricKind.Gauge)).toBe("board.uptime:42|g")
        expect(statsdLine(statsdName("board", "tx packets"), 7, MetricKind.Counter)).toBe("board.tx_packets:7|c")
        expect(statsdName("b", "a:b|c@d")).toBe("b.a_b_c_d")
        expect(statsdName("", "temp-1.x")).toBe("temp-1.x")
        // each end of the kept ranges [A-Za-z0-9_.-] and its neighbours: , / : @ [ ` {
        expect(statsdName("", "AZaz09_.-,/:@[`{")).toBe("AZaz09_.-_______")
        expect(statsdLine("t", -2.5, MetricKind.Gauge)).toBe("t:-2.5|g")
    })
    test("Influx line protocol escaping and integer fields", () => {
        expect(influxMeasurement("my board,1")).toBe("my\\ board\\,1")
        expect(influxKey("a=b c,d")).toBe("a\\=b\\ c\\,d")
        expect(influxLine("board,board=b1", "uptime", 42)).toBe("board,board=b1 uptime=42i")
        expect(influxLine("board,board=b1", "temp", 21.25)).toBe("board,board=b1 temp=21.25")
    })
    test("numbers: integers plain, fractions to 6 decimals", () => {
        expect(formatNumber(0)).toBe("0")
        expect(formatNumber(123456789)).toBe("123456789")
        expect(formatNumber(1 / 3)).toBe("0.333333")
    })
})

describe("telemetry client", () => {
    beforeEach(yieldToScheduler)
    test("many metrics are packed into as few datagrams as the MTU allows", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        const t = new TelemetryClient(rig.stack, { collector: COLLECTOR_IP, port: 8125, encoder: new StatsdEncoder("board"), intervalMs: 1000 })
        const ids: number[] = []
        for (let i = 0; i < 30; i++) ids.push(i)
        ids.forEach(i => t.add("sensor_number_" + i, () => 1000 + i))
        await yieldToScheduler()
        ids.forEach((_, k) => (ids[k] = k + 30))
        ids.forEach(i => t.add("sensor_number_" + i, () => 1000 + i))
        await yieldToScheduler()
        await t.sampleOnce()
        await rig.flush()
        const fs = rig.take()
        // each line is "board.sensor_number_NN:10NN|g" (29 bytes + newline): 49 fit in 1,472 bytes
        expect(fs.length).toBe(2)
        let lines = 0
        for (const f of fs) {
            expect(be32(f, 30)).toBe(COLLECTOR_IP)
            expect(be16(f, 36)).toBe(8125)
            expect(f.length <= 1514).toBe(true)
            for (let k = 42; k < f.length; k++) if (f[k] === 10) lines++
            lines++
        }
        expect(lines).toBe(60)
        // the first datagram is full: the next line (29 bytes + newline) would not have fitted
        const used = fs[0].length - 42
        expect(used <= 1472 && used + 30 > 1472).toBe(true)
        expect(fs[0].slice(42, 42 + 30).toString()).toBe("board.sensor_number_0:1000|g\nb")
        expect(t.stats.datagrams_sent).toBe(2)
        expect(t.stats.samples).toBe(60)
    })
    test("counters send the increase; a failing sampler is counted, the rest still go", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        const t = new TelemetryClient(rig.stack, { collector: COLLECTOR_IP, port: 8125, encoder: new InfluxEncoder("board"), intervalMs: 1000 })
        let n = 5
        t.addCounter("frames", () => n)
        t.add("broken", () => {
            throw new Error("sensor gone")
        })
        t.add("temp", async () => 21.5)
        await t.sampleOnce()
        n = 12
        await t.sampleOnce()
        await rig.flush()
        const fs = rig.take()
        expect(fs[0].slice(42).toString()).toBe("board,board=board frames=5i\nboard,board=board temp=21.5")
        expect(fs[1].slice(42).toString()).toBe("board,board=board frames=7i\nboard,board=board temp=21.5")
        expect(t.stats.sample_errors).toBe(2)
    })
    test("network down: the datagram's metrics are counted as dropped, nothing waits", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        const t = new TelemetryClient(rig.stack, { collector: COLLECTOR_IP, port: 8125, encoder: new StatsdEncoder("b"), intervalMs: 1000 })
        t.add("a", () => 1)
        t.add("b", () => 2)
        rig.dev.setCarrier(false)
        await t.sampleOnce()
        expect(t.stats.datagrams_dropped).toBe(1)
        expect(t.stats.metrics_dropped).toBe(2)
        expect(t.stats.last_error).toBe(SendResult.LinkDown)
        expect(rig.stack.qdisc.stats[QdiscMib.qlen]).toBe(0)
    })
})
