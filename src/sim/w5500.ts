// A register-level model of the WIZnet W5500 for the simulator: the SPI frame format byte by byte,
// the common and socket register blocks with their reset values, the 16 KB TX and 16 KB RX
// memories, and socket 0 in MACRAW mode on the virtual LAN. Section numbers are those of the
// W5500 datasheet v1.0.9; "[inf]" marks behaviour inferred from drivers, not documented.
//
// Time. The model has no fiber of its own: it advances when the host talks to it. Its clock is
// `clock()` (ms, ds.millis by default; a test may inject one) plus the SPI time it has seen
// (bytes at `spiHz` plus `txnOverheadUs` per chip-select window), so that "after the wire time"
// is deterministic when the test freezes the clock. Events (command accepted, SENDOK) are
// evaluated when a transaction starts.
//
// Checks. Anything a driver must not do is counted in `protocolErrors` (with `lastProtocolError`
// describing the latest) and, for the common mistakes, in a dedicated counter.
//
// Not modelled: the TCP/UDP/IPRAW modes and sockets 1-7 (their registers and buffers exist, their
// commands are flagged), INTLEVEL timing, WOL, PPPoE, the PHY's auto-negotiation timing.
//
// Memory. The chip's 2 x 16 KB would leave too little of the simulator's 64 KB heap for the stack,
// so the model backs them with 512-byte pages taken from a pool on first write and returned when
// the chip is done with their bytes: TX bytes once their SEND has completed, RX bytes once a RECV
// has released them, both at OPEN. Such bytes read back as 0 instead of their stale content;
// nothing else differs. A driver test needs a few pages; filling the RX buffer takes all 32 of
// that side.

import { ETHERNET_MAX_FRAME, ETHERNET_MIN_FRAME } from "../wire/ethernet"
import { formatHex8 } from "../wire/addr"
import * as ds from "@devicescript/core"
import { SpiTarget } from "./spi"
import { LanPort, Segment } from "./lan"
import { getU16, setU16 } from "../wire/bytes"
import {
    BUF_TOTAL_KB,
    CHIP_VERSION,
    Common,
    CTRL_OM_MASK,
    CTRL_WRITE,
    MR_RST,
    Phy,
    RX_LEN_HEADER,
    Sn,
    SnCr,
    SnIr,
    SnMr,
    SnSr,
    SOCKETS,
} from "../drivers/w5500/regs"

/** §3.1: the common block is 0x0000-0x0039; everything above is reserved. */
const COMMON_SIZE = 0x40
/** §3.2: the socket block is 0x0000-0x002F. */
const SOCKET_REG_SIZE = 0x30
/** §3.3: 16 KB of TX memory and 16 KB of RX memory, shared by the eight sockets in order. */
const MEM_SIZE = BUF_TOTAL_KB * 1024
const MAX_FRAME = ETHERNET_MAX_FRAME
const MIN_FRAME = ETHERNET_MIN_FRAME
/** Preamble + SFD (8), FCS (4) and inter-frame gap (12) that every frame adds on the wire. */
const WIRE_EXTRA = 24

const PAGE_SHIFT = 9
const PAGE = 1 << PAGE_SHIFT

/**
 * 16 KB of chip memory in pages taken from a pool on first write. Each page counts the bytes
 * written into it that are still wanted; consume() (SEND completed, RECV) subtracts, and a page
 * whose count reaches 0 goes back to the pool. The buffers are rings written in order, so a page
 * counts only bytes past the highest offset written into it: bytes written twice (a host that
 * writes on past its frame, then the next frame over them) are counted once.
 */
class PagedMemory {
    readonly pages: Buffer[] = []
    readonly live: number[] = []
    /** Per page, the end of the highest range written since the page was taken. */
    readonly high: number[] = []
    constructor(readonly pool: Buffer[]) {
        for (let i = 0; i < MEM_SIZE >> PAGE_SHIFT; i++) {
            this.pages.push(null)
            this.live.push(0)
            this.high.push(0)
        }
    }

