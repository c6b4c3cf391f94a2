// Fuzz target "dns": the DNS reply parser (src/dns/message.ts parseReply, nameEnd, nameEq). A case:
// a query for board.example.com with a random ID, and a reply from a small corpus (an A answer, a
// CNAME chain with compression pointers, NXDOMAIN and NODATA with an SOA, a CNAME loop, an answer
// for another name first) mutated byte-wise (mutateBytes: lying counts and RDLENGTHs, pointers
// anywhere, truncation, growth), parsed at a random offset inside a larger buffer.
// Oracles:
//  N1  nothing throws, no loop (a panic or the step watchdog)
//  N2  the outcome is one parseReply may give (Ok NxDomain NoData ServFail Refused Truncated
//      Malformed Mismatch)
//  N3  the outcome and the answer do not depend on any byte outside the reply's window (poisoned
//      twice, with different values)
//  N4  the header: shorter than 12 bytes is Malformed; another ID, QR clear, an opcode or a QDCOUNT
//      other than 1 is Mismatch
//  N5  Ok: RCODE 0, an address that is some 4-byte RDATA of the reply, a TTL below 2^31
//  N6  nameEnd on any offset of the reply: -1 or an offset after it, inside the reply

import { Rng } from "./rng"
import { ProtoTarget, fuzzProto, replayProto, noteInput, mutateBytes, pairs } from "./proto"
import { FailureSink } from "./common"
import { be32 } from "./reference"
import { DnsAnswer, DnsOutcome, DNS_MAX_QUERY, encodeQuery, nameEnd, parseReply } from "../../src/dns/message"

const NAME = "board.example.com"
const CAP = 512
const MARGIN = 24

function put16(b: Buffer, o: number, v: number): number {
    b[o] = v >> 8
    b[o + 1] = v
    return o + 2
}

/** A resource record at `o` (owner in wire form, class IN): the offset after it. */
function rr(b: Buffer, o: number, owner: Buffer, type: number, ttl: number, rdata: Buffer): number {
    b.blitAt(o, owner, 0, owner.length)
    o = put16(b, o + owner.length, type)
    o = put16(b, o, 1)
    o = put16(b, o, ttl >>> 16)
    o = put16(b, o, ttl & 0xffff)
    o = put16(b, o, rdata.length)
    b.blitAt(o, rdata, 0, rdata.length)
    return o + rdata.length
}

const SOA_RDATA = hex`02 6e 73 c0 0c 02 68 6d c0 0c 00 00 00 01 00 00 0e 10 00 00 02 58 00 09 3a 80 00 00 01 2c`
export const DNS_CORPUS_NAMES = ["a", "cname-chain", "nxdomain-soa", "nodata-soa", "cname-loop", "other-name-first"]

/** Reply `kind` of the corpus to the query `q` (`qlen` bytes) into `b` at `off`: its length. */
function corpusReply(kind: number, q: Buffer, qlen: number, b: Buffer, off: number, rng: Rng): number {
    b.blitAt(off, q, 0, qlen)
    b[off + 2] = 0x81
    b[off + 3] = 0x80
    let o = off + qlen
    const here = hex`c0 0c`
    const addr = Buffer.alloc(4)
    addr.setAt(0, "u32", rng.next())
    let an = 1
    let ns = 0
    if (kind === 0) o = rr(b, o, here, 1, 300, addr)
    else if (kind === 1) {
        const rd = o - off + 12
        o = rr(b, o, here, 5, 600, hex`03 77 77 77 c0 0c`)
        const p = Buffer.alloc(2)
        p[0] = 0xc0
        p[1] = rd
        o = rr(b, o, p, 1, 60, addr)
        an = 2
    } else if (kind === 2 || kind === 3) {
        if (kind === 2) b[off + 3] = 0x83
        o = rr(b, o, hex`c0 12`, 6, 900, SOA_RDATA)
        an = 0
        ns = 1
    } else if (kind === 4) o = rr(b, o, here, 5, 600, here)
    else {
        o = rr(b, o, hex`01 78 c0 12`, 1, 30, hex`0a 00 00 01`)
        o = rr(b, o, here, 1, 300, addr)
        an = 2
    }
    put16(b, off + 6, an)
    put16(b, off + 8, ns)
    return o - off
}

