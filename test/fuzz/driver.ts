// Fuzz target for a driver's receive framing on its chip model (the chip-specific parts are in
// w5500.ts and enc28j60.ts: one chip per program, a DeviceScript image holds at most 64 KB of code).
// A case, from its own generator, does one hostile thing and polls:
//   - mutated frames (mutate.ts) of normal length, which the stack then parses
//   - frames of hostile lengths put on the wire (0..15, 41, 59..61, 1513..1600 bytes)
//   - a lying length header / status vector (chip-specific, see the chip modules)
//   - bit flips anywhere in the unread part of the ring
//   - a burst larger than the ring without a poll (RX overflow)
//   - bad CRCs, an erratum left unworked (chip-specific; a no-op where the chip has none)
// Oracles, per case:
//  D1  nothing throws out of poll() or the drain; the stack never throws on a delivered frame
//  D2  every frame handed to the stack lies inside the driver's buffer: off >= 0, off + len <=
//      buffer length, minLen <= len <= 1514
//  D3  the driver counts what it hands over: the stack's rx_packets == the driver's RX frames
//  D4  the driver's recovery never breaks the chip protocol (the model's own misuse counters)
//  D5  it recovers: once the fault is gone, a marker datagram sent again (at most 8 times) gets
//      through the driver and the stack intact (UDP checksum verified, payload sequence matched)
//  D6  the stack's packet pool is consistent (common.ts poolFault)
// The clocks the driver, the model and the stack see are fake (advanced by the case), so a case
// replays the same on a fresh rig.

import * as ds from "@devicescript/core"
import { Rng, caseSeed } from "./rng"
import { Mutator, PAD } from "./mutate"
import { CORPUS } from "./corpus"
import { FuzzCounts, FailureSink, poolFault, fuzzTrace, printChunked } from "./common"
import { testConfig, BOARD_IP, COLLECTOR_IP, GATEWAY_IP } from "../support/config"
import { BOARD_MAC, COLLECTOR_MAC } from "../support/rig"
import { StackConfig } from "../../src/config/types"
import { NetStack } from "../../src/stack"
import { NetDevice, NetDeviceOwner } from "../../src/dev/netdev"
import { Segment, LanPort } from "../../src/sim/lan"
import { Ipv4Repr } from "../../src/wire/ipv4"
import { ethernetEmit } from "../../src/wire/ethernet"
import { udpEmitHeader } from "../../src/wire/udp"
import { onesSum } from "../../src/wire/checksum"
import { setU16, getU16 } from "../../src/wire/bytes"
import { LinkMib } from "../../src/dev/counters"

const BOARD = { mac: BOARD_MAC, ip: BOARD_IP, prefix: 24, gateway: GATEWAY_IP }
const MARKER_PORT = 9
const HOSTILE_LENGTHS = [0, 1, 13, 14, 15, 41, 59, 60, 61, 1513, 1514, 1515, 1518, 1519, 1522, 1600]

/** The chip side of a driver target: the model, the driver, and the faults only this chip has. */
export interface ChipUnderTest {
    readonly name: string
    /** Shortest frame the driver may deliver (the W5500 model never stores runts). */
    readonly minLen: number
    readonly dev: NetDevice
    poll(): Promise<number>
    /** The driver's count of frames handed to the stack. */
    rxFrames(): number
    /** D4: null, or how the driver broke the chip protocol. */
    protocolFault(): string
    /** Put a frame in the ring with a lying length header / status vector (calls `inject`). */
    lyingHeader(rng: Rng, inject: () => Promise<void>): Promise<void>
    /** Flip a bit in the unread part of the receive ring. */
    flipRingBit(rng: Rng): void
    /** Frames of 1514 bytes that overflow the ring. */
    burst(rng: Rng): number
    /** The next n frames get a bad FCS (no-op without CRC checking). */
    badCrc(n: number): void
    /** An erratum workaround off (true) or back on (false); no-op where there is none. */
    erratum(on: boolean): void
    /** Every injected fault cleared. */
    clearFaults(): void
    /** Recovery counters of the driver and the model, "name value ..." (what the fuzz exercised). */
    summary(): string
}

