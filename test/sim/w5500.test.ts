// The W5500 model alone, driven through SimSpiBus with hand-built SPI frames (no driver), against
// the behaviours of the W5500 datasheet v1.0.9 and chips.md §1/§4. The model's clock is frozen
// (clock = 0), so time passes only with SPI traffic and advance().

import * as ds from "@devicescript/core"
import { describe, test, expect } from "@devicescript/test"
import { SimSpiBus } from "../../src/sim/spi"
import { SpiTimeoutError } from "../../src/drivers/spi"
import { VirtualHost } from "../../src/sim/host"
import { Segment } from "../../src/sim/lan"
import { W5500Model } from "../../src/sim/w5500"
import { Block, Common, Sn, SnCr, SnIr, SnSr } from "../../src/drivers/w5500/regs"
import { bytesEqual, getU16 } from "../../src/wire/bytes"

const MAC = hex`02 00 5e 10 00 0a`

class Rig {
    readonly seg = new Segment()
    readonly chip: W5500Model
    readonly bus: SimSpiBus
    /** Frames the model put on the wire (copies). */
    readonly wire: Buffer[] = []
    constructor() {
        this.chip = new W5500Model(this.seg, { clock: () => 0 })
        this.bus = new SimSpiBus(this.chip, { yieldEvery: 8 })
        const wire = this.wire
        this.seg.tap((f, off, len) => {
            const c = Buffer.alloc(len)
            c.blitAt(0, f, off, len)
            wire.push(c)
        })
    }

    /** One chip-select window clocking `frame` out; returns what came back on MISO. */
    async xfer(frame: Buffer): Promise<Buffer> {
        const back = Buffer.alloc(frame.length)
        await this.bus.select()
        try {
            await this.bus.xfer(frame, 0, back, 0, frame.length)
        } finally {
            this.bus.deselect()
        }
        return back
    }

    async write(block: number, addr: number, data: Buffer): Promise<void> {
        const f = Buffer.alloc(3 + data.length)
        f[0] = addr >> 8
        f[1] = addr & 0xff
        f[2] = (block << 3) | 0x04
        f.blitAt(3, data, 0, data.length)
        await this.xfer(f)
    }

    async read(block: number, addr: number, n: number): Promise<Buffer> {
        const f = Buffer.alloc(3 + n)
        f[0] = addr >> 8
        f[1] = addr & 0xff
        f[2] = block << 3
        return (await this.xfer(f)).slice(3)
    }

    async w8(block: number, addr: number, v: number): Promise<void> {
        const b = Buffer.alloc(1)
        b[0] = v
        await this.write(block, addr, b)
    }

    async w16(block: number, addr: number, v: number): Promise<void> {
        const b = Buffer.alloc(2)
        b[0] = v >> 8
        b[1] = v & 0xff
        await this.write(block, addr, b)
    }

    async r8(block: number, addr: number): Promise<number> {
        return (await this.read(block, addr, 1))[0]
    }

    async r16(block: number, addr: number): Promise<number> {
        return getU16(await this.read(block, addr, 2), 0)
    }

    /** Socket 0 MACRAW with the MAC filter, `kb` KB each way (others 0), opened and settled. */
    async openMacraw(kb: number): Promise<void> {
        await this.write(Block.Common, Common.SHAR, MAC)
        for (let n = 7; n >= 1; n--) await this.write(4 * n + 1, Sn.RXBUF_SIZE, hex`00 00`)
        const sz = Buffer.alloc(2)
        sz[0] = kb
        sz[1] = kb
        await this.write(Block.S0Reg, Sn.RXBUF_SIZE, sz)
        await this.w8(Block.S0Reg, Sn.MR, 0x84)
        await this.w8(Block.S0Reg, Sn.CR, SnCr.OPEN)
        this.chip.advance(50)
    }

    /** Put a frame of `len` bytes to our MAC on the wire from outside (a peer). */
    deliver(len: number, fill: number): void {
        const f = Buffer.alloc(len)
        f.blitAt(0, MAC, 0, 6)
        f.fillAt(6, 6, 0x22)
        f[12] = 0x08
        f[13] = 0x00
        f.fillAt(14, len - 14, fill)
        f[len - 1] = len & 0xff
        this.seg.transmit(null, f, 0, len)
    }
}

