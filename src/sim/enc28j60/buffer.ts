// The ENC28J60 model's 8 KB buffer memory and its pointer rules: RBM/WBM with ERDPT/EWRPT
// auto-increment (ERDPT wraps ERXND -> ERXST inside the ring, otherwise 0x1FFF -> 0), and the
// engines' own copies in and out of it (the RX ring wraps ERXND -> ERXST).

import { Enc28j60Mii } from "./mii"
import { A } from "./core"
import { BUFFER_SIZE, Econ2 } from "../../drivers/enc28j60/regs"

export class Enc28j60Buffer extends Enc28j60Mii {
    /** RBM: from ERDPT; wraps ERXND -> ERXST when reading inside/below the ring, else 0x1FFF -> 0. */
    protected readBuffer(rx: Buffer, rxOff: number, n: number): void {
        if (!this.ready()) {
            if (rx) rx.fillAt(rxOff, n, 0)
            return
        }
        let p = this.get16(A.ERDPTL)
        if (!(this.regs[A.ECON2] & Econ2.AUTOINC)) {
            if (rx) rx.fillAt(rxOff, n, this.mem[p])
            return
        }
        const st = this.get16(A.ERXSTL)
        const nd = this.get16(A.ERXNDL)
        while (n > 0) {
            const inRing = p <= nd && nd >= st
            const end = inRing ? nd : BUFFER_SIZE - 1
            const chunk = Math.min(n, end - p + 1)
            if (rx) rx.blitAt(rxOff, this.mem, p, chunk)
            rxOff += chunk
            n -= chunk
            p += chunk
            if (p > end) p = inRing ? st : 0
        }
        this.set16(A.ERDPTL, p)
    }

    /** WBM: at EWRPT, wrapping 0x1FFF -> 0. */
    protected writeBuffer(tx: Buffer, txOff: number, n: number): void {
        if (!this.ready()) return
        let p = this.get16(A.EWRPTL)
        if (!(this.regs[A.ECON2] & Econ2.AUTOINC)) {
            this.mem[p] = tx ? tx[txOff + n - 1] : 0
            return
        }
        while (n > 0) {
            const chunk = Math.min(n, BUFFER_SIZE - p)
            if (tx) this.mem.blitAt(p, tx, txOff, chunk)
            else this.mem.fillAt(p, chunk, 0)
            txOff += chunk
            n -= chunk
            p = (p + chunk) & (BUFFER_SIZE - 1)
        }
        this.set16(A.EWRPTL, p)
    }

    /** Copy `n` bytes at buffer address `p` (wrapping 0x1FFF -> 0) into `dst`. */
    protected memRead(p: number, dst: Buffer, off: number, n: number): void {
        while (n > 0) {
            const chunk = Math.min(n, BUFFER_SIZE - p)
            dst.blitAt(off, this.mem, p, chunk)
            off += chunk
            n -= chunk
            p = (p + chunk) & (BUFFER_SIZE - 1)
        }
    }

    protected memWrite(p: number, src: Buffer, off: number, n: number): void {
        while (n > 0) {
            const chunk = Math.min(n, BUFFER_SIZE - p)
            this.mem.blitAt(p, src, off, chunk)
            off += chunk
            n -= chunk
            p = (p + chunk) & (BUFFER_SIZE - 1)
        }
    }

    /** Write into the RX ring at `p`, wrapping ERXND -> ERXST; `src` null writes zeros. */
    protected ringWrite(p: number, st: number, nd: number, src: Buffer, off: number, n: number): number {
        while (n > 0) {
            const chunk = Math.min(n, nd - p + 1)
            if (src) this.mem.blitAt(p, src, off, chunk)
            else this.mem.fillAt(p, chunk, 0)
            off += chunk
            n -= chunk
            p += chunk
            if (p > nd) {
                p = st
                this.rxWraps++
            }
        }
        return p
    }
}
