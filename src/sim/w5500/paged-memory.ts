// The W5500 model's chip memory, backed by 512-byte pages from a shared pool (see ../w5500.ts,
// "Memory"): the chip's 2 x 16 KB would leave too little of the simulator's heap for the stack.

import { BUF_TOTAL_KB } from "../../drivers/w5500/regs"

/** §3.3: 16 KB of TX memory and 16 KB of RX memory, shared by the eight sockets in order. */
export const MEM_SIZE = BUF_TOTAL_KB * 1024

const PAGE_SHIFT = 9
const PAGE = 1 << PAGE_SHIFT

/**
 * 16 KB of chip memory in pages taken from a pool on first write. Each page counts the bytes
 * written into it that are still wanted; consume() (SEND completed, RECV) subtracts, and a page
 * whose count reaches 0 goes back to the pool. The buffers are rings written in order, so a page
 * counts only bytes past the highest offset written into it: bytes written twice (a host that
 * writes on past its frame, then the next frame over them) are counted once.
 */
export class PagedMemory {
    readonly pages: Buffer[] = []
    readonly live: number[] = []
    /** Per page, the end of the highest range written since the page was taken. */
    readonly high: number[] = []
    constructor(readonly pool: Buffer[]) {
        for (let i = 0; i < MEM_SIZE >> PAGE_SHIFT; i++) {
            this.pages.push(null)
            this.live.push(0)
            this.high.push(0)
        }
    }

    /** `n` bytes at physical `at` (no wrap: at + n <= MEM_SIZE); `src` null writes zeros. */
    write(at: number, src: Buffer, srcOff: number, n: number): void {
        let done = 0
        while (done < n) {
            const a = at + done
            const k = a >> PAGE_SHIFT
            const o = a & (PAGE - 1)
            let c = PAGE - o
            if (c > n - done) c = n - done
            let pg = this.pages[k]
            if (pg === null) {
                pg = this.pool.length > 0 ? this.pool.pop() : Buffer.alloc(PAGE)
                pg.fillAt(0, PAGE, 0)
                this.pages[k] = pg
            }
            if (src) pg.blitAt(o, src, srcOff + done, c)
            else pg.fillAt(o, c, 0)
            const end = o + c
            const h = this.high[k]
            if (end > h) {
                this.live[k] += end - (o > h ? o : h)
                this.high[k] = end
            }
            done += c
        }
    }

    read(at: number, dst: Buffer, dstOff: number, n: number): void {
        let done = 0
        while (done < n) {
            const a = at + done
            const k = a >> PAGE_SHIFT
            const o = a & (PAGE - 1)
            let c = PAGE - o
            if (c > n - done) c = n - done
            const pg = this.pages[k]
            if (pg === null) dst.fillAt(dstOff + done, c, 0)
            else dst.blitAt(dstOff + done, pg, o, c)
            done += c
        }
    }

    /** The chip is done with the `n` ring bytes from pointer `ptr` of the `size`-byte buffer at `base`. */
    consume(base: number, size: number, ptr: number, n: number): void {
        if (size === 0 || n <= 0) return
        if (n > size) n = size
        const start = ptr & (size - 1)
        const first = n < size - start ? n : size - start
        this.consumePhys(base + start, first)
        if (n > first) this.consumePhys(base, n - first)
    }

    private consumePhys(at: number, n: number): void {
        let done = 0
        while (done < n) {
            const a = at + done
            const k = a >> PAGE_SHIFT
            let c = PAGE - (a & (PAGE - 1))
            if (c > n - done) c = n - done
            this.live[k] -= c
            if (this.live[k] <= 0) this.releasePage(k)
            done += c
        }
    }

    private releasePage(k: number): void {
        this.live[k] = 0
        this.high[k] = 0
        const pg = this.pages[k]
        if (pg !== null) {
            this.pages[k] = null
            this.pool.push(pg)
        }
    }

    /** Everything in [base, base + size) is stale (OPEN re-initialised the pointers). */
    releaseAll(base: number, size: number): void {
        for (let k = base >> PAGE_SHIFT; k < (base + size) >> PAGE_SHIFT; k++) this.releasePage(k)
    }

    /** Pages currently backed (for tests of the model's footprint). */
    backed(): number {
        let n = 0
        for (let k = 0; k < this.pages.length; k++) if (this.pages[k] !== null) n++
        return n
    }
}
