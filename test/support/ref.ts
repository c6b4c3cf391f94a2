// Reference computations written independently of src/ (RFC 1071 §1 taken literally), so the
// tests do not check the stack against itself.

export function refChecksum(b: Buffer, off: number, len: number): number {
    let s = 0
    for (let i = 0; i < len; i += 2) {
        s += b[off + i] * 256 + (i + 1 < len ? b[off + i + 1] : 0)
        if (s > 0xffff) s -= 0xffff
    }
    return ~s & 0xffff
}

/** UDP checksum of the datagram `len` bytes at `off` (checksum field included as it is). */
export function refUdpChecksumOk(b: Buffer, off: number, len: number, src: number, dst: number): boolean {
    let s = 0
    const words = [src >>> 16, src & 0xffff, dst >>> 16, dst & 0xffff, 17, len]
    for (const w of words) {
        s += w
        if (s > 0xffff) s -= 0xffff
    }
    for (let i = 0; i < len; i += 2) {
        s += b[off + i] * 256 + (i + 1 < len ? b[off + i + 1] : 0)
        if (s > 0xffff) s -= 0xffff
    }
    return s === 0xffff
}

export function be16(b: Buffer, off: number): number {
    return b[off] * 256 + b[off + 1]
}

export function be32(b: Buffer, off: number): number {
    return ((b[off] * 256 + b[off + 1]) * 256 + b[off + 2]) * 256 + b[off + 3]
}

/** A payload whose byte i is (i * 7 + seed) & 0xff. */
export function pattern(len: number, seed: number): Buffer {
    const b = Buffer.alloc(len)
    // the pattern repeats every 256 bytes: write one period, then copy it (few script steps)
    const period = Math.min(len, 256)
    for (let i = 0; i < period; i++) b[i] = (i * 7 + seed) & 0xff
    for (let at = period; at < len; at += period) b.blitAt(at, b, 0, Math.min(period, len - at))
    return b
}
