// devicescript.json with a collector given by host name, dns.servers and ntp.servers: validated
// with field-level errors, and written into src/config/generated.ts (COLLECTOR_BY_NAME folds).

import { strict as assert } from "node:assert"
import * as fs from "node:fs"
import * as path from "node:path"
import { REPO_ROOT, formatError, validateConfig, ValidateOptions } from "../../host/config/validate"
import { renderConfigModule } from "../../host/config/generate"

/** The sample with a static address (it asks DHCP, which would hand out DNS servers). */
const DEFAULT: any = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "devicescript.json"), "utf8"))
DEFAULT.interface.address = "192.0.2.10"
delete DEFAULT.dhcp
const NO_BOARDS: ValidateOptions = { boardsDir: null }

function cfg(change: (c: any) => void): any {
    const c = structuredClone(DEFAULT)
    change(c)
    return c
}

function only(json: unknown, p: string, value: unknown, re: RegExp): void {
    const { errors } = validateConfig(json, NO_BOARDS)
    assert.equal(errors.length, 1, errors.map(e => formatError(e)).join("\n"))
    assert.equal(errors[0].path, p)
    assert.deepEqual(errors[0].value, value)
    assert.match(errors[0].message, re)
}

describe("config: collector by name, dns and ntp servers", () => {
    it("a host name with dns.servers: the name, collector 0, the servers, COLLECTOR_BY_NAME true", () => {
        const { config, errors } = validateConfig(
            cfg(c => {
                c.telemetry.collector = "Collector.lan"
                c.dns = { servers: ["192.0.2.53", "198.51.100.53"] }
                c.ntp = { servers: ["192.0.2.123"] }
            }),
            NO_BOARDS
        )
        assert.deepEqual(errors, [])
        assert.equal(config!.collectorName, "Collector.lan")
        assert.equal(config!.collector, 0)
        // 192.0.2.53 = 0xc0000235, 198.51.100.53 = 0xc6336435, 192.0.2.123 = 0xc000027b
        assert.deepEqual(config!.dnsServers, [0xc0000235, 0xc6336435])
        assert.deepEqual(config!.ntpServers, [0xc000027b])
        const text = renderConfigModule(config!)
        assert.match(text, /\n    collectorName: "Collector\.lan",\n/)
        assert.match(text, /\n    dnsServers: \[0xc0000235, 0xc6336435\], \/\/ 192\.0\.2\.53, 198\.51\.100\.53\n/)
        assert.match(text, /\n    ntpServers: \[0xc000027b\], \/\/ 192\.0\.2\.123\n/)
        assert.match(text, /\nexport const COLLECTOR_BY_NAME = true\n/)
    })

    it("an address: no name, COLLECTOR_BY_NAME false (the resolver is not linked)", () => {
        const { config } = validateConfig(DEFAULT, NO_BOARDS)
        assert.equal(config!.collectorName, undefined)
        assert.match(renderConfigModule(config!), /\nexport const COLLECTOR_BY_NAME = false\n/)
    })

    it("a name with nothing to resolve it is refused", () => {
        only(cfg(c => (c.telemetry.collector = "collector.lan")), "telemetry.collector", "collector.lan", /host name, but dns\.servers is empty/)
    })

    it("names that are not host names (RFC 1123 §2.1) are refused", () => {
        const long = "a".repeat(64) + ".lan"
        for (const bad of ["-x.lan", "x-.lan", "a..b", "x_y.lan", "a b", long, ""]) {
            only(
                cfg(c => {
                    c.telemetry.collector = bad
                    c.dns = { servers: ["192.0.2.53"] }
                }),
                "telemetry.collector",
                bad,
                /is not a dotted-quad IPv4 address nor a host name/
            )
        }
    })

    it("servers are addresses, at most 3 DNS and 4 NTP", () => {
        only(cfg(c => (c.ntp = { servers: ["192.0.2.300"] })), "ntp.servers[0]", "192.0.2.300", /dotted-quad/)
        only(cfg(c => (c.dns = { servers: ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"] })), "dns.servers", ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"], /./)
    })
})
