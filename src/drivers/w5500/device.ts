// The W5500 in MACRAW mode as a NetDevice: the role of Linux's drivers/net/ethernet/wiznet/w5100.c
// (w5100_open, w5100_start_tx, w5100_rx_work), laid out like embassy-net-wiznet's device.rs. The
// register map and frame format are in regs.ts; datasheet sections are those of v1.0.9.
//
// Transmit. MACRAW sends one frame per SEND and the next SEND must wait for the previous one to
// finish, so the 16 KB TX buffer never holds more than the frame on the wire plus the one being
// staged. The driver keeps TX_WR itself (no TX_FSR or TX_WR reads) and overlaps the wait with the
// next write:
//   1. write the frame at TX_WR                           (buffer block, 3 + len bytes)
//   2. read both bytes of Sn_TX_RD: the previous SEND is over when TX_RD has reached that frame's
//      end (SEND "sets TX_RD = TX_WR" once the frame is out, §4.2 Sn_TX_RD); the 16-bit compare
//      holds however TX_RD advances, even torn (see finishSend)   (5 bytes; once, in steady state)
//   3. write Sn_TX_WR += len                               (5 bytes)
//   4. write Sn_CR = SEND                                  (4 bytes)
// Four chip-select windows per frame, 17 bytes besides the frame. SENDOK in Sn_IR is neither read
// nor cleared: reading it would need a second write to clear it (a fifth window). startXmit never
// answers Busy: if the previous frame is late it polls (a few reads, then one per ms) until a
// deadline, and on timeout counts it, re-opens the socket and sends the frame at the new pointer.
// The queue is stopped and woken only through the carrier (link polls).
//
// Receive. A poll reads Sn_RX_RSR (twice until equal when non-zero, §4.2 note), then per frame the
// 2-byte length header and the frame, then once per batch RX_RD and RECV. A header outside
// 60..1514 (+2) resynchronises: RX_RD = RX_WR and RECV (ESP-IDF does the same), counted.

import { ETHERNET_MAX_FRAME, ETHERNET_MIN_FRAME, ETHERNET_HEADER_LEN } from "../../wire/ethernet"
import { formatHex8 } from "../../wire/addr"
import { newMib } from "../../dev/counters"
import * as ds from "@devicescript/core"
import { inc } from "../../util/mib"
import { NetDevice, NetDeviceOwner, XmitStatus } from "../../dev/netdev"
import { FiberLock, SpiBus, SpiTimeoutError } from "../spi"
import { getU16 } from "../../wire/bytes"
import { bringUpReport, checkReadBack, identityHint, SELF_TEST_PATTERN } from "../selftest"
import { DEFAULT_SPI_HZ } from "../spi-hw"
import { PollPacer, RegisterPoll } from "../poll"
import {
    Block,
    CHIP_VERSION,
    Common,
    CTRL_WRITE,
    FRAME_HEADER_LEN,
    MR_RST,
    Phy,
    RX_LEN_HEADER,
    Sn,
    SnCr,
    SnIr,
    SnMr,
    SnSr,
    SOCKETS,
} from "./regs"

const MAX_FRAME = ETHERNET_MAX_FRAME
const MIN_FRAME = ETHERNET_MIN_FRAME
const ETH_HEADER = ETHERNET_HEADER_LEN
/** Socket 0 gets all of both memories (§3.3). */
const BUF_KB = 16
const BUF_SIZE = BUF_KB * 1024
/** Back-to-back register polls before a wait starts sleeping 1 ms between polls. */
const FAST_POLLS = 4

/**
 * A register does not read what the chip or the sequence requires; `what` names the check: VERSIONR
 * (not 0x04: no W5500 on the bus, or another chip), Sn_SR after OPEN, Sn_TX_FSR after sizing.
  * @devsWhenUsed
 */
export class ChipStateError extends Error {
    constructor(
        readonly what: string,
        readonly expected: number,
        readonly actual: number,
        /** The message after `what`: the values read and expected, and for VERSIONR what to check. */
        detail: string
    ) {
        super("W5500: " + what + detail)
        this.name = "ChipStateError"
    }
}

