import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, makeRig, Rig } from "../support/rig"
import { be16 } from "../support/ref"
import { NS1_IP, NS1_MAC, udpToBoard, payloadOf, withId } from "../dns/peer"
import { COLLECTOR_IP } from "../support/config"
import { DnsResolver } from "../../src/dns/resolver"
import { DnsOutcome } from "../../src/dns/message"
import { NamedCollector } from "../../src/telemetry/named"
import { TelemetryClient } from "../../src/telemetry/client"
import { influxTimestamp } from "../../src/telemetry/influx"
import { SendResult } from "../../src/ipv4/output"
import { StatsdEncoder } from "../../src/telemetry/statsd"
import { InfluxEncoder } from "../../src/telemetry/influx"

// The collector by name: telemetry starts with no destination (counted NoRoute drops), follows the
// DNS answer, and re-resolves when the TTL runs out, picking up a new address. Influx lines carry
// the clock's time as exact nanosecond digits.

/** "collector.lan" A `addr` with TTL `ttl` s, answering query payload `q`. */
function replyA(q: Buffer, addr: number, ttl: number): Buffer {
    const r = hex`00 00 81 80 00 01 00 01 00 00 00 00
09 63 6f 6c 6c 65 63 74 6f 72 03 6c 61 6e 00 00 01 00 01
c0 0c 00 01 00 01 00 00 00 00 00 04 00 00 00 00`
    const b = withId(r, q)
    b[39] = ttl >> 8
    b[40] = ttl & 0xff
    for (let i = 0; i < 4; i++) b[43 + i] = (addr >>> (24 - 8 * i)) & 0xff
    return b
}

async function sent(rig: Rig): Promise<Buffer[]> {
    await ds.sleep(30)
    await rig.flush()
    return rig.take()
}

class FixedClock {
    t = -1
    now(): number {
        return this.t
    }
}

describe("telemetry to a collector by name", () => {
    beforeEach(yieldToScheduler)

    test("influx timestamps: nanosecond digits past 2^53 written exactly", () => {
        expect(influxTimestamp(1765000000123)).toBe("1765000000123000000")
        expect(influxTimestamp(1765000000123.875)).toBe("1765000000123000000")
        // era 1 of NTP (2036-02-07T06:28:16.001Z)
        expect(influxTimestamp(2085978496001)).toBe("2085978496001000000")
    })

    test("influx lines carry the clock's time once it is synchronised", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: NS1_MAC }]
        })
        const t = new TelemetryClient(rig.stack, { collector: COLLECTOR_IP, port: 8189, encoder: new InfluxEncoder("board"), intervalMs: 1000 })
        t.add("temp", () => 21)
        const clock = new FixedClock()
        t.clock = clock
        await t.sampleOnce()
        clock.t = 1765000000250.5
        await t.sampleOnce()
        await rig.flush()
        const fs = rig.take()
        expect(fs.length).toBe(2)
        expect(payloadOf(fs[0]).toString()).toBe("board,board=board temp=21i")
        expect(payloadOf(fs[1]).toString()).toBe("board,board=board temp=21i 1765000000250000000")
    })

    test("resolved, then resolved again at the TTL's end: a new address taken without a restart", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: NS1_IP, mac: NS1_MAC }, { ip: COLLECTOR_IP, mac: NS1_MAC }, { ip: 0xc0000215, mac: NS1_MAC }]
        })
        const t = new TelemetryClient(rig.stack, { collector: 0, port: 8125, encoder: new StatsdEncoder("board"), intervalMs: 1000 })
        t.add("x", () => 1)
        // before the name resolves: the round is dropped and counted
        await t.sampleOnce()
        expect(t.stats.datagrams_dropped).toBe(1)
        expect(t.stats.last_error).toBe(SendResult.NoRoute)
        const dns = new DnsResolver(rig.stack.udp, { servers: [NS1_IP], timeoutMs: 1000, attempts: 1 })
        const n = new NamedCollector(t, dns, "collector.lan", 8125)
        n.follow.start()
        const q1 = (await sent(rig))[0]
        rig.dev.inject(udpToBoard(NS1_MAC, NS1_IP, 53, be16(q1, 34), replyA(payloadOf(q1), COLLECTOR_IP, 30)))
        await ds.sleep(30)
        expect(n.last).toBe(DnsOutcome.Ok)
        expect(t.socket.remoteAddr).toBe(COLLECTOR_IP)
        expect(n.changes).toBe(1)
        await t.sampleOnce()
        expect(t.stats.datagrams_sent).toBe(1)
        const d = (await sent(rig))[0]
        expect(be16(d, 30) * 65536 + be16(d, 32)).toBe(COLLECTOR_IP)
        // 29.9 s: still cached, nothing asked
        rig.t += 29900
        expect((await sent(rig)).length).toBe(0)
        // the TTL ends: asked again, and the answer has moved to 192.0.2.21
        rig.t += 200
        await ds.sleep(1100)
        const q2 = (await sent(rig))[0]
        expect(be16(q2, 36)).toBe(53)
        rig.dev.inject(udpToBoard(NS1_MAC, NS1_IP, 53, be16(q2, 34), replyA(payloadOf(q2), 0xc0000215, 30)))
        await ds.sleep(30)
        expect(t.socket.remoteAddr).toBe(0xc0000215)
        expect(n.changes).toBe(2)
        n.running = false
        rig.t += 60000
        await ds.sleep(1100)
    })
})
