// One FIFO qdisc (Linux pfifo/bfifo: a packet limit and a byte limit, tail drop). Its frames live in
// the stack's packet pool, a FrameRing it shares with the neighbour pending queue: frames are built
// in place (reserve(), write, enqueue()), and frames waiting for ARP join the queue without a copy
// when their neighbour resolves (adopt()).

import { QdiscStats, QdiscMib } from "./counters"
import { FrameRing, RECORD_HEADER } from "./ring"

/** The record tag of a queued frame; pending frames carry their neighbour's index. */
export const QDISC_TAG = 0xfffe

/** The transmit drain, as the qdisc sees it. */
export interface QdiscWaker {
    kick(): void
}

/** Whoever else keeps frames in the pool and can drop one to make room (the neighbour table). */
export interface PoolRoomMaker {
    giveWay(): boolean
}

export class FifoQdisc {
    /** Kicked after every enqueue (netif_schedule: wake the drain). */
    waker: QdiscWaker = null
    /**
     * Asked when the pool has no room for a frame the queue's limits allow (frames waiting for ARP
     * share the pool): true when it freed a record, and reserve() tries again. The neighbour table
     * drops its oldest waiting frame (NeighTable.giveWay): frames that can go now come first.
     */
    roomMaker: PoolRoomMaker = null

    constructor(
        readonly pool: FrameRing,
        readonly limitPackets: number,
        readonly limitBytes: number,
        readonly stats: QdiscStats
    ) {}

    /** Room under both limits for `frames` more frames of `bytes` bytes in all. */
    hasRoom(frames: number, bytes: number): boolean {
        return this.stats[QdiscMib.qlen] + frames <= this.limitPackets && this.stats[QdiscMib.backlog] + bytes <= this.limitBytes
    }

    /**
     * Room for a `len`-byte frame under both limits and in the pool; returns the offset in
     * `pool.buf` to write it at, or -1 (counted as a drop and an overlimit, as qdisc_drop does,
     * unless the caller will `wait` and try again: a blocking send).
     */
    reserve(len: number, wait?: boolean): number {
        let at = -1
        if (this.hasRoom(1, len)) {
            at = this.pool.reserve(len)
            while (at < 0 && this.roomMaker !== null && this.roomMaker.giveWay()) at = this.pool.reserve(len)
        }
        if (at < 0 && !wait) {
            this.stats[QdiscMib.drops]++
            this.stats[QdiscMib.overlimits]++
        }
        return at
    }

    /** The reserved frame, now written, joins the tail of the queue. */
    enqueue(len: number): void {
        this.pool.commit(len, QDISC_TAG)
        this.added(len)
    }

    /** A frame already in the pool (a resolved pending frame at record `rec`) joins the queue. */
    adopt(rec: number): boolean {
        const len = this.pool.frameLen(rec)
        if (!this.hasRoom(1, len)) {
            this.pool.release(rec)
            this.stats[QdiscMib.drops]++
            this.stats[QdiscMib.overlimits]++
            return false
        }
        this.pool.setTag(rec, QDISC_TAG)
        this.added(len)
        return true
    }

    private added(len: number): void {
        this.stats[QdiscMib.qlen]++
        this.stats[QdiscMib.backlog] += len
        if (this.waker !== null) this.waker.kick()
    }

    /** The oldest queued record (header offset; the frame is at +RECORD_HEADER), or -1 when empty. */
    peek(): number {
        if (this.stats[QdiscMib.qlen] === 0) return -1
        const p = this.pool
        let rec = p.oldest()
        while (rec >= 0 && p.tag(rec) !== QDISC_TAG) rec = p.next(rec)
        return rec
    }

    /** The peeked frame (`len` bytes) was sent. */
    dequeueSent(rec: number, len: number): void {
        this.removed(rec, len)
        this.stats[QdiscMib.packets]++
        this.stats[QdiscMib.bytes] += len
    }

    /** The peeked frame was lost below us (device error, no carrier). */
    dequeueDropped(rec: number): void {
        this.removed(rec, this.pool.frameLen(rec))
        this.stats[QdiscMib.drops]++
    }

    private removed(rec: number, len: number): void {
        this.pool.release(rec)
        this.stats[QdiscMib.qlen]--
        this.stats[QdiscMib.backlog] -= len
    }
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
