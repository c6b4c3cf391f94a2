// stackConfig(): the configuration a project that uses this package writes in its firmware. The
// defaults are devicescript.json's (host/config/devicescript.schema.json), and a bad field gives the
// field and the value, as the host validator does.

import { describe, test, expect } from "@devicescript/test"
import { ConfigError, stackConfig, StackOptions } from "../../src/config/options"
import { boardPins } from "../../src/config/boards"
import { startBoard } from "../../src/board"

function errorOf(o: StackOptions): string {
    try {
        stackConfig(o)
    } catch (e) {
        if (e instanceof ConfigError) return e.field + " | " + e.message
        return "not a ConfigError: " + (e as Error).message
    }
    return "no error"
}

describe("stackConfig", () => {
    test("two fields given, every other one defaulted as devicescript.json defaults it", () => {
        const c = stackConfig({ chip: "enc28j60", address: "198.51.100.7/25" })
        expect(c.chip).toBe("enc28j60")
        expect(c.address).toBe(0xc6336407)
        expect(c.prefix).toBe(25)
        expect(c.gateway).toBe(0)
        expect(c.mac.toString("hex")).toBe("02005e10000a")
        expect(c.mtu).toBe(1500)
        expect(c.spiHz).toBe(16000000)
        expect(c.fibCapacity).toBe(8)
        expect(c.neighPendingBytes).toBe(4608)
        expect(c.qdiscLimitPackets).toBe(16)
        expect(c.maxDatagram).toBe(16000)
        expect(c.collector).toBe(0)
        expect(c.collectorPort).toBe(8125)
        expect(c.telemetryFormat).toBe("statsd")
        expect(c.board).toBe("esp32_devkit_enc28j60")
    })

    test("telemetry collector with a port, routes, static neighbours", () => {
        const c = stackConfig({
            chip: "w5500",
            address: "192.0.2.10",
            gateway: "192.0.2.1",
            routes: [{ dest: "203.0.113.0/24", via: "192.0.2.254" }],
            arp: [{ ip: "192.0.2.1", mac: "02:00:5e:10:00:01" }],
            telemetry: { collector: "203.0.113.5:9125", format: "influx", prefix: "lab" },
        })
        expect(c.prefix).toBe(24)
        expect(c.gateway).toBe(0xc0000201)
        expect(c.routes.length).toBe(1)
        expect(c.routes[0].dest).toBe(0xcb007100)
        expect(c.routes[0].gateway).toBe(0xc00002fe)
        expect(c.arp[0].mac.toString("hex")).toBe("02005e100001")
        expect(c.collector).toBe(0xcb007105)
        expect(c.collectorPort).toBe(9125)
        expect(c.telemetryFormat).toBe("influx")
        expect(c.telemetryPrefix).toBe("lab")
    })

    test('address "dhcp": the DHCP settings defaulted as devicescript.json defaults them, the fallback checked as an address', () => {
        const c = stackConfig({ chip: "w5500", address: "dhcp", gateway: "192.0.2.1", dhcp: { hostName: "board-7", fallbackAddress: "192.0.2.10" }, telemetry: { collector: "192.0.2.20" } })
        expect(c.address).toBe(0)
        expect(c.gateway).toBe(0xc0000201)
        expect(c.dhcp.hostName).toBe("board-7")
        expect(c.dhcp.retransmitMs).toBe(4000)
        expect(c.dhcp.fallbackMs).toBe(30000)
        expect(c.dhcp.fallbackAddress).toBe(0xc000020a)
        // no fallback: a link-local one at run time, and nothing on-link can be checked
        const l = stackConfig({ chip: "w5500", address: "dhcp", telemetry: { collector: "203.0.113.5" } })
        expect(l.dhcp.fallbackAddress).toBe(0)
        expect(l.collector).toBe(0xcb007105)
        expect(errorOf({ chip: "w5500", address: "dhcp", gateway: "192.0.2.1" })).toBe(
            'interface.gateway | stackConfig: interface.gateway: "192.0.2.1": an on-link address needs the interface\'s subnet; with address "dhcp" give dhcp.fallbackAddress'
        )
        expect(errorOf({ chip: "w5500", address: "dhcp", dhcp: { fallbackAddress: "192.0.2.0" } })).toBe(
            'dhcp.fallbackAddress | stackConfig: dhcp.fallbackAddress: "192.0.2.0" is the network or broadcast address of its subnet'
        )
        expect(errorOf({ chip: "w5500", address: "dhcp", dhcp: { hostName: "-x" } })).toBe(
            'dhcp.hostName | stackConfig: dhcp.hostName: "-x" is not a host name (RFC 1123: letters, digits and inner hyphens, at most 32)'
        )
        expect(errorOf({ chip: "w5500", address: "dhcp", dhcp: { retransmitMs: 50 } })).toBe("dhcp.retransmitMs | stackConfig: dhcp.retransmitMs: 50 is not an integer in 100..64000")
        expect(stackConfig({ chip: "w5500", address: "192.0.2.10/24" }).dhcp).toBe(undefined)
    })

    test("each bad field is named with its value", () => {
        expect(errorOf({ chip: "w5500", address: "192.0.2.300/24" })).toBe('interface.address | stackConfig: interface.address: not a dotted-quad IPv4 address: "192.0.2.300"')
        expect(errorOf({ chip: "w5500", address: "192.0.2.10/24", gateway: "198.51.100.1" })).toBe(
            'interface.gateway | stackConfig: interface.gateway: "198.51.100.1" is not on-link: it is outside the interface subnet'
        )
        expect(errorOf({ chip: "w5500", address: "192.0.2.0/24" })).toBe('interface.address | stackConfig: interface.address: "192.0.2.0" is the network or broadcast address of its subnet')
        expect(errorOf({ chip: "w5500", address: "192.0.2.10/24", mac: "03:00:5e:10:00:0a" })).toBe(
            'interface.mac | stackConfig: interface.mac: "03:00:5e:10:00:0a" is a group address; the interface needs a unicast MAC address'
        )
        expect(errorOf({ chip: "w5500", address: "192.0.2.10/24", mtu: 9000 })).toBe("interface.mtu | stackConfig: interface.mtu: 9000 is not an integer in 576..1500")
        expect(errorOf({ chip: "enc28j60", address: "192.0.2.10/24", spiHz: 24000000 })).toBe(
            "spi.hz | stackConfig: spi.hz: 24000000 is over the ENC28J60's SPI clock limit of 20000000 Hz"
        )
        expect(errorOf({ chip: "w5500", address: "192.0.2.10/24", qdisc: { limitBytes: 1000 } })).toBe(
            "qdisc.limitBytes | stackConfig: qdisc.limitBytes: 1000 cannot hold one full frame of 1514 bytes"
        )
        expect(errorOf({ chip: "w5500", address: "192.0.2.10/24", tables: { fib: 2 }, gateway: "192.0.2.1", routes: [{ dest: "203.0.113.0/24", via: "192.0.2.254" }] })).toBe(
            "routes | stackConfig: routes: 1 routes + connected + default = 3 exceeds tables.fib = 2"
        )
        expect(errorOf({ chip: "w5500", address: "192.0.2.10/24", telemetry: { collector: "203.0.113.5" } })).toBe(
            'telemetry.collector | stackConfig: telemetry.collector: "203.0.113.5" is not reachable: it is outside the interface subnet and there is no gateway or route'
        )
    })

    test("boardPins gives the GPIOs of the board files; an unknown id says which exist", () => {
        const p = boardPins("w5500_evb_pico")
        expect(p.miso).toBe(16)
        expect(p.cs).toBe(17)
        let msg = ""
        try {
            boardPins("pico_w")
        } catch (e) {
            msg = (e as Error).message
        }
        expect(msg).toBe("boardPins: no board file 'pico_w' in this package (boards/: esp32_devkit_w5500, esp32_devkit_enc28j60, w5500_evb_pico, pico_enc28j60)")
    })

    test("startBoard with a dhcp configuration and no DHCP starter is refused before touching the pins", async () => {
        const config = stackConfig({ chip: "w5500", address: "dhcp" })
        let msg = ""
        try {
            await startBoard(config, undefined)
        } catch (e) {
            msg = (e as Error).message
        }
        expect(msg).toBe('address "dhcp": pass startDhcp to startBoard (startBoard(config, pins, startDhcp)), or the board never gets an address')
    })
})