export type ChipFactory = (seg: Segment, clock: () => number, cfg: StackConfig) => ChipUnderTest

/** A port for frames put on the wire from outside (the fuzzer); what the board sends is dropped. */
class Injector implements LanPort {
    frames = 0
    receiveFromWire(frame: Buffer, off: number, len: number): void {
        this.frames++
    }
}

/** Sits between the driver and the stack: checks every delivered frame (D2) and catches (D1). */
class CheckingOwner implements NetDeviceOwner {
    delivered = 0
    violation: string = null
    exceptions = 0
    lastException = ""
    constructor(
        readonly stack: NetStack,
        readonly minLen: number
    ) {}

    receive(frame: Buffer, off: number, len: number): void {
        this.delivered++
        if (this.violation === null && (off < 0 || len < this.minLen || len > 1514 || off + len > frame.length))
            this.violation = "the driver delivered off " + off + " len " + len + " from a buffer of " + frame.length
        try {
            this.stack.receive(frame, off, len)
        } catch (e) {
            this.exceptions++
            this.lastException = (e as Error).message
        }
    }
    stopQueue(): void {
        this.stack.stopQueue()
    }
    wakeQueue(): void {
        this.stack.wakeQueue()
    }
    carrierChanged(up: boolean): void {
        this.stack.carrierChanged(up)
    }
}

class DriverRig {
    t = 1000
    readonly seg = new Segment()
    readonly injector = new Injector()
    readonly chip: ChipUnderTest
    readonly stack: NetStack
    readonly owner: CheckingOwner
    readonly m = new Mutator(CORPUS, BOARD)
    readonly marker = Buffer.alloc(96)
    private readonly ip = new Ipv4Repr()
    markerSeq = 0
    lastMarker = -1
    /** Frames put on the wire by the fuzzer (hostile and markers). */
    injected = 0

    constructor(factory: ChipFactory) {
        const self = this
        const clock = () => self.t
        const cfg = testConfig()
        // small queues: the chip model shares the 64 KB heap (as in test/drivers/)
        cfg.qdiscLimitBytes = 4608
        cfg.neighPendingBytes = 1600
        cfg.neighPendingPackets = 2
        this.chip = factory(this.seg, clock, cfg)
        this.seg.attach(this.injector)
        this.stack = new NetStack(cfg, this.chip.dev)
        this.stack.clock = clock
        this.owner = new CheckingOwner(this.stack, this.chip.minLen)
        const sock = this.stack.udpSocket(MARKER_PORT)
        sock.onMessage = (buf, off, len, src, srcPort) => {
            if (len >= 8 && buf[off] === 0x4d && buf[off + 1] === 0x4b) self.lastMarker = getU16(buf, off + 2) * 65536 + getU16(buf, off + 4)
        }
    }

    /**
     * Put `len` bytes of `buf` at `off` on the wire, padded to 60 like a MAC when `pad`. Yields
     * first: the chip model stores the frame synchronously (the ENC28J60 model computes its CRC-32
     * a nibble at a time, ~45 k steps for a full frame).
     */
    async inject(buf: Buffer, off: number, len: number, pad: boolean): Promise<void> {
        if (pad && len < 60) {
            buf.fillAt(off + len, 60 - len, 0)
            len = 60
        }
        await ds.sleep(0)
        this.injected++
        this.seg.transmit(this.injector, buf, off, len)
        await ds.sleep(0)
    }

    /** A mutated frame, mostly addressed to the board. */
    async nextFrame(rng: Rng): Promise<void> {
        const m = this.m
        await m.generate(rng)
        if (m.len >= 6 && rng.chance(85)) {
            if (rng.chance(85)) m.work.blitAt(PAD, BOARD_MAC, 0, 6)
            else m.work.fillAt(PAD, 6, 0xff)
        }
    }

