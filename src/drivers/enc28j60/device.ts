// ENC28J60 network device over an SpiBus: Linux's drivers/net/ethernet/microchip/enc28j60.c
// reduced to a polled single-port driver (enc28j60_hw_init, enc28j60_send_packet /
// enc28j60_tx_work_handler, enc28j60_hw_rx, enc28j60_check_link_status), with the rev. B7 errata
// workarounds of DS80349C, each commented at the line it affects and each switchable (`workarounds`)
// so the tests can show the fault it prevents.
//
// Buffer layout (errata #5: the RX ring must start at 0):
//   0x0000..0x19FF  RX ring (6.5 KB)     0x1A00  TX control byte, frame (<= 1514), 7-byte TSV
//
// Duplex: the chip does not auto-negotiate. An auto-negotiating switch port that sees a
// non-negotiating 10BASE-T partner falls back to half duplex, so half duplex is the default here
// (as in Linux). Full duplex (`fullDuplex: true`) is only right when the link partner is forced to
// 10 Mb/s full duplex; then MACON3.FULDPX and PHCON1.PDPXMD are both set, MABBIPG = 0x15, pause
// frames on. Half duplex: MABBIPG 0x12, MAIPGH 0x0C, MACON4.DEFER, PHCON2.HDLDIS (no loopback of
// our own frames). MAC and PHY are always programmed from the same flag, never one without the other.
//
// Transmit (ndo_start_xmit), SPI transactions per frame in steady state:
//   1. RCR EIR             completion of the previous frame (TXIF, or TXERIF -> errata handling)
//   2. WCR EWRPTL          [+ WCR EWRPTH when the previous frame was > 255 bytes]; skipped bytes are cached
//   3. WBM                 control byte 0x00 and the frame in one transaction
//   4. WCR ETXNDL/H        only the bytes that differ from the cached ETXND (same length: none)
//   5. BFC EIR TXIF|TXERIF
//   6. BFS ECON1 TXRTS
// = 5 transactions for same-sized short frames, 6 for full-size ones. Completion is checked lazily
// (like Linux's TX interrupt): at the next startXmit or poll(), so the wire time overlaps the stack's
// work. The bank stays 0 on this path (bank cached).
//
// Receive (poll): RCR EIR (RXERIF, LINKIF), RCR EPKTCNT (errata #6), then per frame one RBM
// transaction (header, then frame + FCS + pad in the same CS window, so ERDPT lands on the next
// packet and never has to be set) and BFS ECON2.PKTDEC; then ERXRDPT once for the batch.

import { ETHERNET_MAX_FRAME } from "../../wire/ethernet"
import { formatHex8 } from "../../wire/addr"
import { newMib } from "../../dev/counters"
import * as ds from "@devicescript/core"
import { inc } from "../../util/mib"
import { NetDevice, NetDeviceOwner, XmitStatus } from "../../dev/netdev"
import { FiberLock, SpiBus, SpiTimeoutError } from "../spi"
import { bringUpReport, checkReadBack, identityHint, SELF_TEST_PATTERN, SelfTestError } from "../selftest"
import { DEFAULT_SPI_HZ } from "../spi-hw"
import { PollPacer, RegisterPoll } from "../poll"
import {
    ADDR_MASK,
    BANK_SHIFT,
    COMMON_START,
    Econ1,
    Econ2,
    Eie,
    Eir,
    Estat,
    FCS_LEN,
    MAADR_FOR_OCTET,
    MACMII,
    MAX_FRAME_FCS,
    Micmd,
    Mistat,
    Op,
    Phstat2,
    Phy,
    Reg,
    Rsv,
    RSV_LEN,
    Tsv,
} from "./regs"

export const RX_START = 0x0000
export const RX_END = 0x19ff
export const TX_START = 0x1a00
const RX_SIZE = RX_END - RX_START + 1

/** Largest frame handed to the MAC (the MAC appends the FCS). */
const MAX_FRAME = ETHERNET_MAX_FRAME
/** Late-collision retransmissions per frame (Linux MAX_TX_RETRYCOUNT). */
export const MAX_TX_RETRIES = 16
/** MISTAT.BUSY lasts 10.24 us: a couple of reads normally see it clear. */
const MII_TIMEOUT_MS = 10
const MII_BUSY = "ENC28J60 MII (MISTAT.BUSY)"
const CLKRDY_TIMEOUT_MS = 10
/** Register reads before a wait starts sleeping 1 ms between reads. */
const FAST_POLLS = 3
const LOCK_TIMEOUT_MS = 1000

