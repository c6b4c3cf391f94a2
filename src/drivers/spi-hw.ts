// SpiBus on a board: the runtime's native SPI (NativeSpi: spiConfigure / spiXfer) for the clock and
// data lines, a GPIO for chip select, an optional GPIO for the chip's reset line. The same class
// runs in the simulator over a model of each runtime's native SPI (sim/native-spi.ts), so the code
// a board executes is the code the tests execute.
//
// spiXfer(tx, rx) moves whole buffers (equal lengths, 1..4096 bytes) and suspends the fiber; on an
// RP2040 each call may take up to ~1 ms to resume it. So a transaction is as few native calls as
// possible, each from preallocated buffers (nothing is allocated per frame):
//   - every transfer is full duplex: RP2040's runtime (devicescript-pico src/spi.c) starts only the
//     TX DMA when rx is null and leaves what the peripheral shifted in in the RX FIFO, which the
//     next read then returns first; and with tx null it clocks nothing. So rx is always a buffer
//     and tx is zero-filled for reads;
//   - a transaction's command/address head and its data go out in one call (copied into one buffer);
//   - exact-size buffers for 1..16 bytes (register accesses), power-of-two buffers from 32 up to
//     maxChunk for data; a window that a power of two covers within the chip's `spare` bytes is
//     rounded up to it (one call), otherwise it is cut into the largest pieces first.

import * as ds from "@devicescript/core"
import { FiberLock, SpiBus } from "./spi"

/** The runtime's SPI as DeviceScript exposes it (ds.spiConfigure, ds.spiXfer). */
export interface NativeSpi {
    /** spiConfigure: SPI mode and clock; the data pins were given when it was made. */
    configure(mode: number, hz: number): void
    /** spiXfer: whole buffers of the same length (tx or rx may be null); suspends the fiber. */
    xfer(tx: Buffer, rx: Buffer): Promise<void>
}

/** A GPIO driven as an output: chip select, reset. ds.OutputPin has this. */
export interface OutputLine {
    setMode(mode: ds.GPIOMode): void
}

export interface HardwareSpiOptions {
    /** Clock; default 16 MHz (see the README's bring-up notes for where the limits come from). */
    hz?: number
    /** SPI mode 0 or 3 (the W5500 takes both, the ENC28J60 mode 0); default 0. */
    mode?: number
    /** Largest native transfer (power of two, 32..4096: ESP32 and RP2040 take 4096); default 1024. */
    maxChunk?: number
    /** How long select() waits for a bus another fiber holds; default 1000 ms. */
    lockTimeoutMs?: number
    /** The chip's reset line, active low (optional). */
    reset?: OutputLine
}

/** Default SPI clock: 80 % of the ENC28J60's 20 MHz, 60 % of what ESP32's GPIO-matrix SPI allows. */
export const DEFAULT_SPI_HZ = 16000000
/** Windows up to this many bytes get a buffer of their exact size. */
const EXACT_MAX = 16
const FIRST_CHUNK = 32

/** @devsWhenUsed */
export class HardwareSpiBus implements SpiBus {
    transactions = 0
    bytes = 0
    /** select() calls that timed out waiting for the bus. */
    lockTimeouts = 0
    readonly hz: number
    private readonly lockTimeoutMs: number
    /** Exact buffers: exactTx[n], exactRx[n] are n bytes (1..EXACT_MAX). */
    private readonly exactTx: Buffer[] = [null]
    private readonly exactRx: Buffer[] = [null]
    /** Chunks: chunkTx[k], chunkRx[k] are FIRST_CHUNK << k bytes. */
    private readonly chunkTx: Buffer[] = []
    private readonly chunkRx: Buffer[] = []
    /** Two fibers never interleave a transaction. */
    private readonly lock = new FiberLock("SPI bus lock")

