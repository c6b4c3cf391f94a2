// A datagram being filled with text lines, in a Buffer allocated once. Metric text is ASCII by
// construction (the encoders escape or replace everything else).

/** @devsWhenUsed */
export class DatagramWriter {
    readonly buf: Buffer
    len = 0

    constructor(capacity: number) {
        this.buf = Buffer.alloc(capacity)
    }

    reset(): void {
        this.len = 0
    }

    /** Append `s` (ASCII) if it fits whole; false (and nothing written) when it does not. */
    append(s: string): boolean {
        const n = s.length
        if (n > this.buf.length - this.len) return false
        const b = this.buf
        let at = this.len
        for (let i = 0; i < n; i++) b[at++] = s.charCodeAt(i)
        this.len = at
        return true
    }
}

/** Replace every character not in `allowed` (a predicate on char codes) by `_`, and non-ASCII too. */
export function sanitize(s: string, allowed: (c: number) => boolean): string {
    let out = ""
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        out += c < 128 && allowed(c) ? s.charAt(i) : "_"
    }
    return out
}

/** A number as a collector reads it: integers without exponent, others with up to 6 decimals. */
export function formatNumber(v: number): string {
    if (Math.round(v) === v && Math.abs(v) < 1e15) return "" + v
    const r = Math.round(v * 1e6) / 1e6
    return "" + r
}