/** The workarounds, as bits of `Enc28j60Device.workarounds` (all on by default). */
export const enum Erratum {
    /** #2: wait after SRC instead of trusting ESTAT.CLKRDY. */
    ResetDelay2 = 0x01,
    /** #12: toggle TXRST after a transmit abort (and when TXRTS sticks). */
    TxReset12 = 0x02,
    /** #13/#15: read TSV bit 29 after an abort and retransmit a late-collided frame. */
    LateCollisionRetry13 = 0x04,
    /** #14: keep ERXRDPT odd. */
    OddRxReadPointer14 = 0x08,
    All = 0x0f,
}

/** EREVID of the silicon revisions (DS80349C and the earlier errata sheets). */
export const enum Revision {
    B1 = 0x02,
    B4 = 0x04,
    B5 = 0x05,
    B7 = 0x06,
}

/**
 * enc28j60_hw_init's buffer, filter and MAC registers in the order written: [register, value in half
 * duplex, value in full duplex] (DS39662E §6.5; the values Linux writes). The MAC's duplex
 * (MACON3.FULDPX) and the PHY's (PHCON1.PDPXMD, in PHY_INIT) come from the same flag. Buffer
 * literals cost no code; test/drivers/enc28j60.test.ts reads every register back by its name.
 */
const MAC_INIT = hex`
    04 00 00  // ETXSTL: TX_START 0x1A00
    05 1a 1a  // ETXSTH
    38 a1 a1  // ERXFCON: UCEN | CRCEN | BCEN (unicast to us, broadcast, valid CRC; the reset value)
    c0 01 0d  // MACON1: MARXEN; full duplex: | TXPAUS | RXPAUS
    c2 32 33  // MACON3: PADCFG 60 bytes | TXCRCEN | FRMLNEN; full duplex: | FULDPX
    c3 40 00  // MACON4: DEFER in half duplex
    ca ee ee  // MAMXFLL: MAX_FRAME_FCS 1518
    cb 05 05  // MAMXFLH
    c4 12 15  // MABBIPG: back-to-back gap, 0x12 half / 0x15 full
    c6 12 12  // MAIPGL
    c7 0c 00  // MAIPGH: 0x0C in half duplex (unused in full duplex: its reset value)
`

/**
 * The PHY registers after the MAC: [PHY register, half-duplex value, full-duplex value], the
 * values 16-bit little-endian (DS39662E §11).
 */
const PHY_INIT = hex`
    00 0000 0001  // PHCON1: PDPXMD (0x0100) in full duplex only
    10 0001 0000  // PHCON2: HDLDIS (0x0100) in half duplex: no loopback of our own frames
    14 7634 7634  // PHLCON: PHLCON_LINK_ACTIVITY 0x3476 (LEDA link, LEDB activity)
    12 1200 1200  // PHIE: PGEIE | PLNKIE (0x0012): link changes raise EIR.LINKIF
`

/** Errata #1 (B1, B4): MAC and MII registers read unreliably below this SPI clock. */
export const MIN_HZ_B1_B4 = 8000000

/** Driver counters (the chip-specific part of `ethtool -S`). */
/** Indices of Enc28j60Stats: the driver's counters, printed by formatDeviceStats() under these names. */
export const enum Enc28j60Mib {
    /** Frames handed to the chip (TXRTS set), retransmissions not counted. */
    tx_frames,
    tx_completed,
    /** Aborts other than late collisions (excessive collisions/deferral): frame lost. */
    tx_aborted,
    /** Aborts with TSV bit 29 set (errata #13/#15). */
    tx_late_collisions,
    /** Retransmissions after a late collision. */
    tx_retries,
    /** Frames given up after MAX_TX_RETRIES late collisions. */
    tx_late_collision_drops,
    /** TXRST toggles (errata #12). */
    tx_logic_resets,
    /** TXRTS did not clear within txTimeoutMs. */
    tx_timeouts,
    rx_frames,
    rx_bytes,
    /** Frames with RXOK clear (CRC, length). */
    rx_errors,
    /** RXERIF events: the ring (or EPKTCNT) was full and the chip dropped frames. */
    rx_over_errors,
    /** RX logic resets after an impossible next-packet pointer or length (ring corrupt). */
    rx_resets,
    /** Frames whose delivery to the stack threw (consumed anyway). */
    rx_deliver_errors,
    link_checks,
    /** SPI bus faults (timeouts) caught by poll() and startXmit(). */
    bus_errors,
    /** Other errors caught by poll() (a chip that answers wrongly after a reset); kept in lastError. */
    poll_errors,
    /** The chip was found reset under the driver (ECON1.RXEN clear while open) and initialised again. */
    chip_resets,
    Count,
}

/** The driver's counters, indexed by Enc28j60Mib. */
export type Enc28j60Stats = number[]

