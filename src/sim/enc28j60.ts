// A register-level model of the Microchip ENC28J60 (DS39662E, rev. B7) for the simulator: the SPI
// instruction set, banked control registers, the 8 KB buffer with its pointer rules, the RX ring
// engine, the TX engine with its status vector, the MII/PHY, and switchable B7 errata (DS80349C).
// It sits behind SimSpiBus (SpiTarget) and on a virtual LAN Segment (LanPort).
//
// Modelled: RCR (dummy byte first on MAC/MII registers), WCR, BFS/BFC (ETH registers only: on a
// MAC/MII register they do nothing and count as misuse), RBM/WBM with ERDPT/EWRPT auto-increment
// (ERDPT wraps ERXND -> ERXST, otherwise 0x1FFF -> 0), SRC. ERXRDPTL buffered until ERXRDPTH is
// written. Writing ERXST sets ERXWRPT. RX: ERXFCON filters (unicast/broadcast/multicast/CRC,
// AND/OR), 6-byte header + frame padded to 60 + FCS (real CRC-32), frames start at even addresses,
// never written over ERXRDPT (frame dropped, RXERIF), EPKTCNT capped at 255 (RXERIF), PKTIF
// mirrors EPKTCNT, PKTDEC. TX: control byte / MACON3 padding and CRC, 7-byte TSV at ETXND+1,
// TXRTS/TXIF/TXERIF/TXABRT, an optional delay in status polls, the half-duplex loopback unless
// PHCON2.HDLDIS. MII: BUSY for a configurable number of MISTAT polls (or 1 ms), stale MIRD while
// busy. PHY: PHSTAT2.LSTAT/DPXSTAT, PHSTAT1.LLSTAT latching low, PHIR -> EIR.LINKIF.
// Modelling choices where the datasheet is silent: RXRST empties the ring (EPKTCNT 0, ERXWRPT =
// ERXST); SRC leaves the PHY registers alone; TXRST clears TXRTS; the dummy byte reads 0xFF.
// Not modelled: DMA (DMAST completes at once and is counted), pattern/hash/magic-packet filters
// (never match), flow control, power save timing, SCK-rate errata (#1).
// Heap: about 8.7 KB (the 8 KB buffer, registers, small scratch; frames go out of the buffer itself).
//
// Errata, each switchable: #2 (after SRC, CLKRDY reads 1 while the chip ignores every access for
// 1..2 ms with the default `resetSettleMs` and a whole-millisecond clock), #5 (writing ERXST/ERXND loads 0 into ERXWRPT), #12 (after a TX abort the next
// TXRTS never completes until TXRST), #13/#15 (injected false late collisions in half duplex: TSV bit
// 29, TXERIF/TXABRT, frame not sent, ESTAT.LATECOL not set), #14 (frames written while ERXRDPT is
// even get a corrupt next-packet pointer and status). Also observable: MACON3.FULDPX vs
// PHCON1.PDPXMD disagreeing (duplexMismatch(), counted per transmitted frame).
//
// The parts, each building on the one before: enc28j60/core.ts (memories, knobs, counters),
// mii.ts (PHY and MII), buffer.ts (buffer memory and its pointers), rx.ts (receive engine), tx.ts
// (transmit engine), registers.ts (control registers); the SPI decoding and the test-side
// controls are here.

import { SpiTarget } from "./spi"
import { LanPort, Segment } from "./lan"
import { Enc28j60Registers } from "./enc28j60/registers"
import { A, R } from "./enc28j60/core"
import { Estat, Phy } from "../drivers/enc28j60/regs"

/** What MISO carries for the dummy byte of a MAC/MII read (undefined on silicon). */
export const DUMMY_BYTE = 0xff

const enum Phase {
    Opcode = 0,
    Rcr = 1,
    Wcr = 2,
    Bfs = 3,
    Bfc = 4,
    Rbm = 5,
    Wbm = 6,
    Ignore = 7,
}

export class Enc28j60Model extends Enc28j60Registers implements SpiTarget, LanPort {
    private phase = Phase.Ignore
    private addr = 0
    private argIndex = 0

    constructor(segment?: Segment) {
        super()
        this.defaults()
        this.powerOn()
        if (segment) this.attach(segment)
    }

