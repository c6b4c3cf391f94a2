// The board's SPI path: the runtimes' native SPI as modelled (sim/native-spi.ts, from the runtimes'
// sources), HardwareSpiBus's transfers over it byte by byte, and the drivers' bring-up self-test
// with injected faults (no chip, a stuck MISO bit, a clock too fast for the wiring).

import { CountingOwner } from "../../src/dev/netdev"
import { describe, test, expect } from "@devicescript/test"
import { HardwareSpiBus } from "../../src/drivers/spi-hw"
import { NativeSpiModel, SimCsLine, esp32Baud, rp2040Baud, SpiRuntime } from "../../src/sim/native-spi"
import { SpiTarget } from "../../src/sim/spi"
import { W5500Model } from "../../src/sim/w5500"
import { Enc28j60Model } from "../../src/sim/enc28j60"
import { Segment } from "../../src/sim/lan"
import { ChipStateError, W5500Device } from "../../src/drivers/w5500/device"
import { Enc28j60Device } from "../../src/drivers/enc28j60/device"
import { SelfTestError } from "../../src/drivers/selftest"
import { createDevice, UnknownChipError } from "../../src/drivers/select"
import { SimSpiBus } from "../../src/sim/spi"
import { testConfig } from "../support/config"
import { ChipKind } from "../../src/config/types"

const MAC = hex`02 00 5e 10 00 0a`

/** A chip that records MOSI per chip-select window and answers byte i of a window with i & 0xff. */
class Recorder implements SpiTarget {
    readonly windows: Buffer[] = []
    cur: Buffer = null
    private n = 0

    csLow(): void {
        this.cur = Buffer.alloc(2100)
        this.n = 0
    }

    transfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): void {
        // a bare native transfer with no chip select around it counts as its own window
        if (this.cur === null) this.csLow()
        for (let i = 0; i < len; i++) {
            this.cur[this.n] = tx ? tx[txOff + i] : 0
            if (rx) rx[rxOff + i] = this.n & 0xff
            this.n++
        }
    }

    csHigh(): void {
        this.windows.push(this.cur.slice(0, this.n))
        this.cur = null
    }
}

function rig(rt: SpiRuntime): { rec: Recorder; spi: NativeSpiModel; bus: HardwareSpiBus } {
    const rec = new Recorder()
    const spi = new NativeSpiModel(rt, rec)
    const bus = new HardwareSpiBus(spi, new SimCsLine(rec))
    return { rec, spi, bus }
}

async function errorOf(p: () => Promise<void>): Promise<Error> {
    try {
        await p()
    } catch (e) {
        return e as Error
    }
    return null
}

describe("native SPI model (the runtimes' spiXfer)", () => {
    test("RP2040: a write-only transfer leaves its first bytes in the RX FIFO; the next read returns them first", async () => {
        const rec = new Recorder()
        const spi = new NativeSpiModel("rp2040", rec)
        spi.configure(0, 16000000)
        // what HardwareSpiBus used to do for a register write: spiXfer(tx, null)
        await spi.xfer(hex`00 00 04 80`, null)
        rec.csHigh()
        const rx = Buffer.alloc(4)
        await spi.xfer(hex`00 39 00 00`, rx)
        rec.csHigh()
        // the Recorder answers 0 1 2 3 in each window: the read gets the write's answer, not its own
        expect(rx.toString("hex")).toBe("00010203")
        expect(spi.staleBytes).toBe(4)
        // full duplex from here on: the FIFO holds the last read's tail, so every read stays shifted
        await spi.xfer(hex`00 39 00 00`, rx)
        rec.csHigh()
        expect(rx.toString("hex")).toBe("00010203")
        expect(spi.staleBytes).toBe(8)
    })

    test("ESP32: a write-only transfer leaves nothing behind", async () => {
        const rec = new Recorder()
        const spi = new NativeSpiModel("esp32", rec)
        spi.configure(0, 16000000)
        await spi.xfer(hex`aa bb cc dd ee`, null)
        rec.csHigh()
        const rx = Buffer.alloc(3)
        await spi.xfer(hex`00 00 00`, rx)
        expect(rx.toString("hex")).toBe("000102")
        expect(spi.staleBytes).toBe(0)
    })

    test("the runtime's argument checks: sizes, buffers, an RP2040 read without TX", async () => {
        const spi = new NativeSpiModel("rp2040", new Recorder())
        expect((await errorOf(async () => await spi.xfer(Buffer.alloc(1), null))).message).toBe("SPI not configured")
        spi.configure(0, 1000000)
        expect((await errorOf(async () => await spi.xfer(Buffer.alloc(0), Buffer.alloc(0)))).message).toBe("SPI error: -3")
        expect((await errorOf(async () => await spi.xfer(Buffer.alloc(4097), Buffer.alloc(4097)))).message).toBe("SPI error: -2")
        expect((await errorOf(async () => await spi.xfer(Buffer.alloc(2), Buffer.alloc(3)))).message).toBe("expecting same size TX/RX buffers")
        expect((await errorOf(async () => await spi.xfer(null, null))).message).toBe("expecting at least one of TX/RX buffers")
        expect((await errorOf(async () => await spi.xfer(null, Buffer.alloc(2)))).message).toBe("RP2040: spiXfer without a TX buffer clocks nothing and never completes")
        expect(spi.calls).toBe(0)
    })

    test("the clock each runtime sets: RP2040 125 MHz / (prescale * postdiv), ESP32 80 MHz / n", () => {
        // 125 MHz / 8 is the fastest RP2040 clock at or below 16 and 20 MHz; / 6 below 25 MHz
        expect(rp2040Baud(16000000)).toBe(15625000)
        expect(rp2040Baud(20000000)).toBe(15625000)
        expect(rp2040Baud(25000000)).toBe(20833333)
        expect(rp2040Baud(1000000)).toBe(992063)
        expect(esp32Baud(16000000)).toBe(16000000)
        expect(esp32Baud(20000000)).toBe(20000000)
        expect(esp32Baud(26000000)).toBe(20000000)
        expect(esp32Baud(30000000)).toBe(26666666)
    })
})

