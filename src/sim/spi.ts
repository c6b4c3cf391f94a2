// The simulator's SPI bus: a SpiBus whose far end is a chip model (SpiTarget) instead of
// spiXfer. Transactions are serialised like HardwareSpiBus does (a lock with a deadline), counted,
// and the calling fiber yields every few transfers so that, like a real spiXfer (which suspends),
// a long burst of SPI work never runs into the 128 Ki-step watchdog.

import * as ds from "@devicescript/core"
import { FiberLock, SpiBus, windowByXfers } from "../drivers/spi"

/**
 * A chip model as the bus sees it, block by block: chip select falls, any number of full-duplex
 * transfers, chip select rises. `tx` null means the host clocks out zeros; `rx` null means the host
 * discards what the chip returns. The model runs synchronously inside transfer().
 */
export interface SpiTarget {
    csLow(): void
    transfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): void
    csHigh(): void
}

export interface SimSpiOptions {
    /** Yield (`ds.sleep(0)`, which resets the step budget) every this many transfers (one per 512 bytes); 0 = never. Default 4. */
    yieldEvery?: number
    /** How long select() waits for a bus held by another fiber. Default 1000 ms. */
    lockTimeoutMs?: number
}

export class SimSpiBus implements SpiBus {
    /** Chip-select windows opened (select() calls that got the bus). */
    transactions = 0
    /** Bytes clocked, both directions counted once (a full-duplex byte is one byte). */
    bytes = 0
    /** xfer() calls. */
    xfers = 0
    /** select() calls that timed out waiting for the bus. */
    lockTimeouts = 0
    yieldEvery: number
    lockTimeoutMs: number
    /** Fault injection: the next this-many xfer() calls throw a plain Error (not a timeout). */
    failNext = 0
    private sinceYield = 0
    /** The bus: select() waits for it (oldest first, with a deadline), deselect() hands it over. */
    private readonly lock = new FiberLock("SPI bus lock")

    constructor(readonly target: SpiTarget, opts?: SimSpiOptions) {
        const o = opts || {}
        this.yieldEvery = o.yieldEvery === undefined ? 4 : o.yieldEvery
        this.lockTimeoutMs = o.lockTimeoutMs === undefined ? 1000 : o.lockTimeoutMs
    }

    async select(): Promise<void> {
        try {
            await this.lock.take(this.lockTimeoutMs)
        } catch (e) {
            this.lockTimeouts++
            throw e
        }
        this.transactions++
        this.target.csLow()
    }

    async xfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): Promise<void> {
        if (this.failNext > 0) {
            this.failNext--
            throw new Error("injected bus fault")
        }
        this.xfers++
        this.bytes += len
        this.target.transfer(tx, txOff, rx, rxOff, len)
        // the model runs byte by byte in script: a long transfer counts as several short ones
        this.sinceYield += 1 + (len >> 9)
        if (this.yieldEvery > 0 && this.sinceYield >= this.yieldEvery) {
            this.sinceYield = 0
            await ds.sleep(0)
        }
    }

    /** Exact, as two xfers in one chip-select window (the chip models check every byte). */
    async window(head: Buffer, headLen: number, data: Buffer, off: number, len: number, write: boolean, spare: number): Promise<number> {
        return await windowByXfers(this, head, headLen, data, off, len, write)
    }

    deselect(): void {
        if (!this.lock.held) return
        this.target.csHigh()
        this.lock.give()
    }

    /** Reset the counters (benchmarks measure a steady-state window). */
    resetCounters(): void {
        this.transactions = 0
        this.bytes = 0
        this.xfers = 0
    }
}
