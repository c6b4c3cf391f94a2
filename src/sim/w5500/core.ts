// The W5500 model's state (see ../w5500.ts for what is modelled): the knobs and faults the tests
// set, the counters they read, the cable, the common and socket register blocks, the TX and RX
// memories, the model's clock, the PHY as PHYCFGR shows it, buffer sizes, and how a protocol error
// is recorded. The rest builds on it in order: commands.ts, registers.ts, then the SPI framing
// (../w5500.ts).

import { Segment } from "../lan"
import { PagedMemory } from "./paged-memory"
import { CHIP_VERSION, Phy, SOCKETS, Sn } from "../../drivers/w5500/regs"

/** §3.1: the common block is 0x0000-0x0039; everything above is reserved. */
export const COMMON_SIZE = 0x40
/** §3.2: the socket block is 0x0000-0x002F. */
export const SOCKET_REG_SIZE = 0x30

export class W5500Core {
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
    protected spiUs = 0
    protected phycfg = 0

    /** Model time in µs. */
    now(): number {
        return this.clock() * 1000 + this.spiUs
    }

    /** Buffer size in bytes from Sn_RXBUF_SIZE / Sn_TXBUF_SIZE (0 for a value the datasheet does not list). */
    bufSize(sock: number, isTx: boolean): number {
        const kb = this.sockets[sock * SOCKET_REG_SIZE + (isTx ? Sn.TXBUF_SIZE : Sn.RXBUF_SIZE)]
        if (kb === 1 || kb === 2 || kb === 4 || kb === 8 || kb === 16) return kb * 1024
        return 0
    }

    protected sumKb(isTx: boolean): number {
        let kb = 0
        for (let n = 0; n < SOCKETS; n++) kb += this.sockets[n * SOCKET_REG_SIZE + (isTx ? Sn.TXBUF_SIZE : Sn.RXBUF_SIZE)]
        return kb
    }

    /** True when the PHY reports a link: not held in reset, not powered down, cable plugged. */
    linkUp(): boolean {
        if ((this.phycfg & Phy.RST) === 0 || !this.cable) return false
        return !((this.phycfg & Phy.OPMD) !== 0 && (this.phycfg & Phy.OPMDC_MASK) === 0x30)
    }

    protected phyValue(): number {
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

    protected readOnlyWrite(what: string): void {
        this.readOnlyWrites++
        this.flag("write to read-only " + what)
    }

    protected flag(what: string): void {
        this.protocolErrors++
        this.lastProtocolError = what
    }

    resetCounters(): void {
        this.transactions = 0
        this.bytes = 0
    }
}
