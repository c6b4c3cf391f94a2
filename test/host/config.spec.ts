// Host-side specs for devicescript.json: validation (host/config/validate.ts) and generation of
// src/config/generated.ts (host/config/generate.ts).

import { strict as assert } from "node:assert"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as ts from "typescript"
import { ConfigError, REPO_ROOT, formatError, validateConfig, ValidateOptions } from "../../host/config/validate"
import { renderConfigModule } from "../../host/config/generate"

const DEFAULT_FILE = path.join(REPO_ROOT, "devicescript.json")
/** The sample configuration as shipped: DHCP, with a static fallback address. */
const SAMPLE: any = JSON.parse(fs.readFileSync(DEFAULT_FILE, "utf8"))
/**
 * The base the field-level cases change: the sample with a static address and one static route
 * (a route through a gateway needs a static address, so the DHCP sample has none).
 */
const DEFAULT: any = structuredClone(SAMPLE)
DEFAULT.interface.address = "192.0.2.10"
delete DEFAULT.dhcp
DEFAULT.routes = [{ dest: "198.51.100.0/24", via: "192.0.2.254" }]
const GENERATE = path.join(REPO_ROOT, "host", "config", "generate.ts")
const NO_BOARDS: ValidateOptions = { boardsDir: null }

/** A copy of the default configuration with one change. */
function cfg(change: (c: any) => void = () => {}): any {
    const c = structuredClone(DEFAULT)
    change(c)
    return c
}

function lines(errors: ConfigError[]): string {
    return errors.map(e => formatError(e)).join("\n") || "(no errors)"
}

function shown(value: unknown): string {
    return typeof value === "number" ? String(value) : JSON.stringify(value)
}

/** Exactly one error, at `path`, for `value`, with the value in the message; returns it. */
function expectOne(json: unknown, p: string, value: unknown, opts: ValidateOptions = NO_BOARDS): ConfigError {
    const { config, errors } = validateConfig(json, opts)
    assert.equal(errors.length, 1, `expected exactly one error, got:\n${lines(errors)}`)
    const [e] = errors
    assert.equal(e.path, p, formatError(e))
    assert.deepEqual(e.value, value, formatError(e))
    if (value !== undefined)
        assert.ok(e.message.includes(shown(value)), `message lacks ${shown(value)}: ${formatError(e)}`)
    assert.equal(config, undefined)
    return e
}

/** The unsigned 32-bit value of a dotted quad, worked out independently of the code under test. */
function u32(a: number, b: number, c: number, d: number): number {
    return a * 16777216 + b * 65536 + c * 256 + d
}

function tmpDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "devs-config-"))
}

const BAD_IPV4 = [
    "192.0.2.300", // octet over 255
    "192.0.02.1", // leading zero
    "192.0..1", // empty octet
    "192.0.2.1.", // trailing dot
    "192.0.2", // three parts
    "192.0.2.1.5", // five parts
    "256.0.2.1",
    "a.b.c.d",
    " 192.0.2.1",
    "0x1.0.0.0",
    "",
]

describe("config: devicescript.json", () => {
    it("the default configuration validates cleanly (boards check skipped)", () => {
        const { config, errors } = validateConfig(DEFAULT, NO_BOARDS)
        assert.deepEqual(errors, [])
        assert.ok(config)
    })

    it("the default configuration validates against the repo's boards/ folder", () => {
        const { errors } = validateConfig(DEFAULT)
        assert.deepEqual(errors, [], lines(errors))
    })

    it("the sample asks DHCP for its address, with 192.0.2.10 as the fallback, and validates", () => {
        const { config, errors } = validateConfig(SAMPLE)
        assert.deepEqual(errors, [], lines(errors))
        assert.ok(config && config.dhcp)
        assert.equal(config.dhcp.fallbackAddress, u32(192, 0, 2, 10))
        assert.deepEqual(config.routes, [])
        assert.match(renderConfigModule(config), /^export const DHCP = true$/m)
    })

    it("the default configuration has the documented values", () => {
        const { config } = validateConfig(DEFAULT, NO_BOARDS)
        assert.ok(config)
        assert.equal(config.address, u32(192, 0, 2, 10))
        assert.equal(config.gateway, u32(192, 0, 2, 1))
        assert.equal(config.collector, u32(192, 0, 2, 20))
        assert.equal(config.collectorPort, 8125)
        assert.deepEqual(config.mac, [0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a])
        assert.equal(config.mac[0] & 1, 0, "unicast")
        assert.equal(config.mac[0] & 2, 2, "locally administered")
        assert.deepEqual(config.routes, [
            { dest: u32(198, 51, 100, 0), prefix: 24, gateway: u32(192, 0, 2, 254), kind: "unicast", metric: 0, ttl: 0 },
        ])
    })

    it("validateConfig does not modify its argument", () => {
        const c = cfg(c => {
            delete c.tables
            delete c.interface.mtu
        })
        const before = JSON.stringify(c)
        validateConfig(c, NO_BOARDS)
        assert.equal(JSON.stringify(c), before)
    })

    it("fills in the schema defaults for every optional field", () => {
        const minimal = {
            board: "esp32_devkit_w5500",
            chip: "w5500",
            pins: DEFAULT.pins,
            interface: { mac: "02:00:5e:10:00:0a", address: "192.0.2.10", prefix: 24, gateway: "192.0.2.1" },
            telemetry: { collector: "192.0.2.20" },
        }
        const { config, errors } = validateConfig(minimal, NO_BOARDS)
        assert.deepEqual(errors, [], lines(errors))
        assert.ok(config)
        const { routes, ...rest } = config
        const { routes: defRoutes, ...defRest } = validateConfig(DEFAULT, NO_BOARDS).config!
        assert.deepEqual(routes, [])
        assert.equal(defRoutes.length, 1)
        assert.deepEqual(rest, defRest, "the defaults are the values devicescript.json spells out")
    })

    it("formatError gives one line naming the file, the field and the value", () => {
        const { errors } = validateConfig(cfg(c => (c.interface.address = "192.0.2.300")), NO_BOARDS)
        assert.equal(errors.length, 1)
        const line = formatError(errors[0])
        assert.ok(
            line.startsWith(`devicescript.json: interface.address: "192.0.2.300" is not a dotted-quad IPv4 address`),
            line
        )
        assert.ok(!line.includes("\n"))
        assert.ok(formatError(errors[0], "x/y.json").startsWith("x/y.json: interface.address: "))
    })
})

