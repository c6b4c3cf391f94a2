// A byte ring of variable-length frame records, the storage behind the qdisc and the neighbour
// pending queue (Linux keeps sk_buffs on lists; a 64 KB heap cannot, so frames are packed into one
// preallocated Buffer).
//
// Record: [len u16 LE][tag u16 LE][frame bytes]. A record never wraps: when the space left at the
// end cannot hold it, a wrap marker (len 0xffff) is written and the record starts at 0. Records are
// released oldest first; a record released out of order is marked dead (tag DEAD) and its space is
// reclaimed when everything older has gone, so the oldest record is always a live one.

export const RECORD_HEADER = 4
const WRAP = 0xffff
export const DEAD_TAG = 0xffff

/** Record accessors (offsets as returned by oldest()/next()): module functions, no method per accessor. */
export function recordLen(r: FrameRing, rec: number): number {
    return r.buf.getAt(rec, "u16")
}

export function recordTag(r: FrameRing, rec: number): number {
    return r.buf.getAt(rec + 2, "u16")
}

export function setRecordTag(r: FrameRing, rec: number, tag: number): void {
    r.buf.setAt(rec + 2, "u16", tag)
}

/** @devsWhenUsed */
export class FrameRing {
    readonly buf: Buffer
    /** Offset of the oldest record, a live one (tail and head mean nothing while the ring is empty). */
    tail = 0
    /** Offset where the next record goes: the end of the newest (up to the ring's length). */
    private head = 0
    /** Bytes between tail and head, wrap waste included (0: empty). */
    private used = 0

    constructor(capacity: number) {
        this.buf = Buffer.alloc(capacity)
    }

    /**
     * A record of `len` frame bytes tagged `tag`, from here on: the offset where its frame bytes go,
     * or -1 when the ring cannot hold it now. The writer fills the frame before it yields (nothing
     * else runs in between), so a record is never seen half written.
     */
    alloc(len: number, tag: number): number {
        const need = RECORD_HEADER + len
        const b = this.buf
        // empty: the record at 0
        if (this.used === 0) {
            if (need > b.length) return -1
            b.setAt(0, "u32", len + tag * 0x10000)
            this.tail = 0
            this.head = need
            this.used = need
            return RECORD_HEADER
        }
        let at = this.head
        if (at > this.tail) {
            if (at + need > b.length) {
                if (need > this.tail) return -1
                // wrap: mark the tail end unusable
                if (at + 2 <= b.length) b.setAt(at, "u16", WRAP)
                this.used += b.length - at
                at = 0
            }
        } else if (at + need > this.tail) return -1
        b.setAt(at, "u32", len + tag * 0x10000)
        this.head = at + need
        this.used += need
        return at + RECORD_HEADER
    }

    /** Offset of the oldest live record's header, or -1 when empty. */
    oldest(): number {
        return this.used > 0 ? this.tail : -1
    }

    /** The record after `rec` (live or dead), or -1 at the newest. */
    next(rec: number): number {
        let n = rec + RECORD_HEADER + this.buf.getAt(rec, "u16")
        if (n === this.head) return -1
        // the end of the ring, or a wrap marker: the next record is at 0
        if (n + 2 > this.buf.length || this.buf.getAt(n, "u16") === WRAP) n = 0
        return n === this.head ? -1 : n
    }

    /** Release any record; out of order it is marked dead and reclaimed later. */
    release(rec: number): void {
        // the only record (the common case: the one frame the drain just sent): the ring is empty
        if (this.used === RECORD_HEADER + this.buf.getAt(rec, "u16")) {
            this.used = 0
            return
        }
        const b = this.buf
        if (rec !== this.tail) {
            b.setAt(rec + 2, "u16", DEAD_TAG)
            return
        }
        // the oldest: free it, then any dead records behind it (rec walks on to the new tail)
        let used = this.used
        for (;;) {
            const size = RECORD_HEADER + b.getAt(rec, "u16")
            used -= size
            if (used <= 0) break
            rec += size
            // the end of the ring, or a wrap marker: the next record is at 0
            if (rec + 2 > b.length || b.getAt(rec, "u16") === WRAP) {
                used -= b.length - rec
                if (used <= 0) break
                rec = 0
            }
            if (b.getAt(rec + 2, "u16") !== DEAD_TAG) {
                this.used = used
                this.tail = rec
                return
            }
        }
        this.used = 0
    }
}

/** Live records of `r` (walks the ring: for checks, not for the packet path). */
export function ringLiveCount(r: FrameRing): number {
    let n = 0
    for (let rec = r.oldest(); rec >= 0; rec = r.next(rec)) if (recordTag(r, rec) !== DEAD_TAG) n++
    return n
}

/** Frame bytes of the live records of `r` (walks the ring, as ringLiveCount). */
export function ringLiveBytes(r: FrameRing): number {
    let n = 0
    for (let rec = r.oldest(); rec >= 0; rec = r.next(rec)) if (recordTag(r, rec) !== DEAD_TAG) n += recordLen(r, rec)
    return n
}