describe("W5500 model: SPI frame format (§2.2)", () => {
    test("MISO carries 01 02 03 during the header; reads auto-increment across registers", async () => {
        const r = new Rig()
        // RTR (0x0019-1A) and RCR (0x001B) in one variable-length read of the common block
        const back = await r.xfer(hex`00 19 00 00 00 00`)
        expect(back[0]).toBe(0x01)
        expect(back[1]).toBe(0x02)
        expect(back[2]).toBe(0x03)
        expect(getU16(back, 3)).toBe(0x07d0)
        expect(back[5]).toBe(0x08)
        expect(r.chip.transactions).toBe(1)
        expect(r.chip.bytes).toBe(6)
    })

    test("write frames: RWB set, data auto-increments; read back", async () => {
        const r = new Rig()
        await r.xfer(hex`00 09 04 02 00 5e 10 00 0a`)
        const shar = await r.read(Block.Common, Common.SHAR, 6)
        expect(bytesEqual(shar, 0, MAC, 0, 6)).toBe(true)
    })

    test("a reserved block select is flagged, reads 0 and writes nothing", async () => {
        const r = new Rig()
        // BSB 00100 (4) is reserved: 0x20 read, 0x24 write
        const back = await r.xfer(hex`00 39 20 55`)
        expect(back[3]).toBe(0)
        await r.xfer(hex`00 00 24 80`)
        expect(r.chip.reservedBlockAccesses).toBe(2)
        expect(r.chip.protocolErrors).toBe(2)
        expect(r.chip.resets).toBe(1) // the write to "MR" of block 4 did not reset the chip
    })

    test("fixed-length data mode: frames follow each other inside one chip select (§2.4)", async () => {
        const r = new Rig()
        // OM=01 (1 byte) VERSIONR, then OM=10 (2 bytes) RTR, one CS window
        const back = await r.xfer(hex`00 39 01 00 00 19 02 00 00`)
        expect(back[3]).toBe(0x04)
        expect(back[4]).toBe(0x01) // header echo of the second frame
        expect(getU16(back, 7)).toBe(0x07d0)
    })

    test("chip select released inside the header is flagged", async () => {
        const r = new Rig()
        await r.xfer(hex`00`)
        expect(r.chip.protocolErrors).toBe(1)
    })
})

describe("W5500 model: reset and identification (§4.1)", () => {
    test("reset values of the common and socket registers", async () => {
        const r = new Rig()
        expect(await r.r8(Block.Common, Common.MR)).toBe(0)
        expect(await r.r16(Block.Common, Common.RTR)).toBe(0x07d0)
        expect(await r.r8(Block.Common, Common.RCR)).toBe(8)
        expect(await r.r8(Block.Common, Common.PHYCFGR)).toBe(0xbf) // RST, OPMDC=111, 100 Mb/s full, link
        expect(await r.r8(Block.Common, Common.VERSIONR)).toBe(0x04)
        const s = await r.read(Block.S0Reg, 0, 0x30)
        expect(s[Sn.MR]).toBe(0)
        expect(s[Sn.SR]).toBe(SnSr.CLOSED)
        expect(s[0x16]).toBe(0x80) // Sn_TTL
        expect(s[Sn.RXBUF_SIZE]).toBe(2)
        expect(s[Sn.TXBUF_SIZE]).toBe(2)
        expect(getU16(s, Sn.TX_FSR)).toBe(0x0800)
        expect(getU16(s, Sn.TX_WR)).toBe(0)
        expect(s[Sn.IMR]).toBe(0xff)
        expect(getU16(s, 0x2d)).toBe(0x4000) // Sn_FRAG
        expect(s[0x06] & s[0x0b]).toBe(0xff) // Sn_DHAR
    })

    test("MR.RST resets every register and self-clears", async () => {
        const r = new Rig()
        r.chip.resetReads = 3
        await r.w16(Block.Common, Common.RTR, 0x1234)
        await r.w8(Block.S0Reg, Sn.TXBUF_SIZE, 4)
        await r.w8(Block.Common, Common.MR, 0x80)
        expect(await r.r8(Block.Common, Common.MR)).toBe(0x80)
        expect(await r.r8(Block.Common, Common.MR)).toBe(0x80)
        expect(await r.r8(Block.Common, Common.MR)).toBe(0x80)
        expect(await r.r8(Block.Common, Common.MR)).toBe(0)
        expect(await r.r16(Block.Common, Common.RTR)).toBe(0x07d0)
        expect(await r.r8(Block.S0Reg, Sn.TXBUF_SIZE)).toBe(2)
        expect(r.chip.resets).toBe(2)
    })

    test("fault: VERSIONR reads 0 for the first K reads after reset", async () => {
        const r = new Rig()
        r.chip.versionZeroReads = 2
        await r.w8(Block.Common, Common.MR, 0x80)
        expect(await r.r8(Block.Common, Common.VERSIONR)).toBe(0)
        expect(await r.r8(Block.Common, Common.VERSIONR)).toBe(0)
        expect(await r.r8(Block.Common, Common.VERSIONR)).toBe(4)
        await r.w8(Block.Common, Common.VERSIONR, 7) // read-only
        expect(await r.r8(Block.Common, Common.VERSIONR)).toBe(4)
        expect(r.chip.readOnlyWrites).toBe(1)
    })

    test("PHYCFGR shows the link the test sets; RST=0 and power-down drop it; OPMDC forces the mode", async () => {
        const r = new Rig()
        r.chip.setLink(false)
        expect(await r.r8(Block.Common, Common.PHYCFGR)).toBe(0xb8)
        r.chip.setLink(true, false, false)
        expect(await r.r8(Block.Common, Common.PHYCFGR)).toBe(0xb9) // 10 Mb/s half, link
        r.chip.setLink(true, true, true)
        await r.w8(Block.Common, Common.PHYCFGR, 0x38) // RST low: PHY held in reset
        expect((await r.r8(Block.Common, Common.PHYCFGR)) & 0x07).toBe(0)
        await r.w8(Block.Common, Common.PHYCFGR, 0xc8) // RST high, OPMD, OPMDC=001: 10 Mb/s full
        expect(await r.r8(Block.Common, Common.PHYCFGR)).toBe(0xcd)
        await r.w8(Block.Common, Common.PHYCFGR, 0xf0) // OPMDC=110: power down
        expect((await r.r8(Block.Common, Common.PHYCFGR)) & 0x01).toBe(0)
        await r.w8(Block.Common, Common.PHYCFGR, 0xff) // status bits are read-only
        expect(await r.r8(Block.Common, Common.PHYCFGR)).toBe(0xff)
    })
})

