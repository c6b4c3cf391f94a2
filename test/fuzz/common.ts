// What every fuzz target shares: the counts a run returns, where failures go, and the packet-pool
// oracle (S6/D6), kept apart so the per-chip programs do not pull in the stack/wire targets (a
// DeviceScript image holds at most 64 KB of function code).

import { NetStack } from "../../src/stack"
import { neighState, NudState } from "../../src/neigh/neighbour"
import { pendingBytes, pendingPackets } from "../../src/neigh/pending"
import { QdiscMib } from "../../src/dev/counters"
import { ringLiveBytes, ringLiveCount } from "../../src/dev/ring"

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
    const t = s.neigh
    let pp = 0
    let pb = 0
    const lim = t.pending
    for (let n = 0; n < t.capacity; n++) {
        const packets = pendingPackets(lim, n)
        const bytes = pendingBytes(lim, n)
        // u32 counts: an underflow shows as a huge number
        if (packets > 0xffff || bytes > 0xffffff) return "negative pending counts"
        if (packets > lim.limitPackets || bytes > lim.limitBytes) return "a neighbour over its pending limits"
        if (packets > 0 && neighState(t, n) !== NudState.Incomplete) return "frames pending on a neighbour that is not INCOMPLETE"
        pp += packets
        pb += bytes
    }
    const q = s.qdisc
    if (ringLiveCount(s.qdisc.pool) !== q.stats[QdiscMib.qlen] + pp) return "pool count " + ringLiveCount(s.qdisc.pool) + " != qdisc " + q.stats[QdiscMib.qlen] + " + pending " + pp
    const live = ringLiveBytes(s.qdisc.pool)
    if (live !== q.stats[QdiscMib.backlog] + pb) return "pool bytes " + live + " != qdisc " + q.stats[QdiscMib.backlog] + " + pending " + pb
    if (q.stats[QdiscMib.qlen] > q.limitPackets || q.stats[QdiscMib.backlog] > q.limitBytes) return "qdisc over its limits"
    return null
}

