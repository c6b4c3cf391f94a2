// SpiBus on a board: @devicescript/spi for the clock and data lines (one bus, mode 0), a GPIO for
// chip select, an optional GPIO for the chip's reset line. Not usable in the simulator (its SPI
// throws "SPI not supported"); the tests run the drivers on sim/spi.ts instead.
//
// The native spiXfer(tx, rx) moves whole buffers and suspends the fiber. The drivers pass
// (buffer, offset, length) windows and must not allocate per frame, so a window is copied through
// preallocated power-of-two chunk buffers: a 1,514-byte frame goes out as 1024+256+128+64+32+8+2,
// all inside one chip-select window. Reads are full duplex (tx zero-filled) because spiXfer with a
// null tx is not trusted on the RP2040; writes pass rx = null as spi.write() does.

import * as ds from "@devicescript/core"
import "@devicescript/gpio"
import { spi } from "@devicescript/spi"
import { FiberLock, SpiBus } from "./spi"

type DsSpi = typeof ds & { spiXfer(tx: Buffer, rx: Buffer): Promise<void> }

export interface HardwareSpiOptions {
    sck: ds.OutputPin
    mosi: ds.OutputPin
    miso: ds.InputPin
    /** Chip select, active low; idles high. */
    cs: ds.OutputPin
    /** The chip's reset line, active low (optional). */
    reset?: ds.OutputPin
    /** Clock; default 20 MHz. */
    hz?: number
    /** SPI mode 0 or 3 (the W5500 takes both, the ENC28J60 mode 0); default 0. */
    mode?: number
    /** Largest chunk (power of two, at most 4096: ESP32 and RP2040 limit); default 1024. */
    maxChunk?: number
    /** How long select() waits for a bus another fiber holds; default 1000 ms. */
    lockTimeoutMs?: number
}

export class HardwareSpiBus implements SpiBus {
    transactions = 0
    bytes = 0
    private readonly cs: ds.OutputPin
    private readonly resetPin: ds.OutputPin
    private readonly lockTimeoutMs: number
    /** txChunks[k] and rxChunks[k] are 2^k bytes. */
    private readonly txChunks: Buffer[] = []
    private readonly rxChunks: Buffer[] = []
    /** Two fibers never interleave a transaction. */
    private readonly lock = new FiberLock("SPI bus lock")

    constructor(opts: HardwareSpiOptions) {
        this.cs = opts.cs
        this.resetPin = opts.reset || null
        this.lockTimeoutMs = opts.lockTimeoutMs || 1000
        this.cs.setMode(ds.GPIOMode.OutputHigh)
        if (this.resetPin) this.resetPin.setMode(ds.GPIOMode.OutputHigh)
        let max = opts.maxChunk || 1024
        if (max > 4096) max = 4096
        for (let size = 1; size <= max; size *= 2) {
            this.txChunks.push(Buffer.alloc(size))
            this.rxChunks.push(Buffer.alloc(size))
        }
        spi.configure({ sck: opts.sck, mosi: opts.mosi, miso: opts.miso, mode: opts.mode || 0, hz: opts.hz || 20000000 })
    }

    /** Pulse the chip's reset line: low for `lowMs`, then wait `settleMs` (W5500: PLL lock). */
    async resetChip(lowMs: number, settleMs: number): Promise<void> {
        if (!this.resetPin) return
        this.resetPin.setMode(ds.GPIOMode.OutputLow)
        await ds.sleep(lowMs)
        this.resetPin.setMode(ds.GPIOMode.OutputHigh)
        await ds.sleep(settleMs)
    }

    async select(): Promise<void> {
        await this.lock.take(this.lockTimeoutMs)
        this.transactions++
        this.cs.setMode(ds.GPIOMode.OutputLow)
    }

    async xfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): Promise<void> {
        this.bytes += len
        let done = 0
        let k = this.txChunks.length - 1
        while (done < len) {
            while (1 << k > len - done) k--
            const n = 1 << k
            const t = this.txChunks[k]
            if (tx) t.blitAt(0, tx, txOff + done, n)
            else t.fillAt(0, n, 0)
            if (rx) {
                const r = this.rxChunks[k]
                await (ds as DsSpi).spiXfer(t, r)
                rx.blitAt(rxOff + done, r, 0, n)
            } else await (ds as DsSpi).spiXfer(t, null)
            done += n
        }
    }

    deselect(): void {
        if (!this.lock.held) return
        this.cs.setMode(ds.GPIOMode.OutputHigh)
        this.lock.give()
    }
}
