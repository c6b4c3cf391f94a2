// A model of the DeviceScript runtimes' native SPI (ds.spiConfigure / ds.spiXfer) in front of a
// chip model, so the board's own bus (drivers/spi-hw.ts HardwareSpiBus) runs in the simulator.
// What it models, from the runtimes' sources:
//   - devicescript runtime/devicescript/impl_dsspi.c: "SPI busy" while a transfer is in flight, at
//     least one buffer, equal lengths when both are given, a writable rx;
//   - RP2040 (devicescript-pico src/spi.c): 1..4096 bytes (-3 for 0, -2 above); rx null starts only
//     the TX DMA, so the RX FIFO (8 entries) keeps the first bytes shifted in and drops the rest
//     (overrun), and the next transfer with rx returns those stale bytes first, shifting everything;
//     tx null starts no TX DMA, so nothing is clocked and the transfer never completes; the clock is
//     what pico-sdk's spi_set_baudrate makes of clk_peri = 125 MHz (prescale and post-divider);
//   - ESP32 (SPI2 through the GPIO matrix): up to 4096 bytes per transfer, the clock an integer
//     divider of 80 MHz, reads unreliable above ~26.7 MHz (ESP-IDF spi_hal_get_freq_limit with no
//     input delay) — modelled as MISO sampled one bit late;
//   - each call suspends the fiber; `resumeMs` models the RP2040's up-to-1 ms wake-up.
// Faults for the self-test: no chip (MISO floats high), a stuck MISO bit, a wiring limit `maxHz`.

import * as ds from "@devicescript/core"
import { HardwareSpiBus, NativeSpi, OutputLine } from "../drivers/spi-hw"
import { StackConfig } from "../config/types"
import { SpiTarget } from "./spi"

export type SpiRuntime = "esp32" | "rp2040"

const MAX_TRANSFER = 4096
const RP2040_CLK_PERI = 125000000
const RP2040_RX_FIFO = 8
const ESP32_APB = 80000000
/** ESP-IDF's limit for GPIO-matrix SPI without input delay (spi_hal_get_freq_limit: 80 MHz / 3). */
export const ESP32_GPIO_MATRIX_MAX_HZ = 26666666

export interface NativeSpiModelOptions {
    /** Sleep per transfer (the fiber's resume latency); default 0 (a yield). */
    resumeMs?: number
    /** Reads fail (MISO sampled a bit late) above this clock: long wires. Default: ESP32 26.7 MHz, RP2040 none. */
    maxHz?: number
}

/** What spiXfer throws (RangeError in the runtime). */
export class NativeSpiError extends Error {
    constructor(message: string) {
        super(message)
        this.name = "RangeError"
    }
}

export class NativeSpiModel implements NativeSpi {
    /** spiXfer calls, and bytes clocked by them. */
    calls = 0
    bytes = 0
    /** Stale bytes an rx transfer returned from the RP2040's RX FIFO. */
    staleBytes = 0
    /** The clock the runtime actually set (after configure()); 0 before. */
    hz = 0
    mode = 0
    resumeMs: number
    maxHz: number
    // faults
    /** No chip on the bus: MISO floats high. */
    absent = false
    /** MISO bits stuck at 1 / at 0. */
    stuckHigh = 0
    stuckLow = 0

    private busy = false
    private readonly fifo = Buffer.alloc(RP2040_RX_FIFO)
    private readonly fifoTail = Buffer.alloc(RP2040_RX_FIFO)
    private fifoLen = 0

    /** `target` is the chip on the bus (a test may move the bus to another model). */
    constructor(
        readonly runtime: SpiRuntime,
        public target: SpiTarget,
        opts?: NativeSpiModelOptions
    ) {
        const o = opts || {}
        this.resumeMs = o.resumeMs || 0
        this.maxHz = o.maxHz || (runtime === "esp32" ? ESP32_GPIO_MATRIX_MAX_HZ : 0)
    }

    configure(mode: number, hz: number): void {
        this.mode = mode
        this.hz = this.runtime === "rp2040" ? rp2040Baud(hz) : esp32Baud(hz)
        this.fifoLen = 0
    }

