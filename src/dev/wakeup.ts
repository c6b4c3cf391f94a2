// A wake-up flag one fiber waits on and others set (the role of a wait queue + wake_up()).
// Setting it while nobody waits is remembered, so a wake-up is never lost.

import * as ds from "@devicescript/core"

export class Wakeup {
    private waiter: ds.Fiber = null
    private pending = false

    /** Wake the waiting fiber now, or the next wait() immediately. */
    signal(): void {
        this.pending = true
        const f = this.waiter
        if (f && f.suspended) {
            this.waiter = null
            f.resume(true)
        }
    }

    /** Wait for signal() or `timeoutMs`; true when signalled. Only one fiber may wait. */
    async wait(timeoutMs: number): Promise<boolean> {
        if (this.pending) {
            this.pending = false
            return true
        }
        this.waiter = ds.Fiber.self()
        const r = await ds.suspend<boolean>(timeoutMs)
        this.waiter = null
        this.pending = false
        return r === true
    }
}
