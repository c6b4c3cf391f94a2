import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler } from "../support/rig"
import { pattern } from "../support/ref"
import { StreamStatus } from "../../src/tcp/stream"
import { TcpState, TcpError, setKeepalive } from "../../src/tcp/conn"
import { TcpMib } from "../../src/tcp/mib"
import { tcpRig, tcpOf, sent, established, peerSeg, Seg, ACK, PSH, PEER_ISS, add32 } from "./peer"
import * as ds from "@devicescript/core"

// Data both ways (RFC 9293 §3.8), the retransmission timer (RFC 6298), fast retransmit and recovery
// (RFC 5681 §3.2), the peer's window and zero-window probes (§3.8.6.1), delayed ACKs (RFC 1122
// §4.2.3.2) and Nagle (RFC 896).

function dataOk(s: Seg, p: Buffer, from: number): boolean {
    const f = s.f
    const at = 34 + s.hlen()
    const n = s.dataLen()
    for (let i = 0; i < n; i++) if (f[at + i] !== p[from + i]) return false
    return true
}

/** `s` is one segment at `seq` holding p[from .. from + len), its checksum right. */
function expectOneSegment(s: Seg[], seq: number, len: number, p: Buffer, from: number): void {
    expect(s.length).toBe(1)
    expect(s[0].seq()).toBe(seq)
    expect(s[0].dataLen()).toBe(len)
    expect(dataOk(s[0], p, from)).toBe(true)
    expect(s[0].csumOk()).toBe(true)
}

/**
 * An established connection (MSS 536, Nagle off) with a 1,000-byte send ring whose head is at byte
 * `head`: that much was sent and acknowledged. `una` is SND.UNA.
 */
async function ringHeadAt(head: number) {
    const rig = tcpRig()
    const t = tcpOf(rig, k => { k.sndBuf = 1000 })
    const c = await established(rig, t, 536, 8000, 30)
    c.noDelay = true
    const una = add32(c.iss, 1 + head)
    c.write(pattern(head, 5), 0, head)
    expect((await sent(rig)).length).toBe(2)
    rig.dev.inject(peerSeg(c, PEER_ISS + 1, una, ACK, 8000, null))
    return { rig, t, c, una }
}

