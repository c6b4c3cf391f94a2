// The ENC28J60 model alone, driven with hand-built SPI transactions (DS39662E section 4): opcodes,
// banks, the dummy byte, BFS/BFC rules, buffer pointers, the TX status vector, the RX header and
// FCS, EPKTCNT/PKTDEC, the buffered ERXRDPT, the ring-full stop, MII BUSY, EREVID, SPI counts and
// the injected errata.
import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { Enc28j60Model, DUMMY_BYTE } from "../../src/sim/enc28j60"
import { Segment } from "../../src/sim/lan"
import { Reg, Phy } from "../../src/drivers/enc28j60/regs"
import { yieldToScheduler } from "../support/rig"

const MAC = hex`02 00 5e 10 00 0a`
const PEER = hex`02 00 5e 10 00 14`

/** One SPI transaction: the bytes in `tx`, what came back. */
function xact(m: Enc28j60Model, tx: number[]): Buffer {
    const b = Buffer.alloc(tx.length)
    for (let i = 0; i < tx.length; i++) b[i] = tx[i]
    const rx = Buffer.alloc(tx.length)
    m.csLow()
    m.transfer(b, 0, rx, 0, tx.length)
    m.csHigh()
    return rx
}

function bank(m: Enc28j60Model, r: number): void {
    xact(m, [0xa0 | 0x1f, 0x03])
    const b = (r >> 5) & 3
    if (b) xact(m, [0x80 | 0x1f, b])
}

function rcr(m: Enc28j60Model, r: number): number {
    if ((r & 0x1f) < 0x1b) bank(m, r)
    if (r & 0x80) return xact(m, [r & 0x1f, 0, 0])[2]
    return xact(m, [r & 0x1f, 0])[1]
}

function wcr(m: Enc28j60Model, r: number, v: number): void {
    if ((r & 0x1f) < 0x1b) bank(m, r)
    xact(m, [0x40 | (r & 0x1f), v])
}

function wcr16(m: Enc28j60Model, r: number, v: number): void {
    wcr(m, r, v & 0xff)
    wcr(m, r + 1, v >> 8)
}

function bfs(m: Enc28j60Model, r: number, v: number): void {
    if ((r & 0x1f) < 0x1b) bank(m, r)
    xact(m, [0x80 | (r & 0x1f), v])
}

function bfc(m: Enc28j60Model, r: number, v: number): void {
    if ((r & 0x1f) < 0x1b) bank(m, r)
    xact(m, [0xa0 | (r & 0x1f), v])
}

function rbm(m: Enc28j60Model, n: number): Buffer {
    const rx = Buffer.alloc(n + 1)
    const tx = Buffer.alloc(n + 1)
    tx[0] = 0x3a
    m.csLow()
    m.transfer(tx, 0, rx, 0, n + 1)
    m.csHigh()
    return rx.slice(1)
}

function wbm(m: Enc28j60Model, data: Buffer): void {
    m.csLow()
    m.transfer(hex`7a`, 0, null, 0, 1)
    m.transfer(data, 0, null, 0, data.length)
    m.csHigh()
}

function phyRead(m: Enc28j60Model, r: number): number {
    wcr(m, Reg.MIREGADR, r)
    wcr(m, Reg.MICMD, 1)
    let polls = 0
    while (rcr(m, Reg.MISTAT) & 1 && polls < 10) polls++
    wcr(m, Reg.MICMD, 0)
    return rcr(m, Reg.MIRDL) | (rcr(m, Reg.MIRDH) << 8)
}

function phyWrite(m: Enc28j60Model, r: number, v: number): void {
    wcr(m, Reg.MIREGADR, r)
    wcr(m, Reg.MIWRL, v & 0xff)
    wcr(m, Reg.MIWRH, v >> 8)
    let polls = 0
    while (rcr(m, Reg.MISTAT) & 1 && polls < 10) polls++
}

/** Reference CRC-32 (bitwise, IEEE 802.3), independent of the model's table. */
function refCrc(b: Buffer, off: number, n: number): number {
    let c = 0xffffffff
    for (let i = 0; i < n; i++) {
        c ^= b[off + i]
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1
    }
    return ~c >>> 0
}