describe("config: IPv4 addresses", () => {
    const fields: [string, (c: any, v: string) => void][] = [
        ["interface.address", (c, v) => (c.interface.address = v)],
        ["interface.gateway", (c, v) => (c.interface.gateway = v)],
        ["routes[0].via", (c, v) => (c.routes[0].via = v)],
        ["arp[0].ip", (c, v) => (c.arp = [{ ip: v, mac: "02:00:5e:10:00:01" }])],
        ["dns.servers[0]", (c, v) => (c.dns = { servers: [v] })],
    ]
    for (const [field, set] of fields) {
        it(`rejects malformed and non-canonical addresses in ${field}`, () => {
            for (const bad of BAD_IPV4) {
                const e = expectOne(
                    cfg(c => set(c, bad)),
                    field,
                    bad
                )
                assert.match(e.message, /is not a dotted-quad IPv4 address/)
            }
        })
    }

    it("says why: leading zero, empty octet, over 255, wrong number of parts", () => {
        const msg = (v: string) => expectOne(cfg(c => (c.interface.address = v)), "interface.address", v).message
        assert.match(msg("192.0.02.1"), /leading zero/)
        assert.match(msg("192..2.1"), /empty octet/)
        assert.match(msg("192.0.2.256"), /over 255/)
        assert.match(msg("192.0.2.1.1"), /5 parts/)
    })

    it("rejects malformed route destinations", () => {
        for (const bad of BAD_IPV4) {
            const v = `${bad}/24`
            const e = expectOne(
                cfg(c => (c.routes[0].dest = v)),
                "routes[0].dest",
                v
            )
            assert.match(e.message, /dotted-quad IPv4 address|CIDR/)
        }
        for (const v of ["198.51.100.0", "198.51.100.0/", "198.51.100.0/24/1", "198.51.100.0/x", "198.51.100.0/024"])
            expectOne(cfg(c => (c.routes[0].dest = v)), "routes[0].dest", v)
    })

    it("accepts the edges of the range", () => {
        const { errors } = validateConfig(
            cfg(c => {
                c.routes = [
                    { dest: "0.0.0.0/1", via: "192.0.2.254" },
                    { dest: "255.255.255.255/32", type: "blackhole" },
                ]
            }),
            NO_BOARDS
        )
        assert.deepEqual(errors, [], lines(errors))
    })
})

describe("config: prefixes", () => {
    it("rejects interface.prefix over 32", () => {
        const e = expectOne(cfg(c => (c.interface.prefix = 33)), "interface.prefix", 33)
        assert.match(e.message, /over the maximum 32/)
    })

    it("rejects a route prefix over 32", () => {
        const e = expectOne(cfg(c => (c.routes[0].dest = "198.51.100.0/33")), "routes[0].dest", "198.51.100.0/33")
        assert.match(e.message, /prefix length 33 is over 32/)
    })

    it("rejects a non-integer interface.prefix", () => {
        const e = expectOne(cfg(c => (c.interface.prefix = "24")), "interface.prefix", "24")
        assert.match(e.message, /is not an integer/)
    })
})

describe("config: routes", () => {
    it("rejects a duplicate route", () => {
        const e = expectOne(
            cfg(c => c.routes.push({ dest: "198.51.100.0/24", via: "192.0.2.253", metric: 5 })),
            "routes[1].dest",
            "198.51.100.0/24"
        )
        assert.match(e.message, /duplicates routes\[0\]/)
    })

    it("rejects host bits set in a route destination", () => {
        const e = expectOne(cfg(c => (c.routes[0].dest = "198.51.100.7/24")), "routes[0].dest", "198.51.100.7/24")
        assert.match(e.message, /host bits set/)
        assert.match(e.message, /198\.51\.100\.0\/24/)
    })

    it("rejects a route that duplicates another once normalised (and says the host bits are set)", () => {
        const { errors } = validateConfig(
            cfg(c => c.routes.push({ dest: "198.51.100.7/24", via: "192.0.2.254" })),
            NO_BOARDS
        )
        assert.equal(errors.length, 2, lines(errors))
        assert.ok(errors.every(e => e.path === "routes[1].dest" && e.value === "198.51.100.7/24"))
        assert.ok(errors.some(e => /host bits set/.test(e.message)))
        assert.ok(errors.some(e => /"198.51.100.7\/24" duplicates routes\[0\] \(198.51.100.0\/24\)/.test(e.message)))
    })

    it("rejects a route that duplicates the connected route", () => {
        const e = expectOne(cfg(c => c.routes.push({ dest: "192.0.2.0/24" })), "routes[1].dest", "192.0.2.0/24")
        assert.match(e.message, /connected route/)
    })

    it("rejects a default route when interface.gateway already gives one, accepts it without", () => {
        const e = expectOne(cfg(c => c.routes.push({ dest: "0.0.0.0/0", via: "192.0.2.254" })), "routes[1].dest", "0.0.0.0/0")
        assert.match(e.message, /default route/)
        const { errors } = validateConfig(
            cfg(c => {
                delete c.interface.gateway
                c.routes.push({ dest: "0.0.0.0/0", via: "192.0.2.1" })
            }),
            NO_BOARDS
        )
        assert.deepEqual(errors, [], lines(errors))
    })

    const manyRoutes = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ dest: `10.${i}.0.0/16`, via: "192.0.2.254" }))

    it("rejects more routes than the FIB holds, counting the connected and default routes", () => {
        const e = expectOne(cfg(c => (c.routes = manyRoutes(9))), "routes", 9)
        assert.equal(e.message, "9 routes + connected + default = 11 exceeds tables.fib = 8")
        assert.equal(
            formatError(e),
            "devicescript.json: routes: 9 routes + connected + default = 11 exceeds tables.fib = 8"
        )
        // 7 + 2 = 9 > 8 as well
        expectOne(cfg(c => (c.routes = manyRoutes(7))), "routes", 7)
    })

    it("fills the FIB exactly: 6 routes + connected + default = 8", () => {
        const { errors } = validateConfig(cfg(c => (c.routes = manyRoutes(6))), NO_BOARDS)
        assert.deepEqual(errors, [], lines(errors))
    })

    it("without a gateway only the connected route is added", () => {
        const c = cfg(c => {
            delete c.interface.gateway
            c.routes = manyRoutes(8)
        })
        const e = expectOne(c, "routes", 8)
        assert.equal(e.message, "8 routes + connected = 9 exceeds tables.fib = 8")
        c.routes.pop()
        assert.deepEqual(validateConfig(c, NO_BOARDS).errors, [])
    })

    it("rejects a route type that is not unicast/blackhole/unreachable/prohibit", () => {
        const e = expectOne(cfg(c => (c.routes[0].type = "anycast")), "routes[0].type", "anycast")
        assert.match(e.message, /"unicast", "blackhole", "unreachable", "prohibit"/)
    })

    for (const type of ["blackhole", "unreachable", "prohibit"]) {
        it(`rejects a ${type} route with a via`, () => {
            const e = expectOne(cfg(c => (c.routes[0].type = type)), "routes[0].via", "192.0.2.254")
            assert.match(e.message, new RegExp(`${type} route has no gateway`))
        })
        it(`accepts a ${type} route without a via`, () => {
            const { config, errors } = validateConfig(
                cfg(c => (c.routes[0] = { dest: "198.51.100.0/24", type })),
                NO_BOARDS
            )
            assert.deepEqual(errors, [], lines(errors))
            assert.equal(config!.routes[0].kind, type)
            assert.equal(config!.routes[0].gateway, 0)
        })
    }

    it("rejects a route via that is not on-link", () => {
        const e = expectOne(cfg(c => (c.routes[0].via = "203.0.113.1")), "routes[0].via", "203.0.113.1")
        assert.match(e.message, /not on-link.*192\.0\.2\.0\/24/)
    })

    it("rejects a route via that is the interface's own address", () => {
        expectOne(cfg(c => (c.routes[0].via = "192.0.2.10")), "routes[0].via", "192.0.2.10")
    })

    it("rejects a route ttl over 255 and a negative metric", () => {
        expectOne(cfg(c => (c.routes[0].ttl = 256)), "routes[0].ttl", 256)
        expectOne(cfg(c => (c.routes[0].metric = -1)), "routes[0].metric", -1)
    })
})

