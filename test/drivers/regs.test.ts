// Every register address and command the drivers use, pinned to the datasheets' tables typed out
// here (W5500 datasheet v1.0.9 §4.1/§4.2; ENC28J60 DS39662E table 3-2 and §3.3 for the PHY). The
// chip models read the same regs.ts as the drivers, so a wrong address there would pass every
// driver-against-model test: this one fails instead.

import { describe, test, expect } from "@devicescript/test"
import { Block, Common, Sn, SnCr, SnSr, SnMr, SnIr, Phy as W5500Phy, CHIP_VERSION, MR_RST, CTRL_WRITE } from "../../src/drivers/w5500/regs"
import { Reg, Op, Phy, Econ1, Econ2, Eir } from "../../src/drivers/enc28j60/regs"

/** "name=value" for a list, so one failure shows every difference at once. */
function table(names: string, values: number[]): string {
    const n = names.split(" ")
    let s = ""
    for (let i = 0; i < n.length; i++) s += n[i] + "=" + values[i] + " "
    return s
}

describe("W5500 register map against the datasheet", () => {
    test("common registers (§4.1)", () => {
        const names = "MR GAR SUBR SHAR SIPR INTLEVEL IR IMR SIR SIMR RTR RCR PHYCFGR VERSIONR"
        const driver = [Common.MR, Common.GAR, Common.SUBR, Common.SHAR, Common.SIPR, Common.INTLEVEL, Common.IR, Common.IMR, Common.SIR, Common.SIMR, Common.RTR, Common.RCR, Common.PHYCFGR, Common.VERSIONR]
        const sheet = [0x00, 0x01, 0x05, 0x09, 0x0f, 0x13, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1b, 0x2e, 0x39]
        expect(table(names, driver)).toBe(table(names, sheet))
    })

    test("socket registers (§4.2)", () => {
        const names = "MR CR IR SR DHAR RXBUF_SIZE TXBUF_SIZE TX_FSR TX_RD TX_WR RX_RSR RX_RD RX_WR IMR"
        const driver = [Sn.MR, Sn.CR, Sn.IR, Sn.SR, Sn.DHAR, Sn.RXBUF_SIZE, Sn.TXBUF_SIZE, Sn.TX_FSR, Sn.TX_RD, Sn.TX_WR, Sn.RX_RSR, Sn.RX_RD, Sn.RX_WR, Sn.IMR]
        const sheet = [0x00, 0x01, 0x02, 0x03, 0x06, 0x1e, 0x1f, 0x20, 0x22, 0x24, 0x26, 0x28, 0x2a, 0x2c]
        expect(table(names, driver)).toBe(table(names, sheet))
    })

    test("block select bits, commands, status and bit values (§2.2.2, §4.1, §4.2)", () => {
        const names = "S0Reg S0Tx S0Rx S1Reg OPEN CLOSE SEND RECV SR.CLOSED SR.MACRAW MR.MACRAW MR.MFEN IR.SENDOK PHY.LNK PHY.SPD PHY.DPX VERSIONR MR.RST"
        const driver = [Block.S0Reg, Block.S0Tx, Block.S0Rx, Block.S1Reg, SnCr.OPEN, SnCr.CLOSE, SnCr.SEND, SnCr.RECV, SnSr.CLOSED, SnSr.MACRAW, SnMr.MACRAW, SnMr.MFEN, SnIr.SENDOK, W5500Phy.LNK, W5500Phy.SPD, W5500Phy.DPX, CHIP_VERSION, MR_RST]
        const sheet = [1, 2, 3, 5, 0x01, 0x10, 0x20, 0x40, 0x00, 0x42, 0x04, 0x80, 0x10, 0x01, 0x02, 0x04, 0x04, 0x80]
        expect(table(names, driver)).toBe(table(names, sheet))
        // control byte: BSB in bits 7:3, RWB bit 2, OM 00 (variable length)
        expect((Block.S0Tx << 3) | CTRL_WRITE).toBe(0x14)
        expect(Block.S0Rx << 3).toBe(0x18)
    })
})

/** bank << 5 | address, with 0x80 for MAC/MII registers: the driver's packing, from the sheet's bank and address. */
function enc(bank: number, addr: number, macMii: boolean): number {
    return (bank << 5) | addr | (macMii ? 0x80 : 0)
}

