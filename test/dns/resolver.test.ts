import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, makeRig, Rig } from "../support/rig"
import { be16 } from "../support/ref"
import { BOARD_IP } from "../support/config"
import { NS1_IP, NS1_MAC, NS2_IP, NS2_MAC, udpToBoard, payloadOf, withId } from "./peer"
import { DnsResolver, DnsResult, DnsMib, DnsOptions } from "../../src/dns/resolver"
import { DnsOutcome } from "../../src/dns/message"
import { UdpMib } from "../../src/udp/mib"

// The resolver on a stack, the name servers scripted here: each query read off the wire byte for
// byte, each reply written by hand (RFC 1035 §4.1 layout), the clock driven by the test.

// "collector.lan" A IN with RD, after the ID (worked by hand: header §4.1.1, question §4.1.2)
const QUERY_TAIL = hex`01 00 00 01 00 00 00 00 00 00
09 63 6f 6c 6c 65 63 74 6f 72 03 6c 61 6e 00 00 01 00 01`

// the reply: 192.0.2.20, TTL 300 (the ID is copied from the query)
const REPLY_A = hex`00 00 81 80 00 01 00 01 00 00 00 00
09 63 6f 6c 6c 65 63 74 6f 72 03 6c 61 6e 00 00 01 00 01
c0 0c 00 01 00 01 00 00 01 2c 00 04 c0 00 02 14`
const REPLY_SERVFAIL = hex`00 00 81 82 00 01 00 00 00 00 00 00
09 63 6f 6c 6c 65 63 74 6f 72 03 6c 61 6e 00 00 01 00 01`
// NXDOMAIN for nope.lan with lan's SOA: TTL 3600, MINIMUM 30
const REPLY_NX = hex`00 00 81 83 00 01 00 00 00 01 00 00
04 6e 6f 70 65 03 6c 61 6e 00 00 01 00 01
c0 11 00 06 00 01 00 00 0e 10 00 1d 02 6e 73 c0 11 01 68 c0 11
00 00 00 01 00 00 0e 10 00 00 02 58 00 01 51 80 00 00 00 1e`

function dnsRig(): Rig {
    return makeRig(c => {
        c.arp = [{ ip: NS1_IP, mac: NS1_MAC }, { ip: NS2_IP, mac: NS2_MAC }]
    })
}

class Pending {
    result: DnsResult = null
}

/** resolve() in a fiber of its own, as the firmware calls it. */
function start(r: DnsResolver, name: string): Pending {
    const p = new Pending()
    const run = async () => {
        p.result = await r.resolve(name)
    }
    run.start()
    return p
}

/** Let the resolver's fiber run, then the frames it sent. */
async function sent(rig: Rig): Promise<Buffer[]> {
    await ds.sleep(20)
    await rig.flush()
    return rig.take()
}

async function done(p: Pending): Promise<DnsResult> {
    for (let i = 0; i < 200 && p.result === null; i++) await ds.sleep(5)
    return p.result
}

/** A query to `server` for collector.lan: every byte but the random ID and source port. */
function checkQuery(f: Buffer, server: number): void {
    expect(f.length).toBe(14 + 20 + 8 + 31)
    expect(be16(f, 12)).toBe(0x0800)
    expect(be16(f, 26) * 65536 + be16(f, 28)).toBe(BOARD_IP)
    expect(be16(f, 30) * 65536 + be16(f, 32)).toBe(server)
    expect(be16(f, 34) >= 49152).toBe(true)
    expect(be16(f, 36)).toBe(53)
    expect(be16(f, 38)).toBe(8 + 31)
    let same = true
    for (let i = 0; i < QUERY_TAIL.length; i++) if (f[44 + i] !== QUERY_TAIL[i]) same = false
    expect(same).toBe(true)
}

function answer(rig: Rig, q: Buffer, reply: Buffer): void {
    answerFrom(rig, q, reply, NS1_MAC, NS1_IP, 53)
}

function answerFrom(rig: Rig, q: Buffer, reply: Buffer, fromMac: Buffer, fromIp: number, fromPort: number): void {
    rig.dev.inject(udpToBoard(fromMac, fromIp, fromPort, be16(q, 34), withId(reply, payloadOf(q))))
}

function resolver(rig: Rig, o?: DnsOptions): DnsResolver {
    const opts = o || {}
    if (!opts.servers) opts.servers = [NS1_IP]
    if (!opts.timeoutMs) opts.timeoutMs = 1000
    if (!opts.attempts) opts.attempts = 1
    return new DnsResolver(rig.stack.udp, opts)
}