describe("config: interface", () => {
    for (const bad of ["02:00:5e:10:00", "02-00-5e-10-00-0a", "2:0:5e:10:0:a", "02:00:5e:10:00:0g", "0200.5e10.000a", "02:00:5e:10:00:0a:00", ""]) {
        it(`rejects the malformed MAC ${JSON.stringify(bad)} in interface.mac and arp[0].mac`, () => {
            const e = expectOne(cfg(c => (c.interface.mac = bad)), "interface.mac", bad)
            assert.match(e.message, /is not a MAC address/)
            expectOne(cfg(c => (c.arp = [{ ip: "192.0.2.1", mac: bad }])), "arp[0].mac", bad)
        })
    }

    it("accepts upper-case hex in a MAC", () => {
        const { config, errors } = validateConfig(cfg(c => (c.interface.mac = "02:00:5E:10:00:0A")), NO_BOARDS)
        assert.deepEqual(errors, [])
        assert.deepEqual(config!.mac, [2, 0, 0x5e, 0x10, 0, 0x0a])
    })

    it("rejects a multicast MAC as the interface's or a neighbour's address", () => {
        const e = expectOne(cfg(c => (c.interface.mac = "01:00:5e:00:00:01")), "interface.mac", "01:00:5e:00:00:01")
        assert.match(e.message, /multicast/)
        expectOne(cfg(c => (c.interface.mac = "03:00:00:00:00:01")), "interface.mac", "03:00:00:00:00:01")
        const a = expectOne(
            cfg(c => (c.arp = [{ ip: "192.0.2.1", mac: "33:33:00:00:00:01" }])),
            "arp[0].mac",
            "33:33:00:00:00:01"
        )
        assert.match(a.message, /multicast/)
    })

    it("rejects the broadcast MAC as the interface's or a neighbour's address", () => {
        const e = expectOne(cfg(c => (c.interface.mac = "ff:ff:ff:ff:ff:ff")), "interface.mac", "ff:ff:ff:ff:ff:ff")
        assert.match(e.message, /broadcast/)
        expectOne(cfg(c => (c.arp = [{ ip: "192.0.2.1", mac: "FF:FF:FF:FF:FF:FF" }])), "arp[0].mac", "FF:FF:FF:FF:FF:FF")
    })

    it("rejects the all-zeros MAC", () => {
        expectOne(cfg(c => (c.interface.mac = "00:00:00:00:00:00")), "interface.mac", "00:00:00:00:00:00")
    })

    it("rejects a gateway that is not on-link", () => {
        const e = expectOne(cfg(c => (c.interface.gateway = "198.51.100.1")), "interface.gateway", "198.51.100.1")
        assert.match(e.message, /not on-link/)
    })

    it("rejects a gateway that is the interface's own address, or the subnet's broadcast", () => {
        expectOne(cfg(c => (c.interface.gateway = "192.0.2.10")), "interface.gateway", "192.0.2.10")
        expectOne(cfg(c => (c.interface.gateway = "192.0.2.255")), "interface.gateway", "192.0.2.255")
    })

    it("rejects the network and broadcast address of the subnet as interface.address", () => {
        const net = expectOne(cfg(c => (c.interface.address = "192.0.2.0")), "interface.address", "192.0.2.0")
        assert.match(net.message, /network address of 192\.0\.2\.0\/24/)
        const bc = expectOne(cfg(c => (c.interface.address = "192.0.2.255")), "interface.address", "192.0.2.255")
        assert.match(bc.message, /broadcast address of 192\.0\.2\.0\/24/)
    })

    it("allows the 'network' address on a /31 (point-to-point)", () => {
        const { errors } = validateConfig(
            cfg(c => {
                c.interface.address = "192.0.2.10"
                c.interface.prefix = 31
                c.interface.gateway = "192.0.2.11"
                c.routes[0].via = "192.0.2.11"
            }),
            NO_BOARDS
        )
        assert.deepEqual(errors, [], lines(errors))
    })

    it("rejects loopback and multicast interface addresses", () => {
        const c = (v: string) =>
            cfg(c => {
                c.interface.address = v
                c.interface.gateway = v.replace(/\.\d+$/, ".1")
                c.routes = []
            })
        assert.match(expectOne(c("127.0.0.5"), "interface.address", "127.0.0.5").message, /loopback/)
        assert.match(expectOne(c("224.0.0.5"), "interface.address", "224.0.0.5").message, /multicast/)
    })

    it("rejects an mtu outside 576..1500", () => {
        expectOne(cfg(c => (c.interface.mtu = 575)), "interface.mtu", 575)
        expectOne(cfg(c => (c.interface.mtu = 1501)), "interface.mtu", 1501)
    })

    it("catches a misspelt field and suggests the right one", () => {
        const e = expectOne(
            cfg(c => {
                c.interface.adress = "192.0.2.11"
            }),
            "interface.adress",
            "192.0.2.11"
        )
        assert.match(e.message, /unknown field "adress" = "192.0.2.11" \(did you mean "address"\?\)/)
        const top = expectOne(cfg(c => (c.telemetery = {})), "telemetery", {})
        assert.match(top.message, /did you mean "telemetry"/)
    })

    it("reports a missing required field", () => {
        const e = expectOne(cfg(c => delete c.interface.address), "interface.address", undefined)
        assert.match(e.message, /required/)
    })
})

