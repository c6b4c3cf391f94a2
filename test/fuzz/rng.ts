// A small seeded PRNG for the fuzzer and the soak: xorshift32 (Marsaglia 2003), every value kept
// unsigned with `>>> 0`. Each fuzz case gets its own generator from (run seed, case index), so any
// single case can be replayed without the ones before it.

/** A 32-bit mix (the finaliser of MurmurHash3): spreads nearby seeds apart. */
export function mix32(x: number): number {
    x = x >>> 0
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0
    x = (x ^ (x >>> 16)) >>> 0
    // xorshift32 must never be seeded with 0
    return x === 0 ? 0x9e3779b9 : x
}

/** The seed of case `index` of a run seeded with `seed`. */
export function caseSeed(seed: number, index: number): number {
    return mix32((seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0)
}

export class Rng {
    s: number

    constructor(seed: number) {
        this.s = mix32(seed)
    }

    /** Re-seed in place (no allocation in the fuzz loop). */
    reseed(seed: number): void {
        this.s = mix32(seed)
    }

    /** Uniform unsigned 32-bit value. */
    next(): number {
        let x = this.s
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        x = x >>> 0
        this.s = x
        return x
    }

    /** Uniform integer in [0, n) for 0 < n <= 2^16 (plenty for byte offsets and choices). */
    below(n: number): number {
        if (n <= 1) return 0
        return ((this.next() >>> 8) & 0xffff) % n
    }

    /** Integer in [lo, hi]. */
    range(lo: number, hi: number): number {
        return lo + this.below(hi - lo + 1)
    }

    /** True with probability `percent` / 100. */
    chance(percent: number): boolean {
        return this.below(100) < percent
    }

    byte(): number {
        return this.next() & 0xff
    }
}
