// DNS messages, RFC 1035 §4.1 (header, question, resource records), for a stub resolver asking for
// A records: the query it sends and a total parser of the replies it gets. The parser never throws:
// every length is checked against the end of the datagram, a label is at most 63 bytes and a name at
// most 255 (§2.3.4), and a compression pointer (§4.1.4) must land strictly before the place the
// previous one landed, so a hostile reply cannot make it loop; the outcome says what was wrong.

import { getU16, getU32 } from "../wire/bytes"

/** Header offsets (RFC 1035 §4.1.1). */
export const enum DnsField {
    Id = 0,
    Flags = 2,
    QdCount = 4,
    AnCount = 6,
    NsCount = 8,
    ArCount = 10,
    Question = 12,
}

export const DNS_HEADER_LEN = 12
export const DNS_PORT = 53
/** Wire form of a name: at most 255 bytes (RFC 1035 §2.3.4). */
export const DNS_MAX_NAME = 255
/** The longest query: header, a 255-byte name, QTYPE and QCLASS. */
export const DNS_MAX_QUERY = DNS_HEADER_LEN + DNS_MAX_NAME + 4
/** CNAMEs followed inside one answer before giving up (the chain is a loop or too long). */
export const DNS_MAX_CNAMES = 8
/** Resource records looked at in one section (a reply claiming more is read no further). */
export const DNS_MAX_RRS = 32

export const enum DnsType {
    A = 1,
    Cname = 5,
    Soa = 6,
}
const CLASS_IN = 1

/** What a resolution ended with (the first ones also come out of parseReply). */
export const enum DnsOutcome {
    /** An address (with the TTL of the chain that led to it). */
    Ok = 0,
    /** RCODE 3: the name does not exist (RFC 1035 §4.1.1, RFC 2308 §2.1). */
    NxDomain = 1,
    /** NOERROR but no A record at the end of the chain (RFC 2308 §2.2). */
    NoData = 2,
    /** RCODE 2, or FORMERR/NOTIMP/another error code, or a CNAME chain too long. */
    ServFail = 3,
    /** RCODE 5. */
    Refused = 4,
    /** TC set: the answer did not fit 512 bytes (RFC 1035 §4.2.1); no TCP fallback here. */
    Truncated = 5,
    /** No server answered before the deadline. */
    Timeout = 6,
    /** No server configured (none from DHCP or devicescript.json yet). */
    NoServers = 7,
    /** Not a host name: empty label, label over 63 bytes, name over 253 characters, bad character. */
    BadName = 8,
    /** A reply to our query that could not be read (parseReply only: ignored and counted). */
    Malformed = 9,
    /** Not a reply to our query: ID, question, QR or opcode differ (parseReply only: ignored, counted). */
    Mismatch = 10,
    /** No UDP socket could be bound for the query. */
    NoSocket = 11,
}

/** Outcome names, in DnsOutcome order. */
export const DNS_OUTCOME_NAMES = "Ok NxDomain NoData ServFail Refused Truncated Timeout NoServers BadName Malformed Mismatch NoSocket"

export function dnsOutcomeName(o: DnsOutcome): string {
    return DNS_OUTCOME_NAMES.split(" ")[o] || "?"
}

/**
 * `name` in wire form at `off` (labels, each a length byte then its bytes, then the root's 0):
 * the bytes written, or -1 when it is not a host name (one trailing dot allowed).
 */
export function encodeName(buf: Buffer, off: number, name: string): number {
    let n = name.length
    if (n > 0 && name.charCodeAt(n - 1) === 46) n--
    // 253 characters + the length of the first label + the root = 255 bytes
    if (n === 0 || n > 253 || off + n + 2 > buf.length) return -1
    let lenAt = off
    let o = off + 1
    for (let i = 0; i < n; i++) {
        const c = name.charCodeAt(i)
        if (c === 46) {
            const l = o - lenAt - 1
            if (l === 0) return -1
            buf[lenAt] = l
            lenAt = o
        } else {
            // RFC 2181 §11 allows any octet; a query here is for host names: printable ASCII, no space
            if (c <= 32 || c >= 127 || o - lenAt > 63) return -1
            buf[o] = c
        }
        o++
    }
    const last = o - lenAt - 1
    if (last === 0) return -1
    buf[lenAt] = last
    buf[o] = 0
    return o + 1 - off
}