    async poll(rng: Rng, maxAdvance: number): Promise<void> {
        this.t += rng.below(maxAdvance + 1)
        await this.chip.poll()
        await this.stack.drain.run()
    }

    /** The marker datagram: collector -> board:9, payload "MK" + sequence, checksums right. */
    buildMarker(seq: number): number {
        const b = this.marker
        const payload = 40
        b.fillAt(0, b.length, 0)
        ethernetEmit(b, 0, BOARD_MAC, 0, COLLECTOR_MAC, 0x0800)
        const u = 14 + 20
        b[u + 8] = 0x4d
        b[u + 9] = 0x4b
        setU16(b, u + 10, (seq >>> 16) & 0xffff)
        setU16(b, u + 12, seq & 0xffff)
        for (let i = 6; i < payload; i++) b[u + 8 + i] = i
        const sum = onesSum(b, u + 8, payload, 0)
        udpEmitHeader(b, u, 7000, MARKER_PORT, payload, sum, COLLECTOR_IP, BOARD_IP)
        const ip = this.ip
        ip.src = COLLECTOR_IP
        ip.dst = BOARD_IP
        ip.protocol = 17
        ip.ttl = 64
        ip.ident = seq & 0xffff
        ip.totalLength = 20 + 8 + payload
        ip.optionsLen = 0
        ip.emit(b, 14)
        return 14 + 20 + 8 + payload
    }

    /** D5: a marker gets through once the fault is gone (up to 8 tries, each polled 4 times). */
    async recovers(rng: Rng): Promise<boolean> {
        for (let round = 0; round < 8; round++) {
            const seq = ++this.markerSeq
            const len = this.buildMarker(seq)
            await this.inject(this.marker, 0, len, false)
            for (let p = 0; p < 4; p++) {
                await this.poll(rng, 30)
                if (this.lastMarker === seq) return true
            }
        }
        return false
    }
}

const enum Act {
    Frames = 0,
    HostileLength,
    LyingHeader,
    FlipBits,
    Burst,
    BadCrc,
    Erratum,
    COUNT,
}

/** One case: a hostile action, polls, the oracles. Returns the failure or null. */
async function driverCase(rig: DriverRig, rng: Rng): Promise<string> {
    const m = rig.m
    const chip = rig.chip
    const act = rng.below(Act.COUNT)
    const s = rig.stack
    try {
        switch (act) {
            case Act.Frames: {
                const n = rng.range(1, 4)
                for (let i = 0; i < n; i++) {
                    await rig.nextFrame(rng)
                    await rig.inject(m.work, PAD, m.len, true)
                    await ds.sleep(0)
                }
                break
            }
            case Act.HostileLength: {
                await rig.nextFrame(rng)
                await ds.sleep(0)
                const len = HOSTILE_LENGTHS[rng.below(HOSTILE_LENGTHS.length)]
                for (let i = m.len; i < len; i++) m.work[PAD + i] = rng.byte()
                await rig.inject(m.work, PAD, len, false)
                break
            }
            case Act.LyingHeader:
                await rig.nextFrame(rng)
                await ds.sleep(0)
                await chip.lyingHeader(rng, async () => await rig.inject(m.work, PAD, m.len, true))
                if (rng.chance(50)) {
                    await rig.nextFrame(rng)
                    await rig.inject(m.work, PAD, m.len, true)
                    await ds.sleep(0)
                }
                break
            case Act.FlipBits: {
                const n = rng.range(1, 3)
                for (let i = 0; i < n; i++) {
                    await rig.nextFrame(rng)
                    await rig.inject(m.work, PAD, m.len, true)
                    await ds.sleep(0)
                }
                const flips = rng.range(1, 4)
                for (let i = 0; i < flips; i++) chip.flipRingBit(rng)
                break
            }
            case Act.Burst: {
                // more than the ring holds, without a poll in between
                const n = chip.burst(rng)
                for (let i = 0; i < n; i++) {
                    await rig.nextFrame(rng)
                    const len = rng.chance(70) ? 1514 : Math.max(m.len, 60)
                    for (let k = m.len; k < len; k++) m.work[PAD + k] = k & 0xff
                    await rig.inject(m.work, PAD, len, true)
                    await ds.sleep(0)
                }
                break
            }
            case Act.BadCrc:
                chip.badCrc(rng.range(1, 3))
                for (let i = 0; i < 3; i++) {
                    await rig.nextFrame(rng)
                    await rig.inject(m.work, PAD, m.len, true)
                    await ds.sleep(0)
                }
                break
            case Act.Erratum:
                chip.erratum(true)
                for (let i = 0; i < 3; i++) {
                    await rig.nextFrame(rng)
                    await rig.inject(m.work, PAD, m.len, true)
                    await rig.poll(rng, 5)
                }
                break
        }
        const polls = rng.range(1, 4)
        for (let i = 0; i < polls; i++) await rig.poll(rng, 30)
    } catch (e) {
        return "exception escaped the driver: " + (e as Error).message
    }
    chip.clearFaults()
    let recovered = false
    try {
        recovered = await rig.recovers(rng)
    } catch (e) {
        return "exception escaped the driver while recovering: " + (e as Error).message
    }
    if (rig.owner.violation !== null) return rig.owner.violation
    if (rig.owner.exceptions > 0) return "the stack threw on a delivered frame: " + rig.owner.lastException
    if (s.link[LinkMib.rx_packets] !== chip.rxFrames()) return "the stack received " + s.link[LinkMib.rx_packets] + " frames, the driver counted " + chip.rxFrames()
    const pf = chip.protocolFault()
    if (pf !== null) return pf
    if (!recovered) return "no recovery: 8 marker datagrams sent after the fault, none arrived"
    return poolFault(s)
}