/** Enc28j60Mib names in order, for formatDeviceStats(). */
const ENC28J60_COUNTER_NAMES = "tx_frames tx_completed tx_aborted tx_late_collisions tx_retries tx_late_collision_drops tx_logic_resets tx_timeouts rx_frames rx_bytes rx_errors rx_over_errors rx_resets rx_deliver_errors link_checks bus_errors poll_errors chip_resets"

export interface Enc28j60Options {
    /** Largest IPv4 packet sent, at most (and by default) 1500. */
    mtu?: number
    /** Full duplex (see the header comment); default false. */
    fullDuplex?: boolean
    /** Period of the receive/link poll task started by open(); 0 = no task, call poll(). Default 5. */
    pollMs?: number
    /** Without `interrupt`, idle polling backs off to this period; default 125 ms (an idle poll is 2 reads). */
    idlePollMs?: number
    /**
     * The level of the chip's INT line: true while asserted (low). With it a poll talks to the chip
     * only when INT is asserted (EIE: INTIE, PKTIE, LINKIE, RXERIE), after a transmit, and for the
     * periodic check.
     */
    interrupt?: () => boolean
    /**
     * PHSTAT2 and EPKTCNT (whatever PKTIF says: errata #6) at least this often; a link change is seen
     * at once through EIR.LINKIF. Default 30000 ms; 0 = on every poll.
     */
    linkPollMs?: number
    /** ECON1.RXEN (clear: the chip reset under the driver) at least this often, and at each link check. Default 1000 ms. */
    resetCheckMs?: number
    /** Delay after SRC (errata #2 asks for at least 1 ms). Default (and for 0) 2. */
    resetDelayMs?: number
    /** Deadline for TXRTS to clear. Default (and for 0) 30 ms (10BASE-T, 1518 bytes, backoff). */
    txTimeoutMs?: number
    /** Frames taken from the ring per poll (as W5500Options.rxBatch). Default 8. */
    rxBatch?: number
    /** Erratum bits; default Erratum.All. */
    workarounds?: number
    /** The bus clock, for errata #1 and the self-test's messages; default DEFAULT_SPI_HZ. */
    spiHz?: number
    /** Milliseconds, for deadlines; default ds.millis. */
    clock?: () => number
}

/** @devsWhenUsed */
export class Enc28j60Device implements NetDevice {
    readonly name = "enc28j60"
    readonly mtu: number
    readonly stats: Enc28j60Stats = newMib(Enc28j60Mib.Count)
    readonly counterNames = ENC28J60_COUNTER_NAMES
    /** The last error poll() or a delivery caught (counted in poll_errors, bus_errors, rx_deliver_errors). */
    lastError: Error = null
    /** Which errata workarounds run (Erratum bits). Tests clear one to show its fault. */
    workarounds: number
    fullDuplex: boolean
    pollMs: number
    linkPollMs: number
    resetDelayMs: number
    txTimeoutMs: number
    rxBatch: number
    /** Milliseconds, for deadlines; default ds.millis. */
    clock: () => number
    readonly spiHz: number
    /** EREVID as last read by open() (Revision; also when open() refused it). */
    revision = 0
    /** What the bring-up self-test found (set by open()). */
    bringUp = ""

    private owner: NetDeviceOwner = null
    private opened = false
    private link = false
    private running = false
    private lastLinkCheck = 0
    /** Selected register bank as last written (-1 unknown). */
    private bank = -1
    /** EWRPT and ETXND as last left (-1 unknown): only differing bytes are written. */
    private ewrpt = -1
    private etxnd = -1
    /** ERDPT sits on rxNext (false after the TSV was read through ERDPT). */
    private erdptValid = false
    /** Start of the next unread packet in the ring. */
    private rxNext = RX_START
    private txPending = false
    /** One fiber at a time through a chip sequence (bank selection, pointers). */
    private readonly mutex = new FiberLock("ENC28J60 driver lock")
    private readonly tx = Buffer.alloc(1 + RSV_LEN)
    private readonly rx = Buffer.alloc(1 + RSV_LEN)
    private readonly rxBuf = Buffer.alloc(MAX_FRAME_FCS + 2)
    private readonly wait: RegisterPoll
    private readonly interrupt: () => boolean
    private readonly pacer: PollPacer
    private readonly resetCheckMs: number
    private lastResetCheck = 0
    /** The last receive left frames in the ring (its batch was full): read without waiting for INT. */
    private rxPending = false