/** A chip set up for RX/TX the way a driver would: ring [0, rxEnd], TX at txStart, MAC programmed. */
function setUp(seg: Segment, rxEnd: number): Enc28j60Model {
    const m = new Enc28j60Model(seg)
    wcr16(m, Reg.ERXSTL, 0)
    wcr16(m, Reg.ERXNDL, rxEnd)
    wcr16(m, Reg.ERXRDPTL, rxEnd)
    wcr16(m, Reg.ERDPTL, 0)
    wcr(m, Reg.MACON1, 0x01)
    wcr(m, Reg.MACON3, 0x20 | 0x10 | 0x02)
    const at = [Reg.MAADR1, Reg.MAADR2, Reg.MAADR3, Reg.MAADR4, Reg.MAADR5, Reg.MAADR6]
    for (let i = 0; i < 6; i++) wcr(m, at[i], MAC[i])
    phyWrite(m, Phy.PHCON2, 0x0100)
    bfs(m, Reg.ECON1, 0x04)
    return m
}

function frameTo(dst: Buffer, len: number, seed: number): Buffer {
    const f = Buffer.alloc(len)
    f.blitAt(0, dst, 0, 6)
    f.blitAt(6, PEER, 0, 6)
    f[12] = 0x08
    f[13] = 0x00
    for (let i = 14; i < len; i++) f[i] = (i * 3 + seed) & 0xff
    return f
}

describe("enc28j60 model: SPI and registers", () => {
    beforeEach(yieldToScheduler)

    test("EREVID is 0x06 in bank 3; the same address in bank 0 is EDMANDL", () => {
        const m = new Enc28j60Model()
        expect(rcr(m, Reg.EREVID)).toBe(0x06)
        bank(m, Reg.EDMANDL)
        expect(xact(m, [0x12, 0])[1]).toBe(0)
        m.revision = 0x04
        xact(m, [0xff])
        m.now = () => 1e9
        expect(rcr(m, Reg.EREVID)).toBe(0x04)
    })

    test("common registers are reachable in every bank", () => {
        const m = new Enc28j60Model()
        bank(m, Reg.MACON3)
        xact(m, [0x40 | 0x1b, 0x5a])
        bank(m, Reg.EPKTCNT)
        expect(xact(m, [0x1b, 0])[1]).toBe(0x5a)
        expect(xact(m, [0x1f, 0])[1] & 3).toBe(1)
    })

    test("MAC/MII reads return a dummy byte first", () => {
        const m = new Enc28j60Model()
        wcr(m, Reg.MACON3, 0x33)
        expect(xact(m, [Reg.MACON3 & 0x1f, 0])[1]).toBe(DUMMY_BYTE)
        expect(xact(m, [Reg.MACON3 & 0x1f, 0, 0])[2]).toBe(0x33)
        bank(m, Reg.MISTAT)
        expect(xact(m, [0x0a, 0])[1]).toBe(DUMMY_BYTE)
        // MAADR is MAC too, EREVID in the same bank is not
        expect(xact(m, [0x12, 0])[1]).toBe(0x06)
    })

    test("BFS/BFC act on ETH registers only", () => {
        const m = new Enc28j60Model()
        bfs(m, Reg.EIE, 0x81)
        bfs(m, Reg.EIE, 0x10)
        bfc(m, Reg.EIE, 0x01)
        expect(rcr(m, Reg.EIE)).toBe(0x90)
        wcr(m, Reg.MACON3, 0x20)
        const misuse = m.misuse
        bfs(m, Reg.MACON3, 0x01)
        expect(rcr(m, Reg.MACON3)).toBe(0x20)
        expect(m.misuse).toBe(misuse + 1)
        // EIR: PKTIF and LINKIF are read-only
        bfs(m, Reg.EIR, 0x7f)
        expect(rcr(m, Reg.EIR)).toBe(0x2b)
    })

    test("pointer high bytes are 5 bits; ERXWRPT and EPKTCNT are read-only", () => {
        const m = new Enc28j60Model()
        wcr(m, Reg.ETXSTH, 0xff)
        expect(rcr(m, Reg.ETXSTH)).toBe(0x1f)
        wcr(m, Reg.EPKTCNT, 9)
        expect(rcr(m, Reg.EPKTCNT)).toBe(0)
        wcr(m, Reg.ERXWRPTL, 9)
        expect(rcr(m, Reg.ERXWRPTL)).toBe(0)
    })

    test("reset values: ERXST/ERXRDPT 0x05FA, ERXND 0x1FFF, ERXFCON 0xA1, AUTOINC", () => {
        const m = new Enc28j60Model()
        expect(m.reg16(Reg.ERXSTL)).toBe(0x05fa)
        expect(m.reg16(Reg.ERXNDL)).toBe(0x1fff)
        expect(m.reg16(Reg.ERXRDPTL)).toBe(0x05fa)
        expect(rcr(m, Reg.ERXFCON)).toBe(0xa1)
        expect(rcr(m, Reg.ECON2)).toBe(0x80)
        expect(rcr(m, Reg.ESTAT) & 1).toBe(1)
    })

    test("ERXRDPT: the low byte is buffered until the high byte is written", () => {
        const m = new Enc28j60Model()
        wcr(m, Reg.ERXRDPTL, 0x33)
        expect(rcr(m, Reg.ERXRDPTL)).toBe(0xfa)
        expect(m.rxReadPointer()).toBe(0x05fa)
        wcr(m, Reg.ERXRDPTH, 0x01)
        expect(m.rxReadPointer()).toBe(0x0133)
        expect(rcr(m, Reg.ERXRDPTL)).toBe(0x33)
    })

    test("SPI transactions and bytes are counted", () => {
        const m = new Enc28j60Model()
        const t0 = m.spiTransactions
        const b0 = m.spiBytes
        xact(m, [0x1b, 0])
        xact(m, [0x40 | 0x1b, 1])
        rbm(m, 10)
        expect(m.spiTransactions - t0).toBe(3)
        expect(m.spiBytes - b0).toBe(2 + 2 + 11)
    })
})