describe("HardwareSpiBus over the native SPI model", () => {
    test("every transfer is full duplex, one native call per register access", async () => {
        for (const rt of ["rp2040", "esp32"]) {
            const r = rig(rt as SpiRuntime)
            const tx = hex`00 24 0c bf 2c`
            await r.bus.select()
            await r.bus.xfer(tx, 0, null, 0, 5)
            r.bus.deselect()
            const rx = Buffer.alloc(7)
            await r.bus.select()
            await r.bus.xfer(hex`00 26 08 00 00 00 00`, 0, rx, 0, 7)
            r.bus.deselect()
            expect(r.spi.calls).toBe(2)
            expect(r.spi.staleBytes).toBe(0)
            expect(r.rec.windows[0].toString("hex")).toBe("00240cbf2c")
            expect(rx.toString("hex")).toBe("00010203040506")
        }
    })

    test("a frame window: head and data in one call, rounded up into the chip's spare bytes", async () => {
        const r = rig("rp2040")
        const frame = Buffer.alloc(1514)
        for (let i = 0; i < 1514; i++) frame[i] = (i * 7) & 0xff
        const clocked = await r.bus.window(hex`bf 2c 14`, 3, frame, 0, 1514, true, 1000)
        // 1,517 bytes: 1,024 then the 493 left rounded up to 512
        expect(r.spi.calls).toBe(2)
        expect(clocked).toBe(1536)
        const w = r.rec.windows[0]
        expect(w.length).toBe(1536)
        expect(w.slice(0, 3).toString("hex")).toBe("bf2c14")
        let same = true
        for (let i = 0; i < 1514; i++) if (w[3 + i] !== ((i * 7) & 0xff)) same = false
        expect(same).toBe(true)
        for (let i = 1517; i < 1536; i++) if (w[i] !== 0) same = false
        expect(same).toBe(true)
    })

    test("an exact window (no spare) is cut into the largest pieces, the reply stitched in place", async () => {
        const r = rig("esp32")
        const data = Buffer.alloc(100)
        data.fillAt(0, 100, 0xee)
        // 1 + 99 = 100 bytes: 64 + 32 + 4
        const clocked = await r.bus.window(hex`3a`, 1, data, 1, 99, false, 0)
        expect(clocked).toBe(100)
        expect(r.spi.calls).toBe(3)
        expect(data[0]).toBe(0xee)
        let ok = true
        for (let j = 0; j < 99; j++) if (data[1 + j] !== ((1 + j) & 0xff)) ok = false
        expect(ok).toBe(true)
        // a read clocks zeros after the head
        const w = r.rec.windows[0]
        expect(w.length).toBe(100)
        expect(w[0]).toBe(0x3a)
        for (let j = 1; j < 100; j++) if (w[j] !== 0) ok = false
        expect(ok).toBe(true)
    })
})

function w5500On(rt: SpiRuntime, hz: number): { spi: NativeSpiModel; dev: W5500Device } {
    const chip = new W5500Model(new Segment())
    const spi = new NativeSpiModel(rt, chip)
    const bus = new HardwareSpiBus(spi, new SimCsLine(chip), { hz })
    const dev = new W5500Device(bus, MAC, { task: false, spiHz: hz, resetTimeoutMs: 500, versionTimeoutMs: 20, cmdTimeoutMs: 500 })
    return { spi, dev }
}

function encOn(rt: SpiRuntime, hz: number): { spi: NativeSpiModel; dev: Enc28j60Device } {
    const chip = new Enc28j60Model(new Segment())
    const spi = new NativeSpiModel(rt, chip)
    const bus = new HardwareSpiBus(spi, new SimCsLine(chip), { hz })
    const dev = new Enc28j60Device(bus, MAC, { pollMs: 0, spiHz: hz })
    return { spi, dev }
}

const HINT = "check the wiring (short wires, a common ground, MISO/MOSI not swapped) or lower spi.hz in devicescript.json"

