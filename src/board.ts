// The telemetry firmware on a board: the configured chip on the SPI pins of the board file, the
// stack, the telemetry client.

import * as ds from "@devicescript/core"
import "@devicescript/gpio"
import { BoardPins, StackConfig } from "./config/types"
import { NetStack } from "./stack"
import { HardwareSpiBus } from "./drivers/spi-hw"
import { RuntimeSpi } from "./drivers/spi-runtime"
import { createDevice } from "./drivers/select"
import { TelemetryClient } from "./telemetry/client"
import { addStackMetrics } from "./telemetry/metrics"

/** `pins`: the GPIO numbers of config.pins on the board (PINS in config/generated.ts). */
export async function startBoard(config: StackConfig, pins?: BoardPins): Promise<NetStack> {
    if (!pins) throw new Error("board '" + config.board + "': pin numbers missing (run npm run config with the board file)")
    const bus = new HardwareSpiBus(new RuntimeSpi(pins.sck, pins.mosi, pins.miso), ds.gpio(pins.cs), {
        reset: pins.reset >= 0 ? ds.gpio(pins.reset) : undefined,
        hz: config.spiHz,
    })
    const device = createDevice(config, bus)
    const stack = new NetStack(config, device)
    try {
        await stack.start()
    } catch (e) {
        // the bring-up self-test's message says what to check; it must reach the log before the panic
        console.log("bring-up failed: " + (e as Error).message)
        throw e
    }
    console.log(device.bringUp)
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