describe("W5500 model: socket 0 MACRAW (§4.2)", () => {
    test("OPEN: Sn_SR 0x42, pointers loaded with non-zero values, FSR = buffer size", async () => {
        const r = new Rig()
        await r.openMacraw(16)
        expect(await r.r8(Block.S0Reg, Sn.SR)).toBe(SnSr.MACRAW)
        const p = await r.read(Block.S0Reg, Sn.TX_FSR, 12)
        expect(getU16(p, 0)).toBe(16384)
        expect(getU16(p, 2)).toBe(0xbf00) // TX_RD
        expect(getU16(p, 4)).toBe(0xbf00) // TX_WR
        expect(getU16(p, 6)).toBe(0) // RX_RSR
        expect(getU16(p, 8)).toBe(0xbe80) // RX_RD
        expect(getU16(p, 10)).toBe(0xbe80) // RX_WR
        expect(r.chip.protocolErrors).toBe(0)
    })

    test("OPEN with a protocol other than MACRAW, or MACRAW on socket 1, does not open", async () => {
        const r = new Rig()
        await r.w8(Block.S0Reg, Sn.MR, 0x02) // UDP: not modelled
        await r.w8(Block.S0Reg, Sn.CR, SnCr.OPEN)
        expect(await r.r8(Block.S0Reg, Sn.SR)).toBe(SnSr.CLOSED)
        await r.w8(5, Sn.MR, 0x04)
        await r.w8(5, Sn.CR, SnCr.OPEN)
        expect(await r.r8(5, Sn.SR)).toBe(SnSr.CLOSED)
        expect(r.chip.protocolErrors).toBe(2)
    })

    test("Sn_CR stays non-zero for a while after a command; a command written meanwhile is flagged", async () => {
        const r = new Rig()
        await r.w8(Block.S0Reg, Sn.MR, 0x84)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.OPEN)
        expect(await r.r8(Block.S0Reg, Sn.CR)).toBe(SnCr.OPEN)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.CLOSE) // too early
        expect(r.chip.cmdWhileBusy).toBe(1)
        r.chip.advance(10)
        expect(await r.r8(Block.S0Reg, Sn.CR)).toBe(0)
        expect(await r.r8(Block.S0Reg, Sn.SR)).toBe(SnSr.MACRAW) // the CLOSE was ignored
        r.chip.crMinReads = 2
        await r.w8(Block.S0Reg, Sn.CR, SnCr.CLOSE)
        r.chip.advance(100)
        expect(await r.r8(Block.S0Reg, Sn.CR)).toBe(SnCr.CLOSE)
        expect(await r.r8(Block.S0Reg, Sn.CR)).toBe(SnCr.CLOSE)
        expect(await r.r8(Block.S0Reg, Sn.CR)).toBe(0)
        expect(await r.r8(Block.S0Reg, Sn.SR)).toBe(SnSr.CLOSED)
    })

    test("SEND: one frame from TX_RD to TX_WR, padded to 60; SENDOK after the wire time; TX_RD = TX_WR", async () => {
        const r = new Rig()
        await r.openMacraw(16)
        const frame = Buffer.alloc(42)
        for (let i = 0; i < 42; i++) frame[i] = i + 1
        await r.write(Block.S0Tx, 0xbf00, frame)
        await r.w16(Block.S0Reg, Sn.TX_WR, 0xbf00 + 42)
        expect(await r.r16(Block.S0Reg, Sn.TX_FSR)).toBe(16384 - 42)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.SEND)
        expect(r.wire.length).toBe(1)
        expect(r.wire[0].length).toBe(60)
        expect(bytesEqual(r.wire[0], 0, frame, 0, 42)).toBe(true)
        expect(r.wire[0][59]).toBe(0)
        // 10 µs command + (60 + 24) * 8 / 100 = 6.7 µs on the wire: not yet
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(0)
        expect(await r.r16(Block.S0Reg, Sn.TX_RD)).toBe(0xbf00)
        r.chip.advance(20)
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(SnIr.SENDOK)
        expect(await r.r16(Block.S0Reg, Sn.TX_RD)).toBe(0xbf00 + 42)
        expect(await r.r16(Block.S0Reg, Sn.TX_FSR)).toBe(16384)
        expect(r.chip.framesSent).toBe(1)
    })

    test("wire time follows the PHY speed: 1514 bytes take 123 µs at 100 Mb/s, 1.2 ms at 10 Mb/s", async () => {
        const r = new Rig()
        await r.openMacraw(16)
        r.chip.setLink(true, false, true)
        await r.write(Block.S0Tx, 0xbf00, Buffer.alloc(1514))
        await r.w16(Block.S0Reg, Sn.TX_WR, 0xbf00 + 1514)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.SEND)
        r.chip.advance(1000)
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(0)
        r.chip.advance(300)
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(SnIr.SENDOK)
    })

    test("no SENDOK while the link is down, and none later for that SEND; SEND before SENDOK is flagged", async () => {
        const r = new Rig()
        await r.openMacraw(16)
        r.chip.setLink(false)
        await r.write(Block.S0Tx, 0xbf00, Buffer.alloc(100))
        await r.w16(Block.S0Reg, Sn.TX_WR, 0xbf00 + 100)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.SEND)
        r.chip.advance(100000)
        expect(r.wire.length).toBe(0)
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(0)
        r.chip.setLink(true)
        r.chip.advance(100000)
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(0)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.SEND)
        expect(r.chip.sendWhileBusy).toBe(1)
        expect(r.chip.sendsStuck).toBe(1)
    })

    test("fault: SENDOK never arrives for the next N sends; CLOSE/OPEN recovers", async () => {
        const r = new Rig()
        await r.openMacraw(16)
        r.chip.sendOkLoss = 1
        await r.write(Block.S0Tx, 0xbf00, Buffer.alloc(100))
        await r.w16(Block.S0Reg, Sn.TX_WR, 0xbf00 + 100)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.SEND)
        r.chip.advance(10000)
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(0)
        expect(r.wire.length).toBe(0)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.CLOSE)
        r.chip.advance(20)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.OPEN)
        r.chip.advance(20)
        await r.write(Block.S0Tx, 0xbf00, Buffer.alloc(100))
        await r.w16(Block.S0Reg, Sn.TX_WR, 0xbf00 + 100)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.SEND)
        r.chip.advance(50)
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(SnIr.SENDOK)
        expect(r.wire.length).toBe(1)
    })

    test("TX: 16-bit pointers wrap past 0xFFFF and the offset wraps inside the buffer", async () => {
        const r = new Rig()
        r.chip.txPointerOnOpen = 0xfff0
        await r.openMacraw(2) // 2 KB: physical offset 0x7F0, 16 bytes before the end
        const frame = Buffer.alloc(64)
        for (let i = 0; i < 64; i++) frame[i] = 0x40 + i
        await r.write(Block.S0Tx, 0xfff0, frame)
        // the same bytes, seen from pointer 0x0000 (= 0x10000): physical 0, the 17th byte on
        expect(bytesEqual(await r.read(Block.S0Tx, 0x0000, 48), 0, frame, 16, 48)).toBe(true)
        await r.w16(Block.S0Reg, Sn.TX_WR, (0xfff0 + 64) & 0xffff)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.SEND)
        r.chip.advance(50)
        expect(r.wire.length).toBe(1)
        expect(bytesEqual(r.wire[0], 0, frame, 0, 64)).toBe(true)
        expect(await r.r16(Block.S0Reg, Sn.TX_RD)).toBe(0x0030)
        expect(await r.r16(Block.S0Reg, Sn.TX_FSR)).toBe(2048)
    })

    test("RX: [len+2][frame] at RX_WR, wrapping; RSR; RX_RD takes effect at RECV", async () => {
        const r = new Rig()
        r.chip.rxPointerOnOpen = 0xfff8
        await r.openMacraw(2)
        r.deliver(60, 1)
        r.deliver(100, 2)
        expect(await r.r16(Block.S0Reg, Sn.RX_RSR)).toBe(62 + 102)
        expect(await r.r16(Block.S0Reg, Sn.RX_WR)).toBe((0xfff8 + 164) & 0xffff)
        expect(await r.r16(Block.S0Rx, 0xfff8)).toBe(62) // header straddles the buffer end
        const f1 = await r.read(Block.S0Rx, 0xfffa, 60)
        expect(bytesEqual(f1, 0, MAC, 0, 6)).toBe(true)
        expect(f1[58]).toBe(1)
        expect(f1[59]).toBe(60)
        expect(await r.r16(Block.S0Rx, (0xfff8 + 62) & 0xffff)).toBe(102)
        await r.w16(Block.S0Reg, Sn.RX_RD, (0xfff8 + 62) & 0xffff)
        expect(await r.r16(Block.S0Reg, Sn.RX_RSR)).toBe(164) // not before RECV
        await r.w8(Block.S0Reg, Sn.CR, SnCr.RECV)
        expect(await r.r16(Block.S0Reg, Sn.RX_RSR)).toBe(102)
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(SnIr.RECV)
    })

    test("fault: a corrupt RX length header", async () => {
        const r = new Rig()
        await r.openMacraw(2)
        r.chip.corruptRxHeader = 0x0001
        r.deliver(60, 0)
        r.deliver(60, 0)
        expect(await r.r16(Block.S0Rx, 0xbe80)).toBe(1)
        expect(await r.r16(Block.S0Rx, 0xbe80 + 62)).toBe(62)
    })

    test("RX buffer full: frames that do not fit are dropped and counted (16 KB)", async () => {
        const r = new Rig()
        await r.openMacraw(16)
        for (let i = 0; i < 11; i++) r.deliver(1514, i)
        expect(r.chip.framesStored).toBe(10)
        expect(r.chip.rxDroppedFull).toBe(1)
        expect(await r.r16(Block.S0Reg, Sn.RX_RSR)).toBe(10 * 1516)
        r.deliver(1000, 0) // 16384 - 15160 = 1224 free: 1002 fits
        expect(r.chip.framesStored).toBe(11)
        // releasing the first frame makes room again, and its memory goes back to the pool
        await r.w16(Block.S0Reg, Sn.RX_RD, 0xbe80 + 1516)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.RECV)
        r.chip.advance(20)
        r.deliver(1514, 0)
        expect(r.chip.framesStored).toBe(12)
    })

    test("MAC filter: MFEN passes our MAC and broadcast; MIP6B blocks IPv6; runts are dropped", async () => {
        const r = new Rig()
        await r.openMacraw(2)
        await r.w8(Block.S0Reg, Sn.MR, 0x94) // MFEN | MIP6B | MACRAW
        const f = Buffer.alloc(60)
        f.fillAt(0, 6, 0xff)
        r.seg.transmit(null, f, 0, 60) // broadcast: stored
        f[0] = 0x02
        r.seg.transmit(null, f, 0, 60) // someone else's unicast: filtered
        f.blitAt(0, MAC, 0, 6)
        f[12] = 0x86
        f[13] = 0xdd
        r.seg.transmit(null, f, 0, 60) // IPv6 to us: filtered by MIP6B
        f[12] = 0x08
        f[13] = 0x00
        r.seg.transmit(null, f, 0, 59) // runt
        expect(r.chip.framesStored).toBe(1)
        expect(r.chip.rxFiltered).toBe(2)
        expect(r.chip.rxRunts).toBe(1)
    })

    test("torn reads: RX_RSR and TX_FSR can change between their two bytes", async () => {
        const r = new Rig()
        await r.openMacraw(2)
        r.deliver(200, 0) // RSR 202 = 0x00CA
        r.chip.armTear(Sn.RX_RSR, () => r.deliver(100, 0)) // RSR 304 = 0x0130 after the high byte
        expect(await r.r16(Block.S0Reg, Sn.RX_RSR)).toBe(0x0030) // high byte of 202, low byte of 304
        expect(await r.r16(Block.S0Reg, Sn.RX_RSR)).toBe(304)
        // FSR 2048 - 300 = 0x06D4 while the frame is on the wire, 0x0800 after SENDOK
        await r.write(Block.S0Tx, 0xbf00, Buffer.alloc(300))
        await r.w16(Block.S0Reg, Sn.TX_WR, 0xbf00 + 300)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.SEND)
        r.chip.armTear(Sn.TX_FSR, () => r.chip.advance(100))
        expect(await r.r16(Block.S0Reg, Sn.TX_FSR)).toBe(0x0600)
        expect(await r.r16(Block.S0Reg, Sn.TX_FSR)).toBe(0x0800)
    })

    test("Sn_IR is write-one-to-clear; SIR and INTn follow it", async () => {
        const r = new Rig()
        await r.openMacraw(2)
        await r.write(Block.S0Tx, 0xbf00, Buffer.alloc(60))
        await r.w16(Block.S0Reg, Sn.TX_WR, 0xbf00 + 60)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.SEND)
        r.chip.advance(50)
        r.deliver(60, 0)
        await r.w8(Block.Common, Common.SIMR, 0x01)
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(SnIr.SENDOK | SnIr.RECV)
        expect(await r.r8(Block.Common, Common.SIR)).toBe(1)
        expect(r.chip.interruptAsserted()).toBe(true)
        await r.w8(Block.S0Reg, Sn.IR, 0) // writing 0 changes nothing
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(SnIr.SENDOK | SnIr.RECV)
        await r.w8(Block.S0Reg, Sn.IR, SnIr.SENDOK)
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(SnIr.RECV)
        await r.w8(Block.S0Reg, Sn.IR, SnIr.RECV)
        expect(await r.r8(Block.S0Reg, Sn.IR)).toBe(0)
        expect(await r.r8(Block.Common, Common.SIR)).toBe(0)
        expect(r.chip.interruptAsserted()).toBe(false)
    })

    test("16 KB rule: buffer sizes summing above 16 KB are flagged and OPEN is refused", async () => {
        const r = new Rig()
        await r.w8(Block.S0Reg, Sn.RXBUF_SIZE, 16) // sockets 1-7 still have 2 KB each: 30 KB
        expect(r.chip.bufferRuleViolations).toBe(1)
        await r.w8(Block.S0Reg, Sn.MR, 0x84)
        await r.w8(Block.S0Reg, Sn.CR, SnCr.OPEN)
        r.chip.advance(20)
        expect(await r.r8(Block.S0Reg, Sn.SR)).toBe(SnSr.CLOSED)
        expect(r.chip.bufferRuleViolations).toBe(2)
        await r.w8(Block.S0Reg, Sn.RXBUF_SIZE, 0)
        await r.w8(5, Sn.RXBUF_SIZE, 0)
        await r.w8(Block.S0Reg, Sn.RXBUF_SIZE, 3) // not a valid size (and 3 + 6 x 2 is within 16)
        expect(r.chip.lastProtocolError).toBe("buffer size 3 KB is not 0/1/2/4/8/16")
        await r.openMacraw(16)
        expect(await r.r8(Block.S0Reg, Sn.SR)).toBe(SnSr.MACRAW)
        expect(r.chip.bufferRuleViolations).toBe(2)
    })

    test("socket n's buffer starts after those of sockets 0..n-1", async () => {
        const r = new Rig()
        // defaults: 2 KB each; socket 1's TX buffer is physical 0x800..0xFFF
        await r.write(6, 0x0000, hex`a1 a2`) // socket 1 TX (BSB 00110)
        await r.write(Block.S0Tx, 0x0800, hex`b1 b2`) // socket 0 TX wraps at 2 KB: physical 0
        const a = await r.read(6, 0x0800, 2) // socket 1 wraps at 2 KB too: physical 0x800
        expect(a[0]).toBe(0xa1)
        const b = await r.read(Block.S0Tx, 0, 2)
        expect(b[1]).toBe(0xb2)
    })

    test("SPI transactions and bytes are counted by the model and by the bus", async () => {
        const r = new Rig()
        await r.r8(Block.Common, Common.VERSIONR)
        await r.write(Block.Common, Common.SHAR, MAC)
        expect(r.chip.transactions).toBe(2)
        expect(r.chip.bytes).toBe(4 + 9)
        expect(r.bus.transactions).toBe(2)
        expect(r.bus.bytes).toBe(13)
    })
})

