// The wait both drivers use for a chip register: a few reads back to back (most bits settle within
// microseconds), then one a millisecond, until a deadline. The deadline is judged before each read,
// so the last read always starts after it: a fiber descheduled past the deadline still gets a last
// look. The count is bounded too (two rounds per millisecond of the deadline), so a clock that stops
// cannot make it spin for ever. One per driver, reused: nothing is allocated per wait.

import * as ds from "@devicescript/core"

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
