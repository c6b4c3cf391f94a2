// A token bucket (the shape of Linux's icmp_global_allow / inet_peer rate limits): `ratePerSec`
// tokens a second, at most `burst` saved up.

export class TokenBucket {
    private tokens: number
    private last = 0

    constructor(readonly ratePerSec: number, readonly burst: number) {
        this.tokens = burst
    }

    /** Take one token at time `now` (ms); false when the rate is exceeded. */
    take(now: number): boolean {
        if (now > this.last) {
            this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSec) / 1000)
            this.last = now
        }
        if (this.tokens < 1) return false
        this.tokens -= 1
        return true
    }
}
