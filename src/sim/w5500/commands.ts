// The W5500 model's socket 0 in MACRAW mode (§4.2 Sn_CR): OPEN, CLOSE, SEND, RECV with Sn_CR busy
// for a while after each, SEND's frame onto the wire and SENDOK after its wire time (never with the
// link down), RECV freeing RX memory; and the other way, frames from the wire filtered (Sn_MR) and
// stored `[len+2][frame]` at RX_WR when they fit.

import { ETHERNET_MAX_FRAME, ETHERNET_MIN_FRAME } from "../../wire/ethernet"
import { formatHex8 } from "../../wire/addr"
import { getU16, setU16 } from "../../wire/bytes"
import { W5500Core } from "./core"
import { BUF_TOTAL_KB, Common, Phy, RX_LEN_HEADER, Sn, SnCr, SnIr, SnMr, SnSr } from "../../drivers/w5500/regs"

const MAX_FRAME = ETHERNET_MAX_FRAME
const MIN_FRAME = ETHERNET_MIN_FRAME
/** Preamble + SFD (8), FCS (4) and inter-frame gap (12) that every frame adds on the wire. */
const WIRE_EXTRA = 24

export class W5500Commands extends W5500Core {
    protected crCmd = 0
    private crDoneAt = 0
    private crReads = 0
    /** Socket 0 internal pointers: TX_RD, RX_WR, and RX_RD as of the last RECV. */
    protected txRd = 0
    protected rxWr = 0
    protected rxRd = 0
    protected sendPending = false
    protected sendStuck = false
    private sendOkAt = 0
    protected sendEnd = 0
    /** TX_RD as reads show it during a gradual SEND (txRdStep > 0). */
    protected txRdShown = 0
    protected srLag = 0
    private readonly wire = Buffer.alloc(MAX_FRAME)
    private readonly lenHdr = Buffer.alloc(RX_LEN_HEADER)

    // ---- commands (§4.2 Sn_CR)

    /** Sn_CR reads the command until the chip has accepted it (time, and at least crMinReads reads). */
    protected crBusy(isRead: boolean): boolean {
        if (this.crCmd === 0) return false
        if (this.now() >= this.crDoneAt && this.crReads >= this.crMinReads) {
            this.crCmd = 0
            return false
        }
        if (isRead) this.crReads++
        return true
    }

    protected command(n: number, v: number): void {
        if (n !== 0) {
            this.flag("commands on socket " + n + " are not modelled")
            return
        }
        if (this.crBusy(false)) {
            this.cmdWhileBusy++
            this.flag("command " + formatHex8(v) + " written while Sn_CR still reads " + formatHex8(this.crCmd))
            return
        }
        if (v !== SnCr.OPEN && v !== SnCr.CLOSE && v !== SnCr.SEND && v !== SnCr.RECV) {
            this.flag("command " + formatHex8(v) + " is not a MACRAW command")
            return
        }
        this.crCmd = v
        this.crDoneAt = this.now() + this.crBusyUs
        this.crReads = 0
        const s = this.sockets
        if (v === SnCr.OPEN) {
            if ((s[Sn.MR] & SnMr.PROTOCOL_MASK) !== SnMr.MACRAW) {
                this.flag("OPEN: only MACRAW is modelled (Sn_MR " + formatHex8(s[Sn.MR]) + ")")
                return
            }
            if (this.sumKb(true) > BUF_TOTAL_KB || this.sumKb(false) > BUF_TOTAL_KB) {
                // [inf] the datasheet only forbids it; the model refuses to open so the mistake shows
                this.bufferRuleViolations++
                this.flag("OPEN with more than 16 KB of buffers in one direction")
                return
            }
            s[Sn.SR] = SnSr.MACRAW
            this.srLag = this.srOpenReads
            s[Sn.IR] = 0
            this.txMem.releaseAll(0, this.bufSize(0, true))
            this.rxMem.releaseAll(0, this.bufSize(0, false))
            this.txRd = this.txPointerOnOpen & 0xffff
            setU16(s, Sn.TX_WR, this.txRd)
            this.rxRd = this.rxPointerOnOpen & 0xffff
            this.rxWr = this.rxRd
            setU16(s, Sn.RX_RD, this.rxRd)
            this.sendPending = false
            this.sendStuck = false
        } else if (v === SnCr.CLOSE) {
            s[Sn.SR] = SnSr.CLOSED
            this.sendPending = false
            this.sendStuck = false
        } else if (s[Sn.SR] !== SnSr.MACRAW) {
            this.flag("command " + formatHex8(v) + " on a closed socket")
        } else if (v === SnCr.SEND) this.send()
        else this.recv()
    }