describe("config: sizes and limits", () => {
    it("rejects ip.maxDatagram outside 576..57000", () => {
        expectOne(cfg(c => (c.ip.maxDatagram = 575)), "ip.maxDatagram", 575)
        expectOne(cfg(c => (c.ip.maxDatagram = 57001)), "ip.maxDatagram", 57001)
    })

    it("rejects ip.maxDatagram below the mtu", () => {
        const e = expectOne(cfg(c => (c.ip.maxDatagram = 1400)), "ip.maxDatagram", 1400)
        assert.match(e.message, /interface\.mtu = 1500/)
        assert.deepEqual(
            validateConfig(
                cfg(c => {
                    c.ip.maxDatagram = 1400
                    c.interface.mtu = 1400
                }),
                NO_BOARDS
            ).errors,
            []
        )
    })

    it("rejects a qdisc byte limit that cannot hold one 1514-byte frame", () => {
        const e = expectOne(cfg(c => (c.qdisc.limitBytes = 1513)), "qdisc.limitBytes", 1513)
        assert.match(e.message, /1514/)
        assert.deepEqual(validateConfig(cfg(c => (c.qdisc.limitBytes = 1514)), NO_BOARDS).errors, [])
    })

    it("rejects a neighbour pending byte limit that cannot hold one 1514-byte frame", () => {
        const e = expectOne(cfg(c => (c.neighbour.pendingBytes = 1000)), "neighbour.pendingBytes", 1000)
        assert.match(e.message, /1514/)
    })

    it("sizes the frame from the mtu", () => {
        const small = (c: any) => {
            c.interface.mtu = 576
            c.qdisc.limitBytes = 590
            c.neighbour.pendingBytes = 590
        }
        assert.deepEqual(validateConfig(cfg(small), NO_BOARDS).errors, [])
        expectOne(
            cfg(c => {
                small(c)
                c.qdisc.limitBytes = 589
            }),
            "qdisc.limitBytes",
            589
        )
    })

    it("rejects a zero-packet qdisc", () => {
        expectOne(cfg(c => (c.qdisc.limitPackets = 0)), "qdisc.limitPackets", 0)
    })

    it("rejects a telemetry port outside 1..65535", () => {
        expectOne(cfg(c => (c.telemetry.port = 0)), "telemetry.port", 0)
        expectOne(cfg(c => (c.telemetry.port = 65536)), "telemetry.port", 65536)
    })

    it("rejects an unknown telemetry format", () => {
        expectOne(cfg(c => (c.telemetry.format = "graphite")), "telemetry.format", "graphite")
    })

    it("rejects a chip other than w5500/enc28j60", () => {
        const e = expectOne(cfg(c => (c.chip = "w6100")), "chip", "w6100")
        assert.match(e.message, /"w5500", "enc28j60"/)
    })

    it("rejects an SPI clock over the ENC28J60's 20 MHz", () => {
        expectOne(
            cfg(c => {
                c.chip = "enc28j60"
                c.spi.hz = 40000000
            }),
            "spi.hz",
            40000000
        )
        assert.deepEqual(validateConfig(cfg(c => (c.chip = "enc28j60")), NO_BOARDS).errors, [])
    })

    it("rejects the same pin for two roles", () => {
        const e = expectOne(cfg(c => (c.pins.cs = "SPI_SCK")), "pins.cs", "SPI_SCK")
        assert.match(e.message, /pins\.sck/)
    })
})

describe("config: static ARP entries", () => {
    it("rejects a duplicate static ARP ip", () => {
        const e = expectOne(
            cfg(
                c =>
                    (c.arp = [
                        { ip: "192.0.2.1", mac: "02:00:5e:10:00:01" },
                        { ip: "192.0.2.1", mac: "02:00:5e:10:00:02" },
                    ])
            ),
            "arp[1].ip",
            "192.0.2.1"
        )
        assert.match(e.message, /duplicates arp\[0\]/)
    })

    it("rejects more static entries than tables.neighbours", () => {
        const e = expectOne(
            cfg(c => {
                c.tables.neighbours = 2
                c.arp = [1, 2, 3].map(i => ({ ip: `192.0.2.${i}`, mac: `02:00:5e:10:00:0${i}` }))
            }),
            "arp",
            3
        )
        assert.match(e.message, /tables\.neighbours = 2/)
    })

    it("rejects a static entry that is not on-link", () => {
        expectOne(cfg(c => (c.arp = [{ ip: "198.51.100.1", mac: "02:00:5e:10:00:01" }])), "arp[0].ip", "198.51.100.1")
    })

    it("turns static entries into ip + mac bytes", () => {
        const { config, errors } = validateConfig(
            cfg(c => (c.arp = [{ ip: "192.0.2.1", mac: "02:00:5e:10:00:01" }])),
            NO_BOARDS
        )
        assert.deepEqual(errors, [])
        assert.deepEqual(config!.arp, [{ ip: u32(192, 0, 2, 1), mac: [2, 0, 0x5e, 0x10, 0, 1] }])
    })
})

