// Random and mutated segments against a connection in a given state (shared by test/tcp/fuzz.test.ts
// and the `npm run fuzz` target in test/fuzz/proto-tcp.ts): `rnd(n)` is the caller's seeded
// generator, an integer in [0, n). Invariants after every segment: rings within bounds, SND.UNA <=
// SND.NXT <= SND.MAX, a state from the list, RCV.NXT never moving back; nothing throws.
import { Rig } from "../support/rig"
import { TcpConn, TcpState } from "../../src/tcp/conn"
import { TcpTable } from "../../src/tcp/table"
import { sent, established, peerSeg, segment, ACK, FIN, PEER_ISS, PEER_PORT, add32 } from "./peer"

export type Rnd = (n: number) => number

/** A sequence number near `base` (within +-70000), or anywhere. */
export function near(rnd: Rnd, base: number): number {
    return rnd(4) === 0 ? (rnd(0x10000) * 0x10000 + rnd(0x10000)) >>> 0 : add32(base, rnd(140000) - 70000)
}

/** `rcvNxt0`: RCV.NXT when synchronized (-1: not yet, in SYN-SENT a SYN sets it). */
export function tcpInvariant(c: TcpConn, rcvNxt0: number): boolean {
    const una = c.sndUna
    if (rcvNxt0 >= 0 && ((c.rcvNxt - rcvNxt0) | 0) < 0) return false
    return c.rxLen >= 0 && c.rxLen <= c.rx.length && c.txLen >= 0 && c.txLen <= c.tx.length &&
        ((c.sndNxt - una) | 0) >= 0 && ((c.sndMax - c.sndNxt) | 0) >= 0 &&
        c.state >= TcpState.Closed && c.state <= TcpState.TimeWait
}

/** A connection on `t` brought into `state` by a well-behaved peer. */
export async function tcpInto(rig: Rig, t: TcpTable, state: number): Promise<TcpConn> {
    if (state === TcpState.SynSent) {
        const c = t.connect(0xc0000214, PEER_PORT)
        await sent(rig)
        return c
    }
    const c = await established(rig, t, 536, 8000, 20)
    const una = add32(c.iss, 1)
    if (state === TcpState.FinWait1 || state === TcpState.FinWait2 || state === TcpState.Closing || state === TcpState.TimeWait) {
        c.close()
        if (state === TcpState.FinWait2 || state === TcpState.TimeWait) rig.dev.inject(peerSeg(c, PEER_ISS + 1, add32(una, 1), ACK, 8000, null))
        if (state === TcpState.Closing || state === TcpState.TimeWait) rig.dev.inject(peerSeg(c, PEER_ISS + 1, state === TcpState.Closing ? una : add32(una, 1), FIN | ACK, 8000, null))
    } else if (state === TcpState.CloseWait || state === TcpState.LastAck) {
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, una, FIN | ACK, 8000, null))
        if (state === TcpState.LastAck) c.close()
    }
    await sent(rig)
    return c
}

export const TCP_STATES = [TcpState.SynSent, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.CloseWait, TcpState.Closing, TcpState.LastAck, TcpState.TimeWait]

/** 700 bytes of payload for the segments (and a read buffer past 600). */
export function tcpData(): Buffer {
    const data = Buffer.alloc(700)
    for (let i = 0; i < data.length; i++) data[i] = i * 11
    return data
}

/** One random segment (flags, options, length, SEQ/ACK near the window or anywhere) built from `rnd`. */
export function tcpSegment(rnd: Rnd, c: TcpConn, data: Buffer): Buffer {
    const flags = rnd(2) === 0 ? ACK | rnd(64) : rnd(64)
    const n = rnd(3) === 0 ? 0 : rnd(600)
    // options: nothing, a good MSS, or garbage (bad lengths included)
    let opts: Buffer = null
    const o = rnd(3)
    if (o === 1) opts = hex`02 04 01 00`
    else if (o === 2) {
        opts = Buffer.alloc(4 * (1 + rnd(10)))
        for (let i = 0; i < opts.length; i++) opts[i] = rnd(4) === 0 ? rnd(256) : rnd(4)
    }
    const seq = near(rnd, c.rcvNxt)
    const ack = near(rnd, c.sndUna)
    return segment(PEER_PORT, c.localPort, seq, ack, flags, rnd(0x10000), opts, n > 0 ? data.slice(0, n) : null)
}

/**
 * Inject `f`, then maybe time passes, the application reads and writes (so the send ring wraps); the
 * transmit side drains, and every segment sent must carry a valid checksum (a segment reaching past
 * the send ring's end would not). Returns the broken invariant, or null.
 */
export async function tcpRound(rnd: Rnd, rig: Rig, c: TcpConn, r0: number, f: Buffer, data: Buffer): Promise<string> {
    rig.dev.inject(f)
    if (rnd(4) === 0) rig.advance(rnd(3000))
    if (rnd(5) === 0) c.read(data, 600, 100)
    if (rnd(4) === 0) c.write(data, 0, rnd(600))
    if (!tcpInvariant(c, r0)) return "invariant broken (state " + c.state + ", rxLen " + c.rxLen + ", txLen " + c.txLen + ")"
    const out = await sent(rig)
    for (let i = 0; i < out.length; i++) if (!out[i].csumOk()) return "a sent segment's checksum is wrong (seq " + out[i].seq() + ", " + out[i].dataLen() + " bytes)"
    return null
}
