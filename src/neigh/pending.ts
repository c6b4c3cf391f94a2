// Frames waiting for address resolution: Linux's per-neighbour arp_queue, bounded per neighbour in
// packets and bytes (unres_qlen / unres_qlen_bytes). They are built in place in the stack's packet
// pool (shared with the qdisc), tagged with their neighbour's index, the Ethernet destination left
// to fill in; when the neighbour resolves they join the qdisc where they are, without a copy.

import { FrameRing, recordLen, recordTag } from "../dev/ring"

export interface PendingSink {
    /** The frame at record `rec` of the pool is resolved. */
    take(rec: number): void
}

/** Per neighbour: frames (u32) and their bytes (u32, at +4). */
const COUNTS_STRIDE = 8

/** @devsWhenUsed */
export class PendingQueue {
    /** Frames reserve() dropped to make room (the table counts them as unresolved discards). */
    dropped = 0
    /** Waiting frames and bytes, per neighbour index. */
    readonly counts: Buffer

    constructor(
        readonly pool: FrameRing,
        neighbours: number,
        readonly limitPackets: number,
        readonly limitBytes: number
    ) {
        this.counts = Buffer.alloc(neighbours * COUNTS_STRIDE)
    }

    /**
     * A `len`-byte frame parked for neighbour `n`, to be written before the caller yields. Over the
     * per-neighbour limits the oldest frames of `n` are dropped first (unresolved discards), as
     * __neigh_event_send does; returns the offset to write at, or -1 when the frame alone is over
     * the limit or the shared pool is full.
     */
    reserve(n: number, len: number): number {
        this.dropped = 0
        if (len > this.limitBytes) return -1
        while (pendingPackets(this, n) > 0 && (pendingPackets(this, n) + 1 > this.limitPackets || this.counts.getAt(n * COUNTS_STRIDE + 4, "u32") + len > this.limitBytes)) {
            dropOldest(this, n)
            this.dropped++
        }
        const at = this.pool.alloc(len, n)
        if (at >= 0) addCounts(this, n, 1, len)
        return at
    }

    /** Release record `rec`, a frame of neighbour `n` (neighGiveWay). */
    dropRecord(n: number, rec: number): void {
        addCounts(this, n, -1, -recordLen(this.pool, rec))
        this.pool.release(rec)
    }

    /**
     * Every frame of `n`, oldest first, goes to `sink` (which takes over the record), or is released
     * when `sink` is null. Returns the number of frames.
     */
    drain(n: number, sink: PendingSink): number {
        const p = this.pool
        let count = 0
        let rec = p.oldest()
        while (rec >= 0 && pendingPackets(this, n) > 0) {
            const nxt = p.next(rec)
            if (recordTag(p, rec) === n) {
                addCounts(this, n, -1, -recordLen(p, rec))
                if (sink !== null) sink.take(rec)
                else p.release(rec)
                count++
            }
            rec = nxt
        }
        return count
    }
}

// Module functions, not methods: no prototype entries

function addCounts(q: PendingQueue, n: number, frames: number, bytes: number): void {
    const c = q.counts
    const at = n * COUNTS_STRIDE
    c.setAt(at, "u32", c.getAt(at, "u32") + frames)
    c.setAt(at + 4, "u32", c.getAt(at + 4, "u32") + bytes)
}

function dropOldest(q: PendingQueue, n: number): void {
    const p = q.pool
    for (let rec = p.oldest(); rec >= 0; rec = p.next(rec)) {
        if (recordTag(p, rec) === n) {
            q.dropRecord(n, rec)
            return
        }
    }
}

/** Frames waiting in `q`, all neighbours together (for checks: a function, linked only where used). */
export function pendingTotal(q: PendingQueue): number {
    let t = 0
    for (let n = 0; n * COUNTS_STRIDE < q.counts.length; n++) t += pendingPackets(q, n)
    return t
}

/** Frames waiting for neighbour `n` of `q`. */
export function pendingPackets(q: PendingQueue, n: number): number {
    return q.counts.getAt(n * COUNTS_STRIDE, "u32")
}

/** Bytes of the frames waiting for neighbour `n` of `q` (for checks). */
export function pendingBytes(q: PendingQueue, n: number): number {
    return q.counts.getAt(n * COUNTS_STRIDE + 4, "u32")
}
