// `npm run bench -- --only size` builds the board firmware in four configurations made from
// devicescript.json (host/bench/size.ts): each must be a valid configuration that links what its
// name says (the constants main.ts folds), whatever the sample holds — the sample itself, and the
// sample turned static, named or MQTT first.

import { strict as assert } from "node:assert"
import * as fs from "node:fs"
import * as path from "node:path"
import { REPO_ROOT, formatError, validateConfig } from "../../host/config/validate"
import { renderConfigModule } from "../../host/config/generate"
import { SIZE_CONFIGS, moduleBytes, NEW_MODULES } from "../../host/bench/size"

const SAMPLE: any = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "devicescript.json"), "utf8"))

/** The constants of src/config/generated.ts main.ts folds, for a configuration. */
function linked(json: unknown): { dhcp: boolean; named: boolean; mqtt: boolean; address: number } {
    const r = validateConfig(json)
    assert.deepEqual(r.errors.map(e => formatError(e)), [])
    const text = renderConfigModule(r.config!, { pins: r.pins })
    const flag = (name: string) => {
        const m = new RegExp(`^export const ${name} = (true|false)$`, "m").exec(text)
        assert.ok(m, `${name} in the generated module`)
        return m![1] === "true"
    }
    return { dhcp: flag("DHCP"), named: flag("COLLECTOR_BY_NAME"), mqtt: flag("MQTT"), address: r.config!.address }
}

const make = (name: string, json: any) => SIZE_CONFIGS.find(c => c.name === name)!.make(structuredClone(json))

const starts: [string, (j: any) => any][] = [
    ["the sample", j => j],
    ["the sample with a static address", j => ({ ...j, interface: { ...j.interface, address: "192.0.2.10" }, dhcp: undefined })],
    ["the sample with a named Influx collector", j => ({ ...j, telemetry: { ...j.telemetry, collector: "collector.lan", format: "influx" }, dns: { servers: ["192.0.2.53"] } })],
    ["the sample with MQTT telemetry on port 1884", j => ({ ...j, telemetry: { ...j.telemetry, format: "mqtt", port: 1884 } })],
]

describe("bench size: the configurations built from devicescript.json", () => {
    it("has static, sample, named and mqtt, the targets on static (28 KB) and mqtt (57,344 B)", () => {
        assert.deepEqual(SIZE_CONFIGS.map(c => c.name), ["static", "sample", "named", "mqtt"])
        assert.equal(SIZE_CONFIGS[0].limit, 28672)
        assert.equal(SIZE_CONFIGS[3].limit, 65536 - 8192)
        assert.equal(SIZE_CONFIGS[1].limit, undefined)
    })
    for (const [what, start] of starts) {
        const base = JSON.parse(JSON.stringify(start(SAMPLE)))
        it(`from ${what}: static links neither DHCP, resolver nor MQTT`, () => {
            assert.deepEqual(linked(make("static", base)), { dhcp: false, named: false, mqtt: false, address: 0xc000020a })
        })
        it(`from ${what}: named links DHCP and the resolver, no MQTT`, () => {
            assert.deepEqual(linked(make("named", base)), { dhcp: true, named: true, mqtt: false, address: 0 })
        })
        it(`from ${what}: mqtt links DHCP and MQTT (broker on 1883), no resolver`, () => {
            const j = make("mqtt", base)
            assert.deepEqual(linked(j), { dhcp: true, named: false, mqtt: true, address: 0 })
            assert.equal(validateConfig(j).config!.collectorPort, 1883)
        })
    }
    it("the sample configuration is devicescript.json itself, unchanged", () => {
        const before = fs.readFileSync(path.join(REPO_ROOT, "devicescript.json"), "utf8")
        assert.deepEqual(make("sample", SAMPLE), SAMPLE)
        assert.equal(fs.readFileSync(path.join(REPO_ROOT, "devicescript.json"), "utf8"), before)
    })
    it("sums a new module's files and folders, and nothing else", () => {
        const b = {
            config: "x",
            board: "b",
            chip: "w5500",
            functions: 0,
            strings: 0,
            modules: [
                { module: "src/dhcp/client.ts", bytes: 100 },
                { module: "src/dhcpstart.ts", bytes: 7 },
                { module: "src/dhcpstart.ts.bak", bytes: 1000 },
                { module: "src/tcp/conn.ts", bytes: 50 },
                { module: "src/tcp/table.ts", bytes: 5 },
                { module: "src/telemetry/mqtt.ts", bytes: 3 },
                { module: "src/telemetry/client.ts", bytes: 2000 },
            ],
        }
        const of = (n: string) => moduleBytes(b, NEW_MODULES.find(m => m[0] === n)![1])
        assert.deepEqual([of("DHCP"), of("DNS"), of("SNTP"), of("TCP"), of("MQTT")], [107, 0, 0, 55, 3])
    })
})