describe("enc28j60 model: buffer memory", () => {
    beforeEach(yieldToScheduler)

    test("WBM at EWRPT auto-increments and wraps 0x1FFF -> 0", () => {
        const m = new Enc28j60Model()
        wcr16(m, Reg.EWRPTL, 0x1ffe)
        wbm(m, hex`01 02 03 04`)
        expect(m.mem[0x1ffe]).toBe(1)
        expect(m.mem[0x1fff]).toBe(2)
        expect(m.mem[0]).toBe(3)
        expect(m.mem[1]).toBe(4)
        expect(m.reg16(Reg.EWRPTL)).toBe(2)
    })

    test("RBM wraps ERXND -> ERXST inside the ring and 0x1FFF -> 0 outside it", () => {
        const m = new Enc28j60Model()
        wcr16(m, Reg.ERXSTL, 0x0100)
        wcr16(m, Reg.ERXNDL, 0x01ff)
        for (let i = 0; i < 0x2000; i += 0x100) m.mem[i] = i >> 8
        m.mem[0x1fe] = 0xaa
        m.mem[0x1ff] = 0xbb
        wcr16(m, Reg.ERDPTL, 0x01fe)
        const r = rbm(m, 3)
        expect(r[0]).toBe(0xaa)
        expect(r[1]).toBe(0xbb)
        expect(r[2]).toBe(0x01)
        expect(m.reg16(Reg.ERDPTL)).toBe(0x0101)
        m.mem[0x1fff] = 0xcc
        wcr16(m, Reg.ERDPTL, 0x1fff)
        const s = rbm(m, 2)
        expect(s[0]).toBe(0xcc)
        expect(s[1]).toBe(0x00)
        expect(m.reg16(Reg.ERDPTL)).toBe(1)
    })

    test("without AUTOINC every byte comes from the same address", () => {
        const m = new Enc28j60Model()
        bfc(m, Reg.ECON2, 0x80)
        m.mem[0x10] = 0x42
        wcr16(m, Reg.ERDPTL, 0x10)
        const r = rbm(m, 3)
        expect(r[2]).toBe(0x42)
        expect(m.reg16(Reg.ERDPTL)).toBe(0x10)
    })
})

