// The driver suites over the board's own bus: one HardwareSpiBus on a runtime's native-SPI model
// for the whole file, moved from chip model to chip model (a new bus per rig, with its 4 KB of
// transfer buffers, would not fit in the heap beside the models).

import { HardwareSpiBus } from "../../src/drivers/spi-hw"
import { SpiTarget } from "../../src/sim/spi"
import { NativeSpiModel, SimCsLine, SpiRuntime } from "../../src/sim/native-spi"
import { TestBus, testBusChoice } from "./bus"

/** The board's bus with the counter reset the suites use (benchmarks measure a steady-state window). */
class CountedHardwareSpiBus extends HardwareSpiBus {
    resetCounters(): void {
        this.transactions = 0
        this.bytes = 0
    }
}

let shared: CountedHardwareSpiBus = null
let sharedSpi: NativeSpiModel = null
let sharedCs: SimCsLine = null

export function useHardwareBus(rt: SpiRuntime): void {
    testBusChoice.make = (model: SpiTarget): TestBus => {
        if (shared === null) {
            sharedSpi = new NativeSpiModel(rt, model)
            sharedCs = new SimCsLine(model)
            shared = new CountedHardwareSpiBus(sharedSpi, sharedCs)
        }
        sharedSpi.target = model
        sharedCs.target = model
        sharedCs.low = false
        shared.resetCounters()
        return shared
    }
}