describe("config: telemetry collector reachability", () => {
    it("rejects an off-link collector when there is no gateway or route to it", () => {
        const e = expectOne(
            cfg(c => {
                delete c.interface.gateway
                c.telemetry.collector = "203.0.113.5"
            }),
            "telemetry.collector",
            "203.0.113.5"
        )
        assert.match(e.message, /not reachable/)
    })

    it("rejects a collector that a blackhole route swallows", () => {
        const e = expectOne(
            cfg(c => {
                c.routes = [{ dest: "198.51.100.0/24", type: "blackhole" }]
                c.telemetry.collector = "198.51.100.5"
            }),
            "telemetry.collector",
            "198.51.100.5"
        )
        assert.match(e.message, /blackhole/)
    })

    it("accepts an off-link collector through the default route", () => {
        assert.deepEqual(validateConfig(cfg(c => (c.telemetry.collector = "203.0.113.5")), NO_BOARDS).errors, [])
    })
})

describe("config: board files", () => {
    let dir: string
    beforeEach(() => (dir = tmpDir()))
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

    // a complete board file: the validator checks the selected board's file as DeviceScript does
    const writeBoard = (id: string, pins: Record<string, number>) =>
        fs.writeFileSync(
            path.join(dir, `${id}.board.json`),
            JSON.stringify({ devName: id, productId: "0x3fa00001", archId: "esp32", pins, sPin: { ETH_CS: 1 } })
        )
    const PINS = { SPI_SCK: 18, SPI_MOSI: 23, SPI_MISO: 19, ETH_CS: 5, ETH_INT: 4, ETH_RST: 26, LED: 2 }

    it("skips the board check while boards/ has no *.board.json", () => {
        fs.writeFileSync(path.join(dir, "README.md"), "later")
        assert.deepEqual(validateConfig(cfg(c => (c.board = "nonesuch")), { boardsDir: dir }).errors, [])
        assert.deepEqual(validateConfig(DEFAULT, { boardsDir: path.join(dir, "absent") }).errors, [])
    })

    it("accepts pins that the board file has", () => {
        writeBoard("esp32_devkit_w5500", PINS)
        assert.deepEqual(validateConfig(DEFAULT, { boardsDir: dir }).errors, [])
    })

    it("rejects a pin that the board file lacks, naming the pin and the board file", () => {
        writeBoard("esp32_devkit_w5500", PINS)
        const e = expectOne(cfg(c => (c.pins.cs = "ETH_SS")), "pins.cs", "ETH_SS", { boardsDir: dir })
        assert.match(e.message, /esp32_devkit_w5500\.board\.json/)
    })

    it("rejects a board without a board file, listing the board files there are", () => {
        writeBoard("esp32_devkit_w5500", PINS)
        writeBoard("pico_enc28j60", PINS)
        const e = expectOne(cfg(c => (c.board = "esp32_devkit_w5501")), "board", "esp32_devkit_w5501", { boardsDir: dir })
        assert.match(e.message, /esp32_devkit_w5500\.board\.json/)
        assert.match(e.message, /pico_enc28j60\.board\.json/)
        assert.match(e.message, /did you mean "esp32_devkit_w5500"/)
    })

    it("rejects a board id that is not a plain file name", () => {
        expectOne(cfg(c => (c.board = "../etc/passwd")), "board", "../etc/passwd")
    })

    it("resolves the GPIO numbers of the roles on the board (pins), -1 for int and reset when left out", () => {
        writeBoard("esp32_devkit_w5500", PINS)
        assert.deepEqual(validateConfig(DEFAULT, { boardsDir: dir }).pins, { sck: 18, mosi: 23, miso: 19, cs: 5, int: 4, reset: 26 })
        const r = validateConfig(
            cfg(c => {
                delete c.pins.int
                delete c.pins.reset
            }),
            { boardsDir: dir }
        )
        assert.deepEqual(r.errors, [], lines(r.errors))
        assert.deepEqual(r.pins, { sck: 18, mosi: 23, miso: 19, cs: 5, int: -1, reset: -1 })
        assert.deepEqual(Object.keys(r.config!.pins), ["sck", "mosi", "miso", "cs"])
        assert.equal(validateConfig(DEFAULT, NO_BOARDS).pins, undefined)
    })

    it("reports a broken board file with the board file, the field and the pin", () => {
        writeBoard("esp32_devkit_w5500", { ...PINS, ETH_INT: 5 })
        const { errors, config } = validateConfig(DEFAULT, { boardsDir: dir })
        assert.equal(config, undefined)
        assert.equal(errors.length, 1, lines(errors))
        const line = formatError(errors[0])
        assert.ok(line.startsWith(path.join(dir, "esp32_devkit_w5500.board.json") + ": pins.ETH_INT: GPIO5 is already pins.ETH_CS"), line)
    })

    it("rejects a chip that the board id contradicts", () => {
        writeBoard("pico_enc28j60", PINS)
        const e = expectOne(cfg(c => (c.board = "pico_enc28j60")), "chip", "w5500", { boardsDir: dir })
        assert.match(e.message, /ENC28J60/)
    })
})

