import { describe, test, expect } from "@devicescript/test"
import { getU16, getU32, setU16, setU32, swap16, bytesEqual } from "../../src/wire/bytes"

describe("big-endian helpers", () => {
    test("getU32 is unsigned for values with the top bit set", () => {
        const b = hex`ff ff ff fe c0 00 02 01`
        expect(getU32(b, 0)).toBe(4294967294)
        expect(getU32(b, 4)).toBe(0xc0000201)
    })
    test("setU32 writes network order and round-trips unsigned values", () => {
        const b = Buffer.alloc(4)
        setU32(b, 0, 0xc0000201)
        expect(b[0]).toBe(0xc0)
        expect(b[3]).toBe(0x01)
        expect(getU32(b, 0)).toBe(0xc0000201)
        setU32(b, 0, 0xffffffff)
        expect(getU32(b, 0)).toBe(0xffffffff)
    })
    test("16-bit access at an odd offset", () => {
        const b = Buffer.alloc(5)
        setU16(b, 1, 0xabcd)
        expect(b[1]).toBe(0xab)
        expect(b[2]).toBe(0xcd)
        expect(getU16(b, 1)).toBe(0xabcd)
        setU16(b, 3, 0x1ffff)
        expect(getU16(b, 3)).toBe(0xffff)
    })
    test("swap16 and bytesEqual", () => {
        expect(swap16(0x1234)).toBe(0x3412)
        expect(swap16(0xff00)).toBe(0x00ff)
        expect(bytesEqual(hex`01 02 03`, 1, hex`09 02 03`, 1, 2)).toBe(true)
        expect(bytesEqual(hex`01 02 03`, 0, hex`09 02 03`, 0, 2)).toBe(false)
    })
})