/** Outcomes over the run (kept across the fresh targets a failure makes). */
const OUTCOMES: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]

class DnsTarget implements ProtoTarget {
    frames = 0
    input = ""
    private readonly q = Buffer.alloc(DNS_MAX_QUERY)
    private readonly w = Buffer.alloc(CAP + 2 * MARGIN)
    private readonly a1 = new DnsAnswer()
    private readonly a2 = new DnsAnswer()

    async run(rng: Rng): Promise<string> {
        const q = this.q
        const qlen = encodeQuery(q, rng.below(0x10000), NAME)
        const w = this.w
        const off = rng.below(MARGIN)
        let len = corpusReply(rng.below(DNS_CORPUS_NAMES.length), q, qlen, w, off, rng)
        len = mutateBytes(rng, w, off, len, CAP, rng.chance(10) ? 0 : 1 + rng.below(6))
        noteInput(this, w, off, len)
        const end = off + len
        // N3: the bytes around the window poisoned twice
        w.fillAt(0, off, 0xc0)
        w.fillAt(end, w.length - end, 0xc0)
        this.a1.address = 0x5a5a5a5a
        this.a1.ttl = 0x5a5a
        const r = parseReply(w, off, len, q, qlen, this.a1)
        w.fillAt(0, off, rng.byte())
        w.fillAt(end, w.length - end, rng.byte())
        this.a2.address = 0x5a5a5a5a
        this.a2.ttl = 0x5a5a
        const r2 = parseReply(w, off, len, q, qlen, this.a2)
        if (r !== r2 || this.a1.negTtl !== this.a2.negTtl || (r === DnsOutcome.Ok && (this.a1.address !== this.a2.address || this.a1.ttl !== this.a2.ttl)))
            return "parseReply read outside the reply (" + r + " / " + r2 + ")"
        // N2
        if (r < 0 || r > DnsOutcome.Mismatch || r === DnsOutcome.Timeout || r === DnsOutcome.NoServers || r === DnsOutcome.BadName)
            return "parseReply gave outcome " + r
        OUTCOMES[r]++
        // N4
        if (len < 12) {
            if (r !== DnsOutcome.Malformed) return "a reply shorter than a header is not Malformed (" + r + ")"
        } else if ((w[off] !== q[0] || w[off + 1] !== q[1] || (w[off + 2] & 0xf8) !== 0x80 || w[off + 4] !== 0 || w[off + 5] !== 1) && r !== DnsOutcome.Mismatch)
            return "a reply with another ID, QR clear, another opcode or QDCOUNT != 1 is not Mismatch (" + r + ")"
        // N5
        if (r === DnsOutcome.Ok) {
            if ((w[off + 3] & 15) !== 0) return "Ok with RCODE " + (w[off + 3] & 15)
            if (this.a1.ttl < 0 || this.a1.ttl > 0x7fffffff) return "Ok with TTL " + this.a1.ttl
            let found = false
            for (let p = off + 12 + 10; p + 4 <= end && !found; p++)
                if (w[p - 2] === 0 && w[p - 1] === 4 && be32(w, p) === this.a1.address) found = true
            if (!found) return "Ok with an address that is no 4-byte RDATA of the reply"
        }
        if (this.a1.negTtl < -1) return "negative TTL " + this.a1.negTtl
        // N6
        for (let k = 0; k < 4 && len > 0; k++) {
            const o = off + rng.below(len)
            const e = nameEnd(w, o, end)
            if (e !== -1 && (e <= o || e > end)) return "nameEnd(" + (o - off) + ") = " + (e - off) + " outside the reply"
        }
        return null
    }

    detail(): string {
        return pairs("Ok NxDomain NoData ServFail Refused Truncated Timeout NoServers BadName Malformed Mismatch", OUTCOMES)
    }
}

function make(): ProtoTarget {
    return new DnsTarget()
}

export async function fuzzDns(seed: number, first: number, count: number, deadlineMs: number, sink: FailureSink) {
    return await fuzzProto("dns", make, seed, first, count, deadlineMs, sink)
}

export async function replayDns(seed: number, index: number): Promise<string> {
    return await replayProto(make, seed, index)
}