describe("config: generated module", () => {
    const text = () => renderConfigModule(validateConfig(DEFAULT, NO_BOARDS).config!)
    const hex = (n: number) => "0x" + n.toString(16).padStart(8, "0")

    it("has a do-not-edit header naming the source and imports StackConfig", () => {
        const t = text()
        assert.match(t.split("\n")[0], /^\/\/ Generated .*devicescript\.json.*do not edit/i)
        assert.ok(t.includes(`import { BoardPins, ChipKind, StackConfig } from "./types"`))
        assert.ok(t.includes(`export const CHIP: ChipKind = "w5500"\n`), t)
        assert.ok(t.includes("export const CONFIG: StackConfig = {"))
    })

    it("writes addresses as hex with the dotted form in a comment", () => {
        const t = text()
        assert.equal(hex(u32(192, 0, 2, 10)), "0xc000020a")
        assert.ok(t.includes(`address: 0xc000020a, // 192.0.2.10\n`), t)
        assert.ok(t.includes(`gateway: ${hex(u32(192, 0, 2, 1))}, // 192.0.2.1\n`), t)
        assert.ok(t.includes(`collector: ${hex(u32(192, 0, 2, 20))}, // 192.0.2.20\n`), t)
        assert.ok(t.includes(`dest: ${hex(u32(198, 51, 100, 0))}, prefix: 24, gateway: ${hex(u32(192, 0, 2, 254))}`), t)
        assert.ok(t.includes("prefix: 24,\n"))
    })

    it("writes MACs as DeviceScript hex literals", () => {
        assert.ok(text().includes("mac: hex`02 00 5e 10 00 0a`,"))
        const t = renderConfigModule(
            validateConfig(cfg(c => (c.arp = [{ ip: "192.0.2.1", mac: "02:AB:00:00:00:01" }])), NO_BOARDS).config!
        )
        assert.ok(t.includes("{ ip: 0xc0000201, mac: hex`02 ab 00 00 00 01` }"), t)
    })

    it("writes PINS: the GPIO numbers of the roles on the board file, or undefined without one", () => {
        const v = validateConfig(DEFAULT) // the repo's boards/
        const board = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "boards", `${DEFAULT.board}.board.json`), "utf8"))
        const n = (role: string) => board.pins[DEFAULT.pins[role]]
        const t = renderConfigModule(v.config!, { pins: v.pins })
        assert.ok(
            t.includes(
                `export const PINS: BoardPins = { sck: ${n("sck")}, mosi: ${n("mosi")}, miso: ${n("miso")}, cs: ${n("cs")}, int: ${n("int")}, reset: ${n("reset")} }\n`
            ),
            t
        )
        assert.ok(text().includes("export const PINS: BoardPins | undefined = undefined\n"))
    })

    it("writes 0 for no gateway", () => {
        const t = renderConfigModule(
            validateConfig(
                cfg(c => {
                    delete c.interface.gateway
                    c.routes = []
                    c.telemetry.collector = "192.0.2.20"
                }),
                NO_BOARDS
            ).config!
        )
        assert.ok(t.includes("gateway: 0x00000000, // 0.0.0.0 (none)"), t)
        assert.ok(t.includes("routes: [],"), t)
    })

    it("type-checks against src/config/types.ts (StackConfig)", function () {
        this.timeout(30000)
        const dir = tmpDir()
        try {
            fs.copyFileSync(path.join(REPO_ROOT, "src", "config", "types.ts"), path.join(dir, "types.ts"))
            // the two DeviceScript globals the module uses
            fs.writeFileSync(
                path.join(dir, "globals.d.ts"),
                "declare class Buffer { private constructor() }\ndeclare function hex(lits: any, ...args: any[]): Buffer\n"
            )
            const check = (body: string) => {
                fs.writeFileSync(path.join(dir, "generated.ts"), body)
                const program = ts.createProgram(
                    ["generated.ts", "types.ts", "globals.d.ts"].map(f => path.join(dir, f)),
                    { strict: true, noEmit: true, lib: ["lib.es2022.d.ts"], types: [], target: ts.ScriptTarget.ES2022 }
                )
                return ts
                    .getPreEmitDiagnostics(program)
                    .map(d => ts.flattenDiagnosticMessageText(d.messageText, "\n"))
            }
            assert.deepEqual(check(text()), [])
            const withArp = renderConfigModule(
                validateConfig(cfg(c => (c.arp = [{ ip: "192.0.2.1", mac: "02:00:5e:10:00:01" }])), NO_BOARDS).config!
            )
            assert.deepEqual(check(withArp), [])
            const v = validateConfig(DEFAULT)
            assert.ok(v.pins)
            assert.deepEqual(check(renderConfigModule(v.config!, { pins: v.pins })), [])
            // and the check does catch a mismatch
            assert.notDeepEqual(check(text().replace("spiHz:", "spiHertz:")), [])
        } finally {
            fs.rmSync(dir, { recursive: true, force: true })
        }
    })
})

describe("config: generate.ts CLI", function () {
    this.timeout(30000)
    let dir: string
    beforeEach(() => (dir = tmpDir()))
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

    const run = (...args: string[]) =>
        spawnSync(process.execPath, ["--require", require.resolve("tsx/cjs"), GENERATE, ...args], {
            cwd: REPO_ROOT,
            encoding: "utf8",
        })

    it("exits 1, prints the field and value, and writes nothing for a broken file", () => {
        const cfgFile = path.join(dir, "broken.json")
        const out = path.join(dir, "generated.ts")
        fs.writeFileSync(
            cfgFile,
            JSON.stringify(
                cfg(c => {
                    c.interface.address = "192.0.2.300"
                    c.routes[0].dest = "198.51.100.0/33"
                })
            )
        )
        const r = run("--config", cfgFile, "--out", out)
        assert.equal(r.status, 1, r.stderr)
        const errLines = r.stderr.trim().split("\n")
        assert.equal(errLines.length, 2, r.stderr)
        assert.ok(errLines[0].endsWith(`broken.json: interface.address: "192.0.2.300" is not a dotted-quad IPv4 address (octet 300 is over 255)`), r.stderr)
        assert.match(errLines[1], /routes\[0\]\.dest: "198\.51\.100\.0\/33"/)
        assert.ok(!fs.existsSync(out))
    })

    it("reports invalid JSON with its line", () => {
        const cfgFile = path.join(dir, "bad.json")
        fs.writeFileSync(cfgFile, '{\n  "board": "x",\n  "chip": \n}\n')
        const r = run("--config", cfgFile, "--check")
        assert.equal(r.status, 1)
        assert.match(r.stderr, /bad\.json: invalid JSON at line 4 column 1: /)
    })

    it("writes the module for a valid file, the same text as renderConfigModule", () => {
        const cfgFile = path.join(dir, "ok.json")
        const out = path.join(dir, "sub", "generated.ts")
        fs.writeFileSync(cfgFile, JSON.stringify(DEFAULT))
        const r = run("--config", cfgFile, "--out", out)
        assert.equal(r.status, 0, r.stderr)
        const written = fs.readFileSync(out, "utf8")
        const v = validateConfig(DEFAULT)
        assert.ok(v.pins, "the repo's board file gives the pin numbers")
        assert.equal(written, renderConfigModule(v.config!, { source: cfgFile, pins: v.pins }))
    })

    it("--check validates only", () => {
        const cfgFile = path.join(dir, "ok.json")
        fs.writeFileSync(cfgFile, JSON.stringify(DEFAULT))
        const r = run("--config", cfgFile, "--check", "--out", path.join(dir, "never.ts"))
        assert.equal(r.status, 0, r.stderr)
        assert.ok(!fs.existsSync(path.join(dir, "never.ts")))
    })

    it("rejects an unknown argument with status 2", () => {
        const r = run("--frobnicate")
        assert.equal(r.status, 2)
        assert.match(r.stderr, /usage/)
    })
})

