// The W5500 model's registers as the SPI sees them: the common block (§4.1: MR and its reset, SIR,
// PHYCFGR, VERSIONR, reserved addresses) and the socket blocks (§4.2: read-only registers, buffer
// sizes, Sn_CR handing over to the commands, socket 0's pointers and free/used counts), and the
// reset values power-on and MR.RST restore.

import { setU16 } from "../../wire/bytes"
import { W5500Commands } from "./commands"
import { COMMON_SIZE, SOCKET_REG_SIZE } from "./core"
import { BUF_TOTAL_KB, Common, MR_RST, Phy, Sn, SnSr, SOCKETS } from "../../drivers/w5500/regs"

export class W5500Registers extends W5500Commands {
    protected mrRstLeft = 0
    private versionZeroLeft = 0

    /** Power-on and MR.RST: every register to its reset value (§4.1, §4.2). Buffer memory is kept. */
    reset(): void {
        const c = this.common
        c.fillAt(0, COMMON_SIZE, 0)
        setU16(c, Common.RTR, 0x07d0)
        c[Common.RCR] = 0x08
        c[0x1c] = 0x28 // PTIMER
        setU16(c, 0x26, 0xffff) // PMRU
        this.phycfg = Phy.RST | Phy.OPMDC_MASK
        const s = this.sockets
        s.fillAt(0, s.length, 0)
        for (let n = 0; n < SOCKETS; n++) {
            const b = n * SOCKET_REG_SIZE
            s.fillAt(b + 0x06, 6, 0xff) // Sn_DHAR
            s[b + 0x16] = 0x80 // Sn_TTL
            s[b + Sn.RXBUF_SIZE] = 2
            s[b + Sn.TXBUF_SIZE] = 2
            s[b + Sn.IMR] = 0xff
            setU16(s, b + 0x2d, 0x4000) // Sn_FRAG
        }
        this.txRd = 0
        this.rxWr = 0
        this.rxRd = 0
        this.sendPending = false
        this.sendStuck = false
        this.crCmd = 0
        this.mrRstLeft = this.resetReads
        this.versionZeroLeft = this.versionZeroReads
        this.resets++
    }

    // ---- common registers (§4.1)

    protected readCommon(a: number): number {
        switch (a) {
            case Common.MR:
                if (this.mrRstLeft > 0) {
                    this.mrRstLeft--
                    return this.common[Common.MR] | MR_RST
                }
                return this.common[Common.MR]
            case Common.SIR:
                return this.sir()
            case Common.PHYCFGR:
                return this.phyValue()
            case Common.VERSIONR:
                if (this.versionZeroLeft > 0) {
                    this.versionZeroLeft--
                    return 0
                }
                return this.versionValue
        }
        if (a > Common.PHYCFGR) {
            this.reservedAddressAccesses++
            return 0
        }
        return this.common[a]
    }

    protected writeCommon(a: number, v: number): void {
        switch (a) {
            case Common.MR:
                if (v & MR_RST) this.reset()
                else this.common[Common.MR] = v
                return
            case Common.IR:
                this.common[Common.IR] &= ~v // write 1 to clear
                return
            case Common.SIR:
                // [inf] SIR mirrors Sn_IR & Sn_IMR; it is cleared through Sn_IR, a write changes nothing
                return
            case Common.VERSIONR:
                this.readOnlyWrite("VERSIONR")
                return
            case Common.PHYCFGR:
                // RST, OPMD, OPMDC are writable; the status bits are not
                this.phycfg = v & 0xf8
                this.tick()
                return
        }
        if (a > Common.PHYCFGR) {
            this.reservedAddressAccesses++
            return
        }
        this.common[a] = v
    }

    protected sir(): number {
        let v = 0
        for (let n = 0; n < SOCKETS; n++) {
            const b = n * SOCKET_REG_SIZE
            if ((this.sockets[b + Sn.IR] & this.sockets[b + Sn.IMR]) !== 0) v |= 1 << n
        }
        return v
    }

    // ---- socket registers (§4.2)

    protected readSocket(n: number, a: number): number {
        const s = this.sockets
        const b = n * SOCKET_REG_SIZE
        if (a >= SOCKET_REG_SIZE || a === 0x14 || (a >= 0x17 && a <= 0x1d)) {
            this.reservedAddressAccesses++
            return 0
        }
        if (n !== 0) return s[b + a]
        switch (a) {
            case Sn.CR:
                return this.crBusy(true) ? this.crCmd : 0
            case Sn.TX_FSR:
                return this.txFree() >> 8
            case Sn.TX_FSR + 1:
                return this.txFree() & 0xff
            case Sn.SR:
                if (this.srLag > 0) {
                    this.srLag--
                    return SnSr.CLOSED
                }
                return s[b + a]
            case Sn.TX_RD:
                return this.shownTxRd() >> 8
            case Sn.TX_RD + 1: {
                const v = this.shownTxRd() & 0xff
                if (this.txRdStep > 0 && this.sendPending && !this.sendStuck) {
                    const left = (this.sendEnd - this.txRdShown) & 0xffff
                    this.txRdShown = left <= this.txRdStep ? this.sendEnd : (this.txRdShown + this.txRdStep) & 0xffff
                    this.tick()
                }
                return v
            }
            case Sn.RX_RSR:
                return this.rxUsed() >> 8
            case Sn.RX_RSR + 1:
                return this.rxUsed() & 0xff
            case Sn.RX_WR:
                return this.rxWr >> 8
            case Sn.RX_WR + 1:
                return this.rxWr & 0xff
        }
        return s[b + a]
    }

    protected writeSocket(n: number, a: number, v: number): void {
        const s = this.sockets
        const b = n * SOCKET_REG_SIZE
        if (a >= SOCKET_REG_SIZE || a === 0x14 || (a >= 0x17 && a <= 0x1d)) {
            this.reservedAddressAccesses++
            return
        }
        switch (a) {
            case Sn.CR:
                this.command(n, v)
                return
            case Sn.IR:
                s[b + Sn.IR] &= ~v // write 1 to clear
                return
            case Sn.SR:
            case Sn.TX_FSR:
            case Sn.TX_FSR + 1:
            case Sn.TX_RD:
            case Sn.TX_RD + 1:
            case Sn.RX_RSR:
            case Sn.RX_RSR + 1:
            case Sn.RX_WR:
            case Sn.RX_WR + 1:
                this.readOnlyWrite("socket " + n + " register " + a)
                return
            case Sn.RXBUF_SIZE:
            case Sn.TXBUF_SIZE:
                s[b + a] = v
                if (v !== 0 && v !== 1 && v !== 2 && v !== 4 && v !== 8 && v !== 16) this.flag("buffer size " + v + " KB is not 0/1/2/4/8/16")
                if (this.sumKb(a === Sn.TXBUF_SIZE) > BUF_TOTAL_KB) {
                    this.bufferRuleViolations++
                    this.flag("sum of " + (a === Sn.TXBUF_SIZE ? "TX" : "RX") + " buffer sizes above 16 KB")
                }
                return
        }
        s[b + a] = v
    }
}