    constructor(
        readonly bus: SpiBus,
        readonly mac: Buffer,
        opts?: Enc28j60Options
    ) {
        const o = opts || {}
        this.mtu = Math.min(o.mtu || 1500, 1500)
        this.fullDuplex = !!o.fullDuplex
        this.pollMs = o.pollMs === undefined ? 5 : o.pollMs
        this.linkPollMs = o.linkPollMs === undefined ? 30000 : o.linkPollMs
        this.resetCheckMs = o.resetCheckMs === undefined ? 1000 : o.resetCheckMs
        this.interrupt = o.interrupt || null
        this.pacer = new PollPacer(this.pollMs > 0 ? this.pollMs : 1, o.idlePollMs || 125, this.interrupt !== null)
        this.resetDelayMs = o.resetDelayMs || 2
        this.txTimeoutMs = o.txTimeoutMs || 30
        this.rxBatch = o.rxBatch || 8
        this.clock = o.clock || ds.millis
        this.wait = new RegisterPoll(FAST_POLLS, this.clock)
        this.workarounds = o.workarounds === undefined ? Erratum.All : o.workarounds
        this.spiHz = o.spiHz || DEFAULT_SPI_HZ
    }

    // ------------------------------------------------------------------ NetDevice

    carrier(): boolean {
        return this.link
    }

    /** Reset and program the chip (enc28j60_hw_init + hw_enable); starts the poll task if pollMs > 0. */
    async open(owner: NetDeviceOwner): Promise<void> {
        this.owner = owner
        await this.mutex.take(LOCK_TIMEOUT_MS)
        try {
            await this.init()
        } finally {
            this.mutex.give()
        }
        this.opened = true
        if (this.pollMs > 0 && !this.running) {
            this.running = true
            this.pollTask.start()
        }
    }

    async stop(): Promise<void> {
        this.running = false
        if (!this.opened) return
        await this.mutex.take(LOCK_TIMEOUT_MS)
        try {
            if (this.txPending) await this.txFinish()
            await this.op(Op.BFC | Reg.ECON1, Econ1.RXEN)
        } finally {
            this.opened = false
            this.mutex.give()
        }
    }

    counters(): number[] {
        return this.stats
    }

    async startXmit(frame: Buffer, off: number, len: number): Promise<XmitStatus> {
        if (!this.opened) return XmitStatus.Error
        if (!this.link) return XmitStatus.LinkDown
        if (len < 14 || len > MAX_FRAME) return XmitStatus.Error
        try {
            await this.mutex.take(LOCK_TIMEOUT_MS)
        } catch (e) {
            return XmitStatus.Busy
        }
        try {
            if (this.txPending) await this.txFinish()
            // EWRPT to TX_START, control byte + frame in one WBM, ETXND; only register bytes that change
            const w = this.ewrpt
            this.ewrpt = -1
            await this.wr16(Reg.EWRPTL, TX_START, w)
            const t = this.tx
            t[0] = Op.WBM
            // per-packet control byte 0: follow MACON3 (pad to 60, append CRC)
            t[1] = 0
            // the bus may write on past the frame up to the end of memory (the TSV lands there later;
            // EWRPT would wrap to 0, the RX ring, after 0x1FFF)
            const clocked = await this.bus.window(t, 2, frame, off, len, true, 0x2000 - TX_START - 1 - len)
            this.ewrpt = TX_START + clocked - 1
            const end = TX_START + len
            const was = this.etxnd
            this.etxnd = -1
            await this.wr16(Reg.ETXNDL, end, was)
            this.etxnd = end
            await this.requestSend()
            this.txPending = true
            this.stats[Enc28j60Mib.tx_frames]++
            return XmitStatus.Ok
        } catch (e) {
            // never thrown to the drain
            this.fault(e as Error)
            return XmitStatus.Error
        } finally {
            this.mutex.give()
        }
    }

    /**
     * One pass of the interrupt work (enc28j60_irq_work_handler, polled): finish a pending
     * transmit, count and clear RXERIF, check the link, take up to rxBatch frames from the ring.
     * Returns the frames delivered to the stack. Never throws (errors are counted, see lastError).
     */
    async poll(): Promise<number> {
        if (!this.opened) return 0
        try {
            await this.mutex.take(LOCK_TIMEOUT_MS)
        } catch (e) {
            inc(this.stats, Enc28j60Mib.bus_errors)
            return 0
        }
        try {
            const intr = this.interrupt
            const now = this.clock()
            const due = now - this.lastLinkCheck >= this.linkPollMs
            if (due || now - this.lastResetCheck >= this.resetCheckMs) {
                // one read (ECON1 is in every bank), every resetCheckMs and with each link check: a
                // chip that reset under us (a power glitch: every register back to its reset value)
                // has RXEN clear
                this.lastResetCheck = now
                if (!((await this.rd(Reg.ECON1)) & Econ1.RXEN)) {
                    await this.reinit()
                    return 0
                }
            }
            if (intr !== null && !this.txPending && !this.rxPending && !due && !intr()) return 0
            if (this.txPending) await this.txFinish()
            const eir = await this.rd(Reg.EIR)
            if (eir & Eir.RXERIF) {
                // the ring (or EPKTCNT) was full and the chip dropped frames; it never writes over
                // unread data, so emptying the ring is the whole recovery: no reset
                inc(this.stats, Enc28j60Mib.rx_over_errors)
                await this.op(Op.BFC | Reg.EIR, Eir.RXERIF)
            }
            if (eir & Eir.LINKIF || due) {
                // the link (enc28j60_check_link_status), every linkPollMs or on LINKIF
                this.lastLinkCheck = now
                inc(this.stats, Enc28j60Mib.link_checks)
                // reading PHIR clears PGIF/PLNKIF and so EIR.LINKIF
                if (eir & Eir.LINKIF) await this.phyRead(Phy.PHIR)
                const up = ((await this.phyRead(Phy.PHSTAT2)) & Phstat2.LSTAT) !== 0
                if (up !== this.link) {
                    this.link = up
                    if (this.owner) this.owner.carrierChanged(up)
                }
            }
            return await this.receive()
        } catch (e) {
            // never thrown to the poll task: it must keep running
            this.fault(e as Error)
            return 0
        } finally {
            this.mutex.give()
        }
    }

