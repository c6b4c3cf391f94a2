// The ENC28J60 model's transmit engine: the per-packet control byte or MACON3 for padding and CRC,
// the 7-byte transmit status vector at ETXND+1, TXRTS/TXIF/TXERIF/TXABRT, an optional delay in
// status polls, injected aborts and false late collisions (errata #13/#15), the stall after an
// abort (errata #12), the half-duplex loopback unless PHCON2.HDLDIS.

import { Enc28j60Rx, isBroadcast } from "./rx"
import { A, R } from "./core"
import { BUFFER_SIZE, Econ1, Eir, Estat, Macon3, Phcon1, Phcon2, Phy, TSV_LEN, Tsv, TxControl } from "../../drivers/enc28j60/regs"

export class Enc28j60Tx extends Enc28j60Rx {
    protected txStalled = false
    protected txCountdown = 0
    protected txAttemptsHalf = 0
    private readonly pad = Buffer.alloc(64)
    private txWrapBuf: Buffer = null
    private readonly tsv = Buffer.alloc(TSV_LEN)

    protected txPollTick(): void {
        if (this.txCountdown > 0 && --this.txCountdown === 0) this.completeTx()
    }

    protected startTx(): void {
        this.txRequests++
        if (this.erratum12 && this.txStalled) {
            // errata #12: TXRTS stays set, nothing is sent, until the host toggles TXRST
            this.txStallHits++
            return
        }
        if (this.txDelayPolls > 0) this.txCountdown = this.txDelayPolls
        else this.completeTx()
    }

    private completeTx(): void {
        const st = this.get16(A.ETXSTL)
        const nd = this.get16(A.ETXNDL)
        let n = Math.min((nd - st) & (BUFFER_SIZE - 1), 1600)
        const control = this.mem[st]
        // the frame goes on the wire straight from the buffer memory; a short frame is padded in a
        // scratch buffer, and one that wraps 0x1FFF -> 0 is gathered (rare: ETXST is near the end)
        let f = this.mem
        let fo = (st + 1) & (BUFFER_SIZE - 1)
        if (fo + n > BUFFER_SIZE) {
            if (!this.txWrapBuf) this.txWrapBuf = Buffer.alloc(1600)
            this.memRead(fo, this.txWrapBuf, 0, n)
            f = this.txWrapBuf
            fo = 0
        }
        const m3 = this.regs[R.MACON3]
        let padTo = 0
        let crc = false
        if (control & TxControl.POVERRIDE) {
            crc = (control & TxControl.PCRCEN) !== 0
            if (control & TxControl.PPADEN) padTo = 60
        } else {
            const pc = m3 & Macon3.PADCFG_MASK
            if (pc === 0x20) padTo = 60
            else if (pc === 0x60 || pc === 0xe0) padTo = 64
            else if (pc === 0xa0) padTo = f[fo + 12] === 0x81 && f[fo + 13] === 0x00 ? 64 : 60
            crc = (m3 & Macon3.TXCRCEN) !== 0
        }
        if (padTo > 0) crc = true
        // without the MAC's CRC the last four bytes the host wrote are the FCS
        if (!crc) n = Math.max(0, n - 4)
        if (padTo > 0 && n < padTo) {
            const p = this.pad
            p.blitAt(0, f, fo, n)
            p.fillAt(n, padTo - n, 0)
            f = p
            fo = 0
            n = padTo
        }
        const full = (m3 & Macon3.FULDPX) !== 0
        if (this.duplexMismatch()) this.duplexMismatchTx++
        const t = this.tsv
        t.fillAt(0, t.length, 0)
        t.setAt(Tsv.BYTE_COUNT, "u16", n + 4)
        if (f[fo] & 1) t[3] |= isBroadcast(f, fo) ? 0x02 : 0x01
        if (this.abortNext > 0) {
            this.abortNext--
            t[Tsv.COLLISIONS] = 0x0f
            t[Tsv.EXCOL_BYTE] |= Tsv.EXCOL_BIT
            this.txAbort(nd, n)
            return
        }
        if (!full && this.lateCollisionEvery > 0 && ++this.txAttemptsHalf % this.lateCollisionEvery === 0) {
            // errata #13: a late collision that did not happen; #15: ESTAT.LATECOL stays clear
            this.falseLateCollisions++
            t[Tsv.LATECOL_BYTE] |= Tsv.LATECOL_BIT
            this.txAbort(nd, n)
            return
        }
        t[Tsv.DONE_BYTE] |= Tsv.DONE_BIT
        t.setAt(Tsv.WIRE_BYTES, "u16", n + 4)
        this.memWrite((nd + 1) & (BUFFER_SIZE - 1), t, 0, TSV_LEN)
        this.regs[A.ECON1] &= ~Econ1.TXRTS
        this.regs[A.EIR] |= Eir.TXIF
        this.txFrames++
        this.txBytes += n
        if (!this.link) {
            this.txLinkDown++
            return
        }
        // half duplex without HDLDIS: the PHY loops our own frame back to the receiver
        const pdpx = (this.getPhy(Phy.PHCON1) & Phcon1.PDPXMD) !== 0
        if (!pdpx && !(this.getPhy(Phy.PHCON2) & Phcon2.HDLDIS)) this.receiveFrame(f, fo, n)
        if (this.segment) this.segment.transmit(this, f, fo, n)
    }

    private txAbort(nd: number, n: number): void {
        this.tsv.setAt(Tsv.WIRE_BYTES, "u16", n + 4)
        this.memWrite((nd + 1) & (BUFFER_SIZE - 1), this.tsv, 0, TSV_LEN)
        this.regs[A.ECON1] &= ~Econ1.TXRTS
        this.regs[A.EIR] |= Eir.TXIF | Eir.TXERIF
        this.regs[A.ESTAT] |= Estat.TXABRT
        this.txAborts++
        // errata #12: the next transmit request will hang
        if (this.erratum12) this.txStalled = true
    }
}
