// One FIFO qdisc (Linux pfifo/bfifo: a packet limit and a byte limit, tail drop), holding whole
// Ethernet frames in a FrameRing. Frames are built in place: reserve(), write, enqueue().

import { QdiscStats } from "./counters"
import { FrameRing, RECORD_HEADER } from "./ring"
import { ETHERNET_MAX_FRAME } from "../wire/ethernet"

export class FifoQdisc {
    readonly ring: FrameRing
    readonly stats = new QdiscStats()
    /** Called after every enqueue (netif_schedule: wake the drain). */
    onEnqueue: () => void = null

    /**
     * The ring holds `limitBytes` of frames plus the record headers of `limitPackets` frames plus one
     * largest record of slack, so that wrap waste never refuses a frame the limits allow.
     */
    constructor(readonly limitPackets: number, readonly limitBytes: number) {
        this.ring = new FrameRing(limitBytes + limitPackets * RECORD_HEADER + ETHERNET_MAX_FRAME + RECORD_HEADER)
    }

    /**
     * Room for a `len`-byte frame under both limits; returns the offset in `ring.buf` to write it at,
     * or -1 (counted as a drop and an overlimit, as pfifo's qdisc_drop does).
     */
    reserve(len: number): number {
        const r = this.ring
        if (r.count + 1 > this.limitPackets || r.bytes + len > this.limitBytes) {
            this.stats.drops++
            this.stats.overlimits++
            return -1
        }
        const at = r.reserve(len)
        if (at < 0) {
            this.stats.drops++
            this.stats.overlimits++
        }
        return at
    }

    /** The reserved frame, now written, joins the tail of the queue. */
    enqueue(len: number): void {
        this.ring.commit(len, 0)
        this.stats.backlog = this.ring.bytes
        this.stats.qlen = this.ring.count
        if (this.onEnqueue !== null) this.onEnqueue()
    }

    /** The oldest record (header offset; the frame is at +RECORD_HEADER), or -1 when empty. */
    peek(): number {
        return this.ring.oldest()
    }

    /** The peeked frame was sent. */
    dequeueSent(len: number): void {
        this.ring.popOldest()
        this.stats.packets++
        this.stats.bytes += len
        this.stats.backlog = this.ring.bytes
        this.stats.qlen = this.ring.count
    }

    /** The peeked frame was lost below us (device error, no carrier). */
    dequeueDropped(): void {
        this.ring.popOldest()
        this.stats.drops++
        this.stats.backlog = this.ring.bytes
        this.stats.qlen = this.ring.count
    }

    /** Drop everything (carrier lost with the queue deactivated). Returns how many frames. */
    purge(): number {
        let n = 0
        while (this.ring.oldest() >= 0) {
            this.dequeueDropped()
            n++
        }
        return n
    }
}
