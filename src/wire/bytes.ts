// Network byte order (big-endian) access. DeviceScript's getAt/setAt are little-endian only and
// readUInt32BE returns a signed value, so the stack uses these helpers. Every 32-bit result is
// unsigned (`>>> 0`).

export function getU16(b: Buffer, off: number): number {
    return (b[off] << 8) | b[off + 1]
}

export function setU16(b: Buffer, off: number, v: number): void {
    b[off] = v >> 8
    b[off + 1] = v
}

export function getU32(b: Buffer, off: number): number {
    return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0
}

export function setU32(b: Buffer, off: number, v: number): void {
    b[off] = v >>> 24
    b[off + 1] = v >>> 16
    b[off + 2] = v >>> 8
    b[off + 3] = v
}

/** Swap the two bytes of a 16-bit value. */
export function swap16(v: number): number {
    return ((v & 0xff) << 8) | ((v >> 8) & 0xff)
}

/** True when `len` bytes at `aOff` in `a` equal those at `bOff` in `b`. */
export function bytesEqual(a: Buffer, aOff: number, b: Buffer, bOff: number, len: number): boolean {
    for (let i = 0; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return false
    return true
}
