// What every fuzz target shares: the counts a run returns, where failures go, and the packet-pool
// oracle (S6/D6), kept apart so the per-chip programs do not pull in the stack/wire targets (a
// DeviceScript image holds at most 64 KB of function code).

import { NetStack } from "../../src/stack"
import { NudState } from "../../src/neigh/neighbour"

/** Where a failing case goes: the runner prints it, the tests collect it. */
export type FailureSink = (target: string, index: number, why: string, input: string, origin: number, ops: number) => void

export class FuzzCounts {
    cases = 0
    /** Frames given to the target (stack/wire: one per case; drivers: every frame put on the wire). */
    frames = 0
    failures = 0
    exceptions = 0
    /** "name value ..." pairs the target adds up over the run (driver recoveries and the like). */
    detail = ""
}

/**
 * Set by the long-run entry (batch.ts) to find the case a panic happened in: `trace` prints
 * "@@at <index>" before every case; `dump` prints each case's input before running it.
 */
export const fuzzTrace = { trace: false, dump: false }

/** Print `text` as "<prefix> <chunk>" lines of 96 characters (the simulator cuts long lines). */
export function printChunked(prefix: string, text: string): void {
    for (let k = 0; k < text.length; k += 96) console.log(prefix + " " + text.slice(k, k + 96))
}

/** S6: the packet pool holds exactly the queued and the pending frames, within the limits. */
export function poolFault(s: NetStack): string {
    const es = s.neigh.entries
    let pp = 0
    let pb = 0
    const lim = s.neigh.pending
    for (let i = 0; i < es.length; i++) {
        const n = es[i]
        if (n.pendingPackets < 0 || n.pendingBytes < 0) return "negative pending counts"
        if (n.pendingPackets > lim.limitPackets || n.pendingBytes > lim.limitBytes) return "a neighbour over its pending limits"
        if (n.pendingPackets > 0 && n.state !== NudState.Incomplete) return "frames pending on a neighbour that is not INCOMPLETE"
        pp += n.pendingPackets
        pb += n.pendingBytes
    }
    const q = s.qdisc
    if (s.pool.count !== q.stats.qlen + pp) return "pool count " + s.pool.count + " != qdisc " + q.stats.qlen + " + pending " + pp
    if (s.pool.bytes !== q.stats.backlog + pb) return "pool bytes " + s.pool.bytes + " != qdisc " + q.stats.backlog + " + pending " + pb
    if (q.stats.qlen > q.limitPackets || q.stats.backlog > q.limitBytes) return "qdisc over its limits"
    return null
}