/**
 * A standard query (RFC 1035 §4.1.1: opcode 0, RD set, one question) for `name`'s A record, class IN:
 * its length, or -1 for a bad name.
 */
export function encodeQuery(buf: Buffer, id: number, name: string): number {
    const n = encodeName(buf, DNS_HEADER_LEN, name)
    if (n < 0) return -1
    buf[0] = id >> 8
    buf[1] = id
    buf[2] = 0x01 // QR=0, opcode 0, AA=0, TC=0, RD=1
    buf[3] = 0x00 // RA=0, Z=0, RCODE=0
    buf.fillAt(4, 8, 0)
    buf[5] = 1 // QDCOUNT 1
    const q = DNS_HEADER_LEN + n
    buf[q] = 0
    buf[q + 1] = DnsType.A
    buf[q + 2] = 0
    buf[q + 3] = CLASS_IN
    return q + 4
}

function lower(c: number): number {
    return c >= 65 && c <= 90 ? c | 0x20 : c
}

/**
 * The offset just after the name at `off` as it sits in the message (a pointer ends it), or -1 when
 * it runs past `end` or uses a reserved label type.
 */
export function nameEnd(m: Buffer, off: number, end: number): number {
    let total = 0
    while (off < end) {
        const c = m[off]
        if (c === 0) return off + 1
        if ((c & 0xc0) === 0xc0) return off + 2 <= end ? off + 2 : -1
        // 0x40 and 0x80 label types are reserved (RFC 6891 §5 retired 0x40)
        if (c > 63) return -1
        total += c + 1
        if (total > DNS_MAX_NAME) return -1
        off += c + 1
    }
    return -1
}

/**
 * Whether the name at `ao` in message `a` (starting at `aBase`, ending at `aEnd`) is the name at `bo`
 * in `b`, ignoring ASCII case (RFC 4343). Compression pointers are followed in both (relative to
 * each message's base), each one only to a place before where the last one landed: at most as many
 * jumps as bytes, never a loop.
 */
export function nameEq(a: Buffer, aBase: number, ao: number, aEnd: number, b: Buffer, bBase: number, bo: number, bEnd: number): boolean {
    let aLim = ao
    let bLim = bo
    let total = 0
    while (total <= DNS_MAX_NAME) {
        while (ao < aEnd && (a[ao] & 0xc0) === 0xc0) {
            if (ao + 1 >= aEnd) return false
            const t = aBase + (((a[ao] & 0x3f) << 8) | a[ao + 1])
            if (t >= aLim) return false
            ao = aLim = t
        }
        while (bo < bEnd && (b[bo] & 0xc0) === 0xc0) {
            if (bo + 1 >= bEnd) return false
            const t = bBase + (((b[bo] & 0x3f) << 8) | b[bo + 1])
            if (t >= bLim) return false
            bo = bLim = t
        }
        if (ao >= aEnd || bo >= bEnd) return false
        const n = a[ao]
        if (n !== b[bo] || n > 63) return false
        if (n === 0) return true
        total += n + 1
        if (ao + 1 + n > aEnd || bo + 1 + n > bEnd) return false
        for (let i = 1; i <= n; i++) if (lower(a[ao + i]) !== lower(b[bo + i])) return false
        ao += n + 1
        bo += n + 1
    }
    return false
}

/** TTL as RFC 2181 §8 reads it: 32 bits, a value with the top bit set is taken as zero. */
function ttlAt(m: Buffer, o: number): number {
    const t = getU32(m, o)
    return t >= 0x80000000 ? 0 : t
}

/**
 * What parseReply found besides its outcome.
 * @devsWhenUsed
 */