/** Indices of W5500Stats: the driver's counters, printed by formatDeviceStats() under these names. */
export const enum W5500Mib {
    txFrames,
    txBytes,
    /** Frames refused for a bad length or lost to a bus error. */
    txErrors,
    /** A SEND did not finish within sendTimeoutMs (the frame is lost; the socket was re-opened). */
    txTimeouts,
    /** A frame in flight when the link dropped (its SEND may never finish). */
    txAbortedLinkDown,
    rxFrames,
    rxBytes,
    /** Length headers outside 60..1514 (+2). */
    rxLengthErrors,
    /** Times the RX ring was dropped and RX_RD set to RX_WR. */
    rxResyncs,
    /** Frames whose delivery to the stack threw (consumed anyway). */
    rxDeliverErrors,
    /** Socket CLOSE + OPEN after a timeout or a link loss. */
    reopens,
    linkChanges,
    /** Errors (bus, chip timeouts) caught in the poll loop. */
    pollErrors,
    /** The chip was found reset under the driver (Sn_SR not MACRAW while open) and initialised again. */
    chipResets,
    Count,
}

/** The driver's counters, indexed by W5500Mib. */
export type W5500Stats = number[]

/** W5500Mib names in order, for formatDeviceStats(). */
const W5500_COUNTER_NAMES = "txFrames txBytes txErrors txTimeouts txAbortedLinkDown rxFrames rxBytes rxLengthErrors rxResyncs rxDeliverErrors reopens linkChanges pollErrors chipResets"

export interface W5500Options {
    mtu?: number
    /** Poll-loop period; default 1 ms. */
    pollMs?: number
    /** Without `interrupt`, idle polling backs off to this period; default 100 ms. */
    idlePollMs?: number
    /**
     * The level of the chip's INTn line: true while asserted (low). With it a poll talks to the chip
     * only when a frame has arrived (Sn_IMR = RECV, SIMR = socket 0), and for the link check.
     */
    interrupt?: () => boolean
    /** How often PHYCFGR is read; default 1000 ms (0 = every poll). */
    linkPollMs?: number
    /** MR.RST to clear; default 100 ms. */
    resetTimeoutMs?: number
    /** VERSIONR to stop reading 0; default 100 ms. */
    versionTimeoutMs?: number
    /** Sn_CR back to 0 after a command; default 10 ms. */
    cmdTimeoutMs?: number
    /** SEND to finished (TX_RD = TX_WR); default 20 ms (ESP-IDF waits 1.5 ms at 10 Mb/s, but we sleep in 1 ms steps). */
    sendTimeoutMs?: number
    /** A frame RSR does not yet cover waits this long (default 50 ms) before the ring is resynchronised. */
    partialTimeoutMs?: number
    /** Frames delivered per poll at most; default 8. */
    rxBatch?: number
    /** Start the poll task in open() (tests drive poll() themselves with false). Default true. */
    task?: boolean
    /** Milliseconds, for deadlines; default ds.millis. */
    clock?: () => number
    /** The bus clock, for the self-test's messages; default DEFAULT_SPI_HZ. */
    spiHz?: number
}

/** @devsWhenUsed */
export class W5500Device implements NetDevice {
    readonly name = "w5500"
    readonly mtu: number
    readonly stats: W5500Stats = newMib(W5500Mib.Count)
    readonly counterNames = W5500_COUNTER_NAMES
    owner: NetDeviceOwner = null
    /** The last error met (typed: SpiTimeoutError, ChipStateError, SelfTestError). */
    lastError: Error = null
    /** PHYCFGR as last read. */
    speed100 = false
    fullDuplex = false
    clock: () => number
    readonly spiHz: number
    /** What the bring-up self-test found (set by open()). */
    bringUp = ""

