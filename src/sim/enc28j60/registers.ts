// The ENC28J60 model's control registers as the SPI sees them: bank selection, reads with their
// side effects (status polls drive the TX delay, MISTAT/MIRD the MII), writes with each register's
// rules (ERXRDPTL buffered until ERXRDPTH, ERXST/ERXND and errata #5, PKTDEC, ECON1's TXRTS, TXRST,
// RXRST, DMAST), and the reset values SRC restores.

import { Enc28j60Tx } from "./tx"
import { A, R } from "./core"
import { Mii } from "./mii"
import { Econ1, Econ2, Eir, Erxfcon, Estat, Micmd } from "../../drivers/enc28j60/regs"

export class Enc28j60Registers extends Enc28j60Tx {
    private rdptLow = 0

    protected bank(): number {
        return this.regs[A.ECON1] & Econ1.BSEL
    }

    protected isMacMii(a: number): boolean {
        if (a >= 0x1b) return false
        const b = this.bank()
        return b === 2 || (b === 3 && (a <= 5 || a === 0x0a))
    }

    /** The stored value BFS/BFC start from (no side effects). */
    protected rawReg(a: number): number {
        if (a >= 0x1b) return a === A.EIR ? this.eirValue() : a === A.ESTAT ? this.estatValue() : this.regs[a]
        return this.regs[this.bank() * 32 + a]
    }

    protected readReg(a: number): number {
        if (a >= 0x1b) {
            if (a === A.EIR || a === A.ESTAT || a === A.ECON1) this.txPollTick()
            return this.rawReg(a)
        }
        const i = this.bank() * 32 + a
        if (i === R.MISTAT) return this.mistat()
        if (i === R.MIRDL || i === R.MIRDH) this.miiTick()
        return this.regs[i]
    }

    protected writeReg(a: number, v: number): void {
        v &= 0xff
        if (a >= 0x1b) {
            switch (a) {
                case A.EIE:
                    this.regs[a] = v
                    return
                case A.EIR: {
                    const w = Eir.DMAIF | Eir.TXIF | Eir.TXERIF | Eir.RXERIF
                    this.regs[a] = (this.regs[a] & ~w) | (v & w)
                    return
                }
                case A.ESTAT:
                    // BUFER, LATECOL and TXABRT can be cleared, nothing can be set
                    this.regs[a] &= v | ~(Estat.BUFER | Estat.LATECOL | Estat.TXABRT)
                    return
                case A.ECON2:
                    if (v & Econ2.PKTDEC && this.regs[R.EPKTCNT] > 0) this.regs[R.EPKTCNT]--
                    this.regs[a] = v & ~Econ2.PKTDEC
                    return
                case A.ECON1:
                    this.writeEcon1(v)
                    return
            }
        }
        const i = this.bank() * 32 + a
        switch (i) {
            case A.ERXRDPTL:
                // buffered until the high byte is written
                this.rdptLow = v
                return
            case A.ERXRDPTH:
                this.regs[A.ERXRDPTL] = this.rdptLow
                this.regs[A.ERXRDPTH] = v & 0x1f
                if ((this.rdptLow & 1) === 0) this.evenRdptWrites++
                return
            case A.ERXWRPTL:
            case A.ERXWRPTH:
            case R.EPKTCNT:
            case R.MISTAT:
            case R.EREVID:
            case R.MIRDL:
            case R.MIRDH:
                return
            case A.ERXSTL:
            case A.ERXSTH:
            case A.ERXNDL:
            case A.ERXNDH:
                this.regs[i] = (i & 1) === 1 ? v & 0x1f : v
                if (this.erratum5) this.set16(A.ERXWRPTL, 0)
                else if (i === A.ERXSTL || i === A.ERXSTH) this.set16(A.ERXWRPTL, this.get16(A.ERXSTL))
                return
            case R.MICMD: {
                const old = this.regs[i]
                this.regs[i] = v & (Micmd.MIIRD | Micmd.MIISCAN)
                if (v & Micmd.MIIRD && !(old & Micmd.MIIRD)) this.miiStartOp(Mii.Read)
                return
            }
            case R.MIWRH:
                this.regs[i] = v
                this.miiData = this.regs[R.MIWRL] | (v << 8)
                this.miiStartOp(Mii.Write)
                return
        }
        // pointer high bytes are 5 bits wide
        if (i < 0x18 && (i & 1) === 1) v &= 0x1f
        this.regs[i] = v
    }

    private writeEcon1(v: number): void {
        const old = this.regs[A.ECON1]
        this.regs[A.ECON1] = v
        if (v & Econ1.TXRST) {
            if (!(old & Econ1.TXRST)) {
                this.txResets++
                if (old & Econ1.TXRTS) this.txResetsWithRts++
            }
            this.txStalled = false
            this.txCountdown = 0
            this.regs[A.ECON1] &= ~Econ1.TXRTS
        } else if (old & Econ1.TXRTS && !(v & Econ1.TXRTS)) {
            // the host cleared TXRTS: the transmission in progress is aborted
            this.txCountdown = 0
        } else if (!(old & Econ1.TXRTS) && v & Econ1.TXRTS) {
            this.startTx()
        }
        if (v & Econ1.RXRST && !(old & Econ1.RXRST)) {
            this.rxResets++
            this.regs[R.EPKTCNT] = 0
            this.set16(A.ERXWRPTL, this.get16(A.ERXSTL))
        }
        if (v & Econ1.DMAST) {
            this.dmaRequests++
            this.regs[A.ECON1] &= ~Econ1.DMAST
            this.regs[A.EIR] |= Eir.DMAIF
        }
    }

    protected resetRegisters(): void {
        const r = this.regs
        r.fillAt(0, r.length, 0)
        this.set16(A.ERDPTL, 0x05fa)
        this.set16(A.ERXSTL, 0x05fa)
        this.set16(A.ERXNDL, 0x1fff)
        this.set16(A.ERXRDPTL, 0x05fa)
        this.rdptLow = 0xfa
        r[A.ECON2] = Econ2.AUTOINC
        r[R.ERXFCON] = Erxfcon.UCEN | Erxfcon.CRCEN | Erxfcon.BCEN
        r[R.MAMXFLL] = 0x00
        r[R.MAMXFLL + 1] = 0x06
        r[R.MACLCON1] = 0x0f
        r[R.MACLCON2] = 0x37
        r[R.EREVID] = this.revision
        this.txStalled = false
        this.txCountdown = 0
        this.miiOp = Mii.Idle
    }

    /** SRC: every control register to its reset value; the PHY keeps its registers. */
    protected systemReset(): void {
        this.srcCount++
        this.resetRegisters()
        // errata #2: the clock stops for a while, during which the chip ignores the SPI
        this.resetAt = this.now()
        this.settling = this.resetSettleMs > 0
    }
}