describe("enc28j60 model: transmit", () => {
    beforeEach(yieldToScheduler)

    function sendFrame(m: Enc28j60Model, f: Buffer, control: number): void {
        wcr16(m, Reg.EWRPTL, 0x1a00)
        wbm(m, Buffer.from([control]))
        wbm(m, f)
        wcr16(m, Reg.ETXSTL, 0x1a00)
        wcr16(m, Reg.ETXNDL, 0x1a00 + f.length)
        bfc(m, Reg.EIR, 0x0a)
        bfs(m, Reg.ECON1, 0x08)
    }

    test("a short frame is padded to 60 + CRC; TSV at ETXND+1; TXIF; TXRTS clears", () => {
        const seg = new Segment()
        const m = setUp(seg, 0x19ff)
        let got: Buffer = null
        seg.tap((f, off, len) => {
            got = f.slice(off, off + len)
        })
        sendFrame(m, frameTo(PEER, 42, 1), 0)
        expect(got.length).toBe(60)
        expect(got[41]).toBe((41 * 3 + 1) & 0xff)
        expect(got[42]).toBe(0)
        expect(rcr(m, Reg.ECON1) & 0x08).toBe(0)
        expect(rcr(m, Reg.EIR) & 0x0a).toBe(0x08)
        const tsv = 0x1a00 + 42 + 1
        expect(m.mem.getAt(tsv, "u16")).toBe(64)
        expect(m.mem[tsv + 2] & 0x80).toBe(0x80)
        expect(m.mem.getAt(tsv + 4, "u16")).toBe(64)
        expect(m.txFrames).toBe(1)
    })

    test("control byte override: no padding and no CRC sends the host's last 4 bytes as FCS", () => {
        const seg = new Segment()
        const m = setUp(seg, 0x19ff)
        let len = 0
        seg.tap((f, off, l) => {
            len = l
        })
        sendFrame(m, frameTo(PEER, 100, 2), 0x01)
        expect(len).toBe(96)
        sendFrame(m, frameTo(PEER, 20, 2), 0x01 | 0x04)
        expect(len).toBe(60)
    })

    test("TXRTS stays set for txDelayPolls status reads", () => {
        const seg = new Segment()
        const m = setUp(seg, 0x19ff)
        m.txDelayPolls = 2
        sendFrame(m, frameTo(PEER, 60, 3), 0)
        expect(seg.frames).toBe(0)
        expect(rcr(m, Reg.ECON1) & 0x08).toBe(0x08)
        expect(rcr(m, Reg.EIR) & 0x08).toBe(0x08)
        expect(seg.frames).toBe(1)
    })

    test("an abort sets TXERIF, TXABRT, TSV bit 28; errata #12 stalls the next TXRTS until TXRST", () => {
        const seg = new Segment()
        const m = setUp(seg, 0x19ff)
        m.abortNext = 1
        sendFrame(m, frameTo(PEER, 60, 4), 0)
        expect(rcr(m, Reg.EIR) & 0x0a).toBe(0x0a)
        expect(rcr(m, Reg.ESTAT) & 0x02).toBe(0x02)
        expect(m.mem[0x1a00 + 61 + 3] & 0x10).toBe(0x10)
        expect(seg.frames).toBe(0)
        sendFrame(m, frameTo(PEER, 60, 5), 0)
        expect(rcr(m, Reg.ECON1) & 0x08).toBe(0x08)
        expect(m.txStallHits).toBe(1)
        expect(seg.frames).toBe(0)
        bfs(m, Reg.ECON1, 0x80)
        bfc(m, Reg.ECON1, 0x80)
        sendFrame(m, frameTo(PEER, 60, 6), 0)
        expect(seg.frames).toBe(1)
        expect(rcr(m, Reg.ECON1) & 0x08).toBe(0)
    })

    test("errata #13/#15: false late collision in half duplex (TSV bit 29, LATECOL clear); none in full duplex", () => {
        const seg = new Segment()
        const m = setUp(seg, 0x19ff)
        m.erratum12 = false
        m.lateCollisionEvery = 1
        sendFrame(m, frameTo(PEER, 60, 7), 0)
        expect(seg.frames).toBe(0)
        expect(m.mem[0x1a00 + 61 + 3] & 0x20).toBe(0x20)
        expect(rcr(m, Reg.ESTAT) & 0x12).toBe(0x02)
        expect(m.falseLateCollisions).toBe(1)
        wcr(m, Reg.MACON3, 0x20 | 0x10 | 0x02 | 0x01)
        phyWrite(m, Phy.PHCON1, 0x0100)
        sendFrame(m, frameTo(PEER, 60, 8), 0)
        expect(seg.frames).toBe(1)
        expect(m.duplexMismatch()).toBe(false)
    })

    test("duplex mismatch (FULDPX without PDPXMD) is observable and counted per frame", () => {
        const seg = new Segment()
        const m = setUp(seg, 0x19ff)
        expect(m.duplexMismatch()).toBe(false)
        wcr(m, Reg.MACON3, 0x20 | 0x10 | 0x02 | 0x01)
        expect(m.duplexMismatch()).toBe(true)
        sendFrame(m, frameTo(PEER, 60, 9), 0)
        expect(m.duplexMismatchTx).toBe(1)
    })
})