    /** `n` bytes at physical `at` (no wrap: at + n <= MEM_SIZE); `src` null writes zeros. */
    write(at: number, src: Buffer, srcOff: number, n: number): void {
        let done = 0
        while (done < n) {
            const a = at + done
            const k = a >> PAGE_SHIFT
            const o = a & (PAGE - 1)
            let c = PAGE - o
            if (c > n - done) c = n - done
            let pg = this.pages[k]
            if (pg === null) {
                pg = this.pool.length > 0 ? this.pool.pop() : Buffer.alloc(PAGE)
                pg.fillAt(0, PAGE, 0)
                this.pages[k] = pg
            }
            if (src) pg.blitAt(o, src, srcOff + done, c)
            else pg.fillAt(o, c, 0)
            const end = o + c
            const h = this.high[k]
            if (end > h) {
                this.live[k] += end - (o > h ? o : h)
                this.high[k] = end
            }
            done += c
        }
    }

    read(at: number, dst: Buffer, dstOff: number, n: number): void {
        let done = 0
        while (done < n) {
            const a = at + done
            const k = a >> PAGE_SHIFT
            const o = a & (PAGE - 1)
            let c = PAGE - o
            if (c > n - done) c = n - done
            const pg = this.pages[k]
            if (pg === null) dst.fillAt(dstOff + done, c, 0)
            else dst.blitAt(dstOff + done, pg, o, c)
            done += c
        }
    }

    /** The chip is done with the `n` ring bytes from pointer `ptr` of the `size`-byte buffer at `base`. */
    consume(base: number, size: number, ptr: number, n: number): void {
        if (size === 0 || n <= 0) return
        if (n > size) n = size
        const start = ptr & (size - 1)
        const first = n < size - start ? n : size - start
        this.consumePhys(base + start, first)
        if (n > first) this.consumePhys(base, n - first)
    }

    private consumePhys(at: number, n: number): void {
        let done = 0
        while (done < n) {
            const a = at + done
            const k = a >> PAGE_SHIFT
            let c = PAGE - (a & (PAGE - 1))
            if (c > n - done) c = n - done
            this.live[k] -= c
            if (this.live[k] <= 0) this.releasePage(k)
            done += c
        }
    }

    private releasePage(k: number): void {
        this.live[k] = 0
        this.high[k] = 0
        const pg = this.pages[k]
        if (pg !== null) {
            this.pages[k] = null
            this.pool.push(pg)
        }
    }

    /** Everything in [base, base + size) is stale (OPEN re-initialised the pointers). */
    releaseAll(base: number, size: number): void {
        for (let k = base >> PAGE_SHIFT; k < (base + size) >> PAGE_SHIFT; k++) this.releasePage(k)
    }

    /** Pages currently backed (for tests of the model's footprint). */
    backed(): number {
        let n = 0
        for (let k = 0; k < this.pages.length; k++) if (this.pages[k] !== null) n++
        return n
    }
}

export interface W5500ModelOptions {
    /** Milliseconds; default ds.millis. */
    clock?: () => number
    /** SPI clock used to turn bytes into time; default 20 MHz. */
    spiHz?: number
    /** Time charged per chip-select window (host and CS set-up); default 2 µs. */
    txnOverheadUs?: number
    /** How long Sn_CR stays non-zero after a command; default 10 µs. */
    crBusyUs?: number
}

export class W5500Model implements SpiTarget, LanPort {
    clock: () => number
    spiHz: number
    txnOverheadUs: number
    crBusyUs: number
    /** Sn_CR also reads non-zero for at least this many reads after a command (0 = time only). */
    crMinReads = 0
    /** MR reads with RST still set after a soft reset. */
    resetReads = 1
    /** Pointer values OPEN loads (non-zero, to catch drivers that assume 0). */
    txPointerOnOpen = 0xbf00
    rxPointerOnOpen = 0xbe80