describe("SimSpiBus", () => {
    test("select() waits for a bus another fiber holds and gets it at deselect(), in order", async () => {
        const r = new Rig()
        const bus = r.bus
        let order = ""
        const other = async (tag: string) => {
            await bus.select()
            order += tag
            bus.deselect()
        }
        await bus.select()
        other.start("b")
        other.start("c")
        await ds.sleep(3)
        order += "a"
        bus.deselect()
        await ds.sleep(3)
        expect(order).toBe("abc")
        expect(bus.transactions).toBe(3)
    })

    test("select() gives up with SpiTimeoutError when the bus is never released", async () => {
        const r = new Rig()
        const bus = new SimSpiBus(r.chip, { lockTimeoutMs: 5 })
        await bus.select()
        let err: SpiTimeoutError = null
        const other = async () => {
            try {
                await bus.select()
            } catch (e) {
                if (e instanceof SpiTimeoutError) err = e
            }
        }
        other.start()
        // the waiter gives up after 5 ms; poll for it (bounded), a loaded machine may be slow
        for (let i = 0; i < 200 && err === null; i++) await ds.sleep(10)
        expect(err === null ? "no SpiTimeoutError" : err.name).toBe("SpiTimeoutError")
        expect(bus.lockTimeouts).toBe(1)
        bus.deselect()
        await bus.select() // the timed-out waiter did not keep a claim on the bus
        bus.deselect()
    })

    test("a long burst of transactions yields often enough for the step watchdog", async () => {
        const r = new Rig()
        const f = hex`00 39 00 00`
        const back = Buffer.alloc(4)
        for (let i = 0; i < 2000; i++) {
            await r.bus.select()
            await r.bus.xfer(f, 0, back, 0, 4)
            r.bus.deselect()
        }
        expect(back[3]).toBe(4)
        expect(r.chip.transactions).toBe(2000)
    })
})