describe("enc28j60 model: receive", () => {
    beforeEach(yieldToScheduler)

    test("6-byte header, byte count includes the FCS, frame padded to 60, real CRC-32", () => {
        const seg = new Segment()
        const m = setUp(seg, 0x19ff)
        const f = frameTo(MAC, 42, 10)
        seg.transmit(null, f, 0, 42)
        expect(rcr(m, Reg.EPKTCNT)).toBe(1)
        expect(rcr(m, Reg.EIR) & 0x40).toBe(0x40)
        const h = rbm(m, 6)
        expect(h.getAt(0, "u16")).toBe(6 + 64)
        expect(h.getAt(2, "u16")).toBe(64)
        expect(h[4] & 0x80).toBe(0x80)
        const data = rbm(m, 64)
        expect(data[41]).toBe(f[41])
        expect(data[59]).toBe(0)
        expect(data.getAt(60, "u32") >>> 0).toBe(refCrc(data, 0, 60))
        // PKTDEC
        bfs(m, Reg.ECON2, 0x40)
        expect(rcr(m, Reg.EPKTCNT)).toBe(0)
        expect(rcr(m, Reg.EIR) & 0x40).toBe(0)
        expect(rcr(m, Reg.ECON2) & 0x40).toBe(0)
    })

    test("odd lengths leave the next frame at an even address; filters drop other unicast", () => {
        const seg = new Segment()
        const m = setUp(seg, 0x19ff)
        seg.transmit(null, frameTo(MAC, 101, 1), 0, 101)
        expect(m.rxWritePointer()).toBe(6 + 105 + 1)
        seg.transmit(null, frameTo(PEER, 80, 1), 0, 80)
        expect(m.rxFiltered).toBe(1)
        seg.transmit(null, frameTo(hex`ff ff ff ff ff ff`, 80, 1), 0, 80)
        expect(m.packetCount()).toBe(2)
        m.badCrcNext = 1
        seg.transmit(null, frameTo(MAC, 80, 1), 0, 80)
        expect(m.packetCount()).toBe(2)
    })

    test("reception stops before ERXRDPT with RXERIF; freeing space lets frames in again", () => {
        const seg = new Segment()
        const m = setUp(seg, 0x03ff)
        for (let i = 0; i < 4; i++) seg.transmit(null, frameTo(MAC, 300, i), 0, 300)
        expect(m.packetCount()).toBe(3)
        expect(m.rxOverflows).toBe(1)
        expect(rcr(m, Reg.EIR) & 0x01).toBe(0x01)
        // consume one frame: ERXRDPT = next - 1 (odd), PKTDEC
        wcr16(m, Reg.ERXRDPTL, 310 - 1)
        bfs(m, Reg.ECON2, 0x40)
        bfc(m, Reg.EIR, 0x01)
        seg.transmit(null, frameTo(MAC, 300, 9), 0, 300)
        expect(m.packetCount()).toBe(3)
        expect(m.rxWraps).toBe(1)
        expect(rcr(m, Reg.EIR) & 0x01).toBe(0)
        // the wrapped frame reads back in one RBM across ERXND -> ERXST
        wcr16(m, Reg.ERDPTL, 930)
        const h = rbm(m, 6)
        expect(h.getAt(0, "u16")).toBe(930 + 310 - 1024)
        const d = rbm(m, 300)
        expect(d[299]).toBe((299 * 3 + 9) & 0xff)
    })

    test("EPKTCNT caps at 255 and the 256th frame sets RXERIF", async () => {
        const seg = new Segment()
        const m = setUp(seg, 0x19ff)
        const f = frameTo(MAC, 60, 0)
        for (let i = 0; i < 256; i++) {
            seg.transmit(null, f, 0, 60)
            // free the space without PKTDEC: the count keeps growing
            const wr = m.rxWritePointer()
            const rd = wr === 0 ? 0x19ff : wr - 1
            wcr16(m, Reg.ERXRDPTL, rd)
            // direct model calls never yield: give the watchdog a break
            if ((i & 15) === 15) await ds.sleep(0)
        }
        expect(m.packetCount()).toBe(255)
        expect(m.rxCountOverflows).toBe(1)
        expect(rcr(m, Reg.EIR) & 0x01).toBe(0x01)
    })

    test("errata #14: a frame written while ERXRDPT is even gets a corrupt header", () => {
        const seg = new Segment()
        const m = setUp(seg, 0x19ff)
        wcr16(m, Reg.ERXRDPTL, 0x19fe)
        seg.transmit(null, frameTo(MAC, 60, 1), 0, 60)
        const h = rbm(m, 6)
        expect(h.getAt(0, "u16") & 1).toBe(1)
        expect(h[4] & 0x80).toBe(0)
        expect(m.ringCorruptions).toBe(1)
        m.erratum14 = false
        seg.transmit(null, frameTo(MAC, 60, 1), 0, 60)
        expect(m.ringCorruptions).toBe(1)
    })

    test("RXRST empties the ring; RX needs RXEN", () => {
        const seg = new Segment()
        const m = setUp(seg, 0x19ff)
        seg.transmit(null, frameTo(MAC, 60, 1), 0, 60)
        bfs(m, Reg.ECON1, 0x40)
        expect(m.packetCount()).toBe(0)
        expect(m.rxWritePointer()).toBe(0)
        bfc(m, Reg.ECON1, 0x44)
        seg.transmit(null, frameTo(MAC, 60, 1), 0, 60)
        expect(m.packetCount()).toBe(0)
        expect(m.rxDisabled).toBe(1)
    })
})

