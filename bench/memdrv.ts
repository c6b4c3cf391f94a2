// The driver objects alone, for the memory variants (see bench/memstack.ts): only a driver is
// linked in each program (host/bench/run.ts builds one per chip), on a bus that is never used.

import { SpiBus } from "../src/drivers/spi"
import { W5500Device } from "../src/drivers/w5500/device"
import { Enc28j60Device } from "../src/drivers/enc28j60/device"

const BOARD_MAC = hex`02 00 5e 10 00 0a`

class NullBus implements SpiBus {
    transactions = 0
    bytes = 0
    async select(): Promise<void> {}
    async xfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): Promise<void> {}
    async window(head: Buffer, headLen: number, data: Buffer, off: number, len: number, write: boolean, spare: number): Promise<number> {
        return headLen + len
    }
    deselect(): void {}
}

// One function per chip, so that a program calling one links only that driver.
export function memW5500(): W5500Device {
    return new W5500Device(new NullBus(), BOARD_MAC, { task: false })
}

export function memEnc28j60(): Enc28j60Device {
    return new Enc28j60Device(new NullBus(), BOARD_MAC, { pollMs: 0 })
}
