// One FIFO qdisc (Linux pfifo/bfifo: a packet limit and a byte limit, tail drop). It owns the
// stack's packet pool, a FrameRing: frames are built in place (reserve(), then written), and the
// neighbour layer parks frames waiting for ARP in the same pool (tagged with their neighbour), which
// join the queue without a copy when their neighbour resolves (adopt()). The eviction rule between
// the two (a frame that can go now comes before a parked one) is the neighbour layer's: the qdisc
// only keeps its limits.
//
// The drain task sleeps in waitForWork() and every enqueue wakes it (netif_schedule).

import * as ds from "@devicescript/core"
import { QdiscStats, QdiscMib, newMib } from "./counters"
import { FrameRing, RECORD_HEADER, recordLen, setRecordTag } from "./ring"
import { inc } from "../util/mib"

/** The record tag of a queued frame; parked frames carry their neighbour's index. */
export const QDISC_TAG = 0xfffe

/** @devsWhenUsed */
export class FifoQdisc {
    readonly pool: FrameRing
    readonly stats: QdiscStats = newMib(QdiscMib.Count)
    /** The drain task while it waits for work, and a wake-up that came while it did not (never lost). */
    private sleeper: ds.Fiber = null
    woken = false

    constructor(
        poolBytes: number,
        readonly limitPackets: number,
        readonly limitBytes: number
    ) {
        this.pool = new FrameRing(poolBytes)
    }

    /**
     * A `len`-byte frame joins the tail of the queue: room under both limits and in the pool, the
     * offset in `pool.buf` to write it at, or -1. The caller writes the frame before it yields
     * (the drain cannot run in between). A refusal is not counted here: the caller may make room
     * and try again, or drop() it.
     */
    reserve(len: number): number {
        const s = this.stats
        // one test a statement, not ||: the compiler keeps each operand in a temporary (steps per frame)
        if (s[QdiscMib.qlen] >= this.limitPackets) return -1
        if (s[QdiscMib.backlog] + len > this.limitBytes) return -1
        const at = this.pool.alloc(len, QDISC_TAG)
        if (at < 0) return -1
        s[QdiscMib.qlen] = s[QdiscMib.qlen] + 1
        s[QdiscMib.backlog] = s[QdiscMib.backlog] + len
        if (!this.woken) this.kick()
        return at
    }

    /** `frames` frames refused for lack of room: tail drops (qdisc_drop), one overlimit. */
    drop(frames: number): void {
        this.stats[QdiscMib.drops] += frames
        inc(this.stats, QdiscMib.overlimits)
    }

    /** Wake the drain (an enqueue, the driver's wake_queue, a stop). */
    kick(): void {
        this.woken = true
        const f = this.sleeper
        if (f !== null && f.suspended) {
            this.sleeper = null
            f.resume(true)
        }
    }

    /** The drain task waits here until kicked, at most `ms`. */
    async waitForWork(ms: number): Promise<void> {
        if (!this.woken) {
            this.sleeper = ds.Fiber.self()
            await ds.suspend<boolean>(ms)
            this.sleeper = null
        }
        this.woken = false
    }

    /** The oldest queued record (header offset; the frame is at +RECORD_HEADER), or -1 when empty. */
    peek(): number {
        if (this.stats[QdiscMib.qlen] === 0) return -1
        // the ring is not empty: its tail is a live record; parked frames (tagged with their
        // neighbour) may sit in front of the queued ones
        const p = this.pool
        let rec = p.tail
        while (p.buf.getAt(rec + 2, "u16") !== QDISC_TAG) {
            rec = p.next(rec)
            if (rec < 0) return -1
        }
        return rec
    }

}

/** Room under both limits for `frames` more frames of `bytes` bytes in all. */
export function qdiscHasRoom(q: FifoQdisc, frames: number, bytes: number): boolean {
    return q.stats[QdiscMib.qlen] + frames <= q.limitPackets && q.stats[QdiscMib.backlog] + bytes <= q.limitBytes
}

/** A parked frame (record `rec`) joins the queue; over the limits it is dropped (false). */
export function qdiscAdopt(q: FifoQdisc, rec: number): boolean {
    const len = recordLen(q.pool, rec)
    if (!qdiscHasRoom(q, 1, len)) {
        q.pool.release(rec)
        q.drop(1)
        return false
    }
    setRecordTag(q.pool, rec, QDISC_TAG)
    const s = q.stats
    s[QdiscMib.qlen]++
    s[QdiscMib.backlog] += len
    if (!q.woken) q.kick()
    return true
}

/**
 * The packet pool's size: the larger of the queue's and one neighbour's byte limits and their
 * records' headers. A record never wraps (ring.ts), so when the end of the ring is too short for a
 * frame that space waits for the ring to empty: under a backlog the pool can refuse a frame the
 * limits allow, by less than one frame's worth, and that refusal is counted as a tail drop.
 */
export function packetPoolSize(qdiscPackets: number, qdiscBytes: number, pendingPackets: number, pendingBytes: number): number {
    return Math.max(qdiscBytes, pendingBytes) + (qdiscPackets + pendingPackets) * RECORD_HEADER
}
