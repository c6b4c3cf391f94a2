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

import * as ds from "@devicescript/core"
import { SpiTarget } from "./spi"
import { LanPort, Segment } from "./lan"
import {
    BUFFER_SIZE,
    Econ1,
    Econ2,
    Eir,
    Erxfcon,
    Estat,
    Macon1,
    Macon3,
    Micmd,
    Mistat,
    Phcon1,
    Phcon2,
    Phie,
    Phir,
    Phstat1,
    Phstat2,
    Phy,
    Rsv,
    RSV_LEN,
    TSV_LEN,
    Tsv,
    TxControl,
    EREVID_B7,
} from "../drivers/enc28j60/regs"

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

// raw addresses inside a bank (the register map's constants without bank bits)
const enum A {
    ERDPTL = 0x00,
    EWRPTL = 0x02,
    ETXSTL = 0x04,
    ETXNDL = 0x06,
    ERXSTL = 0x08,
    ERXSTH = 0x09,
    ERXNDL = 0x0a,
    ERXNDH = 0x0b,
    ERXRDPTL = 0x0c,
    ERXRDPTH = 0x0d,
    ERXWRPTL = 0x0e,
    ERXWRPTH = 0x0f,
    EIE = 0x1b,
    EIR = 0x1c,
    ESTAT = 0x1d,
    ECON2 = 0x1e,
    ECON1 = 0x1f,
}
// indexes into regs (bank * 32 + address)
const enum R {
    ERXFCON = 32 + 0x18,
    EPKTCNT = 32 + 0x19,
    MACON1 = 64 + 0x00,
    MACON3 = 64 + 0x02,
    MACON4 = 64 + 0x03,
    MAMXFLL = 64 + 0x0a,
    MACLCON1 = 64 + 0x08,
    MACLCON2 = 64 + 0x09,
    MICMD = 64 + 0x12,
    MIREGADR = 64 + 0x14,
    MIWRL = 64 + 0x16,
    MIWRH = 64 + 0x17,
    MIRDL = 64 + 0x18,
    MIRDH = 64 + 0x19,
    MAADR5 = 96 + 0x00,
    MISTAT = 96 + 0x0a,
    EREVID = 96 + 0x12,
}

const enum Mii {
    Idle = 0,
    Read = 1,
    Write = 2,
}

let crcTable: Buffer = null

