// Paired parse/emit tests on frames captured from Linux (test/wire/captures.ts), byte for byte,
// and truncated or corrupted variants that must give typed errors.
import { describe, test, expect, beforeEach } from "@devicescript/test"
import {
    ARP_REPLY,
    ARP_REQUEST,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REPLY_ICMP_CHECKSUM,
    ICMP_ECHO_REQUEST,
    UDP_FRAG_0,
    UDP_FRAG_1,
    UDP_FRAG_2,
    UDP_FRAG_IP_ID,
    UDP_FRAG_UDP_CHECKSUM,
    UDP_STATSD,
    UDP_STATSD_IP_CHECKSUM,
    UDP_STATSD_IP_ID,
    UDP_STATSD_UDP_CHECKSUM,
    UDP_WITH_OPTIONS,
} from "./captures"
import { yieldToScheduler } from "../support/rig"
import { WireError } from "../../src/wire/error"
import { ethernetCheck, ethernetEtherType, ethernetEmit, EtherType } from "../../src/wire/ethernet"
import { ArpRepr, ArpOperation, arpCheck } from "../../src/wire/arp"
import { Ipv4Repr, ipv4Check, ipv4OptionsForFragment } from "../../src/wire/ipv4"
import { udpCheck, udpEmitHeader } from "../../src/wire/udp"
import { icmpCheck, icmpEchoEmit, IcmpType, icmpIdent, icmpSequence } from "../../src/wire/icmp"
import { onesSum } from "../../src/wire/checksum"
import { parseIpv4 } from "../../src/wire/addr"
import { bytesEqual } from "../../src/wire/bytes"

const A_IP = parseIpv4("192.0.2.1")
const B_IP = parseIpv4("192.0.2.2")

function copy(b: Buffer): Buffer {
    const c = Buffer.alloc(b.length)
    c.blitAt(0, b, 0, b.length)
    return c
}

function same(a: Buffer, aOff: number, b: Buffer, bOff: number, len: number): boolean {
    return bytesEqual(a, aOff, b, bOff, len)
}

describe("ethernet (RFC 894)", () => {
    beforeEach(yieldToScheduler)
    test("parse and emit the captured UDP frame's header", () => {
        const f = UDP_STATSD
        expect(ethernetCheck(f, 0, f.length)).toBe(WireError.Ok)
        expect(ethernetEtherType(f, 0)).toBe(EtherType.Ipv4)
        const out = Buffer.alloc(14)
        ethernetEmit(out, 0, f, 0, f.slice(6, 12), 0x0800)
        expect(same(out, 0, f, 0, 14)).toBe(true)
    })
    test("13 bytes is truncated", () => {
        expect(ethernetCheck(UDP_STATSD, 0, 13)).toBe(WireError.Truncated)
    })
})

describe("arp (RFC 826)", () => {
    beforeEach(yieldToScheduler)
    test("request: parse the capture, emit it again byte for byte", () => {
        const f = ARP_REQUEST
        const r = new ArpRepr()
        expect(r.parse(f, 14, f.length - 14)).toBe(WireError.Ok)
        expect(r.operation).toBe(ArpOperation.Request)
        expect(r.senderIp).toBe(A_IP)
        expect(r.targetIp).toBe(B_IP)
        expect(r.senderMac[5]).toBe(0x0a)
        const out = Buffer.alloc(28)
        r.emit(out, 0)
        expect(same(out, 0, f, 14, 28)).toBe(true)
    })
    test("reply: parse and emit", () => {
        const f = ARP_REPLY
        const r = new ArpRepr()
        expect(r.parse(f, 14, 28)).toBe(WireError.Ok)
        expect(r.operation).toBe(ArpOperation.Reply)
        expect(r.senderIp).toBe(B_IP)
        expect(r.targetMac[5]).toBe(0x0a)
        const out = Buffer.alloc(28)
        r.emit(out, 0)
        expect(same(out, 0, f, 14, 28)).toBe(true)
    })
    test("truncated, other hardware type, other protocol, bad operation", () => {
        expect(arpCheck(ARP_REQUEST, 14, 27)).toBe(WireError.Truncated)
        const f = copy(ARP_REQUEST)
        f[15] = 6 // hardware type 6 (IEEE 802)
        expect(arpCheck(f, 14, 28)).toBe(WireError.Unsupported)
        const g = copy(ARP_REQUEST)
        g[16] = 0x86
        g[17] = 0xdd
        expect(arpCheck(g, 14, 28)).toBe(WireError.Unsupported)
        const h = copy(ARP_REQUEST)
        h[21] = 3
        expect(arpCheck(h, 14, 28)).toBe(WireError.BadOperation)
        // a parse failure leaves the repr as it was
        const r = new ArpRepr()
        r.senderIp = 77
        expect(r.parse(h, 14, 28)).toBe(WireError.BadOperation)
        expect(r.senderIp).toBe(77)
    })
})