    private async pollTask(): Promise<void> {
        while (this.running) {
            const sent = this.stats[Enc28j60Mib.tx_frames]
            const n = await this.poll()
            await ds.sleep(this.pacer.next(n > 0 || this.rxPending || this.txPending || sent !== this.stats[Enc28j60Mib.tx_frames]))
        }
    }

    // ------------------------------------------------------------------ init

    private async init(): Promise<void> {
        this.invalidate()
        this.txPending = false
        this.tx[0] = Op.SRC
        await this.xact(1)
        if (this.workarounds & Erratum.ResetDelay2) {
            // errata #2: after SRC, CLKRDY may read 1 before the chip is ready: wait >= 1 ms instead
            await ds.sleep(this.resetDelayMs)
        } else {
            // without the workaround: trust ESTAT.CLKRDY, as the datasheet alone suggests
            await this.waitReg(Reg.ESTAT, Estat.CLKRDY, true, CLKRDY_TIMEOUT_MS, "ENC28J60 ESTAT.CLKRDY")
        }
        // SRC cleared ECON1, so bank 0 is selected
        this.bank = 0
        const rev = await this.rd(Reg.EREVID)
        this.revision = rev
        // 0x00 or 0xFF: no chip answered (Linux refuses only these)
        if (rev === 0 || rev === 0xff) throw new SelfTestError("ENC28J60: EREVID reads " + formatHex8(rev) + ": " + identityHint(rev, this.spiHz))
        // every revision's errata that this driver works around (#2, #5, #6, #12-#15, #17) are B7's
        // too; #1 is B1/B4 only
        if ((rev === Revision.B1 || rev === Revision.B4) && this.spiHz < MIN_HZ_B1_B4)
            throw new SelfTestError("ENC28J60: silicon " + revisionName(rev) + " needs an SPI clock of at least 8 MHz (errata #1): raise spi.hz in devicescript.json")
        await this.selfTest()

        await this.initRxRing()
        const f = this.fullDuplex ? 1 : 0
        const m = MAC_INIT
        for (let i = 0; i < m.length; i += 3) await this.wr(m[i], m[i + 1 + f])
        const mac = this.mac
        for (let i = 0; i < 6; i++) await this.wr(MAADR_FOR_OCTET[i], mac[i])
        const p = PHY_INIT
        for (let i = 0; i < p.length; i += 5) await this.phyWrite(p[i], p.getAt(i + 1 + 2 * f, "u16"))
        // INT: a packet pending, a link change, a receive error (with an INT line to read)
        await this.wr(Reg.EIE, this.interrupt ? Eie.INTIE | Eie.PKTIE | Eie.LINKIE | Eie.RXERIE : 0)
        await this.phyRead(Phy.PHIR)
        await this.op(Op.BFC | Reg.EIR, Eir.DMAIF | Eir.TXIF | Eir.TXERIF | Eir.RXERIF)
        this.link = ((await this.phyRead(Phy.PHSTAT2)) & Phstat2.LSTAT) !== 0
        this.lastLinkCheck = this.clock()
        this.lastResetCheck = this.lastLinkCheck
        await this.op(Op.BFS | Reg.ECON1, Econ1.RXEN)
        this.bringUp = bringUpReport("enc28j60", "EREVID " + formatHex8(rev) + " (" + revisionName(rev) + ")", this.spiHz, this.link, f ? " 10M full duplex" : " 10M half duplex")
    }