describe("bring-up self-test", () => {
    test("W5500 on the RP2040 model: identity, read-back and link reported", async () => {
        const b = w5500On("rp2040", 16000000)
        await b.dev.open(new CountingOwner())
        expect(b.dev.bringUp).toBe("w5500: VERSIONR 0x04, SPI read-back ok (12 bytes at 16 MHz), link up 100M full duplex")
        expect(b.spi.staleBytes).toBe(0)
    })

    test("ENC28J60 on the ESP32 model: identity, read-back and link reported", async () => {
        const b = encOn("esp32", 16000000)
        await b.dev.open(new CountingOwner())
        expect(b.dev.bringUp).toBe("enc28j60: EREVID 0x06 (B7), SPI read-back ok (12 bytes at 16 MHz), link up 10M half duplex")
    })

    test("no chip (MISO floats high): the identity check says so", async () => {
        const w = w5500On("esp32", 16000000)
        w.spi.absent = true
        const e1 = await errorOf(async () => await w.dev.open(new CountingOwner()))
        expect(e1 instanceof ChipStateError && e1.what === "VERSIONR").toBe(true)
        expect(e1.message).toBe("W5500: VERSIONR reads 0xff, expected 0x04: no chip answers (MISO stays high): check the chip's power, its chip select and MISO")
        const e = encOn("rp2040", 16000000)
        e.spi.absent = true
        const e2 = await errorOf(async () => await e.dev.open(new CountingOwner()))
        expect(e2 instanceof SelfTestError).toBe(true)
        expect(e2.message).toBe("ENC28J60: EREVID reads 0xff: no chip answers (MISO stays high): check the chip's power, its chip select and MISO")
    })

    test("a MISO bit stuck low: the read-back names what was written and read", async () => {
        // bit 1: VERSIONR 0x04 reads right, the pattern does not
        const w = w5500On("rp2040", 16000000)
        w.spi.stuckLow = 0x02
        const e1 = await errorOf(async () => await w.dev.open(new CountingOwner()))
        expect(e1 instanceof SelfTestError).toBe(true)
        expect(e1.message).toBe(
            "w5500: SPI read-back mismatch at 16 MHz: wrote 55 aa 00 ff 01 02 04 08 10 20 40 80, read 55 a8 00 fd 01 00 04 08 10 20 40 80: " + HINT + " (now 16 MHz)"
        )
        // EREVID 0x06 reads 0x04 (B4, accepted at 16 MHz): the pattern catches it
        const e = encOn("esp32", 16000000)
        e.spi.stuckLow = 0x02
        const e2 = await errorOf(async () => await e.dev.open(new CountingOwner()))
        expect(e2 instanceof SelfTestError).toBe(true)
        expect(e2.message).toBe(
            "enc28j60: SPI read-back mismatch at 16 MHz: wrote 55 aa 00 ff 01 02 04 08 10 20 40 80, read 55 a8 00 fd 01 00 04 08 10 20 40 80: " + HINT + " (now 16 MHz)"
        )
    })

    test("a clock too fast for the ESP32's GPIO-matrix SPI (40 MHz): reads shift a bit, lowering spi.hz is the advice", async () => {
        const w = w5500On("esp32", 40000000)
        const e1 = await errorOf(async () => await w.dev.open(new CountingOwner()))
        expect(e1 instanceof ChipStateError && e1.what === "VERSIONR").toBe(true)
        // 0x04 sampled one bit late, the line idling high after the last byte: 0x09
        expect(e1.message).toBe("W5500: VERSIONR reads 0x09, expected 0x04: another chip, or reads corrupted on the way: " + HINT + " (now 40 MHz)")
        const ok = w5500On("esp32", 20000000)
        await ok.dev.open(new CountingOwner())
        expect(ok.dev.carrier()).toBe(true)
        const e = encOn("esp32", 40000000)
        const e2 = await errorOf(async () => await e.dev.open(new CountingOwner()))
        expect(e2 === null ? "no error" : e2.name).toBe("SelfTestError")
        expect(e2.message.indexOf("lower spi.hz in devicescript.json (now 40 MHz)") > 0).toBe(true)
    })
})

describe("driver selection", () => {
    test("createDevice picks the driver devicescript.json's chip names, with its MTU and clock", () => {
        const cfg = testConfig()
        cfg.chip = "enc28j60"
        cfg.spiHz = 12000000
        const e = createDevice(cfg, new SimSpiBus(new Recorder()))
        expect(e instanceof Enc28j60Device).toBe(true)
        expect((e as Enc28j60Device).spiHz).toBe(12000000)
        cfg.chip = "w5500"
        const w = createDevice(cfg, new SimSpiBus(new Recorder()))
        expect(w instanceof W5500Device).toBe(true)
        expect(w.name).toBe("w5500")
        cfg.chip = "dm9051" as ChipKind
        let msg = ""
        try {
            createDevice(cfg, new SimSpiBus(new Recorder()))
        } catch (x) {
            if (x instanceof UnknownChipError) msg = x.message
        }
        expect(msg).toBe("no driver for chip 'dm9051'")
    })
})
