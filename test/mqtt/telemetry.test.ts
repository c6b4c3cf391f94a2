// devs-timeout: 120000
// Telemetry over MQTT (src/telemetry/mqtt.ts) against the scripted broker: one JSON object a round
// with QoS 1, rounds published while the broker is away arrive once it is back, the stack's own
// metrics through the same adapter.
import { describe, test, expect, beforeEach } from "@devicescript/test"
import * as ds from "@devicescript/core"
import { MqttClient, MqttMib } from "../../src/mqtt/client"
import { MqttTelemetry, addMqttMetrics } from "../../src/telemetry/mqtt"
import { addStackMetrics } from "../../src/telemetry/metrics"
import { ScriptedBroker, until } from "../support/mqtt-broker"
import { makeRig } from "../support/rig"

function client(b: ScriptedBroker): MqttClient {
    const clock = b.clock
    return new MqttClient(
        {
            host: "broker",
            clientId: "board",
            keepAlive: 60,
            clock: () => clock.t,
            sleep: async (ms: number) => {
                await clock.sleep(ms)
            },
        },
        b.connector()
    )
}

/** The payload of a PUBLISH the broker got (QoS 1: after the packet id). */
function payload(p: Buffer): string {
    const hdr = p[1] & 0x80 ? 3 : 2
    const tl = (p[hdr] << 8) | p[hdr + 1]
    const at = hdr + 2 + tl + ((p[0] >> 1) & 3 ? 2 : 0)
    return p.slice(at).toString()
}

function topic(p: Buffer): string {
    const hdr = p[1] & 0x80 ? 3 : 2
    return p.slice(hdr + 2, hdr + 2 + ((p[hdr] << 8) | p[hdr + 1])).toString()
}

describe("telemetry over MQTT", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    test("one JSON object a round, QoS 1; a failing sampler is counted and left out", async () => {
        const b = new ScriptedBroker()
        const c = client(b)
        c.start()
        await until(() => c.connected())
        const t = new MqttTelemetry(c, { topic: "board/telemetry", intervalMs: 1000 })
        let n = 7
        t.add("temp", async () => 21.5)
        t.addCounter("frames", () => n)
        t.add("broken", () => {
            throw new Error("sensor gone")
        })
        await t.sampleOnce()
        n = 9
        await t.sampleOnce()
        await until(() => c.outboxMessages() === 0)
        const p = b.of(3)
        expect(p.length).toBe(2)
        // QoS 1, not retained: 0x32
        expect(p[0].bytes[0]).toBe(0x32)
        expect(topic(p[0].bytes)).toBe("board/telemetry")
        expect(payload(p[0].bytes)).toBe('{"temp":21.5,"frames":7}')
        // counters as running totals
        expect(payload(p[1].bytes)).toBe('{"temp":21.5,"frames":9}')
        expect(t.stats.published).toBe(2)
        expect(t.stats.sample_errors).toBe(2)
        expect(t.stats.metrics_dropped).toBe(2)
        await c.stop()
    })
    test("rounds published while the broker is down arrive after it is back, in order", async () => {
        const b = new ScriptedBroker()
        b.up = false
        const c = client(b)
        c.start()
        const t = new MqttTelemetry(c, { topic: "t", intervalMs: 1000, perMetric: true })
        let round = 0
        t.add("round", () => round)
        for (round = 1; round <= 3; round++) await t.sampleOnce()
        expect(c.outboxMessages()).toBe(6)
        b.up = true
        await until(() => c.outboxMessages() === 0)
        const got = b.of(3).map(p => topic(p.bytes) + "=" + payload(p.bytes))
        expect(got.join(" ")).toBe('t/round=1 t={"round":1} t/round=2 t={"round":2} t/round=3 t={"round":3}')
        expect(c.stats[MqttMib.Qos1Acked]).toBe(6)
        await c.stop()
    })
    test("the stack's and the client's own metrics through the adapter; the object stays valid JSON", async () => {
        const rig = makeRig()
        const b = new ScriptedBroker()
        const c = client(b)
        c.start()
        await until(() => c.connected())
        const t = new MqttTelemetry(c, { topic: "board/telemetry", intervalMs: 1000, qos: 0, maxBytes: 200 })
        addStackMetrics(t, rig.stack)
        addMqttMetrics(t, c)
        await t.sampleOnce()
        await until(() => b.of(3).length === 1)
        const p = b.of(3)[0]
        expect(p.bytes[0]).toBe(0x30)
        const text = payload(p.bytes)
        expect(text.length <= 200).toBe(true)
        const o = JSON.parse(text)
        expect(o.uptime_s).toBe(0)
        expect(o.link_up).toBe(1)
        // 200 bytes hold only part of the 17 metrics: the rest are counted, the object still closes
        expect(t.stats.samples + t.stats.metrics_dropped).toBe(17)
        expect(t.stats.metrics_dropped > 0).toBe(true)
        await c.stop()
    })
})