    private readonly pollMs: number
    private readonly linkPollMs: number
    private readonly interrupt: () => boolean
    private readonly pacer: PollPacer
    /** The last receive left frames in the buffer (its batch was full): read without waiting for INT. */
    private rxPending = false
    private readonly resetTimeoutMs: number
    private readonly versionTimeoutMs: number
    private readonly cmdTimeoutMs: number
    private readonly sendTimeoutMs: number
    private readonly partialTimeoutMs: number
    private readonly rxBatch: number
    /** The mutex's deadline: longer than any sequence that holds it (a SEND, a few commands). */
    private readonly lockTimeoutMs: number
    private readonly useTask: boolean

    private link = false
    private running = false
    /** Between a successful open() and stop(): socket 0 must be in MACRAW. */
    private isOpen = false
    /** Socket 0 TX_WR and RX_RD, kept here so they are never read back. */
    private txWr = 0
    private rxRd = 0
    /** A SEND not yet seen complete: its frame ends at TX_WR. */
    private txInFlight = false
    private txSentAt = 0
    /** A command (RECV, CLOSE) written and Sn_CR not yet seen back at 0. */
    private cmdPending = false
    /** The link went down with a SEND in flight: re-open the socket before sending again. */
    private needReopen = false
    private lastLinkPoll = 0
    private partialSince = -1

    /** One fiber at a time inside a multi-frame sequence (TX and RX share Sn_CR and the pointers). */
    private readonly mutex = new FiberLock("W5500 driver lock")
    /**
     * Register frames: header + up to 13 data bytes out, and what came back. Buffer transfers use the
     * first FRAME_HEADER_LEN bytes of `io` for their header and read the RX length header into `rsp`
     * (the mutex keeps every transfer whole).
     */
    private readonly io = Buffer.alloc(16)
    private readonly rsp = Buffer.alloc(16)
    private readonly rxBuf = Buffer.alloc(MAX_FRAME)
    private readonly wait: RegisterPoll

    constructor(
        readonly bus: SpiBus,
        readonly mac: Buffer,
        opts?: W5500Options
    ) {
        const o = opts || {}
        this.mtu = o.mtu || 1500
        this.pollMs = o.pollMs || 1
        this.linkPollMs = o.linkPollMs === undefined ? 1000 : o.linkPollMs
        this.interrupt = o.interrupt || null
        this.pacer = new PollPacer(this.pollMs, o.idlePollMs || 100, this.interrupt !== null)
        this.resetTimeoutMs = o.resetTimeoutMs || 100
        this.versionTimeoutMs = o.versionTimeoutMs || 100
        this.cmdTimeoutMs = o.cmdTimeoutMs || 10
        this.sendTimeoutMs = o.sendTimeoutMs || 20
        this.partialTimeoutMs = o.partialTimeoutMs || 50
        this.rxBatch = o.rxBatch || 8
        this.lockTimeoutMs = this.sendTimeoutMs + 4 * this.cmdTimeoutMs + 100
        this.useTask = o.task !== false
        this.clock = o.clock || ds.millis
        this.spiHz = o.spiHz || DEFAULT_SPI_HZ
        this.wait = new RegisterPoll(FAST_POLLS, this.clock)
    }

    carrier(): boolean {
        return this.link
    }

    /**
     * Reset, detect, program and open the chip, read the link (carrier() tells the result; the
     * owner is not called for this first reading), and start the poll task. Frames and link changes
     * then go to `owner`.
     */
    async open(owner: NetDeviceOwner): Promise<void> {
        this.owner = owner
        await this.mutex.take(this.lockTimeoutMs)
        try {
            await this.init()
            this.isOpen = true
        } catch (e) {
            this.lastError = e as Error
            throw e
        } finally {
            this.mutex.give()
        }
        if (this.useTask && !this.running) {
            this.running = true
            this.task.start()
        }
    }

    async stop(): Promise<void> {
        this.running = false
        this.isOpen = false
        await this.mutex.take(this.lockTimeoutMs)
        try {
            await this.issue(SnCr.CLOSE)
        } catch (e) {
            this.lastError = e as Error
        } finally {
            this.link = false
            this.txInFlight = false
            this.mutex.give()
        }
    }

