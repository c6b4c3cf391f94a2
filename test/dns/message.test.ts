import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler } from "../support/rig"
import { Rng } from "../fuzz/rng"
import { DnsAnswer, DnsOutcome, encodeName, encodeQuery, nameEq, nameEnd, parseReply, DNS_MAX_QUERY } from "../../src/dns/message"

// The DNS wire format (RFC 1035 §4.1) against bytes worked out by hand from the RFC's layout, and
// the parser fed replies that lie: pointer loops, pointers forward or past the end, truncation at
// every byte, reserved label types, CNAME loops, and seeded random corruption. It must always give
// an outcome and never throw.

// "collector.lan" A IN, ID 0x1234, RD: header (§4.1.1), QNAME as labels, QTYPE 1, QCLASS 1 (§4.1.2)
const QUERY_COLLECTOR = hex`12 34 01 00 00 01 00 00 00 00 00 00
09 63 6f 6c 6c 65 63 74 6f 72 03 6c 61 6e 00 00 01 00 01`

// its answer: QR RD RA, one A record 192.0.2.20 TTL 300 whose owner is a pointer to offset 12
const REPLY_COLLECTOR = hex`12 34 81 80 00 01 00 01 00 00 00 00
09 63 6f 6c 6c 65 63 74 6f 72 03 6c 61 6e 00 00 01 00 01
c0 0c 00 01 00 01 00 00 01 2c 00 04 c0 00 02 14`

function query(name: string): Buffer {
    const q = Buffer.alloc(DNS_MAX_QUERY)
    const n = encodeQuery(q, 0x1234, name)
    return n < 0 ? null : q.slice(0, n)
}

function parse(reply: Buffer, len: number, q: Buffer, a: DnsAnswer): DnsOutcome {
    return parseReply(reply, 0, len, q, q.length, a)
}

function copy(b: Buffer): Buffer {
    const c = Buffer.alloc(b.length)
    c.blitAt(0, b, 0, b.length)
    return c
}