describe("VirtualHost", () => {
    test("answers ARP and ping, records UDP, stays quiet when silent", () => {
        const seg = new Segment()
        const a = new VirtualHost(seg, hex`02 00 00 00 00 01`, 0xc0000201)
        const b = new VirtualHost(seg, hex`02 00 00 00 00 02`, 0xc0000202)
        expect(a.ping(0xc0000202, 1, 1, 32)).toBe(false) // ARP first
        expect(b.arpRequestsAnswered).toBe(1)
        expect(a.ping(0xc0000202, 1, 2, 32)).toBe(true)
        expect(a.echoRepliesReceived).toBe(1)
        expect(a.lastEchoSeq).toBe(2)
        const p = hex`01 02 03 04 05`
        expect(a.sendUdp(0xc0000202, 1000, 2000, p, 0, 5)).toBe(true)
        expect(b.udpReceived).toBe(1)
        expect(b.udp[0].srcPort).toBe(1000)
        expect(bytesEqual(b.udp[0].payload, 0, p, 0, 5)).toBe(true)
        const c = new VirtualHost(seg, hex`02 00 00 00 00 03`, 0xc0000203)
        const before = seg.frames
        c.silent = true
        expect(a.sendUdp(0xc0000203, 1, 2, p, 0, 5)).toBe(false)
        expect(a.sendUdp(0xc0000203, 1, 2, p, 0, 5)).toBe(false)
        expect(c.arpRequestsAnswered).toBe(0)
        expect(c.framesSeen).toBe(seg.frames - before) // the two broadcasts, no answer
    })
})