    private async init(): Promise<void> {
        // §4.1 MR.RST: software reset; the bit clears itself when the reset is over
        await this.write8(Block.Common, Common.MR, MR_RST)
        let resetError: Error = null
        try {
            await this.waitReg(Block.Common, Common.MR, MR_RST, 0, this.resetTimeoutMs, "W5500 MR.RST")
        } catch (e) {
            // MR.RST that never clears: most often no chip at all (MISO high reads every bit set), so
            // VERSIONR is read once and a wrong one reported first
            resetError = e as Error
        }
        // ESP-IDF: some units read VERSIONR 0 for a while after reset
        let v = 0
        const w = this.wait
        w.start(resetError ? 0 : this.versionTimeoutMs)
        while (await w.next()) {
            v = await this.read8(Block.Common, Common.VERSIONR)
            if (v !== 0) break
        }
        if (v !== CHIP_VERSION) throw new ChipStateError("VERSIONR", CHIP_VERSION, v, " reads " + formatHex8(v) + ", expected 0x04: " + identityHint(v, this.spiHz))
        if (resetError) throw resetError
        await this.selfTest()
        this.io.blitAt(FRAME_HEADER_LEN, this.mac, 0, 6)
        await this.regs(Block.Common, Common.SHAR, 6, true)
        // §4.2: the sizes of all sockets add up to at most 16 KB per direction. Sockets 7..1 go to 0
        // first (they reset to 2 KB each, 16 KB in all), then socket 0 takes the whole 16 KB.
        for (let n = SOCKETS - 1; n >= 0; n--) {
            const kb = n === 0 ? BUF_KB : 0
            this.io[FRAME_HEADER_LEN] = kb
            this.io[FRAME_HEADER_LEN + 1] = kb
            await this.regs(4 * n + 1, Sn.RXBUF_SIZE, 2, true)
        }
        this.cmdPending = false
        this.txInFlight = false
        this.needReopen = false
        await this.openSocket()
        // §4.1 SIMR, §4.2 Sn_IMR: INTn low while socket 0 has RECV pending (0: INTn never asserted)
        await this.write8(Block.S0Reg, Sn.IMR, this.interrupt ? SnIr.RECV : 0)
        await this.write8(Block.Common, Common.SIMR, this.interrupt ? 0x01 : 0)
        this.rxPending = false
        this.link = await this.readPhy()
        this.bringUp = bringUpReport("w5500", "VERSIONR " + formatHex8(v), this.spiHz, this.link, (this.speed100 ? " 100M" : " 10M") + (this.fullDuplex ? " full duplex" : " half duplex"))
    }

    /**
     * SELF_TEST_PATTERN through socket 1's Sn_DHAR..Sn_DPORT (12 read/write bytes of a socket this
     * driver never opens) and back. Throws SelfTestError on a mismatch.
     */
    private async selfTest(): Promise<void> {
        const n = SELF_TEST_PATTERN.length
        this.io.blitAt(FRAME_HEADER_LEN, SELF_TEST_PATTERN, 0, n)
        await this.regs(Block.S1Reg, Sn.DHAR, n, true)
        await this.regs(Block.S1Reg, Sn.DHAR, n, false)
        checkReadBack("w5500", this.rsp, FRAME_HEADER_LEN, this.spiHz)
    }

