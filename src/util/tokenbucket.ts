// A token bucket (the shape of Linux's icmp_global_allow / inet_peer rate limits): `ratePerSec`
// tokens a second, at most one second's worth saved up. The state is three f64 in a small Buffer
// (tokens, time of the last refill in ms, rate) handled by functions: no class, no object.

const TOKENS = 0
const LAST = 8
const RATE = 16

export function tokenBucket(ratePerSec: number): Buffer {
    const b = Buffer.alloc(24)
    b.setAt(TOKENS, "f64", ratePerSec)
    b.setAt(RATE, "f64", ratePerSec)
    return b
}

/** Take one token at time `now` (ms); false when the rate is exceeded. */
export function takeToken(b: Buffer, now: number): boolean {
    const last = b.getAt(LAST, "f64")
    let tokens = b.getAt(TOKENS, "f64")
    if (now > last) {
        const rate = b.getAt(RATE, "f64")
        tokens = Math.min(rate, tokens + ((now - last) * rate) / 1000)
        b.setAt(LAST, "f64", now)
    }
    if (tokens < 1) {
        b.setAt(TOKENS, "f64", tokens)
        return false
    }
    b.setAt(TOKENS, "f64", tokens - 1)
    return true
}
