// The wait both drivers use for a chip register: a few reads back to back (most bits settle within
// microseconds), then one a millisecond, until a deadline. The deadline is judged before each read,
// so the last read always starts after it: a fiber descheduled past the deadline still gets a last
// look. The count is bounded too (two rounds per millisecond of the deadline), so a clock that stops
// cannot make it spin for ever. One per driver, reused: nothing is allocated per wait.

import * as ds from "@devicescript/core"

/** @devsWhenUsed */
export class RegisterPoll {
    private t0 = 0
    private timeoutMs = 0
    private round = 0
    private late = false

    /** `fast`: reads before the first sleep; `clock`: milliseconds. */
    constructor(
        readonly fast: number,
        readonly clock: () => number
    ) {}

    /** Start a wait of `timeoutMs`. */
    start(timeoutMs: number): void {
        this.t0 = this.clock()
        this.timeoutMs = timeoutMs
        this.round = 0
        this.late = false
    }

    /** Whether to read (again): false once a read that started after the deadline has been made. */
    async next(): Promise<boolean> {
        if (this.late || this.round >= this.fast + 2 * this.timeoutMs + 2) return false
        if (this.round >= this.fast) await ds.sleep(1)
        this.round++
        this.late = this.clock() - this.t0 >= this.timeoutMs
        return true
    }
}

/**
 * How long a driver's poll task sleeps between polls. With the chip's INT line the poll reads only
 * the line's level (a native call, no SPI) until it is asserted, so it keeps the fast period. Without
 * it every poll is SPI traffic: after FAST_IDLE_POLLS polls with nothing to do the period doubles up
 * to `idleMaxMs`, and any traffic brings it back to `pollMs`.
 * @devsWhenUsed
 */
export class PollPacer {
    private idle = 0

    constructor(
        readonly pollMs: number,
        readonly idleMaxMs: number,
        readonly gated: boolean
    ) {}

    /** The sleep before the next poll, after a poll that found (`busy`) or did not find work. */
    next(busy: boolean): number {
        if (busy) this.idle = 0
        else if (this.idle < 64) this.idle++
        if (this.gated || this.idle <= FAST_IDLE_POLLS) return this.pollMs
        let ms = this.pollMs
        for (let i = FAST_IDLE_POLLS; i < this.idle && ms < this.idleMaxMs; i++) ms *= 2
        return ms < this.idleMaxMs ? ms : this.idleMaxMs
    }
}

/** Idle polls at the fast period before a poll task without INT starts backing off. */
const FAST_IDLE_POLLS = 20