    /** Sn_MR = MACRAW with the MAC filter, OPEN, check Sn_SR, and load the pointers OPEN set. */
    private async openSocket(): Promise<void> {
        await this.write8(Block.S0Reg, Sn.MR, SnMr.MACRAW | SnMr.MFEN)
        await this.issue(SnCr.OPEN)
        await this.waitReg(Block.S0Reg, Sn.CR, 0xff, 0, this.cmdTimeoutMs, "W5500 Sn_CR")
        this.cmdPending = false
        // Sn_SR follows Sn_CR: polled until MACRAW, with a deadline (ioLibrary polls it too)
        let sr = 0
        try {
            await this.waitReg(Block.S0Reg, Sn.SR, 0xff, SnSr.MACRAW, this.cmdTimeoutMs, "W5500 Sn_SR after OPEN")
            sr = SnSr.MACRAW
        } catch (e) {
            sr = await this.read8(Block.S0Reg, Sn.SR)
        }
        if (sr !== SnSr.MACRAW) throw new ChipStateError("Sn_SR after OPEN", SnSr.MACRAW, sr, " is " + sr + ", expected 66")
        // TX_FSR, TX_RD, TX_WR, RX_RSR, RX_RD in one frame; nothing moves them right after OPEN
        await this.regs(Block.S0Reg, Sn.TX_FSR, 10, false)
        const r = this.rsp
        const fsr = getU16(r, FRAME_HEADER_LEN)
        if (fsr !== BUF_SIZE) throw new ChipStateError("Sn_TX_FSR after OPEN", BUF_SIZE, fsr, " is " + fsr + ", expected 16384")
        this.txWr = getU16(r, FRAME_HEADER_LEN + 4)
        this.rxRd = getU16(r, FRAME_HEADER_LEN + 8)
        this.txInFlight = false
        this.partialSince = -1
    }

    /** CLOSE and OPEN again: drops a stuck SEND and whatever is in the RX buffer. */
    private async reopen(): Promise<void> {
        inc(this.stats, W5500Mib.reopens)
        this.txInFlight = false
        // a socket we did not close: the chip reset under us (OPEN alone would leave it without MAC
        // address and with 2 KB buffers)
        if ((await this.read8(Block.S0Reg, Sn.SR)) !== SnSr.MACRAW) {
            await this.reinit()
            return
        }
        await this.issue(SnCr.CLOSE)
        await this.openSocket()
    }

    // ---- transmit

    counters(): number[] {
        return this.stats
    }

    async startXmit(frame: Buffer, off: number, len: number): Promise<XmitStatus> {
        if (!this.link) return XmitStatus.LinkDown
        if (len < ETH_HEADER || len > MAX_FRAME) {
            inc(this.stats, W5500Mib.txErrors)
            return XmitStatus.Error
        }
        // the lock not coming in time and a bus error are both a lost frame
        let locked = false
        try {
            await this.mutex.take(this.lockTimeoutMs)
            locked = true
            return await this.xmit(frame, off, len)
        } catch (e) {
            inc(this.stats, W5500Mib.txErrors)
            this.lastError = e as Error
            return XmitStatus.Error
        } finally {
            if (locked) this.mutex.give()
        }
    }

    private async xmit(frame: Buffer, off: number, len: number): Promise<XmitStatus> {
        if (!this.link) return XmitStatus.LinkDown
        if (this.needReopen) {
            this.needReopen = false
            await this.reopen()
        }
        // no free-space check: the 16 KB buffer holds at most the frame in flight and this one
        // 1. stage the frame; the chip wraps the offset inside socket 0's 16 KB buffer (§3.3)
        await this.buf(Block.S0Tx, this.txWr, true, frame, off, len, BUF_SIZE - MAX_FRAME - len)
        // 2. the previous SEND must be complete before the next one (and a RECV accepted)
        if (this.txInFlight || this.cmdPending) {
            if (!(await this.finishSend())) {
                // timed out: the socket was re-opened, TX_WR moved; stage again
                if (!this.link) return XmitStatus.LinkDown
                await this.buf(Block.S0Tx, this.txWr, true, frame, off, len, BUF_SIZE - MAX_FRAME - len)
            }
        }
        // 3. TX_WR += len, 16-bit, the carry dropped (§4.2 Sn_TX_WR)
        const wr = (this.txWr + len) & 0xffff
        await this.write16(Block.S0Reg, Sn.TX_WR, wr)
        // 4. SEND
        await this.write8(Block.S0Reg, Sn.CR, SnCr.SEND)
        this.txWr = wr
        this.txInFlight = true
        this.txSentAt = this.clock()
        this.stats[W5500Mib.txFrames]++
        this.stats[W5500Mib.txBytes] += len
        return XmitStatus.Ok
    }