describe("enc28j60 model: MII, PHY, reset", () => {
    beforeEach(yieldToScheduler)

    test("MISTAT.BUSY reads 1 for miiBusyPolls reads; MIRD is stale until then", () => {
        const m = new Enc28j60Model()
        m.now = () => 0
        wcr(m, Reg.MIREGADR, Phy.PHSTAT2)
        wcr(m, Reg.MICMD, 1)
        expect(rcr(m, Reg.MIRDH)).toBe(0)
        expect(rcr(m, Reg.MISTAT) & 1).toBe(1)
        expect(rcr(m, Reg.MISTAT) & 1).toBe(1)
        expect(rcr(m, Reg.MISTAT) & 1).toBe(0)
        wcr(m, Reg.MICMD, 0)
        expect(rcr(m, Reg.MIRDH) & 0x04).toBe(0x04)
    })

    test("PHSTAT2.LSTAT follows the cable; PHIR arms EIR.LINKIF and reading it clears it", () => {
        const m = new Enc28j60Model()
        phyWrite(m, Phy.PHIE, 0x12)
        m.setLink(false)
        expect(phyRead(m, Phy.PHSTAT2) & 0x0400).toBe(0)
        expect(rcr(m, Reg.EIR) & 0x10).toBe(0x10)
        expect(phyRead(m, Phy.PHSTAT1) & 0x0004).toBe(0)
        expect(phyRead(m, Phy.PHIR) & 0x10).toBe(0x10)
        expect(rcr(m, Reg.EIR) & 0x10).toBe(0)
        m.setLink(true)
        expect(phyRead(m, Phy.PHSTAT2) & 0x0400).toBe(0x0400)
        expect(phyRead(m, Phy.PHID1)).toBe(0x0083)
    })

    test("errata #2: after SRC, CLKRDY reads 1 but writes are ignored until the clock settles", () => {
        const m = new Enc28j60Model()
        let t = 100
        m.now = () => t
        wcr(m, Reg.MACON3, 0x33)
        xact(m, [0xff])
        expect(m.srcCount).toBe(1)
        expect(rcr(m, Reg.ESTAT) & 1).toBe(1)
        xact(m, [0x40 | 0x1b, 0x55])
        expect(m.reg(Reg.EIE)).toBe(0)
        expect(xact(m, [0x1f, 0])[1]).toBe(0)
        expect(m.ignoredNotReady > 0).toBe(true)
        // a whole-millisecond clock: one tick may be a few microseconds, so 1 tick is not enough
        t += 1
        xact(m, [0x40 | 0x1b, 0x55])
        expect(m.reg(Reg.EIE)).toBe(0)
        t += 1
        xact(m, [0x40 | 0x1b, 0x55])
        expect(m.reg(Reg.EIE)).toBe(0x55)
        expect(rcr(m, Reg.MACON3)).toBe(0)
        // without the erratum CLKRDY would be a usable ready signal
        m.erratum2 = false
        xact(m, [0xff])
        expect(xact(m, [0x1d, 0])[1] & 1).toBe(0)
    })
})