describe("dns messages", () => {
    beforeEach(yieldToScheduler)

    test("a query is byte for byte RFC 1035's layout", () => {
        const q = query("collector.lan")
        expect(q.length).toBe(QUERY_COLLECTOR.length)
        let same = true
        for (let i = 0; i < q.length; i++) if (q[i] !== QUERY_COLLECTOR[i]) same = false
        expect(same).toBe(true)
        // one final dot is the same name
        expect(query("collector.lan.").length).toBe(31)
    })

    test("names that are not host names are refused before anything is sent", () => {
        expect(query("") === null).toBe(true)
        expect(query(".") === null).toBe(true)
        expect(query("a..b") === null).toBe(true)
        expect(query(".a") === null).toBe(true)
        expect(query("bad name") === null).toBe(true)
        expect(query("x.lan..") === null).toBe(true)
        let l63 = ""
        for (let i = 0; i < 63; i++) l63 += "a"
        expect(query(l63 + ".lan") !== null).toBe(true)
        expect(query(l63 + "a.lan") === null).toBe(true)
        // 253 characters is the longest (255 bytes on the wire), 254 is over
        let n253 = l63 + "." + l63 + "." + l63 + "."
        while (n253.length < 253) n253 += "b"
        expect(query(n253).length).toBe(12 + 255 + 4)
        expect(query(n253 + "b") === null).toBe(true)
        const b = Buffer.alloc(8)
        expect(encodeName(b, 0, "abcdefgh")).toBe(-1)
        expect(encodeName(b, 0, "abc.de")).toBe(8)
    })

    test("a reply: the address and TTL; ID, QR and question must be ours", () => {
        const q = query("collector.lan")
        const a = new DnsAnswer()
        expect(parse(REPLY_COLLECTOR, REPLY_COLLECTOR.length, q, a)).toBe(DnsOutcome.Ok)
        expect(a.address).toBe(0xc0000214)
        expect(a.ttl).toBe(300)
        // the question compares without regard to case (RFC 4343)
        const upper = copy(REPLY_COLLECTOR)
        upper[13] = 0x43
        expect(parse(upper, upper.length, q, a)).toBe(DnsOutcome.Ok)
        const id = copy(REPLY_COLLECTOR)
        id[1] = 0x35
        expect(parse(id, id.length, q, a)).toBe(DnsOutcome.Mismatch)
        const qr = copy(REPLY_COLLECTOR)
        qr[2] = 0x01
        expect(parse(qr, qr.length, q, a)).toBe(DnsOutcome.Mismatch)
        const other = copy(REPLY_COLLECTOR)
        other[14] = 0x70
        expect(parse(other, other.length, q, a)).toBe(DnsOutcome.Mismatch)
        const qtype = copy(REPLY_COLLECTOR)
        qtype[28] = 0x1c
        expect(parse(qtype, qtype.length, q, a)).toBe(DnsOutcome.Mismatch)
        // RFC 2181 §8: a TTL with the top bit set counts as zero
        const big = copy(REPLY_COLLECTOR)
        big[37] = 0x80
        expect(parse(big, big.length, q, a)).toBe(DnsOutcome.Ok)
        expect(a.ttl).toBe(0)
    })

    test("cut at every length: never an address, never an exception", () => {
        const q = query("collector.lan")
        const a = new DnsAnswer()
        for (let n = 0; n < REPLY_COLLECTOR.length; n++) {
            const r = parse(REPLY_COLLECTOR, n, q, a)
            expect(r === DnsOutcome.Malformed || r === DnsOutcome.Mismatch).toBe(true)
        }
    })

    test("compression pointers: loops, forward jumps and jumps past the end are refused", () => {
        const a = new DnsAnswer()
        const q = query("collector.lan")
        // answer owner pointing at itself (offset 31): not our name, so no address
        const self = copy(REPLY_COLLECTOR)
        self[32] = 31
        expect(parse(self, self.length, q, a)).toBe(DnsOutcome.NoData)
        // past the end of the message
        const far = copy(REPLY_COLLECTOR)
        far[31] = 0xc3
        far[32] = 0xff
        expect(parse(far, far.length, q, a)).toBe(DnsOutcome.NoData)
        // a two-pointer loop: 40 -> 42 -> 40 (a message of pointers only)
        const loop = hex`c0 02 c0 00`
        expect(nameEq(loop, 0, 0, 4, loop, 0, 2, 4)).toBe(false)
        // a question that is only a pointer to itself
        const qloop = hex`12 34 81 80 00 01 00 00 00 00 00 00 c0 0c 00 01 00 01`
        expect(parse(qloop, qloop.length, q, a)).toBe(DnsOutcome.Mismatch)
        // a label of type 0x40 (reserved) and a label over 63 bytes
        const reserved = copy(REPLY_COLLECTOR)
        reserved[31] = 0x41
        expect(parse(reserved, reserved.length, q, a)).toBe(DnsOutcome.Malformed)
        expect(nameEnd(hex`40 61 00`, 0, 3)).toBe(-1)
        expect(nameEnd(hex`03 61 62 63 00`, 0, 5)).toBe(5)
        expect(nameEnd(hex`03 61 62 63 c0 00`, 0, 6)).toBe(6)
        expect(nameEnd(hex`03 61 62 63 c0`, 0, 5)).toBe(-1)
        expect(nameEnd(hex`03 61 62`, 0, 3)).toBe(-1)
    })

    test("CNAME chains: in order, out of order, and a loop", () => {
        const q = query("www.lan")
        const a = new DnsAnswer()
        // www.lan CNAME collector.lan (TTL 60, "collector" + pointer to "lan" at 16), then its A (TTL 300)
        const inOrder = hex`12 34 81 80 00 01 00 02 00 00 00 00
03 77 77 77 03 6c 61 6e 00 00 01 00 01
c0 0c 00 05 00 01 00 00 00 3c 00 0c 09 63 6f 6c 6c 65 63 74 6f 72 c0 10
c0 25 00 01 00 01 00 00 01 2c 00 04 c0 00 02 15`
        expect(parse(inOrder, inOrder.length, q, a)).toBe(DnsOutcome.Ok)
        expect(a.address).toBe(0xc0000215)
        expect(a.ttl).toBe(60)
        // the A record first (its owner written out), then the CNAME pointing back at it
        const reversed = hex`12 34 81 80 00 01 00 02 00 00 00 00
03 77 77 77 03 6c 61 6e 00 00 01 00 01
09 63 6f 6c 6c 65 63 74 6f 72 03 6c 61 6e 00 00 01 00 01 00 00 01 2c 00 04 c0 00 02 15
c0 0c 00 05 00 01 00 00 00 3c 00 02 c0 19`
        expect(parse(reversed, reversed.length, q, a)).toBe(DnsOutcome.Ok)
        expect(a.address).toBe(0xc0000215)
        expect(a.ttl).toBe(60)
        // www.lan CNAME www.lan: followed at most DNS_MAX_CNAMES times, then SERVFAIL
        const loop = hex`12 34 81 80 00 01 00 01 00 00 00 00
03 77 77 77 03 6c 61 6e 00 00 01 00 01
c0 0c 00 05 00 01 00 00 00 3c 00 02 c0 0c`
        expect(parse(loop, loop.length, q, a)).toBe(DnsOutcome.ServFail)
        // a chain that ends without an address: NOERROR, no data
        const dangling = hex`12 34 81 80 00 01 00 01 00 00 00 00
03 77 77 77 03 6c 61 6e 00 00 01 00 01
c0 0c 00 05 00 01 00 00 00 3c 00 0c 09 63 6f 6c 6c 65 63 74 6f 72 c0 10`
        expect(parse(dangling, dangling.length, q, a)).toBe(DnsOutcome.NoData)
        expect(a.negTtl).toBe(-1)
    })

    test("NXDOMAIN with an SOA: negative TTL is min(SOA TTL, MINIMUM) (RFC 2308 §5); rcodes", () => {
        const q = query("nope.lan")
        const a = new DnsAnswer()
        const nx = hex`12 34 81 83 00 01 00 00 00 01 00 00
04 6e 6f 70 65 03 6c 61 6e 00 00 01 00 01
c0 11 00 06 00 01 00 00 0e 10 00 1d 02 6e 73 c0 11 01 68 c0 11
00 00 00 01 00 00 0e 10 00 00 02 58 00 01 51 80 00 00 00 1e`
        expect(parse(nx, nx.length, q, a)).toBe(DnsOutcome.NxDomain)
        expect(a.negTtl).toBe(30)
        // without the SOA: not cacheable
        const bare = nx.slice(0, 26)
        bare[9] = 0
        expect(parse(bare, bare.length, q, a)).toBe(DnsOutcome.NxDomain)
        expect(a.negTtl).toBe(-1)
        // an SOA whose RDATA is cut short
        const cut = copy(nx)
        cut[37] = 0x10
        expect(parse(cut, cut.length, q, a)).toBe(DnsOutcome.NxDomain)
        expect(a.negTtl).toBe(-1)
        const codes = [0x82, 0x85, 0x81, 0x84]
        const want = [DnsOutcome.ServFail, DnsOutcome.Refused, DnsOutcome.ServFail, DnsOutcome.ServFail]
        for (let i = 0; i < codes.length; i++) {
            const r = copy(bare)
            r[3] = codes[i]
            expect(parse(r, r.length, q, a)).toBe(want[i])
        }
        const tc = copy(bare)
        tc[2] = 0x83
        expect(parse(tc, tc.length, q, a)).toBe(DnsOutcome.Truncated)
    })

    test("seeded random corruption of a CNAME reply: an outcome every time", async () => {
        const q = query("www.lan")
        const a = new DnsAnswer()
        const base = hex`12 34 81 80 00 01 00 02 00 01 00 00
03 77 77 77 03 6c 61 6e 00 00 01 00 01
c0 0c 00 05 00 01 00 00 00 3c 00 0c 09 63 6f 6c 6c 65 63 74 6f 72 c0 10
c0 25 00 01 00 01 00 00 01 2c 00 04 c0 00 02 15
c0 10 00 06 00 01 00 00 0e 10 00 1d 02 6e 73 c0 11 01 68 c0 11
00 00 00 01 00 00 0e 10 00 00 02 58 00 01 51 80 00 00 00 1e`
        const rng = new Rng(12345)
        const m = Buffer.alloc(base.length)
        let outcomes = 0
        for (let k = 0; k < 300; k++) {
            if ((k & 15) === 15) await yieldToScheduler()
            m.blitAt(0, base, 0, base.length)
            for (let j = 0; j < 3; j++) {
                // xorshift32 (test/fuzz/rng.ts), replayable from the seed
                const pos = rng.below(base.length - 12) + 12
                m[pos] = rng.byte()
            }
            const r = parse(m, m.length, q, a)
            if (r >= DnsOutcome.Ok && r <= DnsOutcome.Mismatch) outcomes++
        }
        expect(outcomes).toBe(300)
    })
})
