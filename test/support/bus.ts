// The bus the driver tests run on: the direct model bus (SimSpiBus) unless a suite variant
// (test/drivers/*-rp2040.test.ts, *-esp32.test.ts) installed another before the suite was imported
// (support/bus-hw.ts: the board's own HardwareSpiBus over a runtime's native-SPI model). The direct
// suites do not link the hardware bus, which keeps them within the 64 KB of function bytecode.

import { SpiBus } from "../../src/drivers/spi"
import { SimSpiBus, SpiTarget } from "../../src/sim/spi"

/** What the driver tests read of a bus besides SpiBus. */
export interface TestBus extends SpiBus {
    lockTimeouts: number
    resetCounters(): void
}

export const testBusChoice: { make: (model: SpiTarget) => TestBus } = { make: null }

export function testBus(model: SpiTarget): TestBus {
    return testBusChoice.make ? testBusChoice.make(model) : new SimSpiBus(model)
}

/** True when the suite runs over SimSpiBus (byte-exact SPI figures hold only there: no padding). */
export function directBus(): boolean {
    return !testBusChoice.make
}