    /**
     * Wait until the frame in flight is out (Sn_TX_RD at its end) and Sn_CR reads 0 (when a command
     * is pending). A finished SEND was accepted, so Sn_CR is only read after RECV/CLOSE.
     * False on timeout: counted, typed error kept in lastError, socket re-opened.
     */
    private async finishSend(): Promise<boolean> {
        const t0 = this.clock()
        const bound = FAST_POLLS + 2 * (this.sendTimeoutMs + this.cmdTimeoutMs)
        let crBusy = false
        // two deadlines (the command's from now, the SEND's from the SEND), so not RegisterPoll
        for (let i = 0; i < bound; i++) {
            // deadlines are judged before the read, so the last read always starts after them
            const now = this.clock()
            const crLate = now - t0 >= this.cmdTimeoutMs
            const sendLate = now - this.txSentAt >= this.sendTimeoutMs
            crBusy = false
            if (this.cmdPending) {
                if ((await this.read8(Block.S0Reg, Sn.CR)) !== 0) crBusy = true
                else this.cmdPending = false
            }
            // is the SEND over? Both bytes of Sn_TX_RD against the frame's end (TX_WR). Safe however
            // TX_RD advances (in one step or gradually) and even when the two bytes come from
            // different moments (§4.2 note): TX_RD only moves forward from the frame's start to its
            // end, less than 1,515 bytes, so a high byte equal to the end's was read when TX_RD was
            // already within 255 bytes of the end, and the low byte, read later, can only equal the
            // end's once TX_RD is there
            const sendOk = !this.txInFlight || (await this.read16(Block.S0Reg, Sn.TX_RD)) === this.txWr
            if (sendOk && !crBusy) {
                this.txInFlight = false
                return true
            }
            // a command not yet accepted has its own deadline; the SEND's runs from the SEND
            if (crBusy ? crLate : sendLate) break
            if (i >= FAST_POLLS) await ds.sleep(1)
        }
        if (crBusy) throw new SpiTimeoutError("W5500 Sn_CR", this.cmdTimeoutMs)
        // the SEND never finished: the link dropped under the frame, or the MAC is stuck
        inc(this.stats, W5500Mib.txTimeouts)
        this.lastError = new SpiTimeoutError("W5500 SEND", this.sendTimeoutMs)
        await this.reopen()
        return false
    }

    // ---- receive, link: the poll

    /**
     * One poll: deliver received frames, read the link every linkPollMs, and settle a SEND that has
     * been in flight for sendTimeoutMs. Returns the number of frames delivered. Never throws: errors
     * are counted in pollErrors and kept in lastError.
     */
    async poll(): Promise<number> {
        let locked = false
        try {
            await this.mutex.take(this.lockTimeoutMs)
            locked = true
            let n = 0
            const intr = this.interrupt
            if (this.link && (intr === null || this.rxPending || intr())) {
                // clear RECV first: a frame that arrives while this batch is read asserts INTn again
                if (intr !== null) await this.write8(Block.S0Reg, Sn.IR, SnIr.RECV)
                n = await this.receive()
            }
            if (this.clock() - this.lastLinkPoll >= this.linkPollMs) await this.pollLink()
            if (this.txInFlight && this.clock() - this.txSentAt >= this.sendTimeoutMs) await this.finishSend()
            return n
        } catch (e) {
            inc(this.stats, W5500Mib.pollErrors)
            this.lastError = e as Error
            return 0
        } finally {
            if (locked) this.mutex.give()
        }
    }

    private async task(): Promise<void> {
        let wait = this.pollMs
        while (this.running) {
            await ds.sleep(wait)
            if (!this.running) break
            const sent = this.stats[W5500Mib.txFrames]
            const n = await this.poll()
            wait = this.pacer.next(n > 0 || this.rxPending || this.txInFlight || sent !== this.stats[W5500Mib.txFrames])
        }
    }

