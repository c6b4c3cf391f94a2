import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, makeRig } from "../support/rig"
import { BOARD_IP, COLLECTOR_IP } from "../support/config"
import { be16, be32, refChecksum } from "../support/ref"
import { StreamStatus } from "../../src/tcp/stream"
import { TcpState, TcpError } from "../../src/tcp/conn"
import { TcpMib } from "../../src/tcp/mib"
import { IpMib } from "../../src/ipv4/mib"
import { tcpRig, tcpOf, segment, sent, Seg, SYN, ACK, RST, PEER_PORT, PEER_ISS, add32 } from "./peer"

// RFC 9293 §3.5: the three-way handshake of an active open, byte for byte; RFC 6298 §5 SYN
// back-off; refused and timed-out attempts; the RST for a segment to no connection (§3.10.7.1).


/** The peer's options: MSS 536 (02 04 02 18), an unknown option kind 99 of length 6, NOP, NOP. */
const PEER_OPTS = hex`02 04 02 18 63 06 00 00 00 00 01 01`

describe("active open", () => {
    beforeEach(yieldToScheduler)

    test("the SYN: every byte of the frame, MSS from the MTU, DF, the checksum over the pseudo-header", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        const c = t.connect(COLLECTOR_IP, PEER_PORT)
        expect(c.status()).toBe(StreamStatus.Connecting)
        const s = await sent(rig)
        expect(s.length).toBe(1)
        const f = s[0].f
        expect(f.length).toBe(14 + 20 + 24)
        // Ethernet: to the collector's static MAC, type IPv4
        expect(be16(f, 12)).toBe(0x0800)
        // IPv4: 45 00, total 44, ID 0 (atomic, RFC 6864 §4), DF, TTL 64, protocol 6
        expect(be16(f, 14)).toBe(0x4500)
        expect(be16(f, 16)).toBe(44)
        expect(be16(f, 18)).toBe(0)
        expect(be16(f, 20)).toBe(0x4000)
        expect(be16(f, 22)).toBe(0x4006)
        expect(refChecksum(f, 14, 20)).toBe(0)
        expect(be32(f, 26)).toBe(BOARD_IP)
        expect(be32(f, 30)).toBe(COLLECTOR_IP)
        // TCP: an ephemeral port (RFC 6335), the ISN, no ACK, 6 words, SYN, window = receive ring
        const g = s[0]
        expect(g.sport() >= 49152).toBe(true)
        expect(g.sport()).toBe(c.localPort)
        expect(g.dport()).toBe(PEER_PORT)
        expect(g.seq()).toBe(c.iss)
        expect(g.ack()).toBe(0)
        expect(f[46]).toBe(0x60)
        expect(g.flags()).toBe(SYN)
        expect(g.win()).toBe(1024)
        expect(be16(f, 52)).toBe(0)
        // MSS = 1500 - 20 - 20 = 1460 = 0x05b4
        expect(be32(f, 54)).toBe(0x020405b4)
        expect(g.csumOk()).toBe(true)
        expect(t.stats[TcpMib.ActiveOpens]).toBe(1)
        expect(t.stats[TcpMib.OutSegs]).toBe(1)
    })

    test("SYN-ACK with MSS 536 and an unknown option: ESTABLISHED, the ACK's numbers, the peer's MSS kept", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        const c = t.connect(COLLECTOR_IP, PEER_PORT)
        await sent(rig)
        rig.t += 30
        rig.dev.inject(segment(PEER_PORT, c.localPort, PEER_ISS, add32(c.iss, 1), SYN | ACK, 8000, PEER_OPTS, null))
        expect(c.state).toBe(TcpState.Established)
        expect(c.status()).toBe(StreamStatus.Open)
        expect(c.mss).toBe(536)
        expect(c.sndWnd).toBe(8000)
        const s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].flags()).toBe(ACK)
        expect(s[0].seq()).toBe(add32(c.iss, 1))
        expect(s[0].ack()).toBe(PEER_ISS + 1)
        expect(s[0].hlen()).toBe(20)
        expect(s[0].dataLen()).toBe(0)
        expect(s[0].csumOk()).toBe(true)
        // RFC 6298 §2.2: the first sample R = 30 ms: SRTT = 30, RTTVAR = 15, RTO floored at 200
        expect(c.srtt).toBe(30)
        expect(c.rttvar).toBe(15)
        expect(c.rto).toBe(200)
        expect(t.stats[TcpMib.CurrEstab]).toBe(1)
        expect(t.stats[TcpMib.InSegs]).toBe(1)
        expect(rig.stack.ip.stats[IpMib.InDelivers]).toBe(1)
    })

    test("no answer: SYN retransmitted at 1 s, then 2, 4, 8, 16 s (RFC 6298 §5.5), then timed out", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        const c = t.connect(COLLECTOR_IP, PEER_PORT)
        await sent(rig)
        let wait = 1000
        for (let k = 0; k < 5; k++) {
            rig.advance(wait - 100)
            expect((await sent(rig)).length).toBe(0)
            rig.advance(100)
            const s = await sent(rig)
            expect(s.length).toBe(1)
            expect(s[0].flags()).toBe(SYN)
            expect(s[0].seq()).toBe(c.iss)
            wait *= 2
        }
        expect(t.stats[TcpMib.RetransSegs]).toBe(5)
        rig.advance(wait)
        expect(c.status()).toBe(StreamStatus.TimedOut)
        expect(c.error).toBe(TcpError.TimedOut)
        expect(t.stats[TcpMib.AttemptFails]).toBe(1)
        expect(t.conns.length).toBe(0)
    })

    test("RST|ACK to the SYN: refused (status Reset), counted as a failed attempt; a RST that does not ack the SYN is ignored", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        const c = t.connect(COLLECTOR_IP, PEER_PORT)
        await sent(rig)
        // RFC 9293 §3.10.7.3: ACK outside (ISS, SND.NXT]: the RST is dropped
        rig.dev.inject(segment(PEER_PORT, c.localPort, 0, add32(c.iss, 5), RST | ACK, 0, null, null))
        expect(c.state).toBe(TcpState.SynSent)
        rig.dev.inject(segment(PEER_PORT, c.localPort, 0, add32(c.iss, 1), RST | ACK, 0, null, null))
        expect(c.status()).toBe(StreamStatus.Reset)
        expect(c.error).toBe(TcpError.Refused)
        expect(t.stats[TcpMib.AttemptFails]).toBe(1)
        expect(t.stats[TcpMib.EstabResets]).toBe(0)
        expect((await sent(rig)).length).toBe(0)
    })

    test("an ACK outside the SYN's range in SYN-SENT draws a RST <SEQ=SEG.ACK>", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        const c = t.connect(COLLECTOR_IP, PEER_PORT)
        await sent(rig)
        rig.dev.inject(segment(PEER_PORT, c.localPort, 77, 0x12345678, SYN | ACK, 1000, null, null))
        const s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].flags()).toBe(RST)
        expect(s[0].seq()).toBe(0x12345678)
        expect(c.state).toBe(TcpState.SynSent)
        expect(t.stats[TcpMib.OutRsts]).toBe(1)
    })

    test("a segment to no connection: RST|ACK, every TCP byte and the checksum worked out by hand", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        // a SYN from 192.0.2.20:1883 to the board's port 80, seq 0x01020304, window 1000
        rig.dev.inject(segment(PEER_PORT, 80, 0x01020304, 0, SYN, 1000, null, null))
        const s = await sent(rig)
        expect(s.length).toBe(1)
        const f = s[0].f
        // 00 50 07 5b | 00 00 00 00 | 01 02 03 05 | 50 14 00 00 | csum | 00 00
        // pseudo-header words c000+020a+c000+0214+0006+0014 = 0x18438; header words
        // 0050+075b+0102+0305+5014 = 0x5bc6; together 0x1dffe, folded 0xdfff: the field is 0x2000
        expect(be16(f, 34)).toBe(80)
        expect(be16(f, 36)).toBe(PEER_PORT)
        expect(be32(f, 38)).toBe(0)
        expect(be32(f, 42)).toBe(0x01020305)
        expect(be16(f, 46)).toBe(0x5014)
        expect(be16(f, 48)).toBe(0)
        expect(be16(f, 50)).toBe(0x2000)
        expect(be16(f, 52)).toBe(0)
        expect(be16(f, 20)).toBe(0x4000)
        expect(t.stats[TcpMib.OutRsts]).toBe(1)
        // an ACK to no connection: RST <SEQ=SEG.ACK>, no ACK bit; a RST draws nothing
        rig.dev.inject(segment(PEER_PORT, 80, 5, 0xabcdef01, ACK, 1000, null, null))
        rig.dev.inject(segment(PEER_PORT, 80, 5, 0, RST, 0, null, null))
        const r = await sent(rig)
        expect(r.length).toBe(1)
        expect(r[0].flags()).toBe(RST)
        expect(r[0].seq()).toBe(0xabcdef01)
        expect(r[0].csumOk()).toBe(true)
        expect(t.stats[TcpMib.InSegs]).toBe(3)
    })

    test("a bad checksum is counted (InErrs, InCsumErrors) and answered with nothing", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        const f = segment(PEER_PORT, 80, 1, 0, SYN, 1000, null, null)
        f[50] ^= 1
        rig.dev.inject(f)
        expect((await sent(rig)).length).toBe(0)
        expect(t.stats[TcpMib.InErrs]).toBe(1)
        expect(t.stats[TcpMib.InCsumErrors]).toBe(1)
    })

    test("no route: the connection ends at once (Unreachable), nothing sent", async () => {
        // no gateway: 198.51.100.1 has no route
        const rig2 = makeRig(c => {
            c.gateway = 0
        })
        const t2 = tcpOf(rig2)
        const c = t2.connect(0xc6336401, 80)
        expect(c.status()).toBe(StreamStatus.Unreachable)
        expect(c.error).toBe(TcpError.NoRoute)
        expect(t2.stats[TcpMib.AttemptFails]).toBe(1)
        expect((await sent(rig2)).length).toBe(0)
    })
})
