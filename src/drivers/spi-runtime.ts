// NativeSpi on a board: DeviceScript's spiConfigure / spiXfer on the board's SPI pins. Only the
// board firmware imports this (the simulator's runtime throws "SPI not supported"; its stand-in is
// sim/native-spi.ts).

import * as ds from "@devicescript/core"
import { NativeSpi } from "./spi-hw"

type DsSpi = typeof ds & {
    spiConfigure(miso: number, mosi: number, sck: number, mode: number, hz: number): void
    spiXfer(tx: Buffer, rx: Buffer): Promise<void>
}

/** @devsWhenUsed */
export class RuntimeSpi implements NativeSpi {
    /** GPIO numbers of the data lines. */
    constructor(
        readonly sck: number,
        readonly mosi: number,
        readonly miso: number
    ) {}

    configure(mode: number, hz: number): void {
        ;(ds as DsSpi).spiConfigure(this.miso, this.mosi, this.sck, mode, hz)
    }

    async xfer(tx: Buffer, rx: Buffer): Promise<void> {
        await (ds as DsSpi).spiXfer(tx, rx)
    }
}
