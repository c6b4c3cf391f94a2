import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, makeRig, Rig } from "../support/rig"
import { be16 } from "../support/ref"
import { NS1_IP, NS1_MAC, NS2_IP, NS2_MAC, udpToBoard, payloadOf } from "../dns/peer"
import { SntpClient, SntpMib, SntpOutcome, ntpToUnixMs, sntpOffset, sntpDelay } from "../../src/ntp/client"

// SNTP (RFC 4330) against a server scripted here: the request byte for byte, replies with
// timestamps worked out by hand, and every reason to refuse a reply.

// 2025-12-06T05:46:40Z = Unix 1765000000 s = NTP 3973988800 s = 0xecde41c0
const X_MS = 1765000000000

function ntpRig(): Rig {
    return makeRig(c => {
        c.arp = [{ ip: NS1_IP, mac: NS1_MAC }, { ip: NS2_IP, mac: NS2_MAC }]
    })
}

class Pending {
    result = -1
}

function start(c: SntpClient): Pending {
    const p = new Pending()
    const run = async () => {
        p.result = await c.syncOnce()
    }
    run.start()
    return p
}

async function sent(rig: Rig): Promise<Buffer[]> {
    await ds.sleep(20)
    await rig.flush()
    return rig.take()
}

async function done(p: Pending): Promise<number> {
    for (let i = 0; i < 200 && p.result < 0; i++) await ds.sleep(5)
    return p.result
}

/**
 * A server reply to the request in frame `q`: LI 0 VN 4 mode 4, stratum 2, origin = the request's
 * transmit timestamp, receive = X + 0.25 s, transmit = X + 0.5 s.
 */
function reply(q: Buffer): Buffer {
    const r = hex`24 02 06 ec 00 00 00 10 00 00 00 20 c0 00 02 01
ec de 41 b0 00 00 00 00 00 00 00 00 00 00 00 00
ec de 41 c0 40 00 00 00 ec de 41 c0 80 00 00 00`
    const b = Buffer.alloc(48)
    b.blitAt(0, r, 0, 48)
    b.blitAt(24, payloadOf(q), 40, 8)
    return b
}

function inject(rig: Rig, q: Buffer, r: Buffer, mac: Buffer, ip: number, port: number): void {
    rig.dev.inject(udpToBoard(mac, ip, port, be16(q, 34), r))
}

