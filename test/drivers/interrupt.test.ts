// INT-gated receive: with the chip's INT line (here the model's, read as a board reads its INT
// pin) a poll talks to the chip only when a frame has arrived; without it the poll task backs off
// while idle. Frames are put straight into the models (no stack: the drivers' owner counts them).

import { describe, test, expect } from "@devicescript/test"
import { Segment } from "../../src/sim/lan"
import { SimSpiBus } from "../../src/sim/spi"
import { W5500Model } from "../../src/sim/w5500"
import { Enc28j60Model } from "../../src/sim/enc28j60"
import { W5500Device } from "../../src/drivers/w5500/device"
import { Enc28j60Device } from "../../src/drivers/enc28j60/device"
import { PollPacer } from "../../src/drivers/poll"
import { NetDeviceOwner } from "../../src/dev/netdev"

const MAC = hex`02 00 5e 10 00 0a`

class Counter implements NetDeviceOwner {
    frames = 0
    receive(frame: Buffer, off: number, len: number): void {
        this.frames++
    }
    stopQueue(): void {}
    wakeQueue(): void {}
    carrierChanged(up: boolean): void {}
}

/** A 64-byte frame to the board. */
function frame(): Buffer {
    const f = Buffer.alloc(64)
    f.blitAt(0, MAC, 0, 6)
    f[6] = 0x02
    f[11] = 0x14
    f[12] = 0x08
    return f
}

describe("INT-gated receive", () => {
    test("W5500: no SPI while INTn is high; a frame asserts it, the poll reads it and INTn goes high again", async () => {
        const chip = new W5500Model(new Segment())
        const bus = new SimSpiBus(chip)
        const dev = new W5500Device(bus, MAC, { task: false, linkPollMs: 1e9, interrupt: () => chip.interruptAsserted() })
        const owner = new Counter()
        await dev.open(owner)
        bus.resetCounters()
        for (let i = 0; i < 50; i++) expect(await dev.poll()).toBe(0)
        expect(bus.transactions).toBe(0)
        chip.receiveFromWire(frame(), 0, 64)
        expect(chip.interruptAsserted()).toBe(true)
        expect(await dev.poll()).toBe(1)
        expect(chip.interruptAsserted()).toBe(false)
        // clear Sn_IR.RECV, RX_RSR twice, the length header, the frame, RX_RD, RECV
        expect(bus.transactions).toBe(7)
        expect(owner.frames).toBe(1)
        expect(chip.protocolErrors).toBe(0)
    })

    test("W5500: more frames than one batch: the rest is read without a new INT", async () => {
        const chip = new W5500Model(new Segment())
        const bus = new SimSpiBus(chip)
        const dev = new W5500Device(bus, MAC, { task: false, linkPollMs: 1e9, rxBatch: 4, cmdTimeoutMs: 2000, interrupt: () => chip.interruptAsserted() })
        const owner = new Counter()
        await dev.open(owner)
        for (let i = 0; i < 6; i++) chip.receiveFromWire(frame(), 0, 64)
        expect(await dev.poll()).toBe(4)
        expect(chip.interruptAsserted()).toBe(false)
        expect(await dev.poll()).toBe(2)
        expect(await dev.poll()).toBe(0)
        expect(owner.frames).toBe(6)
    })

    test("ENC28J60: no SPI while INT is high; PKTIF asserts it; EIE holds INTIE, PKTIE, LINKIE, RXERIE", async () => {
        const chip = new Enc28j60Model(new Segment())
        const bus = new SimSpiBus(chip)
        const dev = new Enc28j60Device(bus, MAC, { pollMs: 0, linkPollMs: 1e9, resetCheckMs: 1e9, interrupt: () => chip.interrupt() })
        const owner = new Counter()
        await dev.open(owner)
        expect(chip.reg(0x1b)).toBe(0x80 | 0x40 | 0x10 | 0x01)
        bus.resetCounters()
        for (let i = 0; i < 50; i++) expect(await dev.poll()).toBe(0)
        expect(bus.transactions).toBe(0)
        chip.receiveFromWire(frame(), 0, 64)
        expect(chip.interrupt()).toBe(true)
        expect(await dev.poll()).toBe(1)
        expect(chip.interrupt()).toBe(false)
        expect(owner.frames).toBe(1)
        // the link going down asserts INT too (LINKIF), and the poll sees it
        chip.setLink(false)
        expect(chip.interrupt()).toBe(true)
        await dev.poll()
        expect(dev.carrier()).toBe(false)
    })

    test("without INT the poll task backs off while idle: 20 polls at the fast period, then doubling to the idle limit", () => {
        const p = new PollPacer(1, 100, false)
        const seq: number[] = []
        for (let i = 0; i < 30; i++) seq.push(p.next(false))
        expect(seq.slice(0, 20).join(",")).toBe("1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1")
        expect(seq.slice(20, 30).join(",")).toBe("2,4,8,16,32,64,100,100,100,100")
        expect(p.next(true)).toBe(1)
        const gated = new PollPacer(1, 100, true)
        for (let i = 0; i < 40; i++) gated.next(false)
        expect(gated.next(false)).toBe(1)
    })
})
