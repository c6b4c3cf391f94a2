// A simulated board with an ENC28J60: the model on a fresh segment, the driver over the simulated bus.

import { StackConfig } from "../config/types"
import { Enc28j60Device } from "../drivers/enc28j60/device"
import { SimulatedBoard, SimulatedBoardOptions, simulatedBus } from "./board"
import { Segment } from "./lan"
import { Enc28j60Model } from "./enc28j60"

export function enc28j60Board(config: StackConfig, opts?: SimulatedBoardOptions): SimulatedBoard {
    const segment = new Segment()
    const model = new Enc28j60Model(segment)
    const bus = simulatedBus(config, model, opts)
    return new SimulatedBoard(config, segment, model, bus, new Enc28j60Device(bus, config.mac, { mtu: config.mtu, spiHz: config.spiHz, interrupt: () => model.interrupt() }), opts)
}
