// SPI traffic per transmitted frame, per driver, in steady state: the driver over SimSpiBus and the
// chip model on a virtual segment, frames handed to ndo_start_xmit back to back (as the drain does).
// Counted: chip-select windows (transactions), bytes clocked, the driver's xfer() calls. Also the
// traffic of one idle receive poll. Results: "@@bench spi ..." lines.
// Then the board's own bus, HardwareSpiBus, over the native-SPI model of each runtime: native
// spiXfer calls per transmitted and per received frame ("@@bench spihw ..." lines).

import * as ds from "@devicescript/core"
import { Segment } from "../src/sim/lan"
import { SimSpiBus } from "../src/sim/spi"
import { SpiBus, windowByXfers } from "../src/drivers/spi"
import { W5500Model } from "../src/sim/w5500"
import { Enc28j60Model } from "../src/sim/enc28j60"
import { W5500Device } from "../src/drivers/w5500/device"
import { Enc28j60Device } from "../src/drivers/enc28j60/device"
import { CountingOwner, NetDeviceOwner, XmitStatus } from "../src/dev/netdev"
import { HardwareSpiBus } from "../src/drivers/spi-hw"
import { NativeSpiModel, SimCsLine, SpiRuntime } from "../src/sim/native-spi"
import { BOARD_MAC, COLLECTOR_MAC, report } from "./common"

const WARMUP = 16
const FRAMES = 200
const POLLS = 100
/** Counts on top of SimSpiBus what a board's bus would see. */
class CountingBus implements SpiBus {
    transactions = 0
    bytes = 0
    xfers = 0

    constructor(readonly inner: SimSpiBus) {}

    async select(): Promise<void> {
        await this.inner.select()
        this.transactions++
    }

    async xfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): Promise<void> {
        this.xfers++
        this.bytes += len
        await this.inner.xfer(tx, txOff, rx, rxOff, len)
    }

    async window(head: Buffer, headLen: number, data: Buffer, off: number, len: number, write: boolean, spare: number): Promise<number> {
        return await windowByXfers(this, head, headLen, data, off, len, write)
    }

    deselect(): void {
        this.inner.deselect()
    }

    reset(): void {
        this.transactions = 0
        this.bytes = 0
        this.xfers = 0
        this.inner.resetCounters()
    }
}

function makeFrame(len: number): Buffer {
    const f = Buffer.alloc(len)
    f.blitAt(0, COLLECTOR_MAC, 0, 6)
    f.blitAt(6, BOARD_MAC, 0, 6)
    f[12] = 0x08
    f[13] = 0x00
    for (let i = 14; i < len; i++) f[i] = i & 0xff
    return f
}

const SIZES = [64, 1514]

interface Xmitter {
    startXmit(frame: Buffer, off: number, len: number): Promise<XmitStatus>
    poll(): Promise<number>
}

async function measure(chip: string, dev: Xmitter, bus: CountingBus, sent: () => number, errors: () => number): Promise<void> {
    for (let si = 0; si < SIZES.length; si++) {
        const len = SIZES[si]
        const f = makeFrame(len)
        let bad = 0
        for (let i = 0; i < WARMUP; i++) if ((await dev.startXmit(f, 0, len)) !== XmitStatus.Ok) bad++
        bus.reset()
        const s0 = sent()
        const t0 = ds.millis()
        for (let i = 0; i < FRAMES; i++) if ((await dev.startXmit(f, 0, len)) !== XmitStatus.Ok) bad++
        const ms = ds.millis() - t0
        report("spi chip=" + chip + " len=" + len + " frames=" + FRAMES + " transactions=" + bus.transactions + " bytes=" + bus.bytes +
            " xfers=" + bus.xfers + " simTransactions=" + bus.inner.transactions + " simBytes=" + bus.inner.bytes +
            " wireFrames=" + (sent() - s0) + " bad=" + bad + " protocolErrors=" + errors() + " ms=" + ms)
    }
    // one idle receive poll (nothing received; link reads excluded, see linkPollMs)
    bus.reset()
    for (let i = 0; i < POLLS; i++) await dev.poll()
    report("spipoll chip=" + chip + " polls=" + POLLS + " transactions=" + bus.transactions + " bytes=" + bus.bytes)
}

async function w5500(): Promise<void> {
    const seg = new Segment()
    const model = new W5500Model(seg)
    const bus = new CountingBus(new SimSpiBus(model))
    const dev = new W5500Device(bus, BOARD_MAC, { task: false, linkPollMs: 1e9 })
    await dev.open(new CountingOwner())
    if (!dev.carrier()) throw new Error("w5500: no carrier")
    await measure("w5500", dev, bus, () => model.framesSent, () => model.protocolErrors)
    await dev.stop()
}

async function enc28j60(): Promise<void> {
    const seg = new Segment()
    const model = new Enc28j60Model(seg)
    const bus = new CountingBus(new SimSpiBus(model))
    const dev = new Enc28j60Device(bus, BOARD_MAC, { pollMs: 0, linkPollMs: 1e9, resetCheckMs: 1e9 })
    await dev.open(new CountingOwner())
    if (!dev.carrier()) throw new Error("enc28j60: no carrier")
    await measure("enc28j60", dev, bus, () => model.txFrames, () => model.misuse)
    await dev.stop()
}

/** A frame for the board: to its MAC, from the collector's. */
function rxFrame(len: number): Buffer {
    const f = makeFrame(len)
    f.blitAt(0, BOARD_MAC, 0, 6)
    f.blitAt(6, COLLECTOR_MAC, 0, 6)
    return f
}

