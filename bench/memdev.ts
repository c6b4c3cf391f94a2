// The TestDevice alone, for the memory variants (see bench/memstack.ts): the benchmark's device is
// linked into the stack's program but is no part of the stack, so its class is measured apart.

import { TestDevice } from "../src/dev/testdev"

const BOARD_MAC = hex`02 00 5e 10 00 0a`

export function memDevice(): TestDevice {
    const dev = new TestDevice(BOARD_MAC, 1500)
    dev.keepFrames = false
    return dev
}
