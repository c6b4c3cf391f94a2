// Frames waiting for address resolution: Linux's per-neighbour arp_queue, bounded per neighbour in
// packets and bytes (unres_qlen / unres_qlen_bytes). They are built in place in the stack's packet
// pool (shared with the qdisc), tagged with their neighbour's index, the Ethernet destination left
// to fill in; when the neighbour resolves they join the qdisc where they are, without a copy.

import { FrameRing } from "../dev/ring"
import { Neighbour, NeighStats } from "./neighbour"

export interface PendingSink {
    /** The frame at record `rec` of the pool is resolved. */
    take(rec: number): void
}

export class PendingQueue {
    /** The table's counters (set by NeighTable): every frame dropped here is an unresolved discard. */
    stats: NeighStats = null

    constructor(readonly pool: FrameRing, readonly limitPackets: number, readonly limitBytes: number) {}

    /**
     * Room for a `len`-byte frame for `n`. Over the per-neighbour limits the oldest frames of `n` are
     * dropped first (counted in n.pendingDropped), as __neigh_event_send does; returns the offset to
     * write at, or -1 when the frame alone is over the limit or the shared pool is full.
     */
    reserve(n: Neighbour, len: number): number {
        if (len > this.limitBytes) return -1
        while (n.pendingPackets > 0 && (n.pendingPackets + 1 > this.limitPackets || n.pendingBytes + len > this.limitBytes)) {
            this.dropOldest(n)
            n.pendingDropped++
            if (this.stats !== null) this.stats.unresolved_discards++
        }
        return this.pool.reserve(len)
    }

    commit(n: Neighbour, len: number): void {
        this.pool.commit(len, n.index)
        n.pendingPackets++
        n.pendingBytes += len
    }

    private dropOldest(n: Neighbour): void {
        const p = this.pool
        for (let rec = p.oldest(); rec >= 0; rec = p.next(rec)) {
            if (p.tag(rec) === n.index) {
                n.pendingPackets--
                n.pendingBytes -= p.frameLen(rec)
                p.release(rec)
                return
            }
        }
    }

    /**
     * Every frame of `n`, oldest first, goes to `sink` (which takes over the record), or is released
     * when `sink` is null. Returns the number of frames.
     */
    drain(n: Neighbour, sink: PendingSink): number {
        const p = this.pool
        let count = 0
        let rec = p.oldest()
        while (rec >= 0 && n.pendingPackets > 0) {
            const nxt = p.next(rec)
            if (p.tag(rec) === n.index) {
                n.pendingPackets--
                n.pendingBytes -= p.frameLen(rec)
                if (sink !== null) sink.take(rec)
                else p.release(rec)
                count++
            }
            rec = nxt
        }
        return count
    }
}
