import { describe, test, expect } from "@devicescript/test"
import {
    parseIpv4,
    formatIpv4,
    parseMac,
    formatMac,
    AddressError,
    prefixMask,
    ipv4MulticastMac,
    macIsBroadcast,
    macIsGroup,
} from "../../src/wire/addr"

function ipError(text: string): string {
    try {
        parseIpv4(text)
    } catch (e) {
        if (e instanceof AddressError) return (e as AddressError).text
        return "other error"
    }
    return "accepted"
}

function macError(text: string): string {
    try {
        parseMac(text)
    } catch (e) {
        if (e instanceof AddressError) return (e as AddressError).text
        return "other error"
    }
    return "accepted"
}

describe("IPv4 address text", () => {
    test("parses dotted quads to unsigned numbers", () => {
        expect(parseIpv4("192.0.2.1")).toBe(0xc0000201)
        expect(parseIpv4("255.255.255.255")).toBe(0xffffffff)
        expect(parseIpv4("0.0.0.0")).toBe(0)
        expect(parseIpv4("203.0.113.254")).toBe(0xcb0071fe)
    })
    test("formats back", () => {
        expect(formatIpv4(0xc0000201)).toBe("192.0.2.1")
        expect(formatIpv4(0xffffffff)).toBe("255.255.255.255")
    })
    test("bad text gives AddressError carrying the text", () => {
        const bad = ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "01.2.3.4", "1.2.3.4 ", "a.b.c.d", "1.2.3.-4", "1.2.3.4."]
        for (const t of bad) expect(ipError(t)).toBe(t)
    })
})

describe("MAC address text", () => {
    test("parses and formats", () => {
        const m = parseMac("02:00:5E:10:00:0a")
        expect(m.length).toBe(6)
        expect(m[0]).toBe(2)
        expect(m[2]).toBe(0x5e)
        expect(m[5]).toBe(0x0a)
        expect(formatMac(m, 0)).toBe("02:00:5e:10:00:0a")
    })
    test("bad text gives AddressError", () => {
        const bad = ["", "02:00:5e:10:00", "02:00:5e:10:00:0a:11", "02-00-5e-10-00-0a", "0g:00:5e:10:00:0a", "2:00:5e:10:00:0a0"]
        for (const t of bad) expect(macError(t)).toBe(t)
    })
    test("group and broadcast bits", () => {
        expect(macIsBroadcast(hex`ff ff ff ff ff ff`, 0)).toBe(true)
        expect(macIsBroadcast(hex`ff ff ff ff ff fe`, 0)).toBe(false)
        expect(macIsGroup(hex`01 00 5e 00 00 01`, 0)).toBe(true)
        expect(macIsGroup(hex`02 00 5e 00 00 01`, 0)).toBe(false)
    })
})

describe("prefixes and multicast", () => {
    test("prefixMask", () => {
        expect(prefixMask(0)).toBe(0)
        expect(prefixMask(24)).toBe(0xffffff00)
        expect(prefixMask(32)).toBe(0xffffffff)
        expect(prefixMask(1)).toBe(0x80000000)
    })
    test("RFC 1112 multicast MAC keeps the low 23 bits", () => {
        const m = Buffer.alloc(6)
        ipv4MulticastMac(parseIpv4("239.129.2.3"), m, 0)
        expect(formatMac(m, 0)).toBe("01:00:5e:01:02:03")
        ipv4MulticastMac(parseIpv4("224.0.0.251"), m, 0)
        expect(formatMac(m, 0)).toBe("01:00:5e:00:00:fb")
    })
})