    // fault injection
    /** VERSIONR reads 0 for this many reads after every reset ("some units read 0 right after reset"). */
    versionZeroReads = 0
    /** What VERSIONR reads otherwise (a different chip, or a dead bus). */
    versionValue = CHIP_VERSION
    /** The next N SENDs never complete: the frame stays in the MAC and SENDOK never comes. */
    sendOkLoss = 0
    /** When >= 0, the next frame stored in the RX buffer gets this value as its length header. */
    corruptRxHeader = -1
    /**
     * When > 0, Sn_TX_RD advances gradually during a SEND: by this many bytes at each read of its low
     * byte (so a 16-bit read can be torn), and the SEND completes only once it has reached TX_WR.
     * The datasheet does not say TX_RD moves in one step.
     */
    txRdStep = 0
    /** Sn_SR reads SOCK_CLOSED for this many reads after OPEN before MACRAW (ioLibrary polls it). */
    srOpenReads = 0

    // the cable, as the test plugs it; PHYCFGR shows it (§4.1)
    cable = true
    speed100 = true
    fullDuplex = true

    // counters
    transactions = 0
    bytes = 0
    resets = 0
    protocolErrors = 0
    lastProtocolError = ""
    reservedBlockAccesses = 0
    reservedAddressAccesses = 0
    readOnlyWrites = 0
    cmdWhileBusy = 0
    sendWhileBusy = 0
    bufferRuleViolations = 0
    framesSent = 0
    sendsStuck = 0
    framesStored = 0
    rxDroppedFull = 0
    rxFiltered = 0
    rxDroppedClosed = 0
    rxRunts = 0
    rxGiants = 0

    readonly common = Buffer.alloc(COMMON_SIZE)
    readonly sockets = Buffer.alloc(SOCKETS * SOCKET_REG_SIZE)
    private readonly pagePool: Buffer[] = []
    readonly txMem = new PagedMemory(this.pagePool)
    readonly rxMem = new PagedMemory(this.pagePool)
    segment: Segment = null

    // SPI frame parser (§2.2)
    private phase = 0
    private addr = 0
    private block = 0
    private write = false
    private fixedLeft = 0
    private om = 0
    private spiUs = 0
    // chip state
    private phycfg = 0
    private mrRstLeft = 0
    private versionZeroLeft = 0
    private crCmd = 0
    private crDoneAt = 0
    private crReads = 0
    /** Socket 0 internal pointers: TX_RD, RX_WR, and RX_RD as of the last RECV. */
    private txRd = 0
    private rxWr = 0
    private rxRd = 0
    private sendPending = false
    private sendStuck = false
    private sendOkAt = 0
    private sendEnd = 0
    /** TX_RD as reads show it during a gradual SEND (txRdStep > 0). */
    private txRdShown = 0
    private srLag = 0
    private tearAddr = -1
    private tearAction: () => void = null
    private readonly wire = Buffer.alloc(MAX_FRAME)
    private readonly lenHdr = Buffer.alloc(RX_LEN_HEADER)

    constructor(segment?: Segment, opts?: W5500ModelOptions) {
        const o = opts || {}
        this.clock = o.clock || ds.millis
        this.spiHz = o.spiHz || 20000000
        this.txnOverheadUs = o.txnOverheadUs === undefined ? 2 : o.txnOverheadUs
        this.crBusyUs = o.crBusyUs === undefined ? 10 : o.crBusyUs
        if (segment) {
            this.segment = segment
            segment.attach(this)
        }
        this.reset()
        this.mrRstLeft = 0 // power-on: the reset is long over by the time the host looks
    }

    /** Model time in µs. */
    now(): number {
        return this.clock() * 1000 + this.spiUs
    }

    /** Let `us` of time pass (for tests with a frozen clock). */
    advance(us: number): void {
        this.spiUs += us
        this.tick()
    }

    /** The test plugs or pulls the cable (and says what the link partner negotiates). */
    setLink(up: boolean, speed100?: boolean, fullDuplex?: boolean): void {
        this.cable = up
        if (speed100 !== undefined) this.speed100 = speed100
        if (fullDuplex !== undefined) this.fullDuplex = fullDuplex
        this.tick()
    }

    /** Run `action` right after the next SPI read of socket 0 register `addr` (a torn 16-bit read). */
    armTear(addr: number, action: () => void): void {
        this.tearAddr = addr
        this.tearAction = action
    }