describe("TCP data", () => {
    beforeEach(yieldToScheduler)

    test("segments cut at the peer's MSS; Nagle holds the short tail until everything is acknowledged", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        const c = await established(rig, t, 536, 8000, 30)
        const p = pattern(2000, 3)
        expect(c.write(p, 0, 2000)).toBe(1460)
        expect(c.writable()).toBe(0)
        let s = await sent(rig)
        expect(s.length).toBe(2)
        const base = add32(c.iss, 1)
        expect(s[0].seq()).toBe(base)
        expect(s[0].ack()).toBe(PEER_ISS + 1)
        expect(s[0].flags()).toBe(ACK)
        expect(s[0].dataLen()).toBe(536)
        expect(s[0].win()).toBe(1024)
        expect(s[0].csumOk()).toBe(true)
        expect(dataOk(s[0], p, 0)).toBe(true)
        await ds.sleep(0)
        expect(s[1].seq()).toBe(add32(base, 536))
        expect(s[1].dataLen()).toBe(536)
        expect(dataOk(s[1], p, 536)).toBe(true)
        expect(s[1].csumOk()).toBe(true)
        // the first acknowledged: 388 bytes wait for the second (Nagle)
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, add32(base, 536), ACK, 8000, null))
        expect((await sent(rig)).length).toBe(0)
        expect(c.writable()).toBe(536)
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, add32(base, 1072), ACK, 8000, null))
        s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].seq()).toBe(add32(base, 1072))
        expect(s[0].dataLen()).toBe(388)
        expect(s[0].flags()).toBe(ACK | PSH)
        expect(dataOk(s[0], p, 1072)).toBe(true)
        // TCP_NODELAY: a small write goes at once though data is in flight
        c.noDelay = true
        expect(c.write(p, 0, 10)).toBe(10)
        s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].seq()).toBe(add32(base, 1460))
        expect(s[0].dataLen()).toBe(10)
        expect(t.stats[TcpMib.OutSegs]).toBe(2 + 4)
    })

    test("the peer's window limits what is in flight", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        const c = await established(rig, t, 536, 600, 30)
        c.noDelay = true
        c.write(pattern(1000, 1), 0, 1000)
        const s = await sent(rig)
        expect(s.length).toBe(2)
        expect(s[0].dataLen()).toBe(536)
        expect(s[1].dataLen()).toBe(64)
        // the window moves with the ACK: 600 more
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, add32(c.iss, 601), ACK, 600, null))
        const r = await sent(rig)
        expect(r.length).toBe(1)
        expect(r[0].seq()).toBe(add32(c.iss, 601))
        expect(r[0].dataLen()).toBe(400)
    })

    test("RTO from the measured RTT (200 ms floor), doubled at each expiry, Karn's rule, then timed out", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig, k => { k.retries = 3 })
        const c = await established(rig, t, 536, 8000, 30)
        expect(c.rto).toBe(200)
        c.write(pattern(100, 5), 0, 100)
        const first = (await sent(rig))[0]
        expect(first.dataLen()).toBe(100)
        let wait = 200
        for (let k = 0; k < 3; k++) {
            rig.advance(wait - 1)
            expect((await sent(rig)).length).toBe(0)
            rig.advance(1)
            const s = await sent(rig)
            expect(s.length).toBe(1)
            expect(s[0].seq()).toBe(first.seq())
            expect(s[0].dataLen()).toBe(100)
            expect(s[0].csumOk()).toBe(true)
            wait *= 2
        }
        expect(t.stats[TcpMib.RetransSegs]).toBe(3)
        expect(t.stats[TcpMib.TCPTimeouts]).toBe(3)
        // the ACK of a retransmitted segment gives no RTT sample (RFC 6298 §3): SRTT stays 30
        rig.t += 50
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, add32(first.seq(), 100), ACK, 8000, null))
        expect(c.srtt).toBe(30)
        expect(c.rto).toBe(200)
        expect(c.rtxAt).toBe(0)
        // again without an answer: 200, 400, 800, then the connection times out
        c.write(pattern(10, 1), 0, 10)
        await sent(rig)
        rig.advance(200)
        rig.advance(400)
        rig.advance(800)
        expect(c.state).toBe(TcpState.Established)
        rig.advance(1600)
        expect(c.status()).toBe(StreamStatus.TimedOut)
        expect(c.error).toBe(TcpError.TimedOut)
        expect(t.stats[TcpMib.EstabResets]).toBe(1)
        expect(t.stats[TcpMib.TCPAbortOnTimeout]).toBe(1)
        expect(t.stats[TcpMib.CurrEstab]).toBe(0)
    })

    test("RTT samples update SRTT and RTTVAR (RFC 6298 §2.3)", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig, k => { k.minRtoMs = 10 })
        const c = await established(rig, t, 536, 8000, 100)
        // R = 100: SRTT 100, RTTVAR 50, RTO = 100 + max(G = 100, 200) = 300
        expect(c.rto).toBe(300)
        c.write(pattern(10, 1), 0, 10)
        await sent(rig)
        rig.t += 20
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, add32(c.iss, 11), ACK, 8000, null))
        // R' = 20: RTTVAR = 3/4 50 + 1/4 |100 - 20| = 57.5, SRTT = 7/8 100 + 1/8 20 = 90; RTO = 90 + 230 = 320
        expect(c.rttvar).toBe(57.5)
        expect(c.srtt).toBe(90)
        expect(c.rto).toBe(320)
    })

    test("three duplicate ACKs: fast retransmit, ssthresh = flight / 2, recovery until the full ACK", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig, k => { k.sndBuf = 4000 })
        const c = await established(rig, t, 536, 8000, 30)
        // IW = min(4 * 536, max(2 * 536, 4380)) = 2144: four segments
        expect(c.cwnd).toBe(2144)
        c.write(pattern(2144, 9), 0, 2144)
        expect((await sent(rig)).length).toBe(4)
        const una = add32(c.iss, 1)
        for (let k = 0; k < 2; k++) rig.dev.inject(peerSeg(c, PEER_ISS + 1, una, ACK, 8000, null))
        expect((await sent(rig)).length).toBe(0)
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, una, ACK, 8000, null))
        const s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].seq()).toBe(una)
        expect(s[0].dataLen()).toBe(536)
        expect(t.stats[TcpMib.TCPFastRetrans]).toBe(1)
        expect(t.stats[TcpMib.RetransSegs]).toBe(1)
        expect(c.ssthresh).toBe(1072)
        expect(c.cwnd).toBe(1072 + 3 * 536)
        expect(c.inRecovery).toBe(true)
        // the ACK of everything ends recovery: cwnd = ssthresh
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, add32(una, 2144), ACK, 8000, null))
        expect(c.inRecovery).toBe(false)
        expect(c.cwnd).toBe(1072)
        expect(c.rtxAt).toBe(0)
    })

    test("fast retransmit with SND.UNA near the send ring's end: the segment stops at the end, its data and checksum right", async () => {
        const { rig, t, c, una } = await ringHeadAt(800)
        // 200 bytes to the ring's end, 400 after the wrap
        const p = pattern(600, 11)
        c.write(p, 0, 600)
        expect((await sent(rig)).map(x => x.dataLen()).join()).toBe("200,400")
        for (let k = 0; k < 3; k++) rig.dev.inject(peerSeg(c, PEER_ISS + 1, una, ACK, 8000, null))
        expectOneSegment(await sent(rig), una, 200, p, 0)
        expect(t.stats[TcpMib.TCPFastRetrans]).toBe(1)
    })

    test("a partial ACK in recovery with SND.UNA near the ring's end: the next hole stops at the end, its data and checksum right", async () => {
        const { rig, t, c, una } = await ringHeadAt(700)
        // 300 bytes to the ring's end, 600 after the wrap
        const p = pattern(900, 13)
        c.write(p, 0, 900)
        expect((await sent(rig)).map(x => x.dataLen()).join()).toBe("300,536,64")
        for (let k = 0; k < 3; k++) rig.dev.inject(peerSeg(c, PEER_ISS + 1, una, ACK, 8000, null))
        expect((await sent(rig)).map(x => x.dataLen()).join()).toBe("300")
        expect(c.inRecovery).toBe(true)
        // RFC 6582 §3.2 step 5: the partial ACK of 100 bytes retransmits the next hole at once; it
        // starts 100 bytes before the ring's end and stops there (the rest follows after the wrap)
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, add32(una, 100), ACK, 8000, null))
        expectOneSegment(await sent(rig), add32(una, 100), 200, p, 100)
        expect(c.inRecovery).toBe(true)
        expect(t.stats[TcpMib.RetransSegs]).toBe(2)
    })

    test("fast retransmit with a peer window under the MSS: the segment stays within what was sent (and the window)", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        // a small peer: 512 bytes of window, MSS 536
        const c = await established(rig, t, 536, 512, 30)
        c.noDelay = true
        const una = add32(c.iss, 1)
        const p = pattern(1000, 7)
        c.write(p, 0, 300)
        c.write(p, 300, 212)
        expect((await sent(rig)).map(x => x.dataLen()).join()).toBe("300,212")
        // the window is full: the rest waits
        c.write(p, 512, 488)
        expect((await sent(rig)).length).toBe(0)
        for (let k = 0; k < 3; k++) rig.dev.inject(peerSeg(c, PEER_ISS + 1, una, ACK, 512, null))
        // RFC 5681 §3.2 step 4 retransmits what was sent: nothing past SND.UNA + SND.WND
        expectOneSegment(await sent(rig), una, 512, p, 0)
        expect(t.stats[TcpMib.TCPFastRetrans]).toBe(1)
        expect(c.sndMax).toBe(add32(una, 512))
    })

    test("zero window: persist probes of one byte, backed off, not timing out while answered; data when it opens", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig, k => { k.retries = 2; k.maxRtoMs = 1600 })
        const c = await established(rig, t, 536, 0, 30)
        c.noDelay = true
        c.write(pattern(100, 2), 0, 100)
        expect((await sent(rig)).length).toBe(0)
        const una = add32(c.iss, 1)
        let wait = 200
        for (let k = 0; k < 5; k++) {
            rig.advance(wait - 1)
            expect((await sent(rig)).length).toBe(0)
            rig.advance(1)
            const s = await sent(rig)
            expect(s.length).toBe(1)
            expect(s[0].seq()).toBe(una)
            expect(s[0].dataLen()).toBe(1)
            expect(s[0].data(0)).toBe(2)
            // the peer still has no room
            rig.dev.inject(peerSeg(c, PEER_ISS + 1, una, ACK, 0, null))
            wait = Math.min(wait * 2, 1600)
        }
        expect(c.state).toBe(TcpState.Established)
        expect(t.stats[TcpMib.TCPWinProbe]).toBe(5)
        // the window opens: all 100 bytes
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, una, ACK, 4000, null))
        const s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].seq()).toBe(una)
        expect(s[0].dataLen()).toBe(100)
    })

    test("receive: in order into the ring, delayed ACK at 40 ms, out of order dropped with a duplicate ACK, window update after reading", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        const c = await established(rig, t, 536, 8000, 30)
        const p = pattern(1024, 4)
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, add32(c.iss, 1), ACK | PSH, 8000, p.slice(0, 100)))
        expect(c.readable()).toBe(100)
        expect((await sent(rig)).length).toBe(0)
        rig.advance(40)
        let s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].ack()).toBe(PEER_ISS + 101)
        expect(s[0].win()).toBe(924)
        expect(t.stats[TcpMib.DelayedACKs]).toBe(1)
        // a hole: 50 bytes at +200 are dropped and the ACK says where the hole is
        rig.dev.inject(peerSeg(c, PEER_ISS + 201, add32(c.iss, 1), ACK, 8000, p.slice(200, 250)))
        s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].ack()).toBe(PEER_ISS + 101)
        expect(c.readable()).toBe(100)
        expect(t.stats[TcpMib.TCPOFODrop]).toBe(1)
        // the rest up to the window (924 bytes): the window is closed, so an ACK at once
        rig.dev.inject(peerSeg(c, PEER_ISS + 101, add32(c.iss, 1), ACK, 8000, p.slice(100, 1024)))
        s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].ack()).toBe(PEER_ISS + 1025)
        expect(s[0].win()).toBe(0)
        const b = Buffer.alloc(1024)
        expect(c.read(b, 0, 1024)).toBe(1024)
        await ds.sleep(0)
        let same = true
        for (let i = 0; i < 1024; i++) if (b[i] !== p[i]) same = false
        expect(same).toBe(true)
        await ds.sleep(0)
        // reading opened the window by more than MSS / 2 buffers: a window update (RFC 1122 §4.2.3.3)
        s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].win()).toBe(1024)
        expect(s[0].ack()).toBe(PEER_ISS + 1025)
    })

    test("our window closed: a peer's segment at RCV.NXT still has its ACK taken (RFC 9293 §3.10.7.4), its data dropped", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        const c = await established(rig, t, 536, 8000, 30)
        c.noDelay = true
        const una = add32(c.iss, 1)
        // the peer fills the 1,024-byte ring: our ACK says window 0
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, una, ACK, 8000, pattern(1024, 4)))
        let s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].win()).toBe(0)
        c.write(pattern(100, 5), 0, 100)
        expect((await sent(rig)).length).toBe(1)
        // a one-byte zero-window probe from the peer (as lwIP sends them) acknowledging our 100 bytes
        rig.dev.inject(peerSeg(c, PEER_ISS + 1025, add32(una, 100), ACK, 8000, pattern(1, 6)))
        expect(c.sndUna).toBe(add32(una, 100))
        expect(c.txLen).toBe(0)
        expect(c.rtxAt).toBe(0)
        // the byte is not taken (no room) and the ACK says so
        expect(c.readable()).toBe(1024)
        s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].ack()).toBe(PEER_ISS + 1025)
        expect(s[0].win()).toBe(0)
    })

    test("keepalive: a probe <SEQ=SND.NXT-1> after the idle time, answered probes start over, unanswered ones time out", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig, k => {
            k.keepaliveIntervalMs = 500
            k.keepaliveProbes = 2
        })
        const c = await established(rig, t, 536, 8000, 30)
        setKeepalive(c, 1000)
        rig.advance(900)
        expect((await sent(rig)).length).toBe(0)
        rig.advance(100)
        let s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].flags()).toBe(ACK)
        expect(s[0].seq()).toBe(c.iss)
        expect(s[0].dataLen()).toBe(0)
        expect(t.stats[TcpMib.TCPKeepAlive]).toBe(1)
        // the peer answers: idle again from here
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, add32(c.iss, 1), ACK, 8000, null))
        rig.advance(900)
        expect((await sent(rig)).length).toBe(0)
        rig.advance(100)
        expect((await sent(rig)).length).toBe(1)
        // no answer: a second probe 500 ms later, and after two unanswered probes, the end
        rig.advance(500)
        expect((await sent(rig)).length).toBe(1)
        rig.advance(500)
        expect(c.status()).toBe(StreamStatus.TimedOut)
        expect(t.stats[TcpMib.TCPKeepAlive]).toBe(3)
    })
})
