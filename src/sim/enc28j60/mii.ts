// The ENC28J60 model's PHY and its MII access (DS39662E §3.3): MICMD/MIREGADR/MIWR/MIRD with BUSY
// in MISTAT for a configurable number of polls (or 1 ms) and a stale MIRD while busy; PHSTAT1/2,
// the LLSTAT latch, PHIR -> EIR.LINKIF; the cable as the test plugs it.

import { Enc28j60Core, A, R } from "./core"
import { Eir, Macon3, Mistat, Phcon1, Phie, Phir, Phstat1, Phstat2, Phy } from "../../drivers/enc28j60/regs"

export const enum Mii {
    Idle = 0,
    Read = 1,
    Write = 2,
}

export class Enc28j60Mii extends Enc28j60Core {
    protected miiOp = Mii.Idle
    private miiReg = 0
    protected miiData = 0
    private miiPollsLeft = 0
    private miiStart = 0

    /** Plug or pull the cable: PHSTAT2.LSTAT, PHSTAT1.LLSTAT latch, PHIR.PLNKIF -> EIR.LINKIF. */
    setLink(up: boolean): void {
        if (up === this.link) return
        this.link = up
        if (!up) this.llstat = false
        let phir = this.getPhy(Phy.PHIR) | Phir.PLNKIF
        const phie = this.getPhy(Phy.PHIE)
        if ((phie & (Phie.PGEIE | Phie.PLNKIE)) === (Phie.PGEIE | Phie.PLNKIE)) {
            phir |= Phir.PGIF
            this.regs[A.EIR] |= Eir.LINKIF
        }
        this.setPhy(Phy.PHIR, phir)
    }

    linkUp(): boolean {
        return this.link
    }

    /** MAC and PHY disagree on duplex (there is no auto-negotiation to fix it). */
    duplexMismatch(): boolean {
        const mac = (this.regs[R.MACON3] & Macon3.FULDPX) !== 0
        const phy = (this.getPhy(Phy.PHCON1) & Phcon1.PDPXMD) !== 0
        return mac !== phy
    }

    phyReg(r: number): number {
        return this.getPhy(r)
    }

    protected miiStartOp(op: Mii): void {
        this.miiOp = op
        this.miiReg = this.regs[R.MIREGADR] & 0x1f
        this.miiPollsLeft = this.miiBusyPolls
        this.miiStart = this.now()
    }

    protected miiTick(): void {
        if (this.miiOp === Mii.Idle) return
        if (this.miiPollsLeft > 0 && this.now() - this.miiStart < 1) return
        if (this.miiOp === Mii.Read) {
            const v = this.phyRead(this.miiReg)
            this.regs[R.MIRDL] = v & 0xff
            this.regs[R.MIRDH] = v >> 8
        } else this.phyWrite(this.miiReg, this.miiData)
        this.miiOp = Mii.Idle
    }

    protected mistat(): number {
        this.miiTick()
        if (this.miiOp === Mii.Idle) return 0
        this.miiPollsLeft--
        return Mistat.BUSY
    }

    private phyRead(r: number): number {
        switch (r) {
            case Phy.PHSTAT1: {
                const v = Phstat1.PFDPX | Phstat1.PHDPX | (this.llstat ? Phstat1.LLSTAT : 0)
                this.llstat = this.link
                return v
            }
            case Phy.PHSTAT2: {
                let v = this.link ? Phstat2.LSTAT : 0
                if (this.getPhy(Phy.PHCON1) & Phcon1.PDPXMD) v |= Phstat2.DPXSTAT
                return v
            }
            case Phy.PHIR: {
                const v = this.getPhy(Phy.PHIR)
                this.setPhy(Phy.PHIR, 0)
                this.regs[A.EIR] &= ~Eir.LINKIF
                return v
            }
            case Phy.PHID1:
                return 0x0083
            case Phy.PHID2:
                return 0x1400
        }
        return this.getPhy(r)
    }

    private phyWrite(r: number, v: number): void {
        switch (r) {
            case Phy.PHCON1:
                if (v & Phcon1.PRST) {
                    this.phy.fillAt(0, this.phy.length, 0)
                    this.setPhy(Phy.PHLCON, 0x3422)
                    return
                }
                break
            case Phy.PHSTAT1:
            case Phy.PHSTAT2:
            case Phy.PHIR:
            case Phy.PHID1:
            case Phy.PHID2:
                return
        }
        this.setPhy(r, v)
    }
}
