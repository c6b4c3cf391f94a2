// Unit tests of the DeviceScript output parser (host/test/devs-run.ts) on canned
// outputs of `devicescript run <file> --test -k` (CLI 2.16.4), with and without the
// @@devs: markers of the instrumented entry.
import * as assert from "node:assert/strict"
import { entrySource, jsonName, parseDevsOutput, stripAnsi } from "../../host/test/devs-run"

const E = "\x1b"
/** a program line as the CLI prints it on a terminal */
const w = (s: string, colour = "95") => `WASM> ${E}[${colour}m${s}${E}[0m`
const lines = (...ls: string[]) => ls.join("\n") + "\n"

const BANNER = [
    `${E}[34musing devs: v2.16.4, runtime: v2.16.4, node: v20.20.2 from /work/main/node_modules/@devicescript/cli/built${E}[0m`,
    w("DeviceScript Simulator (WASM) v2.16.4; file v2.16.4", "33"),
    w("start: devicescript-ethernet test/wire/demo.test v0.1.1-ee8df51", "33"),
]

const frame = (fn: string, loc: string) => w(` at ${fn} [as F11_pc14] ${E}[36m(${loc})${E}[0m`, "33")

describe("parseDevsOutput", () => {
    it("strips ANSI codes", () => {
        assert.equal(stripAnsi(`${E}[96mfile.ts${E}[0m:${E}[93m2${E}[0m`), "file.ts:2")
    })

    it("all pass (plain output)", () => {
        const r = parseDevsOutput(
            lines(
                ...BANNER,
                w("preparing to run tests..."),
                w("running 2 tests"),
                w("demo"),
                w("  adds"),
                w("  subtracts"),
                w("tests: 2, pass: 2, error: 0"),
                "test OK",
                w("stop program", "33")
            ),
            { exitCode: 0 }
        )
        assert.equal(r.compileError, undefined)
        assert.equal(r.crash, undefined)
        assert.equal(r.panic, undefined)
        assert.equal(r.timedOut, false)
        assert.equal(r.finished, true)
        assert.deepEqual(r.summary, { tests: 2, pass: 2, error: 0 })
        assert.equal(r.declared, 2)
        assert.deepEqual(
            r.tests.map(t => [t.path, t.name, t.status]),
            [
                [["demo"], "adds", "pass"],
                [["demo"], "subtracts", "pass"],
            ]
        )
        assert.deepEqual(r.problems, [])
    })

    it("a failure with message and location, and a thrown Error (plain output)", () => {
        const r = parseDevsOutput(
            lines(
                ...BANNER,
                w("preparing to run tests..."),
                w("running 3 tests"),
                w("demo"),
                w("  adds"),
                w("  fails"),
                w("Exception: AssertionError", "33"),
                w(" message: toBe: Expected 4, got 3", "33"),
                frame("toBe", "node_modules/@devicescript/test/src/expect.ts:33:13"),
                frame("inline", "test/wire/demo.test.ts:5:27"),
                frame("run", "node_modules/@devicescript/test/src/core.ts:134:13"),
                w("  throws"),
                w("log from throws"),
                w("Exception: Error", "33"),
                w(" message: boom here", "33"),
                frame("inline", "test/wire/demo.test.ts:6:28"),
                w("tests: 3, pass: 1, error: 2"),
                w("Unhandled exception", "91"),
                w("Exception: Error", "33"),
                w(" message: test errors", "33"),
                frame("runTests", "node_modules/@devicescript/test/src/core.ts:238:16"),
                w("Unhandled exception", "91"),
                "PANIC 60005",
                "test failed",
                `${E}[91mError: test failed${E}[0m`
            ),
            { exitCode: 1 }
        )
        assert.equal(r.finished, false)
        assert.deepEqual(r.summary, { tests: 3, pass: 1, error: 2 })
        const [adds, fails, throws] = r.tests
        assert.equal(adds.status, "pass")
        assert.equal(fails.status, "fail")
        assert.equal(fails.message, "AssertionError: toBe: Expected 4, got 3")
        assert.equal(fails.location, "test/wire/demo.test.ts:5:27")
        assert.match(fails.stack!, /^at toBe \(node_modules\/@devicescript\/test\/src\/expect\.ts:33:13\)\nat inline \(test\/wire\/demo\.test\.ts:5:27\)/)
        assert.equal(throws.status, "fail")
        assert.equal(throws.message, "Error: boom here")
        assert.equal(throws.location, "test/wire/demo.test.ts:6:28")
        assert.deepEqual(throws.output, ["log from throws"])
        // the final "test errors" panic is the normal end of a failing run
        assert.equal(r.panic?.code, 60005)
        assert.equal(r.panic?.expected, true)
        assert.equal(r.crash, undefined)
        assert.deepEqual(r.problems, [])
    })

    it("nested describes, a parent's tests after its nested describe (instrumented)", () => {
        const r = parseDevsOutput(
            lines(
                ...BANNER,
                w("preparing to run tests..."),
                w('@@devs:suite 1 0 "outer"'),
                w('@@devs:suite 2 1 "inner"'),
                w('@@devs:suite 3 2 "empty"'),
                w('@@devs:test 0 2 00 "i1"'),
                w('@@devs:test 1 1 00 "o1"'),
                w('@@devs:suite 4 0 "second"'),
                w('@@devs:test 2 4 00 "s1"'),
                w("@@devs:outline 3"),
                w("running 3 tests"),
                w("outer"),
                w("inner"),
                w("empty"),
                w("@@devs:begin 0"),
                w("  i1"),
                w("@@devs:end 0 2"),
                w("@@devs:begin 1"),
                w("  o1"),
                w("outer"), // console.log output that looks like a describe name
                w("@@devs:end 1 2"),
                w("second"),
                w("@@devs:begin 2"),
                w("  s1"),
                w("@@devs:end 2 2"),
                w("tests: 3, pass: 3, error: 0"),
                "test OK"
            ),
            { exitCode: 0 }
        )
        assert.equal(r.instrumented, true)
        assert.deepEqual(
            r.tests.map(t => [t.path, t.name, t.status]),
            [
                [["outer", "inner"], "i1", "pass"],
                [["outer"], "o1", "pass"],
                [["second"], "s1", "pass"],
            ]
        )
        assert.deepEqual(r.tests[1].output, ["outer"])
        assert.deepEqual(r.problems, [])
        assert.equal(r.finished, true)
    })

    it("nested describes (plain output: consecutive describe lines nest)", () => {
        const r = parseDevsOutput(
            lines(
                w("running 3 tests"),
                w("outer"),
                w("inner"),
                w("  i1"),
                w("  i2"),
                w("second"),
                w("  s1"),
                w("tests: 3, pass: 3, error: 0"),
                "test OK"
            )
        )
        assert.deepEqual(
            r.tests.map(t => [t.path, t.name]),
            [
                [["outer", "inner"], "i1"],
                [["outer", "inner"], "i2"],
                [["second"], "s1"],
            ]
        )
    })

    it("a skip, an expected error, a thrown non-Error, console output (instrumented)", () => {
        const r = parseDevsOutput(
            lines(
                w('@@devs:suite 1 0 "d"'),
                w('@@devs:test 0 1 10 "skipped"'),
                w('@@devs:test 1 1 01 "expects an error"'),
                w('@@devs:test 2 1 00 "throws a string"'),
                w("@@devs:outline 3"),
                w("running 3 tests"),
                w("d"),
                w("@@devs:begin 0"),
                w("  skipped"),
                w("@@devs:end 0 4"),
                w("@@devs:begin 1"),
                w("  expects an error"),
                w("@@devs:end 1 2"),
                w("@@devs:begin 2"),
                w("in beforeEach"),
                w("  throws a string"),
                w("in the test"),
                w('@@devs:thrown 2 "str"'),
                w("@@devs:end 2 3"),
                w("tests: 3, pass: 1, error: 1"),
                w("Unhandled exception"),
                w("Exception: Error"),
                w(" message: test errors"),
                "PANIC 60005",
                "test failed"
            ),
            { exitCode: 1 }
        )
        assert.deepEqual(
            r.tests.map(t => t.status),
            ["skip", "pass", "fail"]
        )
        assert.equal(r.tests[0].skipped, true)
        assert.equal(r.tests[1].expectedError, true)
        assert.equal(r.tests[2].message, "threw a non-Error value: str")
        assert.deepEqual(r.tests[2].output, ["in beforeEach", "in the test"])
        assert.equal(r.panic?.expected, true)
        assert.deepEqual(r.problems, [])
    })

    it("a skip in plain output reads as a pass (only the summary tells)", () => {
        const r = parseDevsOutput(
            lines(w("running 2 tests"), w("d"), w("  a"), w("  skipped"), w("tests: 2, pass: 1, error: 0"), "test OK"),
            { exitCode: 0 }
        )
        assert.deepEqual(
            r.tests.map(t => t.status),
            ["pass", "pass"]
        )
        assert.deepEqual(r.problems, [])
    })

    it("a compile error", () => {
        const r = parseDevsOutput(
            lines(
                `${E}[34musing devs: v2.16.4, runtime: v2.16.4, node: v20.20.2 from /x/built${E}[0m`,
                `${E}[96mtest/harness/bad.test.ts${E}[0m:${E}[93m3${E}[0m:${E}[93m30${E}[0m - ${E}[91merror${E}[0m${E}[90m TS2322: ${E}[0mType 'string' is not assignable to type 'number'.`,
                "",
                `${E}[7m3${E}[0m     test("ok", () => { const x: number = "s" })`,
                `${E}[7m ${E}[0m ${E}[91m                             ~${E}[0m`,
                `${E}[96mtest/harness/bad.test.ts${E}[0m:${E}[93m2${E}[0m:${E}[93m11${E}[0m - ${E}[91merror${E}[0m${E}[90m TS9999: ${E}[0munsupported class member`
            ),
            { exitCode: 1 }
        )
        assert.equal(r.started, false)
        assert.deepEqual(r.tests, [])
        assert.equal(r.crash, undefined)
        assert.match(r.compileError!, /^test\/harness\/bad\.test\.ts:3:30 - error TS2322: Type 'string' is not assignable to type 'number'\./)
        assert.match(r.compileError!, /TS9999: unsupported class member/)
    })

    it("a panic outside tests (InfiniteLoop at top level)", () => {
        const r = parseDevsOutput(
            lines(
                ...BANNER,
                w("preparing to run tests..."),
                w("top-level log"),
                w("Exception: InfiniteLoop", "91"),
                w(` at main [as F0_pc49] ${E}[36m(test/harness/loop.test.ts:6:16)${E}[0m`, "91"),
                "PANIC 60001",
                "test failed",
                `${E}[91mError: test failed${E}[0m`
            ),
            { exitCode: 1 }
        )
        assert.deepEqual(r.tests, [])
        assert.equal(r.panic?.message, "InfiniteLoop")
        assert.equal(r.panic?.code, 60001)
        assert.equal(r.panic?.location, "test/harness/loop.test.ts:6:16")
        assert.equal(r.panic?.inTest, undefined)
        assert.equal(r.panic?.expected, undefined)
        assert.deepEqual(r.output, ["top-level log"])
        assert.equal(r.crash, undefined)
    })

    it("an InfiniteLoop inside a test fails that test; the rest did not run (instrumented)", () => {
        const r = parseDevsOutput(
            lines(
                w('@@devs:suite 1 0 "d"'),
                w('@@devs:test 0 1 00 "ok"'),
                w('@@devs:test 1 1 00 "loop"'),
                w('@@devs:test 2 1 00 "after"'),
                w("running 3 tests"),
                w("d"),
                w("@@devs:begin 0"),
                w("  ok"),
                w("@@devs:end 0 2"),
                w("@@devs:begin 1"),
                w("  loop"),
                w("Exception: InfiniteLoop"),
                w(" at inline [as F11_pc11] (test/harness/loop.test.ts:5:52)"),
                w(" at run [as F25_pc85] (node_modules/@devicescript/test/src/core.ts:134:13)"),
                "PANIC 60001",
                "test failed"
            ),
            { exitCode: 1 }
        )
        assert.deepEqual(
            r.tests.map(t => t.status),
            ["pass", "fail", "notrun"]
        )
        assert.equal(r.tests[1].message, "InfiniteLoop")
        assert.equal(r.tests[1].location, "test/harness/loop.test.ts:5:52")
        assert.deepEqual(r.stoppedIn, { path: ["d"], name: "loop", inHook: false })
        assert.equal(r.panic?.code, 60001)
        assert.equal(r.panic?.inTest?.name, "loop")
    })

    it("a beforeEach that throws is reported on the test it was preparing (instrumented)", () => {
        const r = parseDevsOutput(
            lines(
                w('@@devs:suite 1 0 "d"'),
                w('@@devs:test 0 1 00 "ok"'),
                w("running 1 tests"),
                w("d"),
                w("@@devs:begin 0"),
                w("Unhandled exception"),
                w("Exception: Error"),
                w(" message: in before"),
                w(" at inline [as F10_pc8] (test/harness/hook.test.ts:3:24)"),
                w("Unhandled exception"),
                "PANIC 60005",
                "test failed"
            ),
            { exitCode: 1 }
        )
        assert.equal(r.tests[0].status, "fail")
        assert.match(r.tests[0].message!, /^Error: in before \(in a beforeEach hook/)
        assert.equal(r.stoppedIn?.inHook, true)
    })

    it("a timeout", () => {
        const r = parseDevsOutput(
            lines(
                ...BANNER,
                w('@@devs:suite 1 0 "d"'),
                w('@@devs:test 0 1 00 "ok"'),
                w('@@devs:test 1 1 00 "hang"'),
                w("running 2 tests"),
                w("d"),
                w("@@devs:begin 0"),
                w("  ok"),
                w("@@devs:end 0 2"),
                w("@@devs:begin 1"),
                w("  hang"),
                "timeout",
                `${E}[91mError: timeout${E}[0m`
            ),
            { exitCode: 1 }
        )
        assert.equal(r.timedOut, true)
        assert.equal(r.finished, false)
        assert.equal(r.panic, undefined)
        assert.equal(r.crash, undefined)
        assert.deepEqual(
            r.tests.map(t => t.status),
            ["pass", "fail"]
        )
        assert.match(r.tests[1].message!, /timeout expired/)
        assert.deepEqual(r.stoppedIn, { path: ["d"], name: "hang", inHook: false })
    })

    it("a timeout (plain output)", () => {
        const r = parseDevsOutput(lines(w("running 2 tests"), w("d"), w("  ok"), w("  hang"), "timeout", "Error: timeout"), {
            exitCode: 1,
        })
        assert.equal(r.timedOut, true)
        assert.deepEqual(
            r.tests.map(t => t.status),
            ["pass", "fail"]
        )
        assert.equal(r.stoppedIn?.name, "hang")
    })

    it("a CLI failure that is neither a compile error nor a panic is a crash", () => {
        const r = parseDevsOutput(
            lines(
                `${E}[34musing devs: v2.16.4, runtime: v2.16.4${E}[0m`,
                `${E}[91mError: ENOENT: no such file or directory, open 'test/x.test.ts'${E}[0m`
            ),
            { exitCode: 1 }
        )
        assert.equal(r.started, false)
        assert.equal(r.crash, "Error: ENOENT: no such file or directory, open 'test/x.test.ts'")
    })

    it("reports counts that do not add up", () => {
        const r = parseDevsOutput(
            lines(w("running 3 tests"), w("d"), w("  a"), w("  b"), w("tests: 3, pass: 3, error: 0"), "test OK"),
            { exitCode: 0 }
        )
        assert.equal(r.problems.length > 0, true)
        assert.match(r.problems.join("\n"), /summary reports 3 tests but 2/)
    })

    it("decodes names that DeviceScript's JSON.stringify escaped byte by byte", () => {
        assert.equal(jsonName('"RFC 1071 \\u00c2\\u00a73 \\u00c3\\u00a9"'), "RFC 1071 §3 é")
        assert.equal(jsonName('"plain \\"quoted\\""'), 'plain "quoted"')
    })

    it("the generated entry imports the test file and prints markers", () => {
        const src = entrySource("../../test/wire/x.test")
        assert.match(src, /^import "\.\.\/\.\.\/test\/wire\/x\.test"$/m)
        assert.match(src, /@@devs:begin/)
        assert.match(src, /@@devs:end/)
    })
})