    private async receive(): Promise<number> {
        let rsr = await this.read16(Block.S0Reg, Sn.RX_RSR)
        if (rsr === 0) {
            this.rxPending = false
            return 0
        }
        // §4.2 note: the two bytes may come from different moments; read until two reads agree
        for (let i = 0; i < 4; i++) {
            const again = await this.read16(Block.S0Reg, Sn.RX_RSR)
            if (again === rsr) break
            rsr = again
        }
        let used = 0
        let frames = 0
        this.rxPending = false
        while (frames < this.rxBatch && rsr - used >= RX_LEN_HEADER) {
            const at = (this.rxRd + used) & 0xffff
            await this.buf(Block.S0Rx, at, false, this.rsp, 0, RX_LEN_HEADER, 0)
            const total = getU16(this.rsp, 0)
            if (total < MIN_FRAME + RX_LEN_HEADER || total > MAX_FRAME + RX_LEN_HEADER) {
                inc(this.stats, W5500Mib.rxLengthErrors)
                await this.resync()
                return frames
            }
            if (total > rsr - used) {
                // RSR covers only part of this frame: take it on a later poll, unless that never happens
                const now = this.clock()
                if (this.partialSince < 0) this.partialSince = now
                else if (now - this.partialSince >= this.partialTimeoutMs) {
                    await this.resync()
                    return frames
                }
                break
            }
            this.partialSince = -1
            const len = total - RX_LEN_HEADER
            await this.buf(Block.S0Rx, (at + RX_LEN_HEADER) & 0xffff, false, this.rxBuf, 0, len, BUF_SIZE)
            used += total
            frames++
            this.stats[W5500Mib.rxFrames]++
            this.stats[W5500Mib.rxBytes] += len
            // a frame the stack chokes on must not stay in the ring (it would come back every poll)
            try {
                if (this.owner) this.owner.receive(this.rxBuf, 0, len)
            } catch (e) {
                inc(this.stats, W5500Mib.rxDeliverErrors)
                this.lastError = e as Error
            }
        }
        // frames left (a full batch, or one RSR does not cover yet): no INT will say so again
        this.rxPending = rsr - used >= RX_LEN_HEADER
        if (used > 0) {
            // §4.2 Sn_RX_RD: advance, then RECV makes the chip take it
            this.rxRd = (this.rxRd + used) & 0xffff
            await this.write16(Block.S0Reg, Sn.RX_RD, this.rxRd)
            await this.issue(SnCr.RECV)
        }
        return frames
    }

    /** The ring cannot be parsed: drop everything stored (RX_RD = RX_WR, RECV). */
    private async resync(): Promise<void> {
        inc(this.stats, W5500Mib.rxResyncs)
        this.partialSince = -1
        let wr = await this.read16(Block.S0Reg, Sn.RX_WR)
        for (let i = 0; i < 4; i++) {
            const again = await this.read16(Block.S0Reg, Sn.RX_WR)
            if (again === wr) break
            wr = again
        }
        this.rxRd = wr
        await this.write16(Block.S0Reg, Sn.RX_RD, wr)
        await this.issue(SnCr.RECV)
    }

    /** §4.1 PHYCFGR: speed and duplex kept, the link (LNK) returned. */
    private async readPhy(): Promise<boolean> {
        const v = await this.read8(Block.Common, Common.PHYCFGR)
        this.lastLinkPoll = this.clock()
        this.speed100 = (v & Phy.SPD) !== 0
        this.fullDuplex = (v & Phy.DPX) !== 0
        return (v & Phy.LNK) !== 0
    }

    /**
     * The chip reset under us (brown-out, ESD, a glitch on RSTn): every register is back to its reset
     * value, socket 0 closed. Initialise it again as open() does; a carrier change goes to the owner.
     */
    private async reinit(): Promise<void> {
        inc(this.stats, W5500Mib.chipResets)
        const was = this.link
        await this.init()
        if (this.link !== was) {
            inc(this.stats, W5500Mib.linkChanges)
            if (this.owner) this.owner.carrierChanged(this.link)
        }
    }

