// The telemetry firmware on a board: the configured chip on the SPI pins of the board file, the
// stack, the telemetry client.

import * as ds from "@devicescript/core"
import { BoardPins, StackConfig } from "./config/types"
import { NetStack } from "./stack"
import { HardwareSpiBus } from "./drivers/spi-hw"
import { createDevice } from "./drivers/select"
import { TelemetryClient } from "./telemetry/client"
import { addStackMetrics } from "./telemetry/metrics"

/** `pins`: the GPIO numbers of config.pins on the board (PINS in config/generated.ts). */
export async function startBoard(config: StackConfig, pins?: BoardPins): Promise<NetStack> {
    if (!pins) throw new Error("board '" + config.board + "': pin numbers missing (run npm run config with the board file)")
    const bus = new HardwareSpiBus({
        sck: ds.gpio(pins.sck),
        mosi: ds.gpio(pins.mosi),
        miso: ds.gpio(pins.miso),
        cs: ds.gpio(pins.cs),
        reset: pins.reset >= 0 ? ds.gpio(pins.reset) : undefined,
        hz: config.spiHz,
    })
    const stack = new NetStack(config, createDevice(config, bus))
    await stack.start()
    const telemetry = new TelemetryClient(stack, {
        collector: config.collector,
        port: config.collectorPort,
        format: config.telemetryFormat,
        intervalMs: config.telemetryIntervalMs,
        prefix: config.telemetryPrefix,
    })
    addStackMetrics(telemetry, stack)
    telemetry.start()
    return stack
}
