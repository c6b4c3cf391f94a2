// Frames waiting for address resolution: Linux's per-neighbour arp_queue, bounded per neighbour in
// packets and bytes (unres_qlen / unres_qlen_bytes), all held in one preallocated ring shared by
// the neighbours. Frames are stored whole, with the Ethernet destination left to fill in when the
// neighbour resolves.

import { FrameRing, RECORD_HEADER } from "../dev/ring"
import { ETHERNET_MAX_FRAME } from "../wire/ethernet"
import { Neighbour } from "./neighbour"

export class PendingQueue {
    readonly ring: FrameRing

    /**
     * Per neighbour at most `limitPackets` frames and `limitBytes` bytes; the ring holds one
     * neighbour's full share plus one largest record of slack. Neighbours share it: when another
     * neighbour's frames fill it, a new frame is refused (and counted by the caller).
     */
    constructor(readonly limitPackets: number, readonly limitBytes: number) {
        this.ring = new FrameRing(limitBytes + limitPackets * RECORD_HEADER + ETHERNET_MAX_FRAME + RECORD_HEADER)
    }

    /**
     * Room for a `len`-byte frame for `n`. Over the per-neighbour limits the oldest frames of `n` are
     * dropped first, as __neigh_event_send does; returns how many through `dropped` (via n), and the
     * offset to write at, or -1 when the shared ring is full.
     */
    reserve(n: Neighbour, len: number): number {
        if (len > this.limitBytes) return -1
        while (n.pendingPackets > 0 && (n.pendingPackets + 1 > this.limitPackets || n.pendingBytes + len > this.limitBytes)) {
            this.dropOldest(n)
            n.pendingDropped++
        }
        return this.ring.reserve(len)
    }

    commit(n: Neighbour, len: number): void {
        this.ring.commit(len, n.index)
        n.pendingPackets++
        n.pendingBytes += len
    }

    private dropOldest(n: Neighbour): void {
        const r = this.ring
        for (let rec = r.oldest(); rec >= 0; rec = r.next(rec)) {
            if (r.tag(rec) === n.index) {
                n.pendingPackets--
                n.pendingBytes -= r.frameLen(rec)
                r.release(rec)
                return
            }
        }
    }

    /**
     * Hand every frame of `n` to `sink(buf, frameOff, len)` in order, then release it. Returns the
     * number of frames.
     */
    drain(n: Neighbour, sink: PendingSink): number {
        const r = this.ring
        let count = 0
        let rec = r.oldest()
        while (rec >= 0 && n.pendingPackets > 0) {
            const nxt = r.next(rec)
            if (r.tag(rec) === n.index) {
                const len = r.frameLen(rec)
                if (sink) sink.take(r.buf, rec + RECORD_HEADER, len)
                n.pendingPackets--
                n.pendingBytes -= len
                r.release(rec)
                count++
            }
            rec = nxt
        }
        return count
    }
}

export interface PendingSink {
    take(buf: Buffer, off: number, len: number): void
}