    /** Cable the chip to a segment (tests reuse one model across segments: the heap fragments). */
    attach(segment: Segment): void {
        this.segment = segment
        segment.attach(this)
    }

    // ------------------------------------------------------------------ test-side controls

    /** Power-on reset: registers and PHY to their reset values, cable in, ready at once. */
    powerOn(): void {
        this.resetRegisters()
        this.phase = Phase.Ignore
        this.phy.fillAt(0, this.phy.length, 0)
        this.setPhy(Phy.PHLCON, 0x3422)
        this.settling = false
        this.link = true
        this.llstat = true
        this.txAttemptsHalf = 0
    }

    /** A register by its regs.ts constant (bank encoded), without side effects. */
    reg(r: number): number {
        const a = r & 0x1f
        if (a >= 0x1b) return a === A.EIR ? this.eirValue() : a === A.ESTAT ? this.estatValue() : this.regs[a]
        return this.regs[((r >> 5) & 3) * 32 + a]
    }

    /** A 16-bit pair by its low register's constant. ERXRDPT reads the committed value. */
    reg16(r: number): number {
        return this.reg(r) | (this.reg(r + 1) << 8)
    }

    /** ERXRDPT as the RX engine sees it. */
    rxReadPointer(): number {
        return this.get16(A.ERXRDPTL)
    }

    rxWritePointer(): number {
        return this.get16(A.ERXWRPTL)
    }

    packetCount(): number {
        return this.regs[R.EPKTCNT]
    }

    /** INT pin (active when asserted): EIE.INTIE and any enabled EIR flag. */
    interrupt(): boolean {
        const eie = this.regs[A.EIE]
        return (eie & 0x80) !== 0 && (this.eirValue() & eie & 0x7f) !== 0
    }

    // ------------------------------------------------------------------ SpiTarget

    csLow(): void {
        this.spiTransactions++
        this.phase = Phase.Opcode
        this.argIndex = 0
    }

    csHigh(): void {
        this.phase = Phase.Ignore
    }

    transfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): void {
        this.spiBytes += len
        let i = 0
        while (i < len) {
            const ph = this.phase
            if (ph === Phase.Rbm) {
                this.readBuffer(rx, rxOff + i, len - i)
                return
            }
            if (ph === Phase.Wbm) {
                this.writeBuffer(tx, txOff + i, len - i)
                return
            }
            const out = this.spiByte(tx ? tx[txOff + i] : 0)
            if (rx) rx[rxOff + i] = out
            i++
        }
    }

    // ------------------------------------------------------------------ SPI decoding

    private spiByte(b: number): number {
        switch (this.phase) {
            case Phase.Opcode:
                this.opcode(b)
                return 0
            case Phase.Rcr: {
                const first = this.argIndex++ === 0
                if (first && this.isMacMii(this.addr)) return DUMMY_BYTE
                if (!this.ready()) return this.addr === A.ESTAT && this.erratum2 ? Estat.CLKRDY : 0
                return this.readReg(this.addr)
            }
            case Phase.Wcr:
            case Phase.Bfs:
            case Phase.Bfc:
                if (this.argIndex++ > 0) {
                    this.misuse++
                    return 0
                }
                if (!this.ready()) return 0
                if (this.phase === Phase.Wcr) this.writeReg(this.addr, b)
                else if (this.isMacMii(this.addr)) this.misuse++
                else {
                    const cur = this.rawReg(this.addr)
                    this.writeReg(this.addr, this.phase === Phase.Bfs ? cur | b : cur & ~b)
                }
                return 0
        }
        return 0
    }

    private opcode(b: number): void {
        this.addr = b & 0x1f
        this.argIndex = 0
        if (b === 0xff) {
            this.phase = Phase.Ignore
            this.systemReset()
            return
        }
        switch (b & 0xe0) {
            case 0x00:
                this.phase = Phase.Rcr
                return
            case 0x40:
                this.phase = Phase.Wcr
                return
            case 0x80:
                this.phase = Phase.Bfs
                return
            case 0xa0:
                this.phase = Phase.Bfc
                return
            case 0x20:
                if (this.addr === 0x1a) {
                    this.phase = Phase.Rbm
                    return
                }
                break
            case 0x60:
                if (this.addr === 0x1a) {
                    this.phase = Phase.Wbm
                    return
                }
                break
        }
        this.misuse++
        this.phase = Phase.Ignore
    }
}