    /**
     * SELF_TEST_PATTERN written at TX_START with WBM and read back with RBM (before the RX ring is
     * set up, so ERDPT is free). Throws SelfTestError on a mismatch.
     */
    private async selfTest(): Promise<void> {
        const n = SELF_TEST_PATTERN.length
        await this.wr16(Reg.EWRPTL, TX_START)
        this.tx[0] = Op.WBM
        await this.bus.window(this.tx, 1, SELF_TEST_PATTERN, 0, n, true, 0)
        await this.wr16(Reg.ERDPTL, TX_START)
        this.tx[0] = Op.RBM
        await this.bus.window(this.tx, 1, this.rxBuf, 0, n, false, 0)
        this.ewrpt = -1
        this.erdptValid = false
        checkReadBack("enc28j60", this.rxBuf, 0, this.spiHz)
    }

    /** RX ring at RX_START..RX_END, everything read; ERDPT on the first packet. */
    private async initRxRing(): Promise<void> {
        // errata #5: writing ERXST/ERXND may zero the internal write pointer, so the ring starts at 0
        await this.wr16(Reg.ERXSTL, RX_START)
        await this.wr16(Reg.ERXNDL, RX_END)
        this.rxNext = RX_START
        await this.setRxReadPointer()
        await this.wr16(Reg.ERDPTL, RX_START)
        this.erdptValid = true
    }

    // ------------------------------------------------------------------ transmit

    /**
     * Wait for the frame in flight (enc28j60_tx_work_handler's completion and the TXERIF branch of
     * the interrupt handler). Aborts are counted; a late-collided frame is sent again.
     */
    private async txFinish(): Promise<void> {
        let retries = 0
        let resent = false
        // bounded: at most MAX_TX_RETRIES late-collision retries plus one stall retry
        for (let pass = 0; pass < MAX_TX_RETRIES + 2; pass++) {
            // EIR once TXIF or TXERIF is set (10BASE-T: a full-size frame takes 1.2 ms on the wire)
            const eir = await this.waitReg(Reg.EIR, Eir.TXIF | Eir.TXERIF, true, this.txTimeoutMs, null)
            if (eir < 0) {
                inc(this.stats, Enc28j60Mib.tx_timeouts)
                // give up the request (clearing TXRTS aborts it)
                await this.op(Op.BFC | Reg.ECON1, Econ1.TXRTS)
                if (this.workarounds & Erratum.TxReset12) {
                    // errata #12: TXRTS stuck set means the TX logic stalled: reset it and retry once
                    await this.txLogicReset()
                    if (!resent) {
                        resent = true
                        await this.requestSend()
                        continue
                    }
                }
                break
            }
            if (!(eir & Eir.TXERIF)) {
                this.stats[Enc28j60Mib.tx_completed]++
                break
            }
            // errata #12: an abort can stall the TX logic for the next frame: reset it now
            if (this.workarounds & Erratum.TxReset12) await this.txLogicReset()
            if (!(this.workarounds & Erratum.LateCollisionRetry13)) {
                inc(this.stats, Enc28j60Mib.tx_aborted)
                break
            }
            // errata #15: ESTAT.LATECOL is unreliable, TSV bit 29 is not: one byte of the transmit
            // status vector at ETXND + 1 (ERDPT leaves the RX ring)
            this.erdptValid = false
            await this.wr16(Reg.ERDPTL, (this.etxnd + 1 + Tsv.LATECOL_BYTE) & 0x1fff)
            this.tx[0] = Op.RBM
            this.tx[1] = 0
            await this.xact(2)
            if (!(this.rx[1] & Tsv.LATECOL_BIT)) {
                inc(this.stats, Enc28j60Mib.tx_aborted)
                break
            }
            inc(this.stats, Enc28j60Mib.tx_late_collisions)
            if (retries >= MAX_TX_RETRIES) {
                inc(this.stats, Enc28j60Mib.tx_late_collision_drops)
                break
            }
            // errata #13: the late collision may be false (half duplex): send the same buffer again
            retries++
            inc(this.stats, Enc28j60Mib.tx_retries)
            await this.requestSend()
        }
        this.txPending = false
    }

    /** Clear TXIF/TXERIF and set TXRTS: send the frame in the TX buffer (again: ETXST/ETXND unchanged). */
    private async requestSend(): Promise<void> {
        await this.op(Op.BFC | Reg.EIR, Eir.TXIF | Eir.TXERIF)
        await this.op(Op.BFS | Reg.ECON1, Econ1.TXRTS)
    }

    /** As Linux after TXERIF: TXRTS cleared, TXRST pulsed, ETXST and ETXND written again. */
    private async txLogicReset(): Promise<void> {
        await this.op(Op.BFC | Reg.ECON1, Econ1.TXRTS)
        await this.op(Op.BFS | Reg.ECON1, Econ1.TXRST)
        await this.op(Op.BFC | Reg.ECON1, Econ1.TXRST)
        await this.wr16(Reg.ETXSTL, TX_START)
        if (this.etxnd >= 0) {
            await this.wr16(Reg.ETXNDL, this.etxnd)
        }
        inc(this.stats, Enc28j60Mib.tx_logic_resets)
    }

