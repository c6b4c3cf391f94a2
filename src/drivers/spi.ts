// The SPI bus as the drivers see it: a transaction is chip-select low, any number of full-duplex
// transfers, chip-select high. Two fibers never interleave a transaction: select() waits for the
// bus. On a board it is HardwareSpiBus (drivers/spi-hw.ts); in the simulator a chip model sits
// behind SimSpiBus (sim/spi.ts).

export interface SpiBus {
    /** Take the bus and assert chip select. Pair with deselect() in `finally`. */
    select(): Promise<void>
    /**
     * Clock `len` bytes: send `tx[txOff..]` (zeros when tx is null) and store what the chip returns
     * in `rx[rxOff..]` (discarded when rx is null).
     */
    xfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): Promise<void>
    /** Release chip select and the bus. */
    deselect(): void
    /** Transactions and bytes clocked so far (for benchmarks and the SPI-traffic figures). */
    readonly transactions: number
    readonly bytes: number
}

/** A bus operation that did not finish in time, or a chip that does not answer as specified. */
export class SpiTimeoutError extends Error {
    constructor(readonly what: string, readonly waitedMs: number) {
        super(what + ": no answer after " + waitedMs + " ms")
        this.name = "SpiTimeoutError"
    }
}