describe("sntp", () => {
    beforeEach(yieldToScheduler)

    test("timestamps: NTP to Unix across the 2036 era, offset and delay per RFC 4330 §5", () => {
        expect(ntpToUnixMs(hex`ec de 41 c0 80 00 00 00`, 0)).toBe(X_MS + 500)
        expect(ntpToUnixMs(hex`83 aa 7e 80 00 00 00 00`, 0)).toBe(0)
        // era 1 starts 2036-02-07T06:28:16Z: 2^32 - 2208988800 = 2085978496 s
        expect(ntpToUnixMs(hex`00 00 00 00 00 00 00 00`, 0)).toBe(2085978496000)
        expect(ntpToUnixMs(hex`00 00 00 01 40 00 00 00`, 0)).toBe(2085978497250)
        expect(sntpOffset(1000, 5250, 5500, 1400)).toBe(4175)
        expect(sntpDelay(1000, 5250, 5500, 1400)).toBe(150)
    })

    test("an exchange: the request on the wire, offset, delay and the wall clock", async () => {
        const rig = ntpRig()
        const c = new SntpClient(rig.stack.udp, { servers: [NS1_IP], timeoutMs: 1000 })
        expect(c.now()).toBe(-1)
        const p = start(c)
        const fs = await sent(rig)
        expect(fs.length).toBe(1)
        const q = fs[0]
        expect(q.length).toBe(14 + 20 + 8 + 48)
        expect(be16(q, 36)).toBe(123)
        expect(be16(q, 34) >= 49152).toBe(true)
        // LI 0, VN 4, mode 3, then zeros up to the transmit timestamp (random: not all zero)
        const m = payloadOf(q)
        expect(m[0]).toBe(0x23)
        let zeros = true
        for (let i = 1; i < 40; i++) if (m[i] !== 0) zeros = false
        expect(zeros).toBe(true)
        let tx = 0
        for (let i = 40; i < 48; i++) tx |= m[i]
        expect(tx !== 0).toBe(true)
        // T1 = 1000 local, T4 = 1400 local
        rig.t += 400
        inject(rig, q, reply(q), NS1_MAC, NS1_IP, 123)
        expect(await done(p)).toBe(SntpOutcome.Ok)
        // offset = ((X+250 - 1000) + (X+500 - 1400)) / 2 = X - 825; delay = 400 - 250
        expect(c.offsetMs).toBe(X_MS - 825)
        expect(c.delayMs).toBe(150)
        expect(c.now()).toBe(X_MS + 575)
        rig.t += 1000
        expect(c.now()).toBe(X_MS + 1575)
        expect(c.stats[SntpMib.Syncs]).toBe(1)
    })

    test("refused: wrong source or port, short, client mode, origin not ours, zero transmit", async () => {
        const rig = ntpRig()
        const c = new SntpClient(rig.stack.udp, { servers: [NS1_IP], timeoutMs: 1000 })
        const p = start(c)
        const q = (await sent(rig))[0]
        const good = reply(q)
        inject(rig, q, good, NS2_MAC, NS2_IP, 123)
        inject(rig, q, good, NS1_MAC, NS1_IP, 124)
        inject(rig, q, good.slice(0, 47), NS1_MAC, NS1_IP, 123)
        const mode = reply(q)
        mode[0] = 0x23
        inject(rig, q, mode, NS1_MAC, NS1_IP, 123)
        const origin = reply(q)
        origin[31] = origin[31] ^ 0xff
        inject(rig, q, origin, NS1_MAC, NS1_IP, 123)
        const zeroTx = reply(q)
        zeroTx.fillAt(40, 8, 0)
        inject(rig, q, zeroTx, NS1_MAC, NS1_IP, 123)
        await ds.sleep(20)
        expect(p.result).toBe(-1)
        expect(c.stats[SntpMib.BadSource]).toBe(2)
        expect(c.stats[SntpMib.BadFormat]).toBe(2)
        expect(c.stats[SntpMib.Bogus]).toBe(2)
        expect(c.synced).toBe(false)
        rig.t += 1000
        expect(await done(p)).toBe(SntpOutcome.Timeout)
        expect(c.stats[SntpMib.Timeouts]).toBe(1)
        expect(c.now()).toBe(-1)
    })

    test("Kiss-o'-Death: RATE backs off, DENY drops the server; unsynchronised servers refused", async () => {
        const rig = ntpRig()
        const c = new SntpClient(rig.stack.udp, { servers: [NS1_IP, NS2_IP], timeoutMs: 1000, minPollMs: 16000, maxPollMs: 1024000 })
        const p = start(c)
        const q1 = (await sent(rig))[0]
        const rate = reply(q1)
        rate[1] = 0
        rate.blitAt(12, Buffer.from("RATE"), 0, 4)
        inject(rig, q1, rate, NS1_MAC, NS1_IP, 123)
        // the next server is asked
        const q2 = (await sent(rig))[0]
        expect(be16(q2, 30) * 65536 + be16(q2, 32)).toBe(NS2_IP)
        const deny = reply(q2)
        deny[1] = 0
        deny.blitAt(12, Buffer.from("DENY"), 0, 4)
        inject(rig, q2, deny, NS2_MAC, NS2_IP, 123)
        expect(await done(p)).toBe(SntpOutcome.Kiss)
        expect(c.pollMs).toBe(32000)
        expect(c.servers.length).toBe(1)
        expect(c.servers[0]).toBe(NS1_IP)
        expect(c.stats[SntpMib.KissRate]).toBe(1)
        expect(c.stats[SntpMib.KissDeny]).toBe(1)
        // stratum 16, then LI 3 (alarm)
        const p2 = start(c)
        const q3 = (await sent(rig))[0]
        const s16 = reply(q3)
        s16[1] = 16
        inject(rig, q3, s16, NS1_MAC, NS1_IP, 123)
        expect(await done(p2)).toBe(SntpOutcome.Unsynchronized)
        const p3 = start(c)
        const q4 = (await sent(rig))[0]
        const li3 = reply(q4)
        li3[0] = 0xe4
        inject(rig, q4, li3, NS1_MAC, NS1_IP, 123)
        expect(await done(p3)).toBe(SntpOutcome.Unsynchronized)
        expect(c.stats[SntpMib.Unsynchronized]).toBe(2)
        expect(c.synced).toBe(false)
        c.setServers([])
        expect(await c.syncOnce()).toBe(SntpOutcome.NoServers)
    })
})
