// Fuzz target "tcp": TCP input against every state (src/tcp/). A case: a fresh stack and a
// connection brought into one of SYN-SENT, ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT, CLOSING, LAST-ACK,
// TIME-WAIT by a well-behaved peer, 300 bytes written, then 1-24 random segments (test/tcp/
// fuzzcase.ts, as test/tcp/fuzz.test.ts makes them: random flags, garbage options, SEQ/ACK near the
// window or anywhere, lengths up to 600), time passing and reads in between.
// Oracles:
//  P1  nothing throws (input, timers, the transmit drain)
//  P2  after every segment: rings within bounds, SND.UNA <= SND.NXT <= SND.MAX, a valid state,
//      RCV.NXT never moving back once synchronized (tcpInvariant)
//  P3  the packet pool: count and bytes equal qdisc + pending (poolFault, as the stack target)

import * as ds from "@devicescript/core"
import { Rng } from "./rng"
import { ProtoTarget, fuzzProto, replayProto, noteInput, pairs } from "./proto"
import { FailureSink, poolFault } from "./common"
import { tcpRig, tcpOf } from "../tcp/peer"
import { tcpInto, tcpSegment, tcpRound, tcpData, TCP_STATES } from "../tcp/fuzzcase"
import { TcpState } from "../../src/tcp/conn"

/** Cases per starting state, and how many ended CLOSED (kept across the fresh targets a failure makes). */
const STARTED = [0, 0, 0, 0, 0, 0, 0, 0, 0]

class TcpTarget implements ProtoTarget {
    frames = 0
    input = ""
    private readonly data = tcpData()

    async run(rng: Rng): Promise<string> {
        const rnd = (n: number) => Math.floor((rng.next() / 4294967296) * n)
        const k = rng.below(TCP_STATES.length)
        const st = TCP_STATES[k]
        const rig = tcpRig()
        const t = tcpOf(rig)
        await ds.sleep(0)
        const c = await tcpInto(rig, t, st)
        if (c.state !== st) return "the peer could not bring the connection into state " + st + " (it is " + c.state + ")"
        STARTED[k]++
        const r0 = st === TcpState.SynSent ? -1 : c.rcvNxt
        c.noDelay = true
        c.write(this.data, 0, 300)
        const n = 1 + rng.below(24)
        for (let i = 0; i < n && c.state !== TcpState.Closed; i++) {
            // the step watchdog: yield before every segment (building one sums its checksum)
            await ds.sleep(0)
            const f = tcpSegment(rnd, c, this.data)
            noteInput(this, f, 0, f.length)
            const why = await tcpRound(rnd, rig, c, r0, f, this.data)
            if (why !== null) return "state " + st + ", segment " + i + ": " + why
            const pf = poolFault(rig.stack)
            if (pf !== null) return pf
        }
        if (c.state === TcpState.Closed) STARTED[8]++
        return null
    }

    detail(): string {
        return pairs("SynSent Established FinWait1 FinWait2 CloseWait Closing LastAck TimeWait ended-closed", STARTED)
    }
}

function make(): ProtoTarget {
    return new TcpTarget()
}

export async function fuzzTcp(seed: number, first: number, count: number, deadlineMs: number, sink: FailureSink) {
    return await fuzzProto("tcp", make, seed, first, count, deadlineMs, sink)
}

export async function replayTcp(seed: number, index: number): Promise<string> {
    return await replayProto(make, seed, index)
}
