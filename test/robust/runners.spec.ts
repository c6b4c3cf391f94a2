/**
 * The short soak of `npm test` (host/soak/run.ts, the same runner as `npm run soak`, its udp part a
 * few seconds per chip, both chips: every check including the heap; the lan and mqtt parts take
 * over a minute even when short, builds and warm-ups, and run in `npm run soak` only), and the fuzz
 * runner's bookkeeping (host/fuzz/run.ts: arguments, saving failing inputs as regressions). The short fuzz itself runs
 * as DeviceScript tests (test/fuzz/*.test.ts).
 */
import * as assert from "node:assert/strict"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { main as soakMain, parseArgs as soakArgs } from "../../host/soak/run"
import { parseArgs as fuzzArgs, saveRegressions } from "../../host/fuzz/run"
import { cleanup } from "../../host/fuzz/devs"

describe("robustness runners", function () {
    this.timeout(240000)
    after(() => cleanup())

    it("npm run soak -- --part udp --seconds 2 --chip both: every datagram accounted for, no panic, no neighbour violation, recovery, no heap growth", async () => {
        const lines: string[] = []
        const log = console.log
        console.log = (...a: unknown[]) => {
            lines.push(a.join(" "))
        }
        let code: number
        try {
            code = await soakMain(["--part", "udp", "--seconds", "2", "--chip", "both", "--seed", "20261121", "--quiet"])
        } finally {
            console.log = log
        }
        const summary = lines[lines.length - 1] ?? ""
        assert.match(summary, /^soak: \d+ datagrams offered, \d+ sent, \d+ dropped \(by kind: .*\), (\d+ still queued, )?0 unaccounted, 0 panics, heap change [-+]?\d+ B/)
        assert.equal(lines.filter(l => l.includes("FAILED")).join("\n"), "")
        assert.equal(code, 0)
        assert.equal(lines.filter(l => /^soak (w5500|enc28j60):/.test(l)).length, 2)
    })

    it("the soak runner reads --part: all three by default, a comma-separated subset in their order", () => {
        assert.deepEqual(soakArgs([]).parts, ["udp", "lan", "mqtt"])
        assert.deepEqual(soakArgs(["--part", "all"]).parts, ["udp", "lan", "mqtt"])
        assert.deepEqual(soakArgs(["--part", "mqtt,lan"]).parts, ["lan", "mqtt"])
        assert.deepEqual(soakArgs(["--part", "udp", "--chip", "w5500", "--seconds", "5"]).parts, ["udp"])
    })

    it("the fuzz runner reads its arguments and appends a failing input to regressions.ts between the markers", () => {
        const o = fuzzArgs(["--seconds", "30", "--seed", "42", "--targets", "stack,w5500", "--no-save"])
        assert.deepEqual([o.seconds, o.seed, o.targets, o.save], [30, 42, ["stack", "w5500"], false])
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fuzz-regressions-"))
        try {
            const file = path.join(dir, "regressions.ts")
            fs.writeFileSync(file, "export const REGRESSIONS = [\n    // @@regressions-begin\n    // @@regressions-end\n]\n")
            const input = "ffffffffffff02000000000a0806000108000604000102000000000a00000000000000000000c0000202"
            const f = { target: "stack", index: 7, why: 'a "quoted" oracle', input }
            assert.equal(saveRegressions(file, 42, [f, { target: "w5500", index: 9, why: "panic: x", input: "" }]), 1)
            // the same case again is not added twice
            assert.equal(saveRegressions(file, 42, [f]), 0)
            const text = fs.readFileSync(file, "utf8")
            assert.match(text, /target: "stack",\n {8}seed: 42,\n {8}index: 7,\n {8}why: "a \\"quoted\\" oracle",\n {8}input: hex`\n {12}ff ff ff/)
            assert.ok(text.indexOf("@@regressions-end") > text.indexOf("index: 7"))
        } finally {
            fs.rmSync(dir, { recursive: true, force: true })
        }
    })
})
