// The telemetry firmware for a board: the configured chip over SPI, the stack, the telemetry
// client. CONFIG and PINS (the GPIO numbers of the selected board) come from devicescript.json and
// boards/<board>.board.json through `npm run config`.
//
// The simulator has no SPI: there `npm start` runs the same stack and telemetry client on a
// register-level model of the chip (src/sim/main.ts, from an entry host/sim/start.ts generates), so
// this program carries no simulator code.

import * as ds from "@devicescript/core"
import { CHIP, COLLECTOR_BY_NAME, CONFIG, DHCP, INFLUX, MQTT, PINS } from "./config/generated"
import { StackConfig } from "./config/types"
import { startBoardStack } from "./board"
import { SpiBus } from "./drivers/spi"
import { W5500Device } from "./drivers/w5500/device"
import { Enc28j60Device } from "./drivers/enc28j60/device"
import { startDhcpClient } from "./dhcpstart"
import { startMqttTelemetry, startNamedMqttTelemetry, startNamedTelemetry, startTelemetryWith } from "./start"
import { NetStack } from "./stack"
import { DhcpClient } from "./dhcp/client"
import { StatsdEncoder } from "./telemetry/statsd"
import { InfluxEncoder } from "./telemetry/influx"

// CHIP is a constant: the compiler keeps one of the two branches, so one driver is linked
function chipDevice(bus: SpiBus, interrupt: () => boolean) {
    const o = { mtu: CONFIG.mtu, spiHz: CONFIG.spiHz, interrupt }
    return CHIP === "w5500" ? new W5500Device(bus, CONFIG.mac, o) : new Enc28j60Device(bus, CONFIG.mac, o)
}

if (ds.isSimulator()) console.log("src/main.ts is the board firmware (the simulator has no SPI): run `npm start` instead")
// DHCP and COLLECTOR_BY_NAME are constants the compiler folds: a firmware with a static address links
// no DHCP client, one with a collector address no resolver and no clock
// MQTT is a constant too: a UDP telemetry firmware links no TCP and no MQTT client, an MQTT one no
// UDP telemetry client (and with the broker's address no resolver)
else if (MQTT) await startBoardStack(CONFIG, PINS, chipDevice, DHCP ? startDhcpClient : undefined, COLLECTOR_BY_NAME ? startNamedMqttTelemetry : startMqttTelemetry)
else await startBoardStack(CONFIG, PINS, chipDevice, DHCP ? startDhcpClient : undefined, COLLECTOR_BY_NAME ? startNamedUdp : startUdp)

// INFLUX is a constant as well: a UDP telemetry firmware links one line encoder (the expression is
// repeated, not a function: only one of these two is linked)
function startUdp(stack: NetStack, c: StackConfig) {
    return startTelemetryWith(stack, c, INFLUX ? new InfluxEncoder(c.telemetryPrefix) : new StatsdEncoder(c.telemetryPrefix))
}

function startNamedUdp(stack: NetStack, c: StackConfig, dhcp: DhcpClient) {
    return startNamedTelemetry(stack, c, INFLUX ? new InfluxEncoder(c.telemetryPrefix) : new StatsdEncoder(c.telemetryPrefix), dhcp)
}