    /** §4.1 PHYCFGR.LNK; a change goes to the owner (netif_carrier_on/off). */
    private async pollLink(): Promise<void> {
        // with the link poll (every linkPollMs): a closed socket means the chip reset under us
        if (this.isOpen && (await this.read8(Block.S0Reg, Sn.SR)) !== SnSr.MACRAW) {
            this.lastLinkPoll = this.clock()
            await this.reinit()
            return
        }
        const up = await this.readPhy()
        if (up === this.link) return
        inc(this.stats, W5500Mib.linkChanges)
        if (!up) {
            this.link = false
            if (this.txInFlight) {
                // a frame on the wire when the link went: its SEND may never finish
                // TX_RD not at the frame's end (as in finishSend)
                if ((await this.read16(Block.S0Reg, Sn.TX_RD)) !== this.txWr) {
                    inc(this.stats, W5500Mib.txAbortedLinkDown)
                    this.needReopen = true
                }
                this.txInFlight = false
            }
        } else {
            if (this.needReopen) {
                this.needReopen = false
                await this.reopen()
            }
            this.link = true
        }
        if (this.owner) this.owner.carrierChanged(up)
    }

    // ---- commands and waits

    /** Write a command to Sn_CR once the previous one has been accepted. */
    private async issue(cmd: number): Promise<void> {
        // §4.2 Sn_CR: cleared by the chip once it has accepted the command
        if (this.cmdPending || this.txInFlight) await this.waitReg(Block.S0Reg, Sn.CR, 0xff, 0, this.cmdTimeoutMs, "W5500 Sn_CR")
        await this.write8(Block.S0Reg, Sn.CR, cmd)
        this.cmdPending = true
    }

    /**
     * Poll a register until (v & mask) === want: a few reads back to back, then one per ms, until
     * the deadline (the last read starts after it: a slow host never times out on its first look).
     */
    private async waitReg(block: number, addr: number, mask: number, want: number, timeoutMs: number, what: string): Promise<number> {
        const w = this.wait
        w.start(timeoutMs)
        while (await w.next()) {
            const v = await this.read8(block, addr)
            if ((v & mask) === want) return v
        }
        throw new SpiTimeoutError(what, timeoutMs)
    }

    // ---- SPI frames (§2.2): CS low, 16-bit offset, control byte, data, CS high

    /** One frame of `n` register bytes at `addr` of `block`: written from io[3..], or read into rsp[3..]. */
    private async regs(block: number, addr: number, n: number, write: boolean): Promise<void> {
        await this.buf(block, addr, write, write ? this.io : this.rsp, FRAME_HEADER_LEN, n, 0)
    }

    private async write8(block: number, addr: number, v: number): Promise<void> {
        this.io[FRAME_HEADER_LEN] = v
        await this.regs(block, addr, 1, true)
    }

    private async write16(block: number, addr: number, v: number): Promise<void> {
        this.io[FRAME_HEADER_LEN] = v >> 8
        this.io[FRAME_HEADER_LEN + 1] = v & 0xff
        await this.regs(block, addr, 2, true)
    }

    private async read8(block: number, addr: number): Promise<number> {
        await this.regs(block, addr, 1, false)
        return this.rsp[FRAME_HEADER_LEN]
    }

    private async read16(block: number, addr: number): Promise<number> {
        await this.regs(block, addr, 2, false)
        return getU16(this.rsp, FRAME_HEADER_LEN)
    }

    /**
     * Header and data in one transaction, `buf[off..off+len)` written or read. `spare`: the bytes
     * after the window the bus may clock too (TX: free buffer space past the frame; RX: reading
     * ahead moves no pointer, RX_RD is ours).
     */
    private async buf(block: number, addr: number, write: boolean, buf: Buffer, off: number, len: number, spare: number): Promise<void> {
        const h = this.io
        h[0] = addr >> 8
        h[1] = addr & 0xff
        // §2.2.2 control byte: BSB in bits 7:3, RWB in bit 2, OM 00 (variable-length data)
        h[2] = (block << 3) | (write ? CTRL_WRITE : 0)
        await this.bus.window(h, FRAME_HEADER_LEN, buf, off, len, write, spare)
    }
}
