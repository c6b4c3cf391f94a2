import { describe, test, expect, beforeEach } from "@devicescript/test"
import * as ds from "@devicescript/core"
import { yieldToScheduler, Rig } from "../support/rig"
import { TcpConn, TcpState } from "../../src/tcp/conn"
import { TcpTable } from "../../src/tcp/table"
import { TcpMib } from "../../src/tcp/mib"
import { tcpRig, tcpOf, sent, established, peerSeg, segment, ACK, FIN, RST, SYN, PSH, PEER_ISS, PEER_PORT, add32 } from "./peer"

// Random and mutated segments against a connection in each state, in and out of the window: the
// input never throws, and the invariants hold after every segment (rings within bounds, SND.UNA <=
// SND.NXT <= SND.MAX, a state from the list, RCV.NXT never moving back).

let seed = 0x2545f491

function rnd(n: number): number {
    // xorshift32
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    // (DeviceScript's % works on int32: scale instead)
    return Math.floor(((seed >>> 0) / 4294967296) * n)
}

/** A sequence number near `base` (within +-70000), or anywhere. */
function near(base: number): number {
    return rnd(4) === 0 ? (rnd(0x10000) * 0x10000 + rnd(0x10000)) >>> 0 : add32(base, rnd(140000) - 70000)
}

/** `rcvNxt0`: RCV.NXT when synchronized (-1: not yet, in SYN-SENT a SYN sets it). */
function check(c: TcpConn, rcvNxt0: number): boolean {
    const una = c.sndUna
    if (rcvNxt0 >= 0 && ((c.rcvNxt - rcvNxt0) | 0) < 0) return false
    return c.rxLen >= 0 && c.rxLen <= c.rx.length && c.txLen >= 0 && c.txLen <= c.tx.length &&
        ((c.sndNxt - una) | 0) >= 0 && ((c.sndMax - c.sndNxt) | 0) >= 0 &&
        c.state >= TcpState.Closed && c.state <= TcpState.TimeWait
}

async function into(rig: Rig, t: TcpTable, state: number): Promise<TcpConn> {
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

const STATES = [TcpState.SynSent, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.CloseWait, TcpState.Closing, TcpState.LastAck, TcpState.TimeWait]
const ROUNDS = 40

describe("TCP input under random segments", () => {
    beforeEach(yieldToScheduler)

    test("every state, segments in and out of the window, random flags, options and lengths", async () => {
        const data = Buffer.alloc(700)
        for (let i = 0; i < data.length; i++) data[i] = i * 11
        let total = 0
        for (const st of STATES) {
            const rig = tcpRig()
            const t = tcpOf(rig)
            const c = await into(rig, t, st)
            expect(c.state).toBe(st)
            const r0 = st === TcpState.SynSent ? -1 : c.rcvNxt
            c.noDelay = true
            c.write(data, 0, 300)
            for (let k = 0; k < ROUNDS && c.state !== TcpState.Closed; k++) {
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
                const seq = near(c.rcvNxt)
                const ack = near(c.sndUna)
                const f = segment(PEER_PORT, c.localPort, seq, ack, flags, rnd(0x10000), opts, n > 0 ? data.slice(0, n) : null)
                rig.dev.inject(f)
                if (rnd(4) === 0) rig.advance(rnd(3000))
                if (rnd(5) === 0) c.read(data, 600, 100)
                if (!check(c, r0)) {
                    console.log("state " + st + " round " + k + ": invariant broken (state " + c.state + ")")
                    expect(false).toBe(true)
                }
                await sent(rig)
                await ds.sleep(0)
                total++
            }
            // what the peer sends to a connection that ended draws a RST (or nothing for a RST)
            expect(t.stats[TcpMib.InSegs] > 0).toBe(true)
        }
        console.log("fuzz: " + total + " segments")
        expect(total > STATES.length * 10).toBe(true)
    })
})
