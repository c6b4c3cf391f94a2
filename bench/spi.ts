// SPI traffic per transmitted frame, per driver, in steady state: the driver over SimSpiBus and the
// chip model on a virtual segment, frames handed to ndo_start_xmit back to back (as the drain does).
// Counted: chip-select windows (transactions), bytes clocked, the driver's xfer() calls, and the
// spiXfer() calls HardwareSpiBus would make on a board (it cuts a window into power-of-two chunks
// of at most 1,024 bytes). Also the traffic of one idle receive poll. Results: "@@bench spi ..." lines.

import * as ds from "@devicescript/core"
import { Segment } from "../src/sim/lan"
import { SimSpiBus } from "../src/sim/spi"
import { SpiBus } from "../src/drivers/spi"
import { W5500Model } from "../src/sim/w5500"
import { Enc28j60Model } from "../src/sim/enc28j60"
import { W5500Device } from "../src/drivers/w5500/device"
import { Enc28j60Device } from "../src/drivers/enc28j60/device"
import { XmitStatus } from "../src/dev/netdev"
import { BOARD_MAC, COLLECTOR_MAC, report } from "./common"

const WARMUP = 16
const FRAMES = 200
const POLLS = 100
const HW_MAX_CHUNK = 1024

/** spiXfer() calls HardwareSpiBus (src/drivers/spi-hw.ts) makes for one xfer of `len` bytes. */
function hwChunks(len: number): number {
    let n = 0
    let left = len
    while (left >= HW_MAX_CHUNK) {
        left -= HW_MAX_CHUNK
        n++
    }
    while (left > 0) {
        n += left & 1
        left = left >> 1
    }
    return n
}

/** Counts on top of SimSpiBus what a board's bus would see. */
class CountingBus implements SpiBus {
    transactions = 0
    bytes = 0
    xfers = 0
    hwXfers = 0

    constructor(readonly inner: SimSpiBus) {}

    async select(): Promise<void> {
        await this.inner.select()
        this.transactions++
    }

    async xfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): Promise<void> {
        this.xfers++
        this.bytes += len
        this.hwXfers += hwChunks(len)
        await this.inner.xfer(tx, txOff, rx, rxOff, len)
    }

    deselect(): void {
        this.inner.deselect()
    }

    reset(): void {
        this.transactions = 0
        this.bytes = 0
        this.xfers = 0
        this.hwXfers = 0
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
            " xfers=" + bus.xfers + " hwXfers=" + bus.hwXfers + " simTransactions=" + bus.inner.transactions + " simBytes=" + bus.inner.bytes +
            " wireFrames=" + (sent() - s0) + " bad=" + bad + " protocolErrors=" + errors() + " ms=" + ms)
    }
    // one idle receive poll (nothing received; link reads excluded, see linkPollMs)
    bus.reset()
    for (let i = 0; i < POLLS; i++) await dev.poll()
    report("spipoll chip=" + chip + " polls=" + POLLS + " transactions=" + bus.transactions + " bytes=" + bus.bytes + " hwXfers=" + bus.hwXfers)
}

async function w5500(): Promise<void> {
    const seg = new Segment()
    const model = new W5500Model(seg)
    const bus = new CountingBus(new SimSpiBus(model))
    const dev = new W5500Device(bus, BOARD_MAC, { task: false, linkPollMs: 1e9 })
    await dev.open()
    if (!dev.carrier()) throw new Error("w5500: no carrier")
    await measure("w5500", dev, bus, () => model.framesSent, () => model.protocolErrors)
    await dev.stop()
}

async function enc28j60(): Promise<void> {
    const seg = new Segment()
    const model = new Enc28j60Model(seg)
    const bus = new CountingBus(new SimSpiBus(model))
    const dev = new Enc28j60Device(bus, BOARD_MAC, { pollMs: 0, linkPollMs: 1e9 })
    await dev.open()
    if (!dev.carrier()) throw new Error("enc28j60: no carrier")
    await measure("enc28j60", dev, bus, () => model.txFrames, () => model.misuse)
    await dev.stop()
}

report("start spi")
await w5500()
await ds.sleep(0)
await enc28j60()
console.log("@@bench:done")