    /** INTn is asserted (low) while an enabled socket interrupt is pending (§4.1 SIR/SIMR). */
    interruptAsserted(): boolean {
        return (this.sir() & this.common[Common.SIMR]) !== 0
    }

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

    // ---- SpiTarget

    csLow(): void {
        this.transactions++
        this.spiUs += this.txnOverheadUs
        this.tick()
        this.phase = 0
    }

    csHigh(): void {
        if (this.phase > 0 && this.phase < 3) this.flag("chip select released inside the frame header")
        this.phase = 0
    }

    transfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): void {
        this.bytes += len
        this.spiUs += (len * 8000000) / this.spiHz
        let i = 0
        while (i < len) {
            if (this.phase < 3) {
                this.headerByte(tx ? tx[txOff + i] : 0)
                // §2.2: MISO carries 0x01, 0x02, 0x03 while the header is clocked in
                if (rx) rx[rxOff + i] = this.phase
                i++
                continue
            }
            let n = len - i
            if (this.om !== 0 && n > this.fixedLeft) n = this.fixedLeft
            this.data(tx, txOff + i, rx, rxOff + i, n)
            i += n
            if (this.om !== 0) {
                this.fixedLeft -= n
                if (this.fixedLeft === 0) this.phase = 0 // §2.4: the next frame follows without CS
            }
        }
    }

    private headerByte(b: number): void {
        if (this.phase === 0) this.addr = b << 8
        else if (this.phase === 1) this.addr |= b
        else {
            this.block = b >> 3
            this.write = (b & CTRL_WRITE) !== 0
            this.om = b & CTRL_OM_MASK
            // §2.4: OM 01/10/11 = fixed 1, 2, 4 data bytes
            this.fixedLeft = this.om === 3 ? 4 : this.om
            if (this.block !== 0 && (this.block & 3) === 0) {
                this.reservedBlockAccesses++
                this.flag("reserved block select " + this.block)
            }
        }
        this.phase++
    }

    private data(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, n: number): void {
        const blk = this.block
        const kind = blk & 3
        if (blk !== 0 && kind === 0) {
            // reserved block: reads return 0, writes go nowhere
            if (rx && !this.write) rx.fillAt(rxOff, n, 0)
            this.addr = (this.addr + n) & 0xffff
            return
        }
        if (kind === 2 || kind === 3) {
            this.bufferData(blk >> 2, kind === 2, tx, txOff, rx, rxOff, n)
            return
        }
        const sock = blk === 0 ? -1 : blk >> 2
        for (let j = 0; j < n; j++) {
            const a = this.addr
            if (this.write) {
                const v = tx ? tx[txOff + j] : 0
                if (sock < 0) this.writeCommon(a, v)
                else this.writeSocket(sock, a, v)
            } else {
                const v = sock < 0 ? this.readCommon(a) : this.readSocket(sock, a)
                if (rx) rx[rxOff + j] = v
                if (sock === 0 && a === this.tearAddr) {
                    const f = this.tearAction
                    this.tearAddr = -1
                    this.tearAction = null
                    f()
                }
            }
            this.addr = (a + 1) & 0xffff
        }
    }

    /** §3.3: socket n's buffer starts after the buffers of sockets 0..n-1; offsets wrap inside it. */
    private bufferData(sock: number, isTx: boolean, tx: Buffer, txOff: number, rx: Buffer, rxOff: number, n: number): void {
        const size = this.bufSize(sock, isTx)
        let base = 0
        for (let k = 0; k < sock; k++) base += this.bufSize(k, isTx)
        const mem = isTx ? this.txMem : this.rxMem
        if (size === 0 || base + size > MEM_SIZE) {
            this.flag("socket " + sock + (isTx ? " TX" : " RX") + " buffer access with no memory behind it")
            if (rx && !this.write) rx.fillAt(rxOff, n, 0)
            this.addr = (this.addr + n) & 0xffff
            return
        }
        let done = 0
        while (done < n) {
            const phys = this.addr & (size - 1)
            let c = size - phys
            if (c > n - done) c = n - done
            if (this.write) mem.write(base + phys, tx, txOff + done, c)
            else if (rx) mem.read(base + phys, rx, rxOff + done, c)
            this.addr = (this.addr + c) & 0xffff
            done += c
        }
    }

    /** Buffer size in bytes from Sn_RXBUF_SIZE / Sn_TXBUF_SIZE (0 for a value the datasheet does not list). */
    bufSize(sock: number, isTx: boolean): number {
        const kb = this.sockets[sock * SOCKET_REG_SIZE + (isTx ? Sn.TXBUF_SIZE : Sn.RXBUF_SIZE)]
        if (kb === 1 || kb === 2 || kb === 4 || kb === 8 || kb === 16) return kb * 1024
        return 0
    }

    private sumKb(isTx: boolean): number {
        let kb = 0
        for (let n = 0; n < SOCKETS; n++) kb += this.sockets[n * SOCKET_REG_SIZE + (isTx ? Sn.TXBUF_SIZE : Sn.RXBUF_SIZE)]
        return kb
    }

    // ---- common registers (§4.1)

    private readCommon(a: number): number {
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

    private writeCommon(a: number, v: number): void {
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

    private sir(): number {
        let v = 0
        for (let n = 0; n < SOCKETS; n++) {
            const b = n * SOCKET_REG_SIZE
            if ((this.sockets[b + Sn.IR] & this.sockets[b + Sn.IMR]) !== 0) v |= 1 << n
        }
        return v
    }

    /** True when the PHY reports a link: not held in reset, not powered down, cable plugged. */
    linkUp(): boolean {
        if ((this.phycfg & Phy.RST) === 0 || !this.cable) return false
        return !((this.phycfg & Phy.OPMD) !== 0 && (this.phycfg & Phy.OPMDC_MASK) === 0x30)
    }

    private phyValue(): number {
        const cfg = this.phycfg
        if (!this.linkUp()) return cfg
        let spd = this.speed100
        let dpx = this.fullDuplex
        if (cfg & Phy.OPMD) {
            // §4.1 OPMDC: 000/001 10 Mb/s half/full, 010/011 100 Mb/s half/full, 100 100 half (AN)
            const m = (cfg & Phy.OPMDC_MASK) >> 3
            if (m < 4) {
                spd = spd && (m & 2) !== 0
                dpx = dpx && (m & 1) !== 0
            } else if (m === 4) dpx = false
        }
        return cfg | Phy.LNK | (spd ? Phy.SPD : 0) | (dpx ? Phy.DPX : 0)
    }

    // ---- socket registers (§4.2)

    private readSocket(n: number, a: number): number {
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

    private writeSocket(n: number, a: number, v: number): void {
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

    // ---- commands (§4.2 Sn_CR)

    /** Sn_CR reads the command until the chip has accepted it (time, and at least crMinReads reads). */
    private crBusy(isRead: boolean): boolean {
        if (this.crCmd === 0) return false
        if (this.now() >= this.crDoneAt && this.crReads >= this.crMinReads) {
            this.crCmd = 0
            return false
        }
        if (isRead) this.crReads++
        return true
    }

    private command(n: number, v: number): void {
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

    private shownTxRd(): number {
        return this.txRdStep > 0 && this.sendPending ? this.txRdShown : this.txRd
    }

    private txFree(): number {
        const f = this.bufSize(0, true) - ((getU16(this.sockets, Sn.TX_WR) - this.txRd) & 0xffff)
        return f < 0 ? 0 : f
    }

    private rxUsed(): number {
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

    private readOnlyWrite(what: string): void {
        this.readOnlyWrites++
        this.flag("write to read-only " + what)
    }

    private flag(what: string): void {
        this.protocolErrors++
        this.lastProtocolError = what
    }

    /** Socket 0's pointers as the chip sees them (for tests): TX_RD, TX_WR, RX_RD (committed), RX_WR. */
    pointers(): number[] {
        return [this.txRd, getU16(this.sockets, Sn.TX_WR), this.rxRd, this.rxWr]
    }

    /** 512-byte pages backing the TX and RX memories now. */
    pagesBacked(): number {
        return this.txMem.backed() + this.rxMem.backed()
    }

    resetCounters(): void {
        this.transactions = 0
        this.bytes = 0
    }
}