describe("config: telemetry over MQTT (telemetry.format \"mqtt\")", () => {
    const mqtt = (change: (c: any) => void = () => {}) =>
        cfg(c => {
            c.telemetry.format = "mqtt"
            delete c.telemetry.port
            change(c)
        })

    it("fills the broker port (1883) and the client's defaults; the client id from the MAC", () => {
        const { config, errors } = validateConfig(mqtt(), NO_BOARDS)
        assert.deepEqual(errors, [], lines(errors))
        assert.equal(config!.telemetryFormat, "mqtt")
        assert.equal(config!.collector, u32(192, 0, 2, 20))
        assert.equal(config!.collectorPort, 1883)
        // interface.mac 02:00:5e:10:00:0a
        assert.deepEqual(config!.mqtt, {
            clientId: "ds-02005e10000a",
            topic: "devicescript/ds-02005e10000a/telemetry",
            qos: 1,
            keepAlive: 60,
            perMetric: false,
            username: "",
            password: "",
        })
    })

    it("keeps what is given: port, client id, topic prefix, QoS 0, keep alive, user and password", () => {
        const { config, errors } = validateConfig(
            mqtt(c => {
                c.telemetry.port = 8883
                c.telemetry.mqtt = { clientId: "lab-7", topicPrefix: "site/lab", qos: 0, keepAlive: 0, perMetric: true, username: "u", password: "p" }
            }),
            NO_BOARDS
        )
        assert.deepEqual(errors, [], lines(errors))
        assert.equal(config!.collectorPort, 8883)
        assert.deepEqual(config!.mqtt, { clientId: "lab-7", topic: "site/lab/telemetry", qos: 0, keepAlive: 0, perMetric: true, username: "u", password: "p" })
    })

    it("StatsD keeps port 8125 by default and has no mqtt settings", () => {
        const { config } = validateConfig(cfg(c => delete c.telemetry.port), NO_BOARDS)
        assert.equal(config!.collectorPort, 8125)
        assert.equal(config!.mqtt, undefined)
    })

    it("rejects telemetry.mqtt without format mqtt", () => {
        const { errors } = validateConfig(cfg(c => (c.telemetry.mqtt = { qos: 0 })), NO_BOARDS)
        assert.equal(errors.length, 1, lines(errors))
        assert.equal(errors[0].path, "telemetry.mqtt")
        assert.match(errors[0].message, /telemetry\.format is "statsd"/)
    })

    it("rejects a QoS other than 0 or 1, a keep alive over 65535", () => {
        expectOne(mqtt(c => (c.telemetry.mqtt = { qos: 2 })), "telemetry.mqtt.qos", 2)
        expectOne(mqtt(c => (c.telemetry.mqtt = { keepAlive: 65536 })), "telemetry.mqtt.keepAlive", 65536)
    })

    it("rejects a client id over 23 characters or outside [0-9A-Za-z_-] (3.1.3.1), and an empty one", () => {
        expectOne(mqtt(c => (c.telemetry.mqtt = { clientId: "a".repeat(24) })), "telemetry.mqtt.clientId", "a".repeat(24))
        expectOne(mqtt(c => (c.telemetry.mqtt = { clientId: "my board" })), "telemetry.mqtt.clientId", "my board")
        expectOne(mqtt(c => (c.telemetry.mqtt = { clientId: "" })), "telemetry.mqtt.clientId", "")
    })

    for (const [bad, why] of [
        ["site/+/x", /"\+"/],
        ["site/#", /"#"/],
        ["$SYS/board", /starts with "\$"/],
        ["site/", /ends with "\/"/],
    ] as [string, RegExp][])
        it(`rejects the topic prefix ${JSON.stringify(bad)}`, () => {
            const e = expectOne(mqtt(c => (c.telemetry.mqtt = { topicPrefix: bad })), "telemetry.mqtt.topicPrefix", bad)
            assert.match(e.message, why)
        })

    it("rejects a password without a user name (3.1.2.9) without printing the password", () => {
        const { errors } = validateConfig(mqtt(c => (c.telemetry.mqtt = { password: "s3cret" })), NO_BOARDS)
        assert.equal(errors.length, 1, lines(errors))
        assert.equal(errors[0].path, "telemetry.mqtt.password")
        assert.ok(!formatError(errors[0]).includes("s3cret"), formatError(errors[0]))
    })

    it("the broker by host name: kept as collectorName (collector 0) with the DNS servers; COLLECTOR_BY_NAME and MQTT both true", () => {
        const { config, errors } = validateConfig(
            mqtt(c => {
                c.telemetry.collector = "Broker.example"
                c.dns = { servers: ["192.0.2.53"] }
            }),
            NO_BOARDS
        )
        assert.deepEqual(errors, [], lines(errors))
        assert.equal(config!.collectorName, "Broker.example")
        assert.equal(config!.collector, 0)
        assert.equal(config!.collectorPort, 1883)
        // 192.0.2.53 = 0xc0000235
        assert.deepEqual(config!.dnsServers, [0xc0000235])
        const text = renderConfigModule(config!)
        assert.match(text, /\nexport const COLLECTOR_BY_NAME = true\n/)
        assert.match(text, /\nexport const MQTT = true\n/)
    })

    it("the broker by host name with nothing to resolve it (no dns.servers, a static address), or not a host name, is refused at telemetry.collector", () => {
        const e = expectOne(mqtt(c => (c.telemetry.collector = "broker.example")), "telemetry.collector", "broker.example")
        assert.match(e.message, /is a host name, but dns\.servers is empty and the address is not from DHCP/)
        const bad = "broker_1.example"
        expectOne(
            mqtt(c => {
                c.telemetry.collector = bad
                c.dns = { servers: ["192.0.2.53"] }
            }),
            "telemetry.collector",
            bad
        )
    })

    it("the broker by host name with the address from DHCP is refused: that firmware passes the 64 KB of function bytecode", () => {
        const e = expectOne(
            mqtt(c => {
                c.telemetry.collector = "broker.lan"
                c.interface.address = "dhcp"
                delete c.interface.gateway
                c.routes = []
                c.dhcp = {}
            }),
            "telemetry.collector",
            "broker.lan"
        )
        assert.match(e.message, /with interface\.address "dhcp" is not supported: .* about 59 KB of DeviceScript's 64 KB of function bytecode, less than 8 KB left/)
    })

    it("the broker must be reachable like any collector", () => {
        const e = expectOne(
            mqtt(c => {
                delete c.interface.gateway
                c.telemetry.collector = "203.0.113.5"
            }),
            "telemetry.collector",
            "203.0.113.5"
        )
        assert.match(e.message, /not reachable/)
    })

    it("generates MQTT = true and the settings; the default configuration MQTT = false", () => {
        const t = renderConfigModule(validateConfig(mqtt(c => (c.telemetry.mqtt = { username: "u", password: 'p"q' })), NO_BOARDS).config!)
        assert.match(t, /^export const MQTT = true$/m)
        assert.ok(
            t.includes(
                `    mqtt: { clientId: "ds-02005e10000a", topic: "devicescript/ds-02005e10000a/telemetry", qos: 1, keepAlive: 60, perMetric: false, username: "u", password: "p\\"q" },\n`
            ),
            t
        )
        assert.match(t, /collectorPort: 1883,/)
        const d = renderConfigModule(validateConfig(DEFAULT, NO_BOARDS).config!)
        assert.match(d, /^export const MQTT = false$/m)
        assert.ok(!d.includes("mqtt:"))
    })

    it("generates INFLUX = true only for telemetry.format influx (main.ts links one line encoder)", () => {
        const d = validateConfig(DEFAULT, NO_BOARDS).config!
        assert.match(renderConfigModule(d), /^export const INFLUX = false$/m)
        assert.match(renderConfigModule({ ...d, telemetryFormat: "influx" }), /^export const INFLUX = true$/m)
        assert.match(renderConfigModule(validateConfig(mqtt(() => {}), NO_BOARDS).config!), /^export const INFLUX = false$/m)
    })
})

describe('config: interface.address "dhcp" (src/dhcp)', () => {
    /** The default configuration with a DHCP address: no gateway routes (nothing on-link before a lease). */
    const dhcp = (change: (c: any) => void = () => {}) =>
        cfg(c => {
            c.interface.address = "dhcp"
            c.routes = []
            change(c)
        })

    it("address 0 and the dhcp defaults (RFC 2131 §4.1 4 s base, 30 s to the fallback); the static fallback keeps prefix and gateway", () => {
        const { config, errors } = validateConfig(dhcp(c => (c.dhcp = { hostName: "board1", fallbackAddress: "192.0.2.10" })), NO_BOARDS)
        assert.deepEqual(errors, [], lines(errors))
        assert.equal(config!.address, 0)
        assert.equal(config!.prefix, 24)
        assert.equal(config!.gateway, u32(192, 0, 2, 1))
        assert.deepEqual(config!.dhcp, { hostName: "board1", retransmitMs: 4000, fallbackMs: 30000, fallbackAddress: u32(192, 0, 2, 10) })
        const text = renderConfigModule(config!)
        assert.match(text, /dhcp: \{ hostName: "board1", retransmitMs: 4000, fallbackMs: 30000, fallbackAddress: 0xc000020a \}/)
        assert.match(text, /^export const DHCP = true$/m)
        assert.match(renderConfigModule(validateConfig(DEFAULT, NO_BOARDS).config!), /^export const DHCP = false$/m)
    })

    it("without a fallback address: link-local (0), no gateway allowed (it could not be on-link)", () => {
        const { config, errors } = validateConfig(dhcp(c => delete c.interface.gateway), NO_BOARDS)
        assert.deepEqual(errors, [], lines(errors))
        assert.equal(config!.dhcp!.fallbackAddress, 0)
        const e = expectOne(dhcp(), "interface.gateway", "192.0.2.1")
        assert.match(e.message, /needs a static address/)
    })

    it("a route through a gateway is refused (installed at start-up, before any lease)", () => {
        const e = expectOne(
            dhcp(c => {
                c.dhcp = { fallbackAddress: "192.0.2.10" }
                c.routes = [{ dest: "198.51.100.0/24", via: "192.0.2.254" }]
            }),
            "routes[0].via",
            "192.0.2.254"
        )
        assert.match(e.message, /before a DHCP lease/)
    })

    it("field-level errors: a bad fallback address, a host name that is not a label, a retransmit base out of range, a wrong keyword", () => {
        expectOne(dhcp(c => (c.dhcp = { fallbackAddress: "192.0.2.300" })), "dhcp.fallbackAddress", "192.0.2.300")
        expectOne(dhcp(c => (c.dhcp = { fallbackAddress: "192.0.2.10", hostName: "bad name" })), "dhcp.hostName", "bad name")
        expectOne(dhcp(c => (c.dhcp = { fallbackAddress: "192.0.2.10", retransmitMs: 10 })), "dhcp.retransmitMs", 10)
        const e = expectOne(cfg(c => (c.interface.address = "dhcpx")), "interface.address", "dhcpx")
        assert.match(e.message, /"dhcp"/)
        const b = expectOne(dhcp(c => (c.dhcp = { fallbackAddress: "192.0.2.255" })), "dhcp.fallbackAddress", "192.0.2.255")
        assert.match(b.message, /broadcast address of 192\.0\.2\.0\/24/)
    })
})
