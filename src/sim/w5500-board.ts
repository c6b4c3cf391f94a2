// A simulated board with a W5500: the model on a fresh segment, the MACRAW driver over the simulated bus,
// gated on the model's INTn as a board is on its INT pin.

import { StackConfig } from "../config/types"
import { W5500Device } from "../drivers/w5500/device"
import { SimulatedBoard, SimulatedBoardOptions, simulatedBus } from "./board"
import { Segment } from "./lan"
import { W5500Model } from "./w5500"

export function w5500Board(config: StackConfig, opts?: SimulatedBoardOptions): SimulatedBoard {
    const segment = new Segment()
    const model = new W5500Model(segment)
    const bus = simulatedBus(config, model, opts)
    return new SimulatedBoard(config, segment, model, bus, new W5500Device(bus, config.mac, { mtu: config.mtu, spiHz: config.spiHz, interrupt: () => model.interruptAsserted() }), opts)
}