    // ------------------------------------------------------------------ receive

    private async receive(): Promise<number> {
        // errata #6: PKTIF is unreliable; EPKTCNT is the truth
        const count = await this.rd(Reg.EPKTCNT)
        this.rxPending = count > this.rxBatch
        if (count === 0) return 0
        if (!this.erdptValid) {
            await this.wr16(Reg.ERDPTL, this.rxNext)
            this.erdptValid = true
        }
        const n = Math.min(count, this.rxBatch)
        let delivered = 0
        for (let i = 0; i < n; i++) {
            const r = await this.readFrame()
            if (r < 0) {
                // a corrupt ring: reset the receive logic and start the ring again (Linux enc28j60_rxreset)
                inc(this.stats, Enc28j60Mib.rx_resets)
                await this.op(Op.BFC | Reg.ECON1, Econ1.RXEN)
                await this.op(Op.BFS | Reg.ECON1, Econ1.RXRST)
                await this.op(Op.BFC | Reg.ECON1, Econ1.RXRST)
                await this.initRxRing()
                await this.op(Op.BFC | Reg.EIR, Eir.RXERIF)
                await this.op(Op.BFS | Reg.ECON1, Econ1.RXEN)
                return delivered
            }
            delivered += r
        }
        await this.setRxReadPointer()
        return delivered
    }

    /**
     * One packet at ERDPT (== rxNext) in one RBM transaction: the header, checked, then the frame
     * with its FCS and pad byte, which leaves ERDPT on the next packet. 1 = delivered, 0 = dropped
     * (RXOK clear), -1 = impossible header (ring corrupt).
     */
    private async readFrame(): Promise<number> {
        const bus = this.bus
        const t = this.tx
        const h = this.rx
        t[0] = Op.RBM
        let next = 0
        let count = 0
        let ok = false
        await bus.select()
        try {
            // opcode and header in one full-duplex transfer: the header lands at rx[1..]
            t.fillAt(1, RSV_LEN, 0)
            await bus.xfer(t, 0, h, 0, 1 + RSV_LEN)
            next = h.getAt(1 + Rsv.NEXT, "u16")
            count = h.getAt(1 + Rsv.BYTE_COUNT, "u16")
            ok = (h[1 + Rsv.STATUS] & Rsv.RX_OK) !== 0
            // sanity checks (Linux, embassy): the next pointer must be where this packet ends
            let expect = this.rxNext + RSV_LEN + count + (count & 1)
            if (expect > RX_END) expect -= RX_SIZE
            if (count < 18 || count > MAX_FRAME_FCS || next !== expect) {
                this.erdptValid = false
                return -1
            }
            await bus.xfer(null, 0, this.rxBuf, 0, count + (count & 1))
        } finally {
            bus.deselect()
        }
        this.rxNext = next
        await this.op(Op.BFS | Reg.ECON2, Econ2.PKTDEC)
        if (!ok) {
            inc(this.stats, Enc28j60Mib.rx_errors)
            return 0
        }
        this.stats[Enc28j60Mib.rx_frames]++
        this.stats[Enc28j60Mib.rx_bytes] += count - FCS_LEN
        if (this.owner) {
            try {
                this.owner.receive(this.rxBuf, 0, count - FCS_LEN)
            } catch (e) {
                // the stack's fault, not the ring's: keep receiving
                inc(this.stats, Enc28j60Mib.rx_deliver_errors)
                this.lastError = e as Error
            }
        }
        return 1
    }

    /** Free the ring up to rxNext. ERXRDPT: low byte first, both latched by the high byte. */
    private async setRxReadPointer(): Promise<void> {
        let rd = this.rxNext
        // errata #14: an even ERXRDPT can corrupt the ring: use next - 1, or RX_END when next is RX_START
        if (this.workarounds & Erratum.OddRxReadPointer14) rd = rd === RX_START ? RX_END : rd - 1
        await this.wr16(Reg.ERXRDPTL, rd)
    }

    // ------------------------------------------------------------------ link and PHY

    /** Initialise a chip that reset under us again, as open() does; a carrier change goes to the owner. */
    private async reinit(): Promise<void> {
        inc(this.stats, Enc28j60Mib.chip_resets)
        const was = this.link
        await this.init()
        if (this.link !== was && this.owner) this.owner.carrierChanged(this.link)
    }

