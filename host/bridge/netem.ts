// A user-space stand-in for Linux's netem qdisc (tc-netem(8)) inside the bridge, for kernels built
// without sch_netem (`tc qdisc add ... netem` answers "Specified qdisc kind is unknown"). Applied to
// each frame the bridge carries, in both directions, in netem's order: loss, then duplication (a
// second copy), then delay — except that `reorderPct` percent of the frames go at once, ahead of the
// delayed ones, which is how netem reorders (`delay 50ms reorder 25%`). Seeded: the same seed and the
// same frames give the same decisions.

export interface NetemOptions {
    lossPct: number
    duplicatePct: number
    reorderPct: number
    delayMs: number
    seed: number
    /** Only frames this accepts are impaired (default: every frame). */
    match?: (frame: Buffer, toTap: boolean) => boolean
}

export class NetemStats {
    /** Frames the match accepted. */
    matched = 0
    dropped = 0
    duplicated = 0
    /** Sent at once, overtaking delayed frames. */
    reordered = 0
    delayed = 0
}

export class Netem {
    readonly stats = new NetemStats()
    private state: number

    constructor(readonly opts: NetemOptions) {
        for (const k of ["lossPct", "duplicatePct", "reorderPct"] as const)
            if (!(opts[k] >= 0 && opts[k] <= 100)) throw new RangeError(`netem: ${k} ${opts[k]} is not a percentage`)
        if (!(opts.delayMs >= 0)) throw new RangeError(`netem: delayMs ${opts.delayMs} is not a delay`)
        this.state = opts.seed >>> 0 || 1
    }

    /** The delays, in ms, at which copies of this frame are sent: [] drops it. */
    schedule(frame: Buffer, toTap: boolean): number[] {
        if (this.opts.match && !this.opts.match(frame, toTap)) return [0]
        const s = this.stats
        s.matched++
        if (this.chance(this.opts.lossPct)) {
            s.dropped++
            return []
        }
        const copies = this.chance(this.opts.duplicatePct) ? 2 : 1
        if (copies === 2) s.duplicated++
        const out: number[] = []
        for (let i = 0; i < copies; i++) {
            if (this.opts.delayMs > 0 && this.chance(this.opts.reorderPct)) {
                s.reordered++
                out.push(0)
            } else {
                if (this.opts.delayMs > 0) s.delayed++
                out.push(this.opts.delayMs)
            }
        }
        return out
    }

    format(): string {
        const s = this.stats
        return `netem: ${s.matched} frames matched, ${s.dropped} dropped, ${s.duplicated} duplicated, ${s.reordered} reordered, ${s.delayed} delayed ${this.opts.delayMs} ms`
    }

    private chance(pct: number): boolean {
        // xorshift32
        let x = this.state
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        this.state = x >>> 0
        return (this.state % 10000) < pct * 100
    }
}
