// The ENC28J60 model's receive engine: ERXFCON filters (unicast/broadcast/multicast/CRC, AND/OR),
// the 6-byte receive status vector + frame padded to 60 + FCS (a real CRC-32) into the RX ring,
// frames never written over ERXRDPT (dropped, RXERIF), EPKTCNT capped at 255, errata #14.

import { Enc28j60Buffer } from "./buffer"
import { A, R } from "./core"
import { Econ1, Eir, Erxfcon, Macon1, Macon3, Rsv, RSV_LEN } from "../../drivers/enc28j60/regs"

let crcTable: Buffer = null

export function isBroadcast(f: Buffer, off: number): boolean {
    return f.getAt(off, "u32") >>> 0 === 0xffffffff && f.getAt(off + 4, "u16") === 0xffff
}

/** IEEE 802.3 CRC-32 (reflected, polynomial 0xEDB88320), a nibble at a time: a 64-byte table. */
function crc32Table(): Buffer {
    if (crcTable) return crcTable
    const t = Buffer.alloc(64)
    for (let n = 0; n < 16; n++) {
        let c = n
        for (let k = 0; k < 4; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
        t.setAt(n * 4, "u32", c >>> 0)
    }
    crcTable = t
    return t
}

// built at load time, before any large buffer, so it never splits the heap later
crc32Table()

export class Enc28j60Rx extends Enc28j60Buffer {
    private readonly hdr = Buffer.alloc(RSV_LEN)
    private readonly fcs = Buffer.alloc(4)
    private readonly zeros = Buffer.alloc(64)

    // ------------------------------------------------------------------ LanPort

    receiveFromWire(frame: Buffer, off: number, len: number): void {
        if (!this.link) {
            this.rxLinkDown++
            return
        }
        this.receiveFrame(frame, off, len)
    }

    private filterAccepts(frame: Buffer, off: number, crcOk: boolean): boolean {
        const f = this.regs[R.ERXFCON]
        if (f === 0) return true
        const bcast = isBroadcast(frame, off)
        const mcast = !bcast && (frame[off] & 1) === 1
        const r = this.regs
        const ucast =
            frame[off] === r[96 + 4] && frame[off + 1] === r[96 + 5] && frame[off + 2] === r[96 + 2] &&
            frame[off + 3] === r[96 + 3] && frame[off + 4] === r[96 + 0] && frame[off + 5] === r[96 + 1]
        const addrFilters = f & (Erxfcon.UCEN | Erxfcon.MCEN | Erxfcon.BCEN | Erxfcon.PMEN | Erxfcon.MPEN | Erxfcon.HTEN)
        if (f & Erxfcon.ANDOR) {
            if (f & Erxfcon.CRCEN && !crcOk) return false
            if (f & Erxfcon.UCEN && !ucast) return false
            if (f & Erxfcon.BCEN && !bcast) return false
            if (f & Erxfcon.MCEN && !mcast) return false
            // pattern, magic packet and hash filters never match here
            return (f & (Erxfcon.PMEN | Erxfcon.MPEN | Erxfcon.HTEN)) === 0
        }
        if (f & Erxfcon.CRCEN && !crcOk) return false
        if (addrFilters === 0) return true
        return (
            ((f & Erxfcon.UCEN) !== 0 && ucast) || ((f & Erxfcon.BCEN) !== 0 && bcast) || ((f & Erxfcon.MCEN) !== 0 && mcast)
        )
    }

    protected receiveFrame(frame: Buffer, off: number, len: number): void {
        const r = this.regs
        const e1 = r[A.ECON1]
        if (!(e1 & Econ1.RXEN) || e1 & Econ1.RXRST || !(r[R.MACON1] & Macon1.MARXEN) || len < 14) {
            this.rxDisabled++
            return
        }
        let crcOk = true
        if (this.badCrcNext > 0) {
            this.badCrcNext--
            crcOk = false
        }
        if (!this.filterAccepts(frame, off, crcOk)) {
            this.rxFiltered++
            return
        }
        // the sender's MAC padded it to 60 bytes; the FCS follows
        const dataLen = len < 60 ? 60 : len
        const total = dataLen + 4
        const maxLen = r[R.MAMXFLL] | (r[R.MAMXFLL + 1] << 8)
        if (total > maxLen && !(r[R.MACON3] & Macon3.HFRMEN)) {
            this.rxTooLong++
            return
        }
        if (r[R.EPKTCNT] === 255) {
            this.rxCountOverflows++
            r[A.EIR] |= Eir.RXERIF
            return
        }
        const st = this.get16(A.ERXSTL)
        const nd = this.get16(A.ERXNDL)
        const size = nd - st + 1
        let wr = this.get16(A.ERXWRPTL)
        if (size < 64) {
            this.rxDisabled++
            return
        }
        if (wr < st || wr > nd) wr = st
        const rd = this.get16(A.ERXRDPTL)
        const need = RSV_LEN + total + (total & 1)
        let room = rd - wr
        if (room <= 0) room += size
        // the chip never writes the byte at ERXRDPT
        if (need >= room) {
            this.rxOverflows++
            r[A.EIR] |= Eir.RXERIF
            return
        }
        let next = wr + need
        if (next > nd) next -= size
        const h = this.hdr
        h.setAt(Rsv.NEXT, "u16", next)
        h.setAt(Rsv.BYTE_COUNT, "u16", total)
        const bcast = isBroadcast(frame, off)
        h[4] = crcOk ? Rsv.RX_OK : Rsv.CRC_ERROR
        h[5] = bcast ? Rsv.BROADCAST : frame[off] & 1 ? Rsv.MULTICAST : 0
        if (this.erratum14 && (rd & 1) === 0) {
            // errata #14: with an even ERXRDPT the hardware mangles the next-packet pointer and status
            this.ringCorruptions++
            h.setAt(Rsv.NEXT, "u16", next ^ 0x0123)
            h[4] = 0
            h[5] = 0
        }
        let p = this.ringWrite(wr, st, nd, h, 0, RSV_LEN)
        p = this.ringWrite(p, st, nd, frame, off, len)
        if (dataLen > len) p = this.ringWrite(p, st, nd, null, 0, dataLen - len)
        let c = this.crc(frame, off, len, 0xffffffff)
        if (dataLen > len) c = this.crc(this.zeros, 0, dataLen - len, c)
        c = ~c >>> 0
        if (!crcOk) c = (c ^ 0x5a5a5a5a) >>> 0
        this.fcs.setAt(0, "u32", c)
        this.ringWrite(p, st, nd, this.fcs, 0, 4)
        this.set16(A.ERXWRPTL, next)
        r[R.EPKTCNT]++
        this.rxFrames++
    }

    private crc(b: Buffer, off: number, n: number, c: number): number {
        const t = crcTable
        const end = off + n
        for (let i = off; i < end; i++) {
            const x = b[i]
            c = t.getAt(((c ^ x) & 15) << 2, "u32") ^ (c >>> 4)
            c = t.getAt(((c ^ (x >> 4)) & 15) << 2, "u32") ^ (c >>> 4)
        }
        return c
    }
}