function isBroadcast(f: Buffer, off: number): boolean {
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

export class Enc28j60Model implements SpiTarget, LanPort {
    /** The 8 KB buffer memory. */
    readonly mem = Buffer.alloc(BUFFER_SIZE)
    /** Control registers: bank * 32 + address; the common registers live in bank 0's slots. */
    private readonly regs = Buffer.alloc(128)
    /** PHY registers, 32 x u16 little-endian. */
    private readonly phy = Buffer.alloc(64)

    // ---- knobs the tests set (defaults(): B7 behaviour, no injected faults)
    /** EREVID value (B7 = 0x06; 0x00/0xFF look like an absent chip). */
    revision: number
    /** The clock for the reset-settle and MII windows (ms). */
    now: () => number
    /** Errata #2: after SRC, CLKRDY reads 1 during the settle window (else it reads 0 then). */
    erratum2: boolean
    /**
     * After SRC the chip ignores every access until the clock has advanced by more than this
     * (errata #2 says wait at least 1 ms; with a whole-millisecond clock the window is 1..2 ms).
     */
    resetSettleMs: number
    /** Errata #5: writing ERXST or ERXND loads 0 into ERXWRPT. */
    erratum5: boolean
    /** Errata #12: after a TX abort the next transmit request stalls until TXRST. */
    erratum12: boolean
    /** Errata #14: frames written while ERXRDPT is even corrupt their ring header. */
    erratum14: boolean
    /** Errata #13/#15 injection: every n-th transmit attempt in half duplex is a false late collision (0 = off). */
    lateCollisionEvery: number
    /** Abort the next n transmit attempts with excessive collisions (TSV bit 28). */
    abortNext: number
    /** TXRTS stays set for this many status reads (EIR/ESTAT/ECON1) before the frame goes out (0 = at once). */
    txDelayPolls: number
    /** MISTAT.BUSY reads 1 this many times after an MII command (or until 1 ms has passed). */
    miiBusyPolls: number
    /** Give the next n received frames a bad FCS. */
    badCrcNext: number

    /** Every knob back to its default: rev. B7 with all its errata, no injected faults. */
    defaults(): void {
        this.revision = EREVID_B7
        this.now = ds.millis
        this.erratum2 = true
        this.resetSettleMs = 1
        this.erratum5 = true
        this.erratum12 = true
        this.erratum14 = true
        this.lateCollisionEvery = 0
        this.abortNext = 0
        this.txDelayPolls = 0
        this.miiBusyPolls = 2
        this.badCrcNext = 0
    }

    // ---- observable state and counters
    spiTransactions = 0
    spiBytes = 0
    /** Accesses the datasheet leaves undefined: BFS/BFC on MAC/MII, bad opcodes, extra bytes after WCR/BFS/BFC. */
    misuse = 0
    /** Accesses ignored because the chip was still settling after SRC (errata #2). */
    ignoredNotReady = 0
    srcCount = 0
    txRequests = 0
    txFrames = 0
    txBytes = 0
    txAborts = 0
    falseLateCollisions = 0
    /** TXRTS set while the TX logic was stalled (errata #12). */
    txStallHits = 0
    txResets = 0
    /** TXRST set while TXRTS was still set (Linux clears TXRTS first). */
    txResetsWithRts = 0
    /** Frames sent while the link was down (lost). */
    txLinkDown = 0
    /** Frames sent while MACON3.FULDPX and PHCON1.PDPXMD disagreed. */
    duplexMismatchTx = 0
    rxFrames = 0
    rxFiltered = 0
    /** Frames dropped because the ring had no room before ERXRDPT. */
    rxOverflows = 0
    /** Frames dropped because EPKTCNT was 255. */
    rxCountOverflows = 0
    rxDisabled = 0
    rxLinkDown = 0
    rxTooLong = 0
    /** Times the ring write pointer wrapped from ERXND to ERXST. */
    rxWraps = 0
    rxResets = 0
    /** Ring headers corrupted by errata #14. */
    ringCorruptions = 0
    /** ERXRDPT commits with an even value. */
    evenRdptWrites = 0
    dmaRequests = 0

    /** Cable state (PHSTAT2.LSTAT); the test drives it with setLink(). */
    private link = true
    private llstat = true
    private phase = Phase.Ignore
    private addr = 0
    private argIndex = 0
    private rdptLow = 0
    private settling = false
    private resetAt = 0
    private txStalled = false
    private txCountdown = 0
    private txAttemptsHalf = 0
    private miiOp = Mii.Idle
    private miiReg = 0
    private miiData = 0
    private miiPollsLeft = 0
    private miiStart = 0
    private readonly pad = Buffer.alloc(64)
    private txWrapBuf: Buffer = null
    private readonly tsv = Buffer.alloc(TSV_LEN)
    private readonly hdr = Buffer.alloc(RSV_LEN)
    private readonly fcs = Buffer.alloc(4)
    private readonly zeros = Buffer.alloc(64)

    /** The wire; null = not cabled to anything (frames sent go nowhere). */
    segment: Segment = null

    constructor(segment?: Segment) {
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
        this.phy.fillAt(0, this.phy.length, 0)
        this.setPhy(Phy.PHLCON, 0x3422)
        this.settling = false
        this.link = true
        this.llstat = true
        this.txAttemptsHalf = 0
    }

    /** Zero every counter (the knobs are left as they are). */
    resetCounters(): void {
        this.spiTransactions = 0
        this.spiBytes = 0
        this.misuse = 0
        this.ignoredNotReady = 0
        this.srcCount = 0
        this.txRequests = 0
        this.txFrames = 0
        this.txBytes = 0
        this.txAborts = 0
        this.falseLateCollisions = 0
        this.txStallHits = 0
        this.txResets = 0
        this.txResetsWithRts = 0
        this.txLinkDown = 0
        this.duplexMismatchTx = 0
        this.rxFrames = 0
        this.rxFiltered = 0
        this.rxOverflows = 0
        this.rxCountOverflows = 0
        this.rxDisabled = 0
        this.rxLinkDown = 0
        this.rxTooLong = 0
        this.rxWraps = 0
        this.rxResets = 0
        this.ringCorruptions = 0
        this.evenRdptWrites = 0
        this.dmaRequests = 0
    }

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

    phyReg(r: number): number {
        return this.getPhy(r)
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

    // ------------------------------------------------------------------ LanPort

    receiveFromWire(frame: Buffer, off: number, len: number): void {
        if (!this.link) {
            this.rxLinkDown++
            return
        }
        this.receiveFrame(frame, off, len)
    }

    // ------------------------------------------------------------------ SPI decoding

    private ready(): boolean {
        if (!this.settling) return true
        // the clock ticks in whole milliseconds: "more than resetSettleMs" makes the window last between
        // resetSettleMs and resetSettleMs + 1 ms of real time, never less
        if (this.now() - this.resetAt > this.resetSettleMs) {
            this.settling = false
            return true
        }
        this.ignoredNotReady++
        return false
    }

    private bank(): number {
        return this.regs[A.ECON1] & Econ1.BSEL
    }

    private isMacMii(a: number): boolean {
        if (a >= 0x1b) return false
        const b = this.bank()
        return b === 2 || (b === 3 && (a <= 5 || a === 0x0a))
    }

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

    // ------------------------------------------------------------------ registers

    private get16(a: number): number {
        return this.regs[a] | (this.regs[a + 1] << 8)
    }

    private set16(a: number, v: number): void {
        this.regs[a] = v & 0xff
        this.regs[a + 1] = (v >> 8) & 0x1f
    }

    private getPhy(r: number): number {
        return this.phy.getAt((r & 0x1f) * 2, "u16")
    }

    private setPhy(r: number, v: number): void {
        this.phy.setAt((r & 0x1f) * 2, "u16", v & 0xffff)
    }

    private eirValue(): number {
        const e = this.regs[A.EIR] & ~Eir.PKTIF
        return this.regs[R.EPKTCNT] > 0 ? e | Eir.PKTIF : e
    }

    private estatValue(): number {
        let s = (this.regs[A.ESTAT] & (Estat.BUFER | Estat.LATECOL | Estat.TXABRT)) | Estat.CLKRDY
        const eie = this.regs[A.EIE]
        if ((eie & 0x80) !== 0 && (this.eirValue() & eie & 0x7f) !== 0) s |= Estat.INT
        return s
    }

    /** The stored value BFS/BFC start from (no side effects). */
    private rawReg(a: number): number {
        if (a >= 0x1b) return a === A.EIR ? this.eirValue() : a === A.ESTAT ? this.estatValue() : this.regs[a]
        return this.regs[this.bank() * 32 + a]
    }

    private readReg(a: number): number {
        if (a >= 0x1b) {
            if (a === A.EIR || a === A.ESTAT || a === A.ECON1) this.txPollTick()
            return this.rawReg(a)
        }
        const i = this.bank() * 32 + a
        if (i === R.MISTAT) return this.mistat()
        if (i === R.MIRDL || i === R.MIRDH) this.miiTick()
        return this.regs[i]
    }

    private writeReg(a: number, v: number): void {
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

    private resetRegisters(): void {
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
        this.phase = Phase.Ignore
    }

    /** SRC: every control register to its reset value; the PHY keeps its registers. */
    private systemReset(): void {
        this.srcCount++
        this.resetRegisters()
        // errata #2: the clock stops for a while, during which the chip ignores the SPI
        this.resetAt = this.now()
        this.settling = this.resetSettleMs > 0
    }

    // ------------------------------------------------------------------ MII

    private miiStartOp(op: Mii): void {
        this.miiOp = op
        this.miiReg = this.regs[R.MIREGADR] & 0x1f
        this.miiPollsLeft = this.miiBusyPolls
        this.miiStart = this.now()
    }

    private miiTick(): void {
        if (this.miiOp === Mii.Idle) return
        if (this.miiPollsLeft > 0 && this.now() - this.miiStart < 1) return
        if (this.miiOp === Mii.Read) {
            const v = this.phyRead(this.miiReg)
            this.regs[R.MIRDL] = v & 0xff
            this.regs[R.MIRDH] = v >> 8
        } else this.phyWrite(this.miiReg, this.miiData)
        this.miiOp = Mii.Idle
    }

    private mistat(): number {
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

    // ------------------------------------------------------------------ buffer memory

    /** RBM: from ERDPT; wraps ERXND -> ERXST when reading inside/below the ring, else 0x1FFF -> 0. */
    private readBuffer(rx: Buffer, rxOff: number, n: number): void {
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
    private writeBuffer(tx: Buffer, txOff: number, n: number): void {
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
    private memRead(p: number, dst: Buffer, off: number, n: number): void {
        while (n > 0) {
            const chunk = Math.min(n, BUFFER_SIZE - p)
            dst.blitAt(off, this.mem, p, chunk)
            off += chunk
            n -= chunk
            p = (p + chunk) & (BUFFER_SIZE - 1)
        }
    }

    private memWrite(p: number, src: Buffer, off: number, n: number): void {
        while (n > 0) {
            const chunk = Math.min(n, BUFFER_SIZE - p)
            this.mem.blitAt(p, src, off, chunk)
            off += chunk
            n -= chunk
            p = (p + chunk) & (BUFFER_SIZE - 1)
        }
    }

    /** Write into the RX ring at `p`, wrapping ERXND -> ERXST; `src` null writes zeros. */
    private ringWrite(p: number, st: number, nd: number, src: Buffer, off: number, n: number): number {
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

    // ------------------------------------------------------------------ transmit engine

    private txPollTick(): void {
        if (this.txCountdown > 0 && --this.txCountdown === 0) this.completeTx()
    }

    private startTx(): void {
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

    // ------------------------------------------------------------------ receive engine

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

    private receiveFrame(frame: Buffer, off: number, len: number): void {
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