describe("ipv4 (RFC 791)", () => {
    beforeEach(yieldToScheduler)
    test("parse the UDP capture's header and emit it again, checksum 0x7c9a", () => {
        const f = UDP_STATSD
        const r = new Ipv4Repr()
        expect(r.parse(f, 14, f.length - 14)).toBe(WireError.Ok)
        expect(r.totalLength).toBe(45)
        expect(r.ident).toBe(UDP_STATSD_IP_ID)
        expect(r.dontFragment).toBe(true)
        expect(r.moreFragments).toBe(false)
        expect(r.ttl).toBe(64)
        expect(r.protocol).toBe(17)
        expect(r.src).toBe(A_IP)
        expect(r.dst).toBe(B_IP)
        const out = Buffer.alloc(20)
        r.emit(out, 0)
        expect(out[10] * 256 + out[11]).toBe(UDP_STATSD_IP_CHECKSUM)
        expect(same(out, 0, f, 14, 20)).toBe(true)
    })
    test("a header with options (Record Route): 32-byte header, options kept, checksum 0x68ce", () => {
        const f = UDP_WITH_OPTIONS
        const r = new Ipv4Repr()
        expect(r.parse(f, 14, f.length - 14)).toBe(WireError.Ok)
        expect(r.headerLength()).toBe(32)
        expect(r.optionsLen).toBe(12)
        expect(r.options[r.optionsOff]).toBe(7)
        const out = Buffer.alloc(32)
        r.emit(out, 0)
        expect(same(out, 0, f, 14, 32)).toBe(true)
        // unpadded options are padded with End-of-Options to a 4-byte boundary
        r.optionsLen = 11
        const out2 = Buffer.alloc(32)
        out2.fillAt(0, 32, 0xee)
        r.emit(out2, 0)
        expect(out2[0]).toBe(0x48)
        expect(out2[31]).toBe(0)
    })
    test("fragment captures: offsets 0/1480/2960, MF on all but the last", () => {
        const frags = [UDP_FRAG_0, UDP_FRAG_1, UDP_FRAG_2]
        const offs = [0, 1480, 2960]
        const lens = [1500, 1500, 1068]
        const r = new Ipv4Repr()
        for (let i = 0; i < 3; i++) {
            expect(r.parse(frags[i], 14, frags[i].length - 14)).toBe(WireError.Ok)
            expect(r.fragmentOffset).toBe(offs[i])
            expect(r.totalLength).toBe(lens[i])
            expect(r.moreFragments).toBe(i < 2)
            expect(r.ident).toBe(UDP_FRAG_IP_ID)
        }
    })
    test("truncated, bad version, bad IHL, lying total length, bad checksum, bad option", () => {
        const f = UDP_STATSD
        expect(ipv4Check(f, 14, 19)).toBe(WireError.Truncated)
        const v = copy(f)
        v[14] = 0x65
        expect(ipv4Check(v, 14, 45)).toBe(WireError.BadVersion)
        const ihl = copy(f)
        ihl[14] = 0x44
        expect(ipv4Check(ihl, 14, 45)).toBe(WireError.BadHeaderLength)
        const ihlLong = copy(f)
        ihlLong[14] = 0x4f
        expect(ipv4Check(ihlLong, 14, 45)).toBe(WireError.Truncated)
        // total length says more than there is / less than the header
        expect(ipv4Check(f, 14, 44)).toBe(WireError.Truncated)
        const short = copy(f)
        short[17] = 19
        short[16] = 0
        expect(ipv4Check(short, 14, 45)).toBe(WireError.BadLength)
        const sum = copy(f)
        sum[22] = 63
        expect(ipv4Check(sum, 14, 45)).toBe(WireError.BadChecksum)
        // an option whose length runs past the header
        const o = copy(UDP_WITH_OPTIONS)
        o[35] = 13
        expect(ipv4Check(o, 14, 43)).toBe(WireError.BadOption)
        // reading never goes past the buffer: a length beyond it is truncated, not an exception
        expect(ipv4Check(f, 14, 200)).toBe(WireError.Truncated)
    })
    test("options in later fragments: not-copied options become NOP (RFC 791 §3.2)", () => {
        const o = copy(UDP_WITH_OPTIONS)
        ipv4OptionsForFragment(o, 34, 12)
        for (let i = 0; i < 11; i++) expect(o[34 + i]).toBe(1)
        expect(o[45]).toBe(0)
        // a copied option (type 0x83, loose source route) stays
        const l = hex`83 07 04 c0 00 02 01 00`
        ipv4OptionsForFragment(l, 0, 8)
        expect(l[0]).toBe(0x83)
        expect(l[6]).toBe(1)
    })
})