describe("dns resolver", () => {
    beforeEach(yieldToScheduler)

    test("an A record: the query on the wire, the answer, then the cache for its TTL", async () => {
        const rig = dnsRig()
        const r = resolver(rig)
        const p = start(r, "collector.lan")
        const fs = await sent(rig)
        expect(fs.length).toBe(1)
        checkQuery(fs[0], NS1_IP)
        answer(rig, fs[0], REPLY_A)
        const res = await done(p)
        expect(res.outcome).toBe(DnsOutcome.Ok)
        expect(res.address).toBe(0xc0000214)
        expect(res.ttlMs).toBe(300000)
        // from the cache: nothing sent, any case
        const again = await r.resolve("Collector.LAN.")
        expect(again.outcome).toBe(DnsOutcome.Ok)
        expect(again.address).toBe(0xc0000214)
        expect((await sent(rig)).length).toBe(0)
        expect(r.stats[DnsMib.CacheHits]).toBe(1)
        expect(r.stats[DnsMib.OutQueries]).toBe(1)
        // the TTL runs out: asked again
        rig.t += 300001
        const p2 = start(r, "collector.lan")
        const f2 = await sent(rig)
        expect(f2.length).toBe(1)
        answer(rig, f2[0], REPLY_A)
        expect((await done(p2)).outcome).toBe(DnsOutcome.Ok)
        expect(r.stats[DnsMib.OutQueries]).toBe(2)
    })

    test("RFC 5452: replies with another ID, source address or port are ignored and counted", async () => {
        const rig = dnsRig()
        const r = resolver(rig)
        const p = start(r, "collector.lan")
        const q = (await sent(rig))[0]
        const wrongId = withId(REPLY_A, payloadOf(q))
        wrongId[1] = wrongId[1] ^ 0x01
        rig.dev.inject(udpToBoard(NS1_MAC, NS1_IP, 53, be16(q, 34), wrongId))
        answerFrom(rig, q, REPLY_A, NS2_MAC, NS2_IP, 53)
        answerFrom(rig, q, REPLY_A, NS1_MAC, NS1_IP, 5353)
        await ds.sleep(20)
        expect(p.result === null).toBe(true)
        expect(r.stats[DnsMib.Mismatches]).toBe(1)
        expect(r.stats[DnsMib.BadSource]).toBe(2)
        answer(rig, q, REPLY_A)
        expect((await done(p)).address).toBe(0xc0000214)
        // a late duplicate, after the answer: counted, changes nothing
        answer(rig, q, REPLY_A)
        expect(r.stats[DnsMib.BadSource]).toBe(3)
    })

    test("a silent server: timeout, the next server with a new ID and port; all silent: Timeout", async () => {
        const rig = dnsRig()
        const r = resolver(rig, { servers: [NS1_IP, NS2_IP] })
        const p = start(r, "collector.lan")
        const q1 = (await sent(rig))[0]
        checkQuery(q1, NS1_IP)
        rig.t += 999
        expect((await sent(rig)).length).toBe(0)
        rig.t += 1
        const q2 = (await sent(rig))[0]
        checkQuery(q2, NS2_IP)
        // 2^-32 that both differ by chance... both are fresh random draws
        expect(be16(q1, 42) !== be16(q2, 42) || be16(q1, 34) !== be16(q2, 34)).toBe(true)
        answerFrom(rig, q2, REPLY_A, NS2_MAC, NS2_IP, 53)
        const res = await done(p)
        expect(res.outcome).toBe(DnsOutcome.Ok)
        expect(r.stats[DnsMib.Timeouts]).toBe(1)
        expect(r.stats[DnsMib.OutQueries]).toBe(2)
        // every server silent, two rounds: four datagrams, then Timeout
        const r2 = resolver(rig, { servers: [NS1_IP, NS2_IP], attempts: 2 })
        const p2 = start(r2, "other.lan")
        for (let i = 0; i < 4; i++) {
            expect((await sent(rig)).length).toBe(1)
            rig.t += 1000
        }
        const res2 = await done(p2)
        expect(res2.outcome).toBe(DnsOutcome.Timeout)
        expect(r2.stats[DnsMib.OutQueries]).toBe(4)
        expect(r2.stats[DnsMib.Timeouts]).toBe(4)
    })

    test("SERVFAIL moves on to the next server; from all: ServFail", async () => {
        const rig = dnsRig()
        const r = resolver(rig, { servers: [NS1_IP, NS2_IP] })
        const p = start(r, "collector.lan")
        const q1 = (await sent(rig))[0]
        answer(rig, q1, REPLY_SERVFAIL)
        const q2 = (await sent(rig))[0]
        checkQuery(q2, NS2_IP)
        answerFrom(rig, q2, REPLY_SERVFAIL, NS2_MAC, NS2_IP, 53)
        const res = await done(p)
        expect(res.outcome).toBe(DnsOutcome.ServFail)
        expect(r.stats[DnsMib.ServFail]).toBe(2)
        // a truncated answer ends it (no TCP here)
        const p2 = start(r, "collector.lan")
        const q3 = (await sent(rig))[0]
        const tc = withId(REPLY_SERVFAIL, payloadOf(q3))
        tc[2] = 0x83
        tc[3] = 0x80
        rig.dev.inject(udpToBoard(NS1_MAC, NS1_IP, 53, be16(q3, 34), tc))
        expect((await done(p2)).outcome).toBe(DnsOutcome.Truncated)
        expect((await sent(rig)).length).toBe(0)
    })

    test("NXDOMAIN is cached for the SOA's negative TTL (RFC 2308 §5), then asked again", async () => {
        const rig = dnsRig()
        const r = resolver(rig)
        const p = start(r, "nope.lan")
        const q = (await sent(rig))[0]
        answer(rig, q, REPLY_NX)
        const res = await done(p)
        expect(res.outcome).toBe(DnsOutcome.NxDomain)
        expect(res.ttlMs).toBe(30000)
        rig.t += 29999
        expect((await r.resolve("nope.lan")).outcome).toBe(DnsOutcome.NxDomain)
        expect(r.stats[DnsMib.NegativeHits]).toBe(1)
        expect((await sent(rig)).length).toBe(0)
        rig.t += 1
        const p2 = start(r, "nope.lan")
        expect((await sent(rig)).length).toBe(1)
        rig.t += 1000
        expect((await done(p2)).outcome).toBe(DnsOutcome.Timeout)
    })

    test("no servers, bad names, literals; servers set at run time", async () => {
        const rig = dnsRig()
        const r = resolver(rig, { servers: [0] })
        expect(r.servers.length).toBe(0)
        expect((await r.resolve("collector.lan")).outcome).toBe(DnsOutcome.NoServers)
        const lit = await r.resolve("192.0.2.7")
        expect(lit.outcome).toBe(DnsOutcome.Ok)
        expect(lit.address).toBe(0xc0000207)
        r.setServers([NS2_IP, 0, NS1_IP, NS1_IP, NS2_IP])
        expect(r.servers.length).toBe(3)
        expect(r.servers[0]).toBe(NS2_IP)
        expect((await r.resolve("bad..name")).outcome).toBe(DnsOutcome.BadName)
        expect((await sent(rig)).length).toBe(0)
        const p = start(r, "collector.lan")
        const q = (await sent(rig))[0]
        checkQuery(q, NS2_IP)
        answerFrom(rig, q, REPLY_A, NS2_MAC, NS2_IP, 53)
        expect((await done(p)).outcome).toBe(DnsOutcome.Ok)
    })

    test("a full cache drops the least recently used entry", async () => {
        const rig = dnsRig()
        const r = resolver(rig, { cacheSize: 2 })
        const names = ["a.lan", "b.lan", "c.lan"]
        // a reply for "x.lan" A 192.0.2.(100+i), TTL 600
        for (let i = 0; i < 3; i++) {
            if (i === 2) {
                // a used again, so b is the least recently used
                rig.t += 10
                expect((await r.resolve("a.lan")).outcome).toBe(DnsOutcome.Ok)
            }
            rig.t += 10
            const p = start(r, names[i])
            const q = (await sent(rig))[0]
            const reply = Buffer.alloc(12 + 11 + 16)
            reply.blitAt(0, payloadOf(q), 0, 12 + 11)
            reply[2] = 0x81
            reply[3] = 0x80
            reply[7] = 1
            reply.blitAt(23, hex`c0 0c 00 01 00 01 00 00 02 58 00 04 c0 00 02 00`, 0, 16)
            reply[38] = 100 + i
            answer(rig, q, reply)
            expect((await done(p)).address).toBe(0xc0000264 + i)
        }
        expect(r.stats[DnsMib.Evictions]).toBe(1)
        expect((await r.resolve("a.lan")).address).toBe(0xc0000264)
        expect((await r.resolve("c.lan")).address).toBe(0xc0000266)
        const p = start(r, "b.lan")
        expect((await sent(rig)).length).toBe(1)
        rig.t += 1000
        expect((await done(p)).outcome).toBe(DnsOutcome.Timeout)
    })
})