describe("ENC28J60 register map against the datasheet", () => {
    test("ETH registers of banks 0 and 1, and the common ones (table 3-2)", () => {
        const names = "ERDPTL EWRPTL ETXSTL ETXSTH ETXNDL ETXNDH ERXSTL ERXNDL ERXRDPTL ERXRDPTH ERXFCON EPKTCNT EIE EIR ESTAT ECON2 ECON1"
        const driver = [Reg.ERDPTL, Reg.EWRPTL, Reg.ETXSTL, Reg.ETXSTH, Reg.ETXNDL, Reg.ETXNDH, Reg.ERXSTL, Reg.ERXNDL, Reg.ERXRDPTL, Reg.ERXRDPTH, Reg.ERXFCON, Reg.EPKTCNT, Reg.EIE, Reg.EIR, Reg.ESTAT, Reg.ECON2, Reg.ECON1]
        const sheet = [enc(0, 0x00, false), enc(0, 0x02, false), enc(0, 0x04, false), enc(0, 0x05, false), enc(0, 0x06, false), enc(0, 0x07, false), enc(0, 0x08, false), enc(0, 0x0a, false), enc(0, 0x0c, false), enc(0, 0x0d, false), enc(1, 0x18, false), enc(1, 0x19, false), 0x1b, 0x1c, 0x1d, 0x1e, 0x1f]
        expect(table(names, driver)).toBe(table(names, sheet))
    })

    test("MAC and MII registers of banks 2 and 3, EREVID (table 3-2)", () => {
        const names = "MACON1 MACON3 MACON4 MABBIPG MAIPGL MAIPGH MAMXFLL MAMXFLH MICMD MIREGADR MIWRL MIWRH MIRDL MIRDH MAADR1 MAADR2 MAADR3 MAADR4 MAADR5 MAADR6 MISTAT EREVID"
        const driver = [Reg.MACON1, Reg.MACON3, Reg.MACON4, Reg.MABBIPG, Reg.MAIPGL, Reg.MAIPGH, Reg.MAMXFLL, Reg.MAMXFLH, Reg.MICMD, Reg.MIREGADR, Reg.MIWRL, Reg.MIWRH, Reg.MIRDL, Reg.MIRDH, Reg.MAADR1, Reg.MAADR2, Reg.MAADR3, Reg.MAADR4, Reg.MAADR5, Reg.MAADR6, Reg.MISTAT, Reg.EREVID]
        const sheet = [
            enc(2, 0x00, true), enc(2, 0x02, true), enc(2, 0x03, true), enc(2, 0x04, true), enc(2, 0x06, true), enc(2, 0x07, true), enc(2, 0x0a, true), enc(2, 0x0b, true),
            enc(2, 0x12, true), enc(2, 0x14, true), enc(2, 0x16, true), enc(2, 0x17, true), enc(2, 0x18, true), enc(2, 0x19, true),
            enc(3, 0x04, true), enc(3, 0x05, true), enc(3, 0x02, true), enc(3, 0x03, true), enc(3, 0x00, true), enc(3, 0x01, true), enc(3, 0x0a, true), enc(3, 0x12, false),
        ]
        expect(table(names, driver)).toBe(table(names, sheet))
    })

    test("opcodes (table 4-1), PHY registers (table 3-3) and the bits the driver sets", () => {
        const names = "RCR RBM WCR WBM BFS BFC SRC PHCON1 PHSTAT2 PHCON2 PHIE PHIR PHLCON TXRST RXRST TXRTS RXEN PKTDEC TXIF TXERIF RXERIF LINKIF"
        const driver = [Op.RCR, Op.RBM, Op.WCR, Op.WBM, Op.BFS, Op.BFC, Op.SRC, Phy.PHCON1, Phy.PHSTAT2, Phy.PHCON2, Phy.PHIE, Phy.PHIR, Phy.PHLCON, Econ1.TXRST, Econ1.RXRST, Econ1.TXRTS, Econ1.RXEN, Econ2.PKTDEC, Eir.TXIF, Eir.TXERIF, Eir.RXERIF, Eir.LINKIF]
        const sheet = [0x00, 0x3a, 0x40, 0x7a, 0x80, 0xa0, 0xff, 0x00, 0x11, 0x10, 0x12, 0x13, 0x14, 0x80, 0x40, 0x08, 0x04, 0x40, 0x08, 0x02, 0x01, 0x10]
        expect(table(names, driver)).toBe(table(names, sheet))
    })
})
