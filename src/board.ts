// The telemetry firmware on a board: the configured chip on the SPI pins of the board file, the
// stack, the telemetry client.

import * as ds from "@devicescript/core"
import "@devicescript/gpio"
import { BoardPins, StackConfig } from "./config/types"
import { NetStack } from "./stack"
import { HardwareSpiBus } from "./drivers/spi-hw"
import { RuntimeSpi } from "./drivers/spi-runtime"
import { createDevice } from "./drivers/select"
import { SpiBus } from "./drivers/spi"
import { NetDevice } from "./dev/netdev"
import { DhcpClient } from "./dhcp/client"
import { startStack, startTelemetry } from "./start"

/**
 * The board firmware on `pins` (the GPIO numbers of config.pins: PINS in config/generated.ts, or
 * boardPins()) with the driver devicescript.json's chip names. Links both drivers; a firmware that
 * knows its chip at build time links one with startBoardWith(). With address "dhcp" pass `dhcp`
 * (dhcpstart.ts's startDhcp): passed, not imported, so a firmware with a static address links none
 * of the DHCP client.
 */
export async function startBoard(config: StackConfig, pins?: BoardPins, dhcp?: (stack: NetStack, config: StackConfig) => DhcpClient): Promise<NetStack> {
    if (config.dhcp !== undefined && !dhcp) throw new Error('address "dhcp": pass startDhcp to startBoard (startBoard(config, pins, startDhcp)), or the board never gets an address')
    return await startBoardWith(config, pins, (bus: SpiBus, interrupt: () => boolean) => createDevice(config, bus, interrupt), dhcp)
}

/** startBoard() with the driver `makeDevice` builds on the board's SPI bus. */
export async function startBoardWith(
    config: StackConfig,
    pins: BoardPins,
    makeDevice: (bus: SpiBus, interrupt: () => boolean) => NetDevice,
    /** With interface.address "dhcp": startDhcp (passed, not imported, so a static firmware links none of it). */
    dhcp?: (stack: NetStack, config: StackConfig) => DhcpClient,
    /** Starts the telemetry instead of startTelemetry (e.g. start.ts's startTelemetryWith with one encoder), given the DHCP client if `dhcp` made one. */
    telemetry?: (stack: NetStack, config: StackConfig, dhcp: DhcpClient) => any
): Promise<NetStack> {
    return await startBoardStack(config, pins, makeDevice, dhcp, telemetry || ((s: NetStack, c: StackConfig, d: DhcpClient) => startTelemetry(s, c)))
}

/**
 * startBoardWith() without the UDP telemetry client: the caller starts its own telemetry (main.ts
 * with telemetry.format "mqtt": startMqttTelemetry), so the UDP client is not linked.
 */
export async function startBoardStack(
    config: StackConfig,
    pins: BoardPins,
    makeDevice: (bus: SpiBus, interrupt: () => boolean) => NetDevice,
    dhcp?: (stack: NetStack, config: StackConfig) => DhcpClient,
    /** Starts the telemetry, given the DHCP client if `dhcp` made one; none when left out. */
    telemetry?: (stack: NetStack, config: StackConfig, dhcp: DhcpClient) => any
): Promise<NetStack> {
    if (!pins) throw new Error("board '" + config.board + "': pin numbers missing (run npm run config with the board file, or pass boardPins(id))")
    const bus = new HardwareSpiBus(new RuntimeSpi(pins.sck, pins.mosi, pins.miso), ds.gpio(pins.cs), {
        reset: pins.reset >= 0 ? ds.gpio(pins.reset) : undefined,
        hz: config.spiHz,
    })
    // INT is active low on both chips; reading a pin's level is a native call, no SPI
    let interrupt: () => boolean = undefined
    if (pins.int >= 0) {
        const intPin = ds.gpio(pins.int)
        intPin.setMode(ds.GPIOMode.InputPullUp)
        interrupt = () => intPin.value === 0
    }
    const device = makeDevice(bus, interrupt)
    let stack: NetStack
    try {
        stack = await startStack(config, device)
    } catch (e) {
        // the bring-up self-test's message says what to check; it must reach the log before the panic
        console.log("bring-up failed: " + (e as Error).message)
        throw e
    }
    console.log(device.bringUp)
    const d = dhcp ? dhcp(stack, config) : null
    if (telemetry) telemetry(stack, config, d)
    return stack
}
