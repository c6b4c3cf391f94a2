// A byte ring of variable-length frame records, the storage behind the qdisc and the neighbour
// pending queue (Linux keeps sk_buffs on lists; a 64 KB heap cannot, so frames are packed into one
// preallocated Buffer).
//
// Record: [len u16 LE][tag u16 LE][frame bytes]. A record never wraps: when the space left at the
// end cannot hold it, a wrap marker (len 0xffff) is written and the record starts at 0. Records are
// released oldest first; a record released out of order is marked dead (tag DEAD) and its space is
// reclaimed when everything older has gone.

export const RECORD_HEADER = 4
const WRAP = 0xffff
export const DEAD_TAG = 0xffff

export class FrameRing {
    readonly buf: Buffer
    /** Offset of the oldest record. */
    private tail = 0
    /** Offset where the next record goes. */
    private head = 0
    /** Bytes between tail and head, wrap waste included. */
    private used = 0
    /** Live (not dead) records and their frame bytes. */
    count = 0
    bytes = 0
    private reservedAt = -1

    constructor(capacity: number) {
        this.buf = Buffer.alloc(capacity)
    }

    capacity(): number {
        return this.buf.length
    }

    /**
     * Room for a `len`-byte frame: returns the offset where the frame bytes go, or -1 when the ring
     * cannot hold it now. Nothing is visible until commit().
     */
    reserve(len: number): number {
        const need = RECORD_HEADER + len
        const cap = this.buf.length
        let at = -1
        if (this.used === 0) {
            this.head = this.tail = 0
            if (need <= cap) at = 0
        } else if (this.head > this.tail) {
            if (this.head + need <= cap) at = this.head
            else if (need <= this.tail) at = 0
        } else if (this.head < this.tail) {
            if (this.head + need <= this.tail) at = this.head
        }
        this.reservedAt = at
        return at < 0 ? -1 : at + RECORD_HEADER
    }

    /** Make the reserved frame (now `len` bytes, at most what was reserved) the newest record. */
    commit(len: number, tag: number): void {
        const at = this.reservedAt
        const cap = this.buf.length
        if (at < 0) return
        if (at !== this.head) {
            // wrapped: mark the tail end unusable
            if (this.head + 2 <= cap) this.buf.setAt(this.head, "u16", WRAP)
            this.used += cap - this.head
        }
        this.buf.setAt(at, "u16", len)
        this.buf.setAt(at + 2, "u16", tag)
        this.head = at + RECORD_HEADER + len
        this.used += RECORD_HEADER + len
        if (this.head >= cap) this.head = 0
        this.count++
        this.bytes += len
        this.reservedAt = -1
    }

    /** Offset of the oldest live record's header, or -1 when empty. */
    oldest(): number {
        this.skipDead()
        return this.count > 0 ? this.tail : -1
    }

    /** Record accessors (offsets as returned by oldest()/next()). */
    frameLen(rec: number): number {
        return this.buf.getAt(rec, "u16")
    }
    tag(rec: number): number {
        return this.buf.getAt(rec + 2, "u16")
    }

    setTag(rec: number, tag: number): void {
        this.buf.setAt(rec + 2, "u16", tag)
    }

    /** The record after `rec` (live or dead), or -1 at the newest. */
    next(rec: number): number {
        let n = rec + RECORD_HEADER + this.buf.getAt(rec, "u16")
        if (n >= this.buf.length) n = 0
        if (n === this.head) return -1
        if (n + 2 > this.buf.length || this.buf.getAt(n, "u16") === WRAP) n = 0
        return n === this.head ? -1 : n
    }

    /** Release the oldest record (after oldest() returned it). */
    popOldest(): void {
        const len = this.buf.getAt(this.tail, "u16")
        this.count--
        this.bytes -= len
        this.advanceTail()
    }

    /** Release any record; out of order it is marked dead and reclaimed later. */
    release(rec: number): void {
        if (rec === this.tail) {
            this.popOldest()
            return
        }
        this.count--
        this.bytes -= this.buf.getAt(rec, "u16")
        this.buf.setAt(rec + 2, "u16", DEAD_TAG)
    }

    private advanceTail(): void {
        const cap = this.buf.length
        const len = this.buf.getAt(this.tail, "u16")
        this.used -= RECORD_HEADER + len
        this.tail += RECORD_HEADER + len
        if (this.used <= 0) {
            this.used = 0
            this.tail = this.head = 0
            return
        }
        if (this.tail >= cap) this.tail = 0
        else if (this.tail + 2 > cap || this.buf.getAt(this.tail, "u16") === WRAP) {
            this.used -= cap - this.tail
            this.tail = 0
        }
        this.skipDead()
    }

    private skipDead(): void {
        while (this.used > 0 && this.buf.getAt(this.tail + 2, "u16") === DEAD_TAG) this.advanceTail()
    }
}
