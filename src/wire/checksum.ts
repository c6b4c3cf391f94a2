// The Internet checksum, RFC 1071, and the UDP pseudo-header, RFC 768.
//
// The data is summed as little-endian 32-bit words (getAt compiles to one opcode) and the result is
// byte-swapped once at the end: the one's-complement sum is independent of byte order
// (RFC 1071 §2(B)), and deferred carries may be folded at the end (§2(C)). A double holds the
// running sum exactly (each word < 2^32, far fewer than 2^21 words per buffer).

/**
 * Fold a non-negative integer sum (< 2^53) to 16 bits with end-around carry. Division, not `%` or
 * `>>>`: DeviceScript's `%` truncates its operands to int32.
 */
export function fold(sum: number): number {
    while (sum > 0xffff) {
        const high = Math.floor(sum / 0x10000)
        sum = sum - high * 0x10000 + high
    }
    return sum
}

/**
 * One's-complement sum of `len` bytes at `off`, in network byte order, added to `initial`
 * (a folded or partial network-order sum, under 2^31). An odd final byte is padded with zero (RFC 1071 §4.1).
 * Returns a folded 16-bit value.
 */
export function onesSum(buf: Buffer, off: number, len: number, initial: number): number {
    let sum = 0
    let i = off
    // 16 little-endian words an iteration: the loop's own steps are a tenth of the work
    if (len >= 64) {
        const end64 = off + (len & ~63)
        while (i < end64) {
            sum += buf.getAt(i, "u32") + buf.getAt(i + 4, "u32") + buf.getAt(i + 8, "u32") + buf.getAt(i + 12, "u32") +
                buf.getAt(i + 16, "u32") + buf.getAt(i + 20, "u32") + buf.getAt(i + 24, "u32") + buf.getAt(i + 28, "u32") +
                buf.getAt(i + 32, "u32") + buf.getAt(i + 36, "u32") + buf.getAt(i + 40, "u32") + buf.getAt(i + 44, "u32") +
                buf.getAt(i + 48, "u32") + buf.getAt(i + 52, "u32") + buf.getAt(i + 56, "u32") + buf.getAt(i + 60, "u32")
            i += 64
        }
    }
    const end16 = off + (len & ~15)
    while (i < end16) {
        sum += buf.getAt(i, "u32") + buf.getAt(i + 4, "u32") + buf.getAt(i + 8, "u32") + buf.getAt(i + 12, "u32")
        i += 16
    }
    const end4 = off + (len & ~3)
    while (i < end4) {
        sum += buf.getAt(i, "u32")
        i += 4
    }
    if (len & 2) {
        sum += buf.getAt(i, "u16")
        i += 2
    }
    // little-endian view: a trailing byte is the low half of its word
    if (len & 1) sum += buf[i]
    // fold: the low half survives `&` (ToInt32 keeps the value mod 2^32), the high half is divided
    // out (the sum may pass 2^32, where `>>>` truncates; under 2^47 the quotient fits `| 0`)
    sum = (sum & 0xffff) + ((sum / 0x10000) | 0)
    sum = (sum & 0xffff) + (sum >>> 16)
    // to network order and `initial` added in one: modulo 0xffff, which a one's-complement sum is
    // (2^16 = 1), swapping the bytes of x is x * 256 (under 2^25 here, `initial` under 2^31: `>>>`
    // holds); the folds below bring it back to 16 bits
    sum = sum * 256 + initial
    sum = (sum & 0xffff) + (sum >>> 16)
    return (sum & 0xffff) + (sum >>> 16)
}

/** The checksum field value for a finished sum: its one's complement. */
export function finish(sum: number): number {
    return ~sum & 0xffff
}

/** The IPv4 header checksum (RFC 791 §3.1) over `len` bytes at `off`. */
export function internetChecksum(buf: Buffer, off: number, len: number): number {
    return finish(onesSum(buf, off, len, 0))
}

/** Sum of the IPv4 pseudo-header used by UDP (RFC 768) and TCP: src, dst, zero, protocol, length. */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
    return fold((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length)
}

/** RFC 768: a computed UDP checksum of zero is transmitted as all ones (zero means "none"). */
export function udpChecksumField(sum: number): number {
    const c = finish(sum)
    return c === 0 ? 0xffff : c
}