    /** SEND: the bytes from TX_RD to TX_WR go out as one frame; SENDOK after the wire time; TX_RD = TX_WR. */
    private send(): void {
        if (this.sendPending) {
            this.sendWhileBusy++
            this.flag("SEND before the previous SENDOK")
            return
        }
        const wr = getU16(this.sockets, Sn.TX_WR)
        const len = (wr - this.txRd) & 0xffff
        const size = this.bufSize(0, true)
        this.sendPending = true
        this.sendEnd = wr
        this.txRdShown = this.txRd
        this.sendStuck = false
        if (len === 0 || len > MAX_FRAME || len > size) {
            this.flag("SEND of " + len + " bytes")
            this.sendOkAt = this.now() + this.crBusyUs
            return
        }
        if (!this.linkUp() || this.sendOkLoss > 0) {
            // §1.4 of the digest: with the link down SENDOK never arrives
            if (this.linkUp()) this.sendOkLoss--
            this.sendStuck = true
            this.sendsStuck++
            return
        }
        let p = this.txRd
        let done = 0
        while (done < len) {
            const phys = p & (size - 1)
            let c = size - phys
            if (c > len - done) c = len - done
            this.txMem.read(phys, this.wire, done, c)
            p = (p + c) & 0xffff
            done += c
        }
        // [inf] the MAC pads short frames to the 60-byte minimum and appends the FCS
        let wireLen = len
        if (wireLen < MIN_FRAME) {
            this.wire.fillAt(len, MIN_FRAME - len, 0)
            wireLen = MIN_FRAME
        }
        const mbps = (this.phyValue() & Phy.SPD) !== 0 ? 100 : 10
        this.sendOkAt = this.now() + this.crBusyUs + ((wireLen + WIRE_EXTRA) * 8) / mbps
        this.framesSent++
        if (this.segment) this.segment.transmit(this, this.wire, 0, wireLen)
    }

    /** RECV: the RX_RD the host wrote takes effect; the space before it is free again. */
    private recv(): void {
        const rd = getU16(this.sockets, Sn.RX_RD)
        const n = (rd - this.rxRd) & 0xffff
        if (n > this.rxUsed()) this.flag("RECV with RX_RD past RX_WR")
        else this.rxMem.consume(0, this.bufSize(0, false), this.rxRd, n)
        this.rxRd = rd
    }

    /** Complete a send whose wire time is over; a send in flight when the link drops never completes. */
    tick(): void {
        if (!this.sendPending || this.sendStuck) return
        if (!this.linkUp()) {
            this.sendStuck = true
            this.sendsStuck++
            return
        }
        if (this.now() >= this.sendOkAt && (this.txRdStep === 0 || this.txRdShown === this.sendEnd)) {
            this.sendPending = false
            this.txMem.consume(0, this.bufSize(0, true), this.txRd, (this.sendEnd - this.txRd) & 0xffff)
            this.txRd = this.sendEnd
            this.sockets[Sn.IR] |= SnIr.SENDOK
        }
    }

    protected shownTxRd(): number {
        return this.txRdStep > 0 && this.sendPending ? this.txRdShown : this.txRd
    }

    protected txFree(): number {
        const f = this.bufSize(0, true) - ((getU16(this.sockets, Sn.TX_WR) - this.txRd) & 0xffff)
        return f < 0 ? 0 : f
    }

    protected rxUsed(): number {
        return (this.rxWr - this.rxRd) & 0xffff
    }

    // ---- the wire side

    /** A frame from the virtual LAN: filter (Sn_MR), then store `[len+2][frame]` at RX_WR if it fits. */
    receiveFromWire(frame: Buffer, off: number, len: number): void {
        const s = this.sockets
        if (!this.linkUp()) return
        if (s[Sn.SR] !== SnSr.MACRAW) {
            this.rxDroppedClosed++
            return
        }
        if (len < MIN_FRAME) {
            this.rxRunts++
            return
        }
        if (len > MAX_FRAME) {
            this.rxGiants++
            return
        }
        const mr = s[Sn.MR]
        if (this.filtered(mr, frame, off)) {
            this.rxFiltered++
            return
        }
        const size = this.bufSize(0, false)
        const need = len + RX_LEN_HEADER
        if (size === 0 || need > size - this.rxUsed()) {
            this.rxDroppedFull++
            return
        }
        let hv = need
        if (this.corruptRxHeader >= 0) {
            hv = this.corruptRxHeader & 0xffff
            this.corruptRxHeader = -1
        }
        setU16(this.lenHdr, 0, hv)
        this.rxWr = this.ringWrite(this.rxWr, size, this.lenHdr, 0, RX_LEN_HEADER)
        this.rxWr = this.ringWrite(this.rxWr, size, frame, off, len)
        s[Sn.IR] |= SnIr.RECV
        this.framesStored++
    }

    /** §4.2 Sn_MR in MACRAW: MFEN passes only SHAR and broadcast (multicast too unless MMB [inf]). */
    private filtered(mr: number, frame: Buffer, off: number): boolean {
        if (mr & SnMr.MFEN) {
            const d0 = frame[off]
            if ((d0 & 1) === 0) {
                for (let i = 0; i < 6; i++) if (frame[off + i] !== this.common[Common.SHAR + i]) return true
            } else if (frame.getAt(off, "u32") === 0xffffffff && frame.getAt(off + 4, "u16") === 0xffff) {
                if (mr & SnMr.BCASTB) return true
            } else if (mr & SnMr.MMB) return true
        }
        if (mr & SnMr.MIP6B && getU16(frame, off + 12) === 0x86dd) return true
        return false
    }

    private ringWrite(ptr: number, size: number, src: Buffer, srcOff: number, n: number): number {
        let done = 0
        while (done < n) {
            const phys = ptr & (size - 1)
            let c = size - phys
            if (c > n - done) c = n - done
            this.rxMem.write(phys, src, srcOff + done, c)
            ptr = (ptr + c) & 0xffff
            done += c
        }
        return ptr
    }
}
