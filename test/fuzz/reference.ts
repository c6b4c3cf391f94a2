// The fuzz oracles' own reading of the RFCs, written apart from src/wire/ so that the parsers are
// not checked against themselves: what each check must answer for a given window of bytes, and
// which addresses may never be a neighbour or a reply destination. The order of the tests follows
// the WireError contract (src/wire/error.ts): the first failing rule names the error.

import { refChecksum, refUdpChecksumOk, be16, be32 } from "../support/ref"

// WireError values (a const enum in src/wire/error.ts; repeated here on purpose)
export const OK = 0
export const TRUNCATED = 1
export const BAD_VERSION = 2
export const BAD_HEADER_LENGTH = 3
export const BAD_LENGTH = 4
export const BAD_CHECKSUM = 5
export const BAD_OPTION = 6
export const UNSUPPORTED = 7
export const BAD_OPERATION = 8

/** Ethernet: 14 bytes of header (RFC 894). */
export function refEthernet(len: number): number {
    return len >= 14 ? OK : TRUNCATED
}

/** ARP for IPv4 over Ethernet (RFC 826): 28 bytes, hrd 1, pro 0x0800, hln 6, pln 4, op 1 or 2. */
export function refArp(b: Buffer, off: number, len: number): number {
    if (len < 28) return TRUNCATED
    if (be16(b, off) !== 1 || be16(b, off + 2) !== 0x0800 || b[off + 4] !== 6 || b[off + 5] !== 4) return UNSUPPORTED
    const op = be16(b, off + 6)
    return op === 1 || op === 2 ? OK : BAD_OPERATION
}

/** RFC 791 §3.1 options: End stops, NOP is one byte, anything else is type, length >= 2, data. */
export function refOptions(b: Buffer, off: number, len: number): number {
    let i = 0
    while (i < len) {
        const t = b[off + i]
        if (t === 0) return OK
        if (t === 1) {
            i += 1
            continue
        }
        if (i + 2 > len) return BAD_OPTION
        const l = b[off + i + 1]
        if (l < 2 || i + l > len) return BAD_OPTION
        i += l
    }
    return OK
}

/** RFC 791 / RFC 1122 §3.2.1: what a receiver checks before trusting an IPv4 header. */
export function refIpv4(b: Buffer, off: number, len: number): number {
    if (len < 20) return TRUNCATED
    if (b[off] >> 4 !== 4) return BAD_VERSION
    const hl = (b[off] & 15) * 4
    if (hl < 20) return BAD_HEADER_LENGTH
    if (hl > len) return TRUNCATED
    const total = be16(b, off + 2)
    if (total < hl) return BAD_LENGTH
    if (total > len) return TRUNCATED
    const oe = refOptions(b, off + 20, hl - 20)
    if (oe !== OK) return oe
    if (refChecksum(b, off, hl) !== 0) return BAD_CHECKSUM
    return OK
}

/** RFC 768: `len` is the IP payload length; the UDP length covers 8..len; checksum 0 = none. */
export function refUdp(b: Buffer, off: number, len: number, src: number, dst: number): number {
    if (len < 8) return TRUNCATED
    const ulen = be16(b, off + 4)
    if (ulen < 8 || ulen > len) return BAD_LENGTH
    if (be16(b, off + 6) !== 0 && !refUdpChecksumOk(b, off, ulen, src, dst)) return BAD_CHECKSUM
    return OK
}

/** RFC 792: 8 bytes of header, checksum over the whole message. */
export function refIcmp(b: Buffer, off: number, len: number): number {
    if (len < 8) return TRUNCATED
    return refChecksum(b, off, len) === 0 ? OK : BAD_CHECKSUM
}

/**
 * An address no host can have as a source (RFC 1122 §3.2.1.3; Linux's martians): this network
 * (0/8), loopback (127/8), multicast (224/4), reserved and limited broadcast (240/4), our own
 * address, and our subnet's directed broadcast.
 */
export function refMartian(a: number, ours: number, prefix: number): boolean {
    const top = a >>> 24
    if (top === 0 || top === 127 || top >= 224) return true
    if (a === ours) return true
    if (prefix < 31) {
        const host = (0xffffffff >>> prefix) >>> 0
        if ((a & ~host) >>> 0 === (ours & ~host) >>> 0 && (a & host) >>> 0 === host) return true
    }
    return false
}

export function refOnLink(a: number, ours: number, prefix: number): boolean {
    const host = (0xffffffff >>> prefix) >>> 0
    return (a & ~host) >>> 0 === (ours & ~host) >>> 0
}

export { be16, be32, refChecksum }