    /** MIREGADR, MICMD.MIIRD, wait BUSY, clear MIIRD, MIRDL/H (DS39662E 3.3.1). */
    async phyRead(r: number): Promise<number> {
        await this.wr(Reg.MIREGADR, r)
        await this.wr(Reg.MICMD, Micmd.MIIRD)
        await this.waitReg(Reg.MISTAT, Mistat.BUSY, false, MII_TIMEOUT_MS, MII_BUSY)
        await this.wr(Reg.MICMD, 0)
        const lo = await this.rd(Reg.MIRDL)
        return lo | ((await this.rd(Reg.MIRDH)) << 8)
    }

    /** MIREGADR, MIWRL, MIWRH (starts the write), wait BUSY (DS39662E 3.3.2). */
    async phyWrite(r: number, v: number): Promise<void> {
        await this.wr(Reg.MIREGADR, r)
        await this.wr16(Reg.MIWRL, v)
        await this.waitReg(Reg.MISTAT, Mistat.BUSY, false, MII_TIMEOUT_MS, MII_BUSY)
    }

    /**
     * Read `r` until its `mask` bits are all clear (`set` false) or one is set (`set` true): a few
     * reads back to back, then one a millisecond (RegisterPoll). Returns the value read; at the
     * deadline throws SpiTimeoutError(`what`), or returns -1 when `what` is null.
     */
    private async waitReg(r: number, mask: number, set: boolean, timeoutMs: number, what: string): Promise<number> {
        const w = this.wait
        w.start(timeoutMs)
        while (await w.next()) {
            const v = await this.rd(r)
            if (((v & mask) !== 0) === set) return v
        }
        if (what === null) return -1
        throw new SpiTimeoutError(what, timeoutMs)
    }

    // ------------------------------------------------------------------ registers and SPI

    /** Forget every cached chip register (after a reset or a bus fault). */
    private invalidate(): void {
        this.bank = -1
        this.ewrpt = -1
        this.etxnd = -1
        this.erdptValid = false
    }

    /** An error caught by poll() or startXmit(): a bus timeout is a bus fault, anything else a poll error. */
    private fault(e: Error): void {
        if (e instanceof SpiTimeoutError) {
            inc(this.stats, Enc28j60Mib.bus_errors)
            this.invalidate()
        } else inc(this.stats, Enc28j60Mib.poll_errors)
        this.lastError = e
    }

    /** One transaction of `n` bytes from this.tx into this.rx. */
    private async xact(n: number): Promise<void> {
        const bus = this.bus
        await bus.select()
        try {
            await bus.xfer(this.tx, 0, this.rx, 0, n)
        } finally {
            bus.deselect()
        }
    }

    /**
     * A two-byte instruction: the opcode with a register address, then its argument. BFS/BFC (bit
     * set/clear) are used on the common registers only (EIR, ECON1, ECON2: in every bank, no bank
     * to select); the chip ignores them on MAC/MII registers.
     */
    private async op(opcode: number, arg: number): Promise<void> {
        this.tx[0] = opcode
        this.tx[1] = arg
        await this.xact(2)
    }

    /** Select the bank of `r` unless it is a common register or already selected (cached). */
    private async selectBank(r: number): Promise<void> {
        if ((r & ADDR_MASK) >= COMMON_START) return
        const b = (r >> BANK_SHIFT) & 3
        const cur = this.bank
        if (b === cur) return
        this.bank = -1
        const clr = cur < 0 ? 3 : cur & ~b
        const set = cur < 0 ? b : b & ~cur
        if (clr) await this.op(Op.BFC | Reg.ECON1, clr)
        if (set) await this.op(Op.BFS | Reg.ECON1, set)
        this.bank = b
    }

    private async rd(r: number): Promise<number> {
        await this.selectBank(r)
        const n = r & MACMII ? 3 : 2
        const t = this.tx
        t[0] = Op.RCR | (r & ADDR_MASK)
        t[1] = 0
        t[2] = 0
        await this.xact(n)
        // MAC/MII registers answer with a dummy byte first
        return this.rx[n - 1]
    }

    private async wr(r: number, v: number): Promise<void> {
        await this.selectBank(r)
        await this.op(Op.WCR | (r & ADDR_MASK), v)
    }

    /**
     * A 16-bit pair: `v`'s low byte to `rl`, then its high byte to the H register at rl + 1; only the
     * bytes that differ from `was`, the pair's cached value (-1: unknown, both written).
     */
    private async wr16(rl: number, v: number, was = -1): Promise<void> {
        if ((v & 0xff) !== (was & 0xff) || was < 0) await this.wr(rl, v & 0xff)
        if (v >> 8 !== was >> 8 || was < 0) await this.wr(rl + 1, v >> 8)
    }
}

function revisionName(rev: number): string {
    switch (rev) {
        case Revision.B1:
            return "B1"
        case Revision.B4:
            return "B4"
        case Revision.B5:
            return "B5"
        case Revision.B7:
            return "B7"
    }
    return "unknown revision"
}
