// The ENC28J60 model's state (see ../enc28j60.ts for what is modelled): the buffer memory, the banked
// control registers and the PHY registers with their raw accessors, the knobs the tests set, the
// counters they read, the cable, and the settle window after SRC (errata #2). The engines build on
// it in order: mii.ts, buffer.ts, rx.ts, tx.ts, registers.ts, then the SPI decoding (../enc28j60.ts).

import * as ds from "@devicescript/core"
import { Segment } from "../lan"
import { BUFFER_SIZE, Eir, Estat, EREVID_B7 } from "../../drivers/enc28j60/regs"

// raw addresses inside a bank (the register map's constants without bank bits)
export const enum A {
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
export const enum R {
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

export class Enc28j60Core {
    /** The 8 KB buffer memory. */
    readonly mem = Buffer.alloc(BUFFER_SIZE)
    /** Control registers: bank * 32 + address; the common registers live in bank 0's slots. */
    protected readonly regs = Buffer.alloc(128)
    /** PHY registers, 32 x u16 little-endian. */
    protected readonly phy = Buffer.alloc(64)

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
    protected link = true
    protected llstat = true
    protected settling = false
    protected resetAt = 0

    /** The wire; null = not cabled to anything (frames sent go nowhere). */
    segment: Segment = null

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

    protected ready(): boolean {
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

    protected get16(a: number): number {
        return this.regs[a] | (this.regs[a + 1] << 8)
    }

    protected set16(a: number, v: number): void {
        this.regs[a] = v & 0xff
        this.regs[a + 1] = (v >> 8) & 0x1f
    }

    protected getPhy(r: number): number {
        return this.phy.getAt((r & 0x1f) * 2, "u16")
    }

    protected setPhy(r: number, v: number): void {
        this.phy.setAt((r & 0x1f) * 2, "u16", v & 0xffff)
    }

    protected eirValue(): number {
        const e = this.regs[A.EIR] & ~Eir.PKTIF
        return this.regs[R.EPKTCNT] > 0 ? e | Eir.PKTIF : e
    }

    protected estatValue(): number {
        let s = (this.regs[A.ESTAT] & (Estat.BUFER | Estat.LATECOL | Estat.TXABRT)) | Estat.CLKRDY
        const eie = this.regs[A.EIE]
        if ((eie & 0x80) !== 0 && (this.eirValue() & eie & 0x7f) !== 0) s |= Estat.INT
        return s
    }
}