    constructor(
        readonly native: NativeSpi,
        readonly cs: OutputLine,
        opts?: HardwareSpiOptions
    ) {
        const o = opts || {}
        this.lockTimeoutMs = o.lockTimeoutMs || 1000
        this.hz = o.hz || DEFAULT_SPI_HZ
        cs.setMode(ds.GPIOMode.OutputHigh)
        // the chip's reset line held inactive
        if (o.reset) o.reset.setMode(ds.GPIOMode.OutputHigh)
        for (let n = 1; n <= EXACT_MAX; n++) {
            this.exactTx.push(Buffer.alloc(n))
            this.exactRx.push(Buffer.alloc(n))
        }
        let max = o.maxChunk || 1024
        if (max > 4096) max = 4096
        for (let size = FIRST_CHUNK; size <= max; size *= 2) {
            this.chunkTx.push(Buffer.alloc(size))
            this.chunkRx.push(Buffer.alloc(size))
        }
        native.configure(o.mode || 0, this.hz)
    }

    async select(): Promise<void> {
        try {
            await this.lock.take(this.lockTimeoutMs)
        } catch (e) {
            this.lockTimeouts++
            throw e
        }
        this.transactions++
        this.cs.setMode(ds.GPIOMode.OutputLow)
    }

    deselect(): void {
        if (!this.lock.held) return
        this.cs.setMode(ds.GPIOMode.OutputHigh)
        this.lock.give()
    }

    async xfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): Promise<void> {
        this.bytes += len
        // with no spare bytes every piece is exact
        await this.stream(null, 0, tx, txOff, rx, rxOff, len, 0)
    }

    async window(head: Buffer, headLen: number, data: Buffer, off: number, len: number, write: boolean, spare: number): Promise<number> {
        let done = 0
        await this.select()
        try {
            done = await this.stream(head, headLen, write ? data : null, off - headLen, write ? null : data, off - headLen, headLen + len, spare)
        } finally {
            this.deselect()
        }
        this.bytes += done
        return done
    }

    /**
     * Clock `n` bytes of a transaction in as few native transfers as the buffers allow: byte i is
     * head[i] for i < headLen, then tx[txOff + i] (zeros when tx is null); the reply to byte
     * i >= headLen goes to rx[rxOff + i] (nowhere when null). Returns the bytes clocked: `n`, or more
     * when the last transfer was rounded up into `spare`.
     */
    private async stream(head: Buffer, headLen: number, tx: Buffer, txOff: number, rx: Buffer, rxOff: number, n: number, spare: number): Promise<number> {
        let at = 0
        while (at < n) {
            const left = n - at
            let t: Buffer = null
            let r: Buffer = null
            if (left <= EXACT_MAX) {
                t = this.exactTx[left]
                r = this.exactRx[left]
            } else {
                // the smallest chunk that covers the rest within `spare`, else the largest that fits in it
                let k = 0
                while (k < this.chunkTx.length - 1 && FIRST_CHUNK << k < left) k++
                let size = FIRST_CHUNK << k
                if (size < left || size - left > spare) {
                    while (k > 0 && FIRST_CHUNK << k > left) k--
                    size = FIRST_CHUNK << k
                    if (size > left) {
                        t = this.exactTx[EXACT_MAX]
                        r = this.exactRx[EXACT_MAX]
                    }
                }
                if (!t) {
                    t = this.chunkTx[k]
                    r = this.chunkRx[k]
                }
            }
            const size = t.length
            const cover = size < left ? size : left
            // tx: the head's part, the data's part, zeros for the rest (reads, padding)
            let fill = 0
            if (at < headLen) {
                fill = headLen - at < cover ? headLen - at : cover
                t.blitAt(0, head, at, fill)
            }
            if (tx && fill < cover) {
                t.blitAt(fill, tx, txOff + at + fill, cover - fill)
                fill = cover
            }
            if (fill < size) t.fillAt(fill, size - fill, 0)
            await this.native.xfer(t, r)
            if (rx) {
                const skip = at < headLen ? headLen - at : 0
                if (skip < cover) rx.blitAt(rxOff + at + skip, r, skip, cover - skip)
            }
            at += size
        }
        return at
    }
}