/** Fuzz the RX framing of a chip with cases first..first+count-1 of `seed`. */
export async function fuzzDriver(factory: ChipFactory, seed: number, first: number, count: number, deadlineMs: number, sink: FailureSink): Promise<FuzzCounts> {
    const total = new FuzzCounts()
    const rng = new Rng(1)
    let rig = new DriverRig(factory)
    await rig.chip.dev.open(rig.owner)
    for (let i = first; i < first + count; i++) {
        if (ds.millis() > deadlineMs) break
        if (fuzzTrace.trace) console.log("@@at " + i)
        rng.reseed(caseSeed(seed, i))
        total.cases++
        const before = rig.injected
        const f = await driverCase(rig, rng)
        total.frames += rig.injected - before
        if (fuzzTrace.dump) printChunked("@@input", rig.m.hex())
        if (f !== null) {
            total.failures++
            if (f.indexOf("exception") >= 0) total.exceptions++
            const r = new Rng(caseSeed(seed, i))
            sink(rig.chip.name, i, f, rig.m.hex(), rig.m.origin, r.below(Act.COUNT))
            // a broken rig would fail every later case: start again
            total.detail = addDetail(total.detail, rig.chip.summary())
            rig = new DriverRig(factory)
            await rig.chip.dev.open(rig.owner)
        }
        await ds.sleep(0)
    }
    total.detail = addDetail(total.detail, rig.chip.summary())
    return total
}

/** Add two "name value ..." lists with the same names in the same order. */
function addDetail(a: string, b: string): string {
    if (a.length === 0) return b
    const x = a.split(" ")
    const y = b.split(" ")
    let s = ""
    for (let i = 0; i + 1 < x.length && i + 1 < y.length; i += 2) s += (i > 0 ? " " : "") + x[i] + " " + (parseInt(x[i + 1]) + parseInt(y[i + 1]))
    return s
}

/** One saved driver case, replayed on a fresh rig. Returns the failure or null. */
export async function replayDriverCase(factory: ChipFactory, seed: number, index: number): Promise<string> {
    const rig = new DriverRig(factory)
    await rig.chip.dev.open(rig.owner)
    return await driverCase(rig, new Rng(caseSeed(seed, index)))
}