const HW_FRAMES = 40

interface Polled extends Xmitter {
    open(owner: NetDeviceOwner): Promise<void>
    stop(): Promise<void>
    carrier(): boolean
}

/** Native calls per TX frame (back to back) and per RX frame (one a poll, idle poll subtracted). */
async function measureHw(runtime: SpiRuntime, chip: string, model: W5500Model | Enc28j60Model, dev: Polled, spi: NativeSpiModel): Promise<void> {
    await dev.open(new CountingOwner())
    if (!dev.carrier()) throw new Error(chip + ": no carrier")
    for (let si = 0; si < SIZES.length; si++) {
        const len = SIZES[si]
        const f = makeFrame(len)
        let bad = 0
        for (let i = 0; i < WARMUP; i++) if ((await dev.startXmit(f, 0, len)) !== XmitStatus.Ok) bad++
        const c0 = spi.calls
        const b0 = spi.bytes
        for (let i = 0; i < HW_FRAMES; i++) if ((await dev.startXmit(f, 0, len)) !== XmitStatus.Ok) bad++
        const tx = (spi.calls - c0) / HW_FRAMES
        const txBytes = (spi.bytes - b0) / HW_FRAMES
        await dev.poll()
        const i0 = spi.calls
        for (let i = 0; i < 10; i++) await dev.poll()
        const idle = (spi.calls - i0) / 10
        const r = rxFrame(len)
        const r0 = spi.calls
        let got = 0
        for (let i = 0; i < HW_FRAMES; i++) {
            model.receiveFromWire(r, 0, len)
            got += await dev.poll()
        }
        const rx = (spi.calls - r0) / HW_FRAMES - idle
        report("spihw runtime=" + runtime + " chip=" + chip + " len=" + len + " txNative=" + tx + " txBytes=" + txBytes + " rxNative=" + rx +
            " idleNative=" + idle + " received=" + got + " frames=" + HW_FRAMES + " bad=" + bad + " stale=" + spi.staleBytes)
    }
    await dev.stop()
}

async function hardwareBus(runtime: SpiRuntime): Promise<void> {
    {
        const model = new W5500Model(new Segment())
        const spi = new NativeSpiModel(runtime, model)
        const bus = new HardwareSpiBus(spi, new SimCsLine(model))
        await measureHw(runtime, "w5500", model, new W5500Device(bus, BOARD_MAC, { task: false, linkPollMs: 1e9 }), spi)
    }
    await ds.sleep(0)
    {
        const model = new Enc28j60Model(new Segment())
        const spi = new NativeSpiModel(runtime, model)
        const bus = new HardwareSpiBus(spi, new SimCsLine(model))
        await measureHw(runtime, "enc28j60", model, new Enc28j60Device(bus, BOARD_MAC, { pollMs: 0, linkPollMs: 1e9, resetCheckMs: 1e9 }), spi)
    }
}

/** The owner of an idle device: counts frames and when the last one came. */
class IdleOwner {
    frames = 0
    at = 0
    receive(frame: Buffer, off: number, len: number): void {
        this.frames++
        this.at = ds.millis()
    }
    stopQueue(): void {}
    wakeQueue(): void {}
    carrierChanged(up: boolean): void {}
}

/**
 * The poll task left running, idle, for IDLE_MS after it settled: SPI transactions a second with
 * and without the INT line; then a frame's delay from arrival to delivery (10 frames, mean).
 */
const IDLE_MS = 3000

async function idleRun(chip: string, gated: boolean): Promise<void> {
    let bus: SimSpiBus
    let inject: () => void
    let dev: Polled
    const owner = new IdleOwner()
    if (chip === "w5500") {
        const m = new W5500Model(new Segment())
        bus = new SimSpiBus(m)
        const d = new W5500Device(bus, BOARD_MAC, { interrupt: gated ? () => m.interruptAsserted() : undefined })
        dev = d
        inject = () => m.receiveFromWire(rxFrame(64), 0, 64)
    } else {
        const m = new Enc28j60Model(new Segment())
        bus = new SimSpiBus(m)
        const d = new Enc28j60Device(bus, BOARD_MAC, { interrupt: gated ? () => m.interrupt() : undefined })
        dev = d
        inject = () => m.receiveFromWire(rxFrame(64), 0, 64)
    }
    await dev.open(owner)
    await ds.sleep(3000) // past the fast polls and the back-off
    bus.resetCounters()
    const t0 = ds.millis()
    await ds.sleep(IDLE_MS)
    const perSecond = (bus.transactions * 1000) / (ds.millis() - t0)
    let delay = 0
    for (let i = 0; i < 10; i++) {
        await ds.sleep(37) // not in step with the poll period
        const before = owner.frames
        const t = ds.millis()
        inject()
        for (let k = 0; k < 500 && owner.frames === before; k++) await ds.sleep(1)
        delay += owner.at - t
        await ds.sleep(400) // idle again (the back-off starts over)
    }
    report("spiidle chip=" + chip + " int=" + (gated ? 1 : 0) + " perSecond=" + perSecond + " delayMs=" + delay / 10 + " frames=" + owner.frames)
    await dev.stop()
}

report("start spi")
await w5500()
await ds.sleep(0)
await enc28j60()
await ds.sleep(0)
await hardwareBus("rp2040")
await ds.sleep(0)
await hardwareBus("esp32")
for (const chip of ["w5500", "enc28j60"]) {
    await idleRun(chip, true)
    await idleRun(chip, false)
}
console.log("@@bench:done")
