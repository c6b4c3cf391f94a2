// The package as another project uses it, from scratch: `npm pack` this repository, make a new
// project with the pinned CLI's `devicescript init`, `npm install` the tarball (its install scripts
// allowed, so one that needed this repository's dev tools would fail here), write a ten-line
// src/main.ts that starts the stack on a simulated W5500 and sends telemetry, run it in the
// simulator and read what the virtual collector received; then build a board firmware of the same
// project and check in the compiler's sizes report that it links no simulator code. Offline: the
// consumer's @devicescript/cli is this repository's own (a file: dependency), nothing else is needed.

import { strict as assert } from "node:assert"
import { spawnSync, SpawnSyncReturns } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { REPO_ROOT } from "../../host/config/validate"
import { stripAnsi } from "../../host/test/devs-run"

const CLI_DIR = path.join(REPO_ROOT, "node_modules", "@devicescript", "cli")
const CLI = path.join(CLI_DIR, "devicescript")
const NPM = process.platform === "win32" ? "npm.cmd" : "npm"

/** The consumer's program: README "Using it from another DeviceScript project" shows the same. */
export const CONSUMER_MAIN = `import * as ds from "@devicescript/core"
import { stackConfig, startStack, startTelemetry } from "devicescript-ethernet"
import { w5500Board } from "devicescript-ethernet/src/sim"
const config = stackConfig({ chip: "w5500", address: "192.0.2.10/24", gateway: "192.0.2.1", telemetry: { collector: "192.0.2.20" } })
const board = w5500Board(config)
startTelemetry(await startStack(config, board.device), config)
await ds.sleep(3500)
const got = board.collector.udp[board.collector.udp.length - 1]
console.log("collector received " + board.collector.udpReceived + " datagrams; last: " + got.payload.slice(0, got.len).toString())
ds.restart()
`

export const CONSUMER_FIRMWARE = `import { boardPins, stackConfig, startBoard } from "devicescript-ethernet"
const config = stackConfig({ chip: "w5500", address: "192.0.2.10/24", gateway: "192.0.2.1", telemetry: { collector: "192.0.2.20" } })
await startBoard(config, boardPins("esp32_devkit_w5500"))
`

/** Functions only the simulator side has (chip models, virtual LAN, native-SPI model). */
const SIM_ONLY = ["csLow", "csHigh", "receiveFromWire", "armTear", "udpReceived", "drainStale"]

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): SpawnSyncReturns<string> {
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: timeoutMs, env: { ...process.env, NO_COLOR: "1" } })
    return r
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
    const out = stripAnsi((r.stdout || "") + (r.stderr || ""))
    assert.equal(r.status, 0, `${what} failed (exit ${r.status}${r.signal ? ", " + r.signal : ""}):\n${out.slice(-3000)}`)
    return out
}

describe("the package in a new DeviceScript project (npm pack, devicescript init, npm install)", function () {
    this.timeout(240000)
    let dir = ""
    let tarball = ""
    let files: string[] = []

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsnet-consumer-"))
        const packDir = path.join(dir, "pack")
        fs.mkdirSync(packDir)
        const out = ok(run(NPM, ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], REPO_ROOT, 60000), "npm pack")
        const info = JSON.parse(out.slice(out.indexOf("[")))
        files = info[0].files.map((f: { path: string }) => f.path)
        tarball = path.join(packDir, info[0].filename)
    })

    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true })
    })

    it("npm pack ships the library and the board files, and no test, host runner, bench or generated file", () => {
        for (const f of ["package.json", "src/index.ts", "src/sim/index.ts", "src/stack.ts", "src/drivers/spi-hw.ts", "boards/esp32_devkit_w5500.board.json"])
            assert.ok(files.includes(f), `${f} missing from the tarball`)
        const bad = files.filter(f => /^(test|host|bench|\.ci|out|\.devicescript)\//.test(f) || f === "src/config/generated.ts" || f === "src/main.ts")
        assert.deepEqual(bad, [])
        const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"))
        assert.equal(pkg.main, "./src/index.ts")
        assert.deepEqual(pkg.devicescript, { library: true })
        for (const s of ["preinstall", "install", "postinstall"]) assert.equal(pkg.scripts[s], undefined, `an install script (${s}) runs in every consumer's install`)
    })

    it("installs into a project made by devicescript init, runs there in the simulator, and telemetry arrives", () => {
        const proj = path.join(dir, "consumer")
        fs.mkdirSync(proj)
        ok(run(process.execPath, [CLI, "init", "--no-install"], proj, 120000), "devicescript init")
        const pkgFile = path.join(proj, "package.json")
        const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8"))
        // offline: this repository's CLI instead of the registry's; the package's install scripts allowed
        pkg.devDependencies["@devicescript/cli"] = "file:" + CLI_DIR
        pkg.allowScripts = { ["file:" + tarball]: true }
        fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 4))
        ok(run(NPM, ["install", "--offline", "--no-audit", "--no-fund", tarball], proj, 120000), "npm install of the tarball")
        assert.ok(fs.existsSync(path.join(proj, "node_modules", "devicescript-ethernet", "src", "index.ts")))

        fs.writeFileSync(path.join(proj, "src", "main.ts"), CONSUMER_MAIN)
        assert.ok(CONSUMER_MAIN.trim().split("\n").length <= 10)
        const out = ok(run(process.execPath, [CLI, "run", "src/main.ts", "--test", "-T", "60000"], proj, 120000), "devicescript run src/main.ts")
        const m = /collector received (\d+) datagrams; last: ([^\n]*)/.exec(out)
        assert.ok(m, "no collector line in:\n" + out.slice(-2000))
        assert.ok(Number(m[1]) >= 2, `only ${m[1]} datagrams in 3.5 s at one a second`)
        assert.match(m[2], /^board\.uptime_s:\d+\|g$/)
        assert.match(out, /board\.link_up:1\|g/)
    })

    it("a board build of the consumer's firmware links no simulator code (compiler sizes report)", () => {
        const proj = path.join(dir, "consumer")
        fs.mkdirSync(path.join(proj, "boards"), { recursive: true })
        for (const f of fs.readdirSync(path.join(proj, "node_modules", "devicescript-ethernet", "boards")))
            fs.copyFileSync(path.join(proj, "node_modules", "devicescript-ethernet", "boards", f), path.join(proj, "boards", f))
        fs.writeFileSync(path.join(proj, "src", "firmware.ts"), CONSUMER_FIRMWARE)
        ok(run(process.execPath, [CLI, "build", "src/firmware.ts"], proj, 120000), "devicescript build src/firmware.ts")
        const sizes = fs.readFileSync(path.join(proj, ".devicescript", "bin", "bytecode-sizes.md"), "utf8")
        const names = new Set([...sizes.matchAll(/^\s*\d+ \| `([^`]+)`/gm)].map(m => m[1]))
        assert.ok(names.has("startBoard") && names.has("stackConfig"), "the firmware's own functions are missing from the report")
        assert.deepEqual(SIM_ONLY.filter(n => names.has(n)), [])
        const total = /(\d+) \| Function TOTAL/.exec(sizes)
        assert.ok(total && Number(total[1]) < 64 * 1024, `function bytecode ${total?.[1]} B`)
    })
})