    async xfer(tx: Buffer, rx: Buffer): Promise<void> {
        if (this.busy) throw new NativeSpiError("SPI busy")
        if (!tx && !rx) throw new NativeSpiError("expecting at least one of TX/RX buffers")
        if (tx && rx && tx.length !== rx.length) throw new NativeSpiError("expecting same size TX/RX buffers")
        if (this.hz === 0) throw new NativeSpiError("SPI not configured")
        const n = tx ? tx.length : rx.length
        if (n > MAX_TRANSFER) throw new NativeSpiError("SPI error: -2")
        if (n === 0) throw new NativeSpiError("SPI error: -3")
        if (!tx && this.runtime === "rp2040")
            // no TX DMA: no clocks, and the RX DMA waits for ever (the runtime would hang here)
            throw new NativeSpiError("RP2040: spiXfer without a TX buffer clocks nothing and never completes")
        this.busy = true
        this.calls++
        this.bytes += n
        try {
            if (rx) {
                this.target.transfer(tx, 0, rx, 0, n)
                this.miso(rx, n)
                if (this.runtime === "rp2040" && this.fifoLen > 0) this.drainStale(rx, n)
            } else {
                // RP2040: the RX FIFO keeps the first 8 bytes shifted in (then overruns); ESP32 discards
                const k = n < RP2040_RX_FIFO ? n : RP2040_RX_FIFO
                const keep = this.runtime === "rp2040" && this.fifoLen === 0
                this.target.transfer(tx, 0, keep ? this.fifo : null, 0, k)
                if (n > k) this.target.transfer(tx, k, null, 0, n - k)
                if (keep) {
                    this.miso(this.fifo, k)
                    this.fifoLen = k
                }
            }
        } finally {
            this.busy = false
        }
        await ds.sleep(this.resumeMs)
    }

    /** What the wire does to MISO bytes: faults and a clock too fast for the wiring. */
    private miso(b: Buffer, n: number): void {
        if (this.absent) {
            b.fillAt(0, n, 0xff)
            return
        }
        if (this.stuckHigh | this.stuckLow)
            for (let i = 0; i < n; i++) b[i] = (b[i] | this.stuckHigh) & ~this.stuckLow & 0xff
        if (this.maxHz > 0 && this.hz > this.maxHz)
            // sampled one bit late: each byte takes the next byte's first bit (the line idles high)
            for (let i = 0; i < n; i++) b[i] = ((b[i] << 1) | (i + 1 < n ? b[i + 1] >> 7 : 1)) & 0xff
    }

    /** RP2040: the FIFO's stale bytes come first; the transfer's last bytes stay behind in it. */
    private drainStale(rx: Buffer, n: number): void {
        const f = this.fifoLen
        this.staleBytes += f
        const kept = f < n ? f : n
        this.fifoTail.blitAt(0, rx, n - kept, kept)
        for (let i = n - 1; i >= f; i--) rx[i] = rx[i - f]
        rx.blitAt(0, this.fifo, 0, kept)
        this.fifo.blitAt(0, this.fifoTail, 0, kept)
        this.fifoLen = kept
    }
}

/** pico-sdk spi_set_baudrate: the fastest clk_peri / (prescale * postdiv) not above `hz`. */
export function rp2040Baud(hz: number): number {
    let prescale = 2
    for (; prescale <= 254; prescale += 2) if (RP2040_CLK_PERI < (prescale + 2) * 256 * hz) break
    let postdiv = 256
    for (; postdiv > 1; postdiv--) if (RP2040_CLK_PERI / (prescale * (postdiv - 1)) > hz) break
    return Math.floor(RP2040_CLK_PERI / (prescale * postdiv))
}

/** ESP32: an integer divider of the 80 MHz APB clock, not above `hz`. */
export function esp32Baud(hz: number): number {
    if (hz >= ESP32_APB) return ESP32_APB
    return Math.floor(ESP32_APB / Math.ceil(ESP32_APB / hz))
}

/** Chip select in the simulator: the GPIO's level goes to the chip model. */
export class SimCsLine implements OutputLine {
    low = false
    constructor(public target: SpiTarget) {}

    setMode(mode: ds.GPIOMode): void {
        const low = mode === ds.GPIOMode.OutputLow
        if (low === this.low) return
        this.low = low
        if (low) this.target.csLow()
        else this.target.csHigh()
    }
}

/** A simulated board's bus (board.ts SimBusFactory): the board's own HardwareSpiBus over `runtime`'s native SPI. */
export function nativeBus(runtime: SpiRuntime): (config: StackConfig, model: SpiTarget) => HardwareSpiBus {
    return (config, model) => new HardwareSpiBus(new NativeSpiModel(runtime, model), new SimCsLine(model), { hz: config.spiHz })
}
