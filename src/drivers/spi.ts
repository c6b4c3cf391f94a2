// The SPI bus as the drivers see it: a transaction is chip-select low, any number of full-duplex
// transfers, chip-select high. Two fibers never interleave a transaction: select() waits for the
// bus. On a board it is HardwareSpiBus (drivers/spi-hw.ts); in the simulator a chip model sits
// behind SimSpiBus (sim/spi.ts).

import * as ds from "@devicescript/core"

export interface SpiBus {
    /** Take the bus and assert chip select. Pair with deselect() in `finally`. */
    select(): Promise<void>
    /**
     * Clock `len` bytes: send `tx[txOff..]` (zeros when tx is null) and store what the chip returns
     * in `rx[rxOff..]` (discarded when rx is null).
     */
    xfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): Promise<void>
    /**
     * One whole transaction (select, transfer, deselect): `head[0..headLen)` (command, address),
     * then `len` bytes written from `data[off..]` (`write`) or read into it. `spare` is how many
     * bytes past the end the chip may clock harmlessly (free buffer memory; a read that moves no
     * pointer the driver relies on): a bus may round the transfer up into them (0: exact).
     * Returns the bytes clocked (headLen + len, plus any rounding up).
     */
    window(head: Buffer, headLen: number, data: Buffer, off: number, len: number, write: boolean, spare: number): Promise<number>
    /** Release chip select and the bus. */
    deselect(): void
    /** Transactions and bytes clocked so far (for benchmarks and the SPI-traffic figures). */
    readonly transactions: number
    readonly bytes: number
}

/**
 * SpiBus.window() as select, one xfer for the head and one for the data, deselect: exact, for
 * buses whose far end checks every byte (the chip models) or counts the driver's calls.
 */
export async function windowByXfers(bus: SpiBus, head: Buffer, headLen: number, data: Buffer, off: number, len: number, write: boolean): Promise<number> {
    await bus.select()
    try {
        await bus.xfer(head, 0, null, 0, headLen)
        if (write) await bus.xfer(data, off, null, 0, len)
        else await bus.xfer(null, 0, data, off, len)
    } finally {
        bus.deselect()
    }
    return headLen + len
}

/**
 * One fiber at a time through a sequence of awaits (a bus transaction, a chip's multi-transaction
 * sequence). Waiters get the lock in arrival order; every wait has a deadline.
 * @devsWhenUsed
 */
export class FiberLock {
    /** Read-only outside: the lock is taken. */
    held = false
    private readonly waiters: ds.Fiber[] = []

    /** `what` names the lock in the timeout error. */
    constructor(readonly what: string) {}

    /** Take the lock, waiting at most `timeoutMs`; SpiTimeoutError when it does not come. */
    async take(timeoutMs: number): Promise<void> {
        if (!this.held) {
            this.held = true
            return
        }
        const self = ds.Fiber.self()
        this.waiters.push(self)
        const got = await ds.suspend<boolean>(timeoutMs)
        if (got !== true) {
            const i = this.waiters.indexOf(self)
            if (i >= 0) this.waiters.insert(i, -1)
            throw new SpiTimeoutError(this.what, timeoutMs)
        }
        // give() handed the lock over with `held` still true
    }

    /** Hand the lock to the oldest waiter still waiting, or free it. */
    give(): void {
        while (this.waiters.length > 0) {
            const f = this.waiters.shift()
            if (f.suspended) {
                f.resume(true)
                return
            }
        }
        this.held = false
    }
}

/**
 * A bus operation that did not finish in time, or a chip that does not answer as specified.
 * @devsWhenUsed
 */
export class SpiTimeoutError extends Error {
    constructor(readonly what: string, readonly waitedMs: number) {
        super(what + ": no answer after " + waitedMs + " ms")
        this.name = "SpiTimeoutError"
    }
}
