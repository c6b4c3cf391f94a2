// IPv4 header, RFC 791 §3.1, with options.

import { getU16, getU32, setU16, setU32 } from "./bytes"
import { internetChecksum } from "./checksum"
import { WireError } from "./error"

export const enum Ipv4Field {
    VersionIhl = 0,
    Tos = 1,
    TotalLength = 2,
    Ident = 4,
    FlagsFragment = 6,
    Ttl = 8,
    Protocol = 9,
    Checksum = 10,
    Src = 12,
    Dst = 16,
    Options = 20,
}
export const IPV4_HEADER_LEN = 20
export const IPV4_MAX_HEADER_LEN = 60
export const IPV4_MAX_OPTIONS_LEN = 40

/** The header length for `optionsLen` bytes of options, padded to a 32-bit boundary (RFC 791 §3.1). */
export function ipv4HeaderLenFor(optionsLen: number): number {
    return IPV4_HEADER_LEN + ((optionsLen + 3) & ~3)
}

/** Flags, in the 16-bit flags/fragment-offset word. */
export const IPV4_DF = 0x4000
export const IPV4_MF = 0x2000
export const IPV4_OFFSET_MASK = 0x1fff

export const enum IpProtocol {
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
}

/** Option types, RFC 791 §3.1: bit 7 of the type is the copy flag. */
export const enum Ipv4Option {
    End = 0,
    Nop = 1,
    CopyFlag = 0x80,
}

/**
 * Walk the options area; every option must fit (RFC 791 §3.1: type, length >= 2, data).
 * End-of-list stops the walk (what follows is padding).
 */
export function ipv4OptionsCheck(buf: Buffer, off: number, len: number): WireError {
    let i = 0
    while (i < len) {
        const type = buf[off + i]
        if (type === Ipv4Option.End) return WireError.Ok
        if (type === Ipv4Option.Nop) {
            i++
            continue
        }
        if (i + 1 >= len) return WireError.BadOption
        const olen = buf[off + i + 1]
        if (olen < 2 || i + olen > len) return WireError.BadOption
        i += olen
    }
    return WireError.Ok
}

/**
 * Everything a receiver must check before trusting the header (RFC 1122 §3.2.1.1-2):
 * version, header length, total length against the data, options, checksum.
 */
export function ipv4Check(buf: Buffer, off: number, len: number): WireError {
    if (len < IPV4_HEADER_LEN || off + len > buf.length) return WireError.Truncated
    const vihl = buf[off]
    if (vihl >> 4 !== 4) return WireError.BadVersion
    const hlen = (vihl & 15) * 4
    if (hlen < IPV4_HEADER_LEN) return WireError.BadHeaderLength
    if (hlen > len) return WireError.Truncated
    const total = getU16(buf, off + Ipv4Field.TotalLength)
    if (total < hlen) return WireError.BadLength
    if (total > len) return WireError.Truncated
    const oe = ipv4OptionsCheck(buf, off + IPV4_HEADER_LEN, hlen - IPV4_HEADER_LEN)
    if (oe !== WireError.Ok) return oe
    if (internetChecksum(buf, off, hlen) !== 0) return WireError.BadChecksum
    return WireError.Ok
}

export function ipv4HeaderLen(buf: Buffer, off: number): number {
    return (buf[off] & 15) * 4
}
export function ipv4TotalLength(buf: Buffer, off: number): number {
    return getU16(buf, off + Ipv4Field.TotalLength)
}
export function ipv4Protocol(buf: Buffer, off: number): number {
    return buf[off + Ipv4Field.Protocol]
}
export function ipv4Src(buf: Buffer, off: number): number {
    return getU32(buf, off + Ipv4Field.Src)
}
export function ipv4Dst(buf: Buffer, off: number): number {
    return getU32(buf, off + Ipv4Field.Dst)
}
/** True for a fragment: MF set or a non-zero offset. */
export function ipv4IsFragment(buf: Buffer, off: number): boolean {
    return (getU16(buf, off + Ipv4Field.FlagsFragment) & (IPV4_MF | IPV4_OFFSET_MASK)) !== 0
}