describe("udp (RFC 768)", () => {
    beforeEach(yieldToScheduler)
    test("the captured datagram checks, and its header is emitted again with checksum 0x6cba", () => {
        const f = UDP_STATSD
        expect(udpCheck(f, 34, 25, A_IP, B_IP)).toBe(WireError.Ok)
        const out = Buffer.alloc(8)
        udpEmitHeader(out, 0, 40000, 8125, 17, onesSum(f, 42, 17, 0), A_IP, B_IP)
        expect(out[6] * 256 + out[7]).toBe(UDP_STATSD_UDP_CHECKSUM)
        expect(same(out, 0, f, 34, 8)).toBe(true)
    })
    test("the fragmented datagram's checksum 0x905b over 4,000 bytes from its parts", () => {
        const data = Buffer.alloc(4000)
        for (let i = 0; i < 4000; i++) data[i] = i & 0xff
        const out = Buffer.alloc(8)
        udpEmitHeader(out, 0, 40001, 9000, 4000, onesSum(data, 0, 4000, 0), A_IP, B_IP)
        expect(out[6] * 256 + out[7]).toBe(UDP_FRAG_UDP_CHECKSUM)
        expect(same(out, 0, UDP_FRAG_0, 34, 8)).toBe(true)
    })
    test("corrupted payload, lying length field both ways, truncated, wrong pseudo-header", () => {
        const f = copy(UDP_STATSD)
        f[50] ^= 0x40
        expect(udpCheck(f, 34, 25, A_IP, B_IP)).toBe(WireError.BadChecksum)
        const big = copy(UDP_STATSD)
        big[39] = 26
        expect(udpCheck(big, 34, 25, A_IP, B_IP)).toBe(WireError.BadLength)
        const small = copy(UDP_STATSD)
        small[39] = 7
        expect(udpCheck(small, 34, 25, A_IP, B_IP)).toBe(WireError.BadLength)
        expect(udpCheck(UDP_STATSD, 34, 7, A_IP, B_IP)).toBe(WireError.Truncated)
        expect(udpCheck(UDP_STATSD, 34, 25, A_IP, A_IP)).toBe(WireError.BadChecksum)
        // checksum 0 = not computed: accepted without checking
        const none = copy(f)
        none[40] = 0
        none[41] = 0
        expect(udpCheck(none, 34, 25, A_IP, B_IP)).toBe(WireError.Ok)
    })
})

describe("icmp echo (RFC 792)", () => {
    beforeEach(yieldToScheduler)
    test("the request checks; the reply built from it equals Linux's reply, checksum 0x65af", () => {
        const q = ICMP_ECHO_REQUEST
        expect(icmpCheck(q, 34, 32)).toBe(WireError.Ok)
        expect(icmpIdent(q, 34)).toBe(9276)
        expect(icmpSequence(q, 34)).toBe(1)
        const out = copy(q)
        icmpEchoEmit(out, 34, IcmpType.EchoReply, icmpIdent(q, 34), icmpSequence(q, 34), 24)
        expect(out[36] * 256 + out[37]).toBe(ICMP_ECHO_REPLY_ICMP_CHECKSUM)
        expect(same(out, 34, ICMP_ECHO_REPLY, 34, 32)).toBe(true)
    })
    test("corrupted and truncated", () => {
        const q = copy(ICMP_ECHO_REQUEST)
        q[60] ^= 1
        expect(icmpCheck(q, 34, 32)).toBe(WireError.BadChecksum)
        expect(icmpCheck(ICMP_ECHO_REQUEST, 34, 7)).toBe(WireError.Truncated)
        expect(icmpCheck(ICMP_ECHO_REQUEST, 34, 40)).toBe(WireError.Truncated)
    })
})
