// `npm start` with telemetry.format "mqtt": refused at once with a message that says where MQTT
// telemetry can be seen (the simulator's program has no room for TCP + MQTT + a broker peer).

import { strict as assert } from "node:assert"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { REPO_ROOT } from "../../host/config/validate"
import { unsupportedConfig } from "../../host/sim/start"

const DEFAULT = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "devicescript.json"), "utf8"))

describe("npm start: telemetry.format mqtt", () => {
    it("runs StatsD and Influx configurations", () => {
        assert.equal(unsupportedConfig(DEFAULT), undefined)
        assert.equal(unsupportedConfig({ ...DEFAULT, telemetry: { ...DEFAULT.telemetry, format: "influx" } }), undefined)
    })

    it("refuses mqtt, naming the interop suite, the Mosquitto spec and the start-path test", () => {
        const m = unsupportedConfig({ ...DEFAULT, telemetry: { ...DEFAULT.telemetry, format: "mqtt" } })!
        assert.ok(m.startsWith('npm start: telemetry.format "mqtt" is not simulated'), m)
        for (const p of ["test/interop/mqtt.interop.ts", "test/host/mqtt-mosquitto.spec.ts", "test/mqtt/start.test.ts", "npm run build"]) {
            assert.ok(m.includes(p), `message lacks ${p}: ${m}`)
            if (p.startsWith("test/")) assert.ok(fs.existsSync(path.join(REPO_ROOT, p)), `${p} named in the message does not exist`)
        }
    })
})