/**
 * Rewrite the options of a non-first fragment in place the way Linux's ip_options_fragment does:
 * options whose copy flag is clear become NOPs, so the header length (and every fragment's payload
 * size) stays the same (RFC 791 §3.2: only copied options appear in later fragments).
 */
export function ipv4OptionsForFragment(buf: Buffer, off: number, len: number): void {
    let i = 0
    while (i < len) {
        const type = buf[off + i]
        if (type === Ipv4Option.End) return
        if (type === Ipv4Option.Nop) {
            i++
            continue
        }
        const olen = buf[off + i + 1]
        if (olen < 2 || i + olen > len) return
        if ((type & Ipv4Option.CopyFlag) === 0) buf.fillAt(off + i, olen, Ipv4Option.Nop)
        i += olen
    }
}

/**
 * The high-level form of an IPv4 header. Fragment offset is in bytes (a multiple of 8).
 * @devsWhenUsed
 */
export class Ipv4Repr {
    src = 0
    dst = 0
    protocol = 0
    tos = 0
    ttl = 64
    ident = 0
    dontFragment = false
    moreFragments = false
    fragmentOffset = 0
    /** Header + payload bytes. */
    totalLength = 0
    /** Options (unpadded) are `optionsLen` bytes at `optionsOff` in `options`; not copied. */
    options: Buffer = null
    optionsOff = 0
    optionsLen = 0

    headerLength(): number {
        return ipv4HeaderLenFor(this.optionsLen)
    }

    /** Check and decode; options are referenced in `buf`, not copied. */
    parse(buf: Buffer, off: number, len: number): WireError {
        const e = ipv4Check(buf, off, len)
        if (e !== WireError.Ok) return e
        const hlen = ipv4HeaderLen(buf, off)
        const ff = getU16(buf, off + Ipv4Field.FlagsFragment)
        this.tos = buf[off + Ipv4Field.Tos]
        this.totalLength = getU16(buf, off + Ipv4Field.TotalLength)
        this.ident = getU16(buf, off + Ipv4Field.Ident)
        this.dontFragment = (ff & IPV4_DF) !== 0
        this.moreFragments = (ff & IPV4_MF) !== 0
        this.fragmentOffset = (ff & IPV4_OFFSET_MASK) * 8
        this.ttl = buf[off + Ipv4Field.Ttl]
        this.protocol = buf[off + Ipv4Field.Protocol]
        this.src = getU32(buf, off + Ipv4Field.Src)
        this.dst = getU32(buf, off + Ipv4Field.Dst)
        this.options = buf
        this.optionsOff = off + IPV4_HEADER_LEN
        this.optionsLen = hlen - IPV4_HEADER_LEN
        return WireError.Ok
    }

    /** Write exactly headerLength() bytes at `off`, options padded with End (0), checksum filled. */
    emit(buf: Buffer, off: number): void {
        const hlen = this.headerLength()
        buf[off + Ipv4Field.VersionIhl] = 0x40 | (hlen >> 2)
        buf[off + Ipv4Field.Tos] = this.tos
        setU16(buf, off + Ipv4Field.TotalLength, this.totalLength)
        setU16(buf, off + Ipv4Field.Ident, this.ident)
        setU16(
            buf,
            off + Ipv4Field.FlagsFragment,
            (this.dontFragment ? IPV4_DF : 0) | (this.moreFragments ? IPV4_MF : 0) | (this.fragmentOffset >> 3)
        )
        buf[off + Ipv4Field.Ttl] = this.ttl
        buf[off + Ipv4Field.Protocol] = this.protocol
        setU16(buf, off + Ipv4Field.Checksum, 0)
        setU32(buf, off + Ipv4Field.Src, this.src)
        setU32(buf, off + Ipv4Field.Dst, this.dst)
        if (this.optionsLen > 0) {
            buf.blitAt(off + IPV4_HEADER_LEN, this.options, this.optionsOff, this.optionsLen)
            buf.fillAt(off + IPV4_HEADER_LEN + this.optionsLen, hlen - IPV4_HEADER_LEN - this.optionsLen, 0)
        }
        setU16(buf, off + Ipv4Field.Checksum, internetChecksum(buf, off, hlen))
    }
}
