// Driver selection: the configuration names the chip (devicescript.json "chip"), this picks the
// NetDevice for it over an SpiBus (HardwareSpiBus on a board, SimSpiBus in the simulator). Both
// drivers start their own poll task in open().

import { StackConfig } from "../config/types"
import { NetDevice } from "../dev/netdev"
import { SpiBus } from "./spi"
import { W5500Device } from "./w5500/device"
import { Enc28j60Device } from "./enc28j60/device"

/**
 * The configured chip is not one this build has a driver for.
 * @devsWhenUsed
 */
export class UnknownChipError extends Error {
    constructor(readonly chip: string) {
        super("no driver for chip '" + chip + "'")
        this.name = "UnknownChipError"
    }
}

/** `interrupt`: the level of the chip's INT line (true while asserted), when it is wired. */
export function createDevice(config: StackConfig, bus: SpiBus, interrupt?: () => boolean): NetDevice {
    const o = { mtu: config.mtu, spiHz: config.spiHz, interrupt }
    switch (config.chip) {
        case "w5500":
            return new W5500Device(bus, config.mac, o)
        case "enc28j60":
            // half duplex (the safe choice against an auto-negotiating switch, see device.ts)
            return new Enc28j60Device(bus, config.mac, o)
    }
    throw new UnknownChipError(config.chip)
}
