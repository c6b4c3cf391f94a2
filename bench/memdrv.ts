// The driver objects alone, for the memory variants (see bench/memstack.ts): only the drivers are
// linked here, on a bus that is never used.

import { SpiBus } from "../src/drivers/spi"
import { W5500Device } from "../src/drivers/w5500/device"
import { Enc28j60Device } from "../src/drivers/enc28j60/device"

const BOARD_MAC = hex`02 00 5e 10 00 0a`

class NullBus implements SpiBus {
    transactions = 0
    bytes = 0
    async select(): Promise<void> {}
    async xfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): Promise<void> {}
    deselect(): void {}
}

export function memDriver(chip: string): any {
    const bus = new NullBus()
    if (chip === "w5500") return new W5500Device(bus, BOARD_MAC, { task: false })
    return new Enc28j60Device(bus, BOARD_MAC, { pollMs: 0 })
}