export class DnsAnswer {
    /** The A record's address (Ok). */
    address = 0
    /** Seconds: the smallest TTL along the CNAME chain and the A record (Ok). */
    ttl = 0
    /** Seconds a negative answer may be cached (RFC 2308 §5: min(SOA TTL, SOA MINIMUM)); -1 without SOA. */
    negTtl = -1
}

/**
 * Read a reply (`len` bytes at `off` in `m`) to the query in `q` (`qlen` bytes, from encodeQuery)
 * into `out`. Mismatch when it does not answer that query (ID, QR, opcode, question: RFC 5452 §9.1),
 * Malformed when it does but cannot be read; else the outcome, following CNAMEs from the question's
 * name through the answer section (RFC 1034 §3.6.2) to an A record.
 */
export function parseReply(m: Buffer, off: number, len: number, q: Buffer, qlen: number, out: DnsAnswer): DnsOutcome {
    out.negTtl = -1
    const end = off + len
    if (len < DNS_HEADER_LEN || end > m.length) return DnsOutcome.Malformed
    const f = m[off + 2]
    const qn = off + DNS_HEADER_LEN
    // our ID; QR set and opcode 0 (QUERY); one question, ours
    if (m.getAt(off, "u16") !== q.getAt(0, "u16") || (f & 0xf8) !== 0x80 || getU16(m, off + DnsField.QdCount) !== 1 ||
        !nameEq(m, off, qn, end, q, 0, DNS_HEADER_LEN, qlen)) return DnsOutcome.Mismatch
    let o = nameEnd(m, qn, end)
    if (o < 0 || o + 4 > end) return DnsOutcome.Malformed
    if (m.getAt(o, "u32") !== q.getAt(qlen - 4, "u32")) return DnsOutcome.Mismatch
    if ((f & 0x02) !== 0) return DnsOutcome.Truncated
    const rcode = m[off + 3] & 0x0f
    if (rcode === 5) return DnsOutcome.Refused
    if (rcode !== 0 && rcode !== 3) return DnsOutcome.ServFail
    const an = getU16(m, off + DnsField.AnCount)
    const ns = getU16(m, off + DnsField.NsCount)
    // the answer section, then the authority section (for the SOA of a negative answer); each pass
    // over the answers follows the chain as far as the records' order allows
    let target = qn
    let ttl = 0x7fffffff
    let cnames = 0
    for (let pass = 0; pass <= DNS_MAX_CNAMES; pass++) {
        let p = o + 4
        const before = cnames
        for (let i = 0; i < an + ns && i < DNS_MAX_RRS; i++) {
            const owner = p
            p = nameEnd(m, p, end)
            if (p < 0 || p + 10 > end) return DnsOutcome.Malformed
            const type = getU16(m, p)
            const rrTtl = ttlAt(m, p + 4)
            const rd = p + 10
            p = rd + getU16(m, p + 8)
            if (p > end) return DnsOutcome.Malformed
            if (getU16(m, rd - 8) !== CLASS_IN) continue
            if (i >= an) {
                // RFC 2308 §5: SOA's MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM (RFC 1035 §3.3.13)
                if (type !== DnsType.Soa) continue
                let s = nameEnd(m, rd, p)
                if (s >= 0) s = nameEnd(m, s, p)
                if (s >= 0 && s + 20 <= p) {
                    const min = ttlAt(m, s + 16)
                    out.negTtl = min < rrTtl ? min : rrTtl
                }
                break
            }
            if ((type !== DnsType.A && type !== DnsType.Cname) || !nameEq(m, off, owner, end, m, off, target, end)) continue
            if (rrTtl < ttl) ttl = rrTtl
            if (type === DnsType.A) {
                if (p - rd !== 4 || rcode !== 0) return DnsOutcome.Malformed
                out.address = getU32(m, rd)
                out.ttl = ttl
                return DnsOutcome.Ok
            }
            if (nameEnd(m, rd, p) < 0) return DnsOutcome.Malformed
            if (++cnames > DNS_MAX_CNAMES) return DnsOutcome.ServFail
            target = rd
        }
        if (cnames === before) break
    }
    return rcode === 3 ? DnsOutcome.NxDomain : DnsOutcome.NoData
}
