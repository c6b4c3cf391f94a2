/**
 * Run one DeviceScript test file in the simulator of the DeviceScript CLI
 * (`devicescript run <file> --test -k -T <ms>`) and turn its output into a
 * structured result that mocha (test/devs.spec.ts) can report test by test.
 *
 * Why an instrumented entry point: the plain output of @devicescript/test
 * cannot be parsed reliably. In @devicescript/test 2.16.4 (src/core.ts):
 *  - every describe prints its bare name at indent 0, nested or not;
 *  - a suite runs its nested suites FIRST and its own tests after them, so a
 *    parent's tests follow the child's tests with no header;
 *  - a skipped test prints its name exactly like a passing one;
 *  - a thrown non-Error value (`throw "x"`) fails the test but prints nothing;
 *  - console.log output from tests is indistinguishable from describe names.
 * So by default the file is not run directly: a small generated entry file
 * imports it, walks the registered test tree (@devicescript/test's `root`)
 * before the autorun timer fires, prints the tree as `@@devs:` marker lines,
 * and adds a first beforeEach / last afterEach to every suite that print
 * `@@devs:begin <k>` / `@@devs:end <k> <state>` around test number k (in
 * execution order). Everything between those markers belongs to test k; the
 * state is the runner's own verdict. The test file itself is compiled
 * unchanged, so line numbers in stack traces are the file's own.
 * `parseDevsOutput` also accepts plain output (no markers) and then falls
 * back to a best-effort reading of the name lines (see parsePlain).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

export type DevsTestStatus = "pass" | "fail" | "skip" | "notrun"

export interface DevsTestResult {
    /** names of the enclosing describes, outermost first */
    path: string[]
    name: string
    /** "notrun": the program stopped (panic, timeout) before reaching the test */
    status: DevsTestStatus
    /** e.g. "AssertionError: toBe: Expected 4, got 3" */
    message?: string
    /** DeviceScript frames, one per line, "at fn (file:line:col)" */
    stack?: string
    /** first frame outside node_modules, "test/wire/x.test.ts:5:27" */
    location?: string
    /** console output printed while the test (and its hooks) ran */
    output?: string[]
    skipped?: boolean
    expectedError?: boolean
}

export interface DevsSummary {
    tests: number
    pass: number
    error: number
}

export interface DevsPanic {
    /** PANIC code printed by the simulator, e.g. 60005 (unhandled exception), 60001 (InfiniteLoop) */
    code?: number
    /** "InfiniteLoop: " / "Error: message" of the exception that caused it, if printed */
    message?: string
    stack?: string
    location?: string
    /** the test that was running, if any */
    inTest?: { path: string[]; name: string; inHook: boolean }
    /** console output of the program outside tests, for context */
    output?: string[]
    /** the normal end of a run with failing tests (runTests() throws "test errors") */
    expected?: boolean
}

export interface DevsParseResult {
    /** compiler diagnostics when the file did not compile */
    compileError?: string
    /** the CLI failed without compiling errors and without a panic (e.g. missing file, killed) */
    crash?: string
    /** the simulator's own timeout (-T) expired ("timeout" line) */
    timedOut: boolean
    /** the program panicked (anything but the normal end of a run) */
    panic?: DevsPanic
    /** the test that was running when the program stopped (panic or timeout) */
    stoppedIn?: { path: string[]; name: string; inHook: boolean }
    tests: DevsTestResult[]
    /** from "running N tests" */
    declared?: number
    /** from "tests: N, pass: P, error: E" */
    summary?: DevsSummary
    /** the output carried @@devs: markers (exact attribution) */
    instrumented: boolean
    /** the simulator started running the program */
    started: boolean
    /** the run ended normally ("test OK", i.e. ds.restart() after all tests) */
    finished: boolean
    /** program output that belongs to no test (top-level console.log, ...) */
    output: string[]
    /** consistency problems found while parsing (count mismatches, ...) */
    problems: string[]
}

export interface DevsFileResult extends DevsParseResult {
    file: string
    exitCode: number | null
    signal?: string | null
    /** the host-side watchdog killed the CLI (it did not stop by itself) */
    killed?: boolean
    timeoutMs: number
    durationMs: number
    /** all output, ANSI codes and "WASM> " prefixes removed */
    text: string
}

const MARK = "@@devs:"

/** remove ANSI escape sequences (colours, cursor movement) */
export function stripAnsi(s: string) {
    // eslint-disable-next-line no-control-regex
    return s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]/g, "")
}

interface Line {
    /** printed by the program inside the simulator ("WASM> " prefix) */
    prog: boolean
    text: string
}

function splitLines(raw: string): Line[] {
    const out: Line[] = []
    for (let l of stripAnsi(raw).split(/\r?\n/)) {
        l = l.replace(/\r/g, "")
        if (l.startsWith("WASM> ")) out.push({ prog: true, text: l.slice(6) })
        else if (l === "WASM>") out.push({ prog: true, text: "" })
        else out.push({ prog: false, text: l })
    }
    while (out.length && !out[out.length - 1].prog && out[out.length - 1].text === "") out.pop()
    return out
}

const RE_RUNNING = /^running (\d+) tests$/
const RE_SUMMARY = /^tests: (\d+), pass: (\d+), error: (\d+)$/
const RE_EXCEPTION = /^Exception: (.*)$/
const RE_FRAME = /^ at (.*)$/
const RE_MESSAGE = /^ message: (.*)$/
const RE_COMPILE = /:\d+:\d+ - error TS\d+:/
const RE_PANIC = /^PANIC (\d+)$/
const SIM_NOISE = [/^DeviceScript Simulator \(WASM\)/, /^start: /, /^stop program$/]

interface ExceptionInfo {
    name: string
    message?: string
    frames: string[]
}

function exceptionText(e: ExceptionInfo) {
    return e.message !== undefined && e.message !== "" ? `${e.name}: ${e.message}` : e.name
}

/** "at toBe [as F31_pc37] (file:1:2)" -> "at toBe (file:1:2)" */
function cleanFrame(f: string) {
    return "at " + f.replace(/ \[as [^\]]*\]/, "")
}

function frameLocation(f: string) {
    const m = /\(([^()]+:\d+:\d+)\)\s*$/.exec(f)
    return m ? m[1] : undefined
}

/** first frame of user code (not in node_modules), else the first frame */
export function pickLocation(frames: string[], preferFile?: string): string | undefined {
    const locs = frames.map(frameLocation).filter((l): l is string => !!l)
    if (preferFile) {
        const pf = preferFile.replace(/\\/g, "/")
        const hit = locs.find(l => l.startsWith(pf + ":"))
        if (hit) return hit
    }
    return locs.find(l => !l.includes("node_modules/")) ?? locs[0]
}

/**
 * Reads the exception blocks out of a list of program lines; returns the
 * exceptions and the lines that are not part of one (console output).
 */
function splitExceptions(lines: string[]) {
    const exceptions: (ExceptionInfo & { unhandled: boolean })[] = []
    const output: string[] = []
    let cur: (ExceptionInfo & { unhandled: boolean }) | undefined
    let pendingUnhandled = false
    for (const l of lines) {
        let m: RegExpExecArray | null
        if (l === "Unhandled exception") {
            cur = undefined
            pendingUnhandled = true
            continue
        }
        if ((m = RE_EXCEPTION.exec(l))) {
            cur = { name: m[1], frames: [], unhandled: pendingUnhandled }
            pendingUnhandled = false
            exceptions.push(cur)
            continue
        }
        if (cur && (m = RE_MESSAGE.exec(l)) && cur.message === undefined && !cur.frames.length) {
            cur.message = m[1]
            continue
        }
        if (cur && (m = RE_FRAME.exec(l))) {
            cur.frames.push(m[1])
            continue
        }
        cur = undefined
        output.push(l)
    }
    return { exceptions, output }
}

function hostInfo(lines: Line[]) {
    const host = lines.filter(l => !l.prog).map(l => l.text)
    let panicCode: number | undefined
    let timedOut = false
    let testOk = false
    let testFailed = false
    for (const h of host) {
        let m: RegExpExecArray | null
        if ((m = RE_PANIC.exec(h))) panicCode = panicCode ?? parseInt(m[1])
        else if (h === "timeout") timedOut = true
        else if (h === "test OK") testOk = true
        else if (h === "test failed") testFailed = true
    }
    return { host, panicCode, timedOut, testOk, testFailed }
}

/** host lines worth showing when something went wrong (no banner, no npm noise) */
function interestingHostText(host: string[]) {
    return host
        .filter(h => h.trim() !== "" && !/^using devs: /.test(h) && !/^npm (warn|notice)/.test(h))
        .join("\n")
        .trim()
}

/**
 * Parses the output of `devicescript run <file> --test -k` (raw, with or
 * without ANSI codes and "WASM> " prefixes). `exitCode`, when known, helps
 * to tell crashes from passing runs.
 */
export function parseDevsOutput(text: string, opts: { exitCode?: number | null } = {}): DevsParseResult {
    const lines = splitLines(text)
    const hi = hostInfo(lines)
    const progLines = lines.filter(l => l.prog).map(l => l.text)
    const started = progLines.length > 0
    const res: DevsParseResult = {
        timedOut: hi.timedOut,
        tests: [],
        instrumented: false,
        started,
        finished: hi.testOk && !hi.testFailed && !hi.timedOut,
        output: [],
        problems: [],
    }

    if (!started) {
        const compileLines: string[] = []
        let inDiag = false
        for (const h of hi.host) {
            if (RE_COMPILE.test(h)) inDiag = true
            if (inDiag) {
                if (/^Error: /.test(h) && !RE_COMPILE.test(h)) continue
                compileLines.push(h)
            }
        }
        if (compileLines.length) res.compileError = compileLines.join("\n").trim()
        else if (opts.exitCode !== 0) res.crash = interestingHostText(hi.host) || "the DeviceScript CLI produced no output"
        return res
    }

    const prog = progLines.filter(l => !SIM_NOISE.some(re => re.test(l)))
    if (prog.some(l => l.startsWith(MARK))) parseInstrumented(prog, res)
    else parsePlain(prog, res)

    // panic code, unhandled exceptions outside tests
    if (hi.panicCode !== undefined || (hi.testFailed && !res.finished && !res.timedOut)) {
        res.panic = res.panic ?? {}
        res.panic.code = hi.panicCode
    }
    if (res.panic && res.summary && res.summary.error > 0 && res.panic.message === "Error: test errors")
        // the normal end of a run with failing tests: runTests() throws "test errors"
        res.panic.expected = true
    if (!res.started || res.compileError) return res
    if (opts.exitCode !== undefined && opts.exitCode !== null && opts.exitCode !== 0 && !res.panic && !res.timedOut)
        res.crash = interestingHostText(hi.host) || `the DeviceScript CLI exited with code ${opts.exitCode}`
    checkCounts(res)
    return res
}

function checkCounts(res: DevsParseResult) {
    const ran = res.tests.filter(t => t.status !== "notrun")
    if (res.declared !== undefined && res.instrumented && res.declared !== res.tests.length)
        res.problems.push(`the program declared ${res.declared} tests ("running ${res.declared} tests") but ${res.tests.length} were found in the test tree`)
    if (res.declared !== undefined && !res.instrumented && res.summary && res.declared !== ran.length)
        res.problems.push(`"running ${res.declared} tests" but ${ran.length} test name lines were found`)
    if (res.summary) {
        const pass = ran.filter(t => t.status === "pass").length
        const fail = ran.filter(t => t.status === "fail").length
        if (res.summary.tests !== ran.length)
            res.problems.push(`the summary reports ${res.summary.tests} tests but ${ran.length} were seen running`)
        if (res.summary.error !== fail)
            res.problems.push(`the summary reports ${res.summary.error} errors but ${fail} tests were seen failing`)
        // in plain output skipped tests look like passes: only check exactly when instrumented
        if (res.instrumented ? res.summary.pass !== pass : res.summary.pass > pass)
            res.problems.push(`the summary reports ${res.summary.pass} passes but ${pass} tests were seen passing`)
        if (res.declared !== undefined && res.summary.tests !== res.declared)
            res.problems.push(`"running ${res.declared} tests" but the summary reports ${res.summary.tests}`)
    }
}

interface OutlineSuite {
    id: number
    parent: number
    name: string
}

/**
 * Decodes a name printed with DeviceScript's JSON.stringify, which escapes
 * each byte of a non-ASCII character's UTF-8 encoding separately ("§" comes out
 * as "\u00c2\u00a7"): the bytes are put back together as UTF-8.
 */
export function jsonName(s: string) {
    let v: unknown
    try {
        v = JSON.parse(s)
    } catch {
        return s
    }
    if (typeof v !== "string") return s
    if (/[\u0080-\u00ff]/.test(v) && !/[^\u0000-\u00ff]/.test(v)) {
        const utf8 = Buffer.from(v, "latin1").toString("utf8")
        if (!utf8.includes("\ufffd")) return utf8
    }
    return v
}

function suitePath(suites: Map<number, OutlineSuite>, id: number): string[] {
    const p: string[] = []
    let guard = 0
    while (id && suites.has(id) && guard++ < 1000) {
        const s = suites.get(id)!
        p.unshift(s.name)
        id = s.parent
    }
    return p
}

/** output of the generated entry (see module comment) */
function parseInstrumented(prog: string[], res: DevsParseResult) {
    res.instrumented = true
    const suites = new Map<number, OutlineSuite>()
    const tests: DevsTestResult[] = []
    const regions = new Map<number, string[]>()
    const thrown = new Map<number, string>()
    const ended = new Set<number>()
    const outside: string[] = []
    let cur = -1
    for (const l of prog) {
        let m: RegExpExecArray | null
        if (l.startsWith(MARK)) {
            const rest = l.slice(MARK.length)
            if ((m = /^suite (\d+) (\d+) (.*)$/.exec(rest))) {
                suites.set(+m[1], { id: +m[1], parent: +m[2], name: jsonName(m[3]) })
            } else if ((m = /^test (\d+) (\d+) ([01])([01]) (.*)$/.exec(rest))) {
                tests[+m[1]] = {
                    path: suitePath(suites, +m[2]),
                    name: jsonName(m[5]),
                    status: "notrun",
                    skipped: m[3] === "1" || undefined,
                    expectedError: m[4] === "1" || undefined,
                }
            } else if ((m = /^begin (\d+)$/.exec(rest))) {
                cur = +m[1]
                regions.set(cur, [])
            } else if ((m = /^thrown (\d+) (.*)$/.exec(rest))) {
                thrown.set(+m[1], jsonName(m[2]))
            } else if ((m = /^end (\d+) (\d+)$/.exec(rest))) {
                const k = +m[1]
                ended.add(k)
                const t = tests[k]
                if (t) {
                    // TestState: 0 NotRun, 1 Running, 2 Passed, 3 Error, 4 Ignored
                    const st = +m[2]
                    t.status = st === 2 ? "pass" : st === 4 ? "skip" : "fail"
                    if (st !== 2 && st !== 3 && st !== 4) t.message = `the test ended in state ${st}`
                }
                cur = -1
            } else if ((m = /^outline (\d+)$/.exec(rest))) {
                // nothing: the count is checked against "running N tests"
            }
            continue
        }
        if (cur >= 0) {
            regions.get(cur)!.push(l)
            continue
        }
        if ((m = RE_RUNNING.exec(l)) && res.declared === undefined) {
            res.declared = +m[1]
            continue
        }
        if ((m = RE_SUMMARY.exec(l)) && !res.summary) {
            res.summary = { tests: +m[1], pass: +m[2], error: +m[3] }
            continue
        }
        outside.push(l)
    }
    for (let k = 0; k < tests.length; k++) {
        if (!tests[k]) tests[k] = { path: [], name: `#${k} (missing from the outline)`, status: "notrun" }
    }
    res.tests = tests
    const suiteNames = new Set([...suites.values()].map(s => s.name))
    // the describe name lines printed by SuiteNode.run are not console output
    for (let i = outside.length - 1; i >= 0; i--) if (suiteNames.has(outside[i])) outside.splice(i, 1)

    for (const [k, region] of regions) {
        const t = tests[k]
        if (!t) continue
        // the name line printed by TestNode.run; lines before it come from beforeEach hooks
        const nameIdx = region.indexOf(`  ${t.name}`)
        const body = nameIdx >= 0 ? [...region.slice(0, nameIdx), ...region.slice(nameIdx + 1)] : region
        const { exceptions, output } = splitExceptions(body)
        if (output.length) t.output = output
        const ex = exceptions[0]
        if (!ended.has(k)) {
            // the program stopped inside this test (panic, InfiniteLoop, timeout)
            t.status = "fail"
            const where = nameIdx < 0 ? " (in a beforeEach hook, before the test started)" : ""
            if (ex) t.message = `${exceptionText(ex)}${where}`
            else if (res.timedOut) t.message = `did not finish: the simulator timeout expired while it was running${where}`
            else t.message = `did not finish: the program stopped while it was running${where}`
            res.stoppedIn = { path: t.path, name: t.name, inHook: nameIdx < 0 }
            if (!res.timedOut || ex) {
                res.panic = { message: ex ? exceptionText(ex) : undefined, inTest: res.stoppedIn }
                if (ex) {
                    res.panic.stack = ex.frames.map(cleanFrame).join("\n")
                    res.panic.location = pickLocation(ex.frames)
                }
            }
        } else if (t.status === "fail") {
            if (ex) t.message = exceptionText(ex)
            else if (thrown.has(k)) t.message = `threw a non-Error value: ${thrown.get(k)}`
            else if (!t.message) t.message = "failed (no exception was printed)"
            if (exceptions.length > 1)
                t.message += "\n" + exceptions.slice(1).map(e => `then ${exceptionText(e)}`).join("\n")
        }
        if (ex && t.status === "fail") {
            t.stack = ex.frames.map(cleanFrame).join("\n")
            t.location = pickLocation(ex.frames)
        }
    }
    absorbOutside(outside, res)
}

/** handles program lines outside any test: unhandled exceptions, console output */
function absorbOutside(outside: string[], res: DevsParseResult) {
    const { exceptions, output } = splitExceptions(outside)
    res.output = output.filter(l => l !== "preparing to run tests..." && !l.startsWith(MARK))
    if (exceptions.length && !res.panic) {
        const ex = exceptions[exceptions.length - 1]
        res.panic = {
            message: exceptionText(ex),
            stack: ex.frames.map(cleanFrame).join("\n"),
            location: pickLocation(ex.frames),
        }
    }
    if (res.panic && !res.panic.inTest && res.output.length) res.panic.output = res.output.slice(-20)
}

/**
 * Plain @devicescript/test output, best effort:
 *  - "  name" (exactly two spaces) is a test; the test ends at the next test,
 *    describe or summary line; it failed if an "Exception:" block follows it;
 *  - a line at indent 0 that is directly followed by a test line or by another
 *    such line is a describe name; a run of consecutive describe lines is read
 *    as nesting (outer first). Other indent-0 lines are console output.
 * Known limits (all fixed by the instrumented entry): skipped tests read as
 * passes, a parent's tests that follow a nested describe are attributed to the
 * nested one, sibling describes without tests read as nested, console output
 * that looks like a name is taken for one, `throw "string"` reads as a pass.
 */
function parsePlain(prog: string[], res: DevsParseResult) {
    let i = 0
    const pre: string[] = []
    while (i < prog.length && res.declared === undefined) {
        const m = RE_RUNNING.exec(prog[i])
        if (m) res.declared = +m[1]
        else pre.push(prog[i])
        i++
    }
    if (res.declared === undefined) {
        // never got to run tests: top-level code panicked, or no describe
        absorbOutside(pre, res)
        return
    }
    const outside: string[] = [...pre]
    const isTest = (l: string) => /^  \S/.test(l)
    const isIndent0 = (l: string) =>
        /^\S/.test(l) && !RE_EXCEPTION.test(l) && !RE_SUMMARY.test(l) && l !== "Unhandled exception"
    const isDescribeAt = (j: number): boolean => {
        let k = j
        while (k < prog.length && isIndent0(prog[k])) k++
        return k > j && k < prog.length && isTest(prog[k])
    }
    let path: string[] = []
    let inRun = false
    let cur: { t: DevsTestResult; lines: string[] } | undefined
    const finish = () => {
        if (!cur) return
        const { exceptions, output } = splitExceptions(cur.lines)
        const handled = exceptions.filter(e => !e.unhandled)
        if (output.length) cur.t.output = output
        if (handled.length) {
            const ex = handled[0]
            cur.t.status = "fail"
            cur.t.message = exceptionText(ex)
            cur.t.stack = ex.frames.map(cleanFrame).join("\n")
            cur.t.location = pickLocation(ex.frames)
        }
        const unhandled = exceptions.find(e => e.unhandled)
        if (unhandled) outside.push("Unhandled exception", `Exception: ${unhandled.name}`)
        cur = undefined
    }
    for (; i < prog.length; i++) {
        const l = prog[i]
        let m: RegExpExecArray | null
        if ((m = RE_SUMMARY.exec(l)) && !res.summary) {
            finish()
            res.summary = { tests: +m[1], pass: +m[2], error: +m[3] }
            continue
        }
        if (res.summary) {
            outside.push(l)
            continue
        }
        if (isIndent0(l) && isDescribeAt(i)) {
            finish()
            if (!inRun) path = []
            path = [...path, l]
            inRun = true
            continue
        }
        inRun = false
        if (isTest(l)) {
            finish()
            const t: DevsTestResult = { path: [...path], name: l.slice(2), status: "pass" }
            res.tests.push(t)
            cur = { t, lines: [] }
            continue
        }
        if (cur) {
            if (l === "Unhandled exception") {
                // a panic outside the test body (hook): the rest goes to the panic
                finish()
                outside.push(l)
                continue
            }
            cur.lines.push(l)
        } else outside.push(l)
    }
    // a test that was running when the program stopped without a summary
    const last = cur
    finish()
    if (!res.summary && last) {
        const t = last.t
        if (t.status !== "fail") {
            t.status = "fail"
            t.message = res.timedOut
                ? "did not finish: the simulator timeout expired while it was running"
                : "did not finish: the program stopped while it was running"
        }
        res.stoppedIn = { path: t.path, name: t.name, inHook: false }
        if (!res.timedOut || t.stack)
            res.panic = { message: t.message, stack: t.stack, location: t.location, inTest: res.stoppedIn }
    }
    absorbOutside(outside, res)
}

// ---------------------------------------------------------------------------
// running

/** the project root: the nearest directory with devsconfig.json above this file */
export function projectRoot(): string {
    let dir = __dirname
    for (;;) {
        if (fs.existsSync(path.join(dir, "devsconfig.json"))) return dir
        const up = path.dirname(dir)
        if (up === dir) return process.cwd()
        dir = up
    }
}

/** the DeviceScript CLI launcher script, run with the current node */
export function findCli(root: string): string {
    const candidates = [
        path.join(root, "node_modules/@devicescript/cli/devicescript"),
        path.join(root, "node_modules/.bin/devicescript"),
        path.join(root, "node_modules/@devicescript/cli/built/devicescript-cli.cjs"),
    ]
    for (const c of candidates) if (fs.existsSync(c)) return fs.realpathSync(c)
    throw new Error(`DeviceScript CLI not found (looked for ${candidates.join(", ")})`)
}

const ENTRY_DIR = ".devicescript/devs-test"

/** the source of the instrumented entry that imports `importPath` */
export function entrySource(importPath: string) {
    return `// generated by host/test/devs-run.ts: runs ${importPath} with markers for the test harness
import * as ds from "@devicescript/core"
import ${JSON.stringify(importPath)}
import { root, runTests, SuiteNode, TestNode, TestState, SetupTeardownNode } from "@devicescript/test/src/core"

const order: TestNode[] = []
let nsuites = 0
let cur = 0
function walk(s: SuiteNode, id: number) {
    for (const c of s.children) {
        const cid = ++nsuites
        console.log(\`${MARK}suite \${cid} \${id} \${JSON.stringify(c.name)}\`)
        walk(c, cid)
    }
    if (s.tests.length) {
        for (const t of s.tests) {
            const o = t.options || {}
            console.log(\`${MARK}test \${order.length} \${id} \${o.skip ? 1 : 0}\${o.expectedError ? 1 : 0} \${JSON.stringify(t.name)}\`)
            order.push(t)
        }
        s.befores.unshift(new SetupTeardownNode(() => { console.log(\`${MARK}begin \${cur}\`) }))
        s.afters.push(new SetupTeardownNode(() => {
            const t = order[cur]
            const e: any = t.error
            if (t.state === TestState.Error && !(e instanceof Error)) console.log(\`${MARK}thrown \${cur} \${JSON.stringify("" + e)}\`)
            console.log(\`${MARK}end \${cur} \${t.state}\`)
            cur++
        }))
    }
}
walk(root, 0)
console.log(\`${MARK}outline \${order.length}\`)
if (!root.children.length) {
    // describe() starts the autorun; without any describe nothing would run
    if (root.tests.length) await runTests()
    else console.log("running 0 tests")
    ds.restart()
}
`
}

export interface RunOptions {
    /** simulator timeout (-T), ms */
    timeoutMs?: number
    /** project root; default: projectRoot() */
    cwd?: string
    /**
     * directory the CLI runs in: the project root, or a mirror of it made by
     * prepareWorkDir() so that parallel runs do not share .devicescript/bin
     */
    workDir?: string
    /** run through the instrumented entry (default true) */
    instrument?: boolean
    /** extra time for compiling etc. before the host kills the CLI, ms */
    graceMs?: number
    /** called once the simulator has started (the CLI has read its debug info) or the CLI has exited */
    onStarted?: () => void
    /** called with each output line (ANSI codes kept) */
    onLine?: (line: string) => void
}

function slug(rel: string) {
    return rel.replace(/\.ts$/, "").replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^[._]+/, "")
}

const toPosix = (p: string) => p.replace(/\\/g, "/")

export async function runDevsTest(file: string, opts: RunOptions = {}): Promise<DevsFileResult> {
    const root = opts.cwd ?? projectRoot()
    const abs = path.resolve(root, file)
    const rel = toPosix(path.relative(root, abs))
    // a file outside the project cannot be reached through a mirror
    const work = opts.workDir && !rel.startsWith("../") && !path.isAbsolute(rel) ? opts.workDir : root
    const timeoutMs = opts.timeoutMs ?? 60000
    const instrument = opts.instrument ?? true
    let entry = toPosix(path.relative(work, path.join(work, rel)))
    let entryAbs: string | undefined
    if (instrument && fs.existsSync(abs)) {
        const dir = path.join(work, ENTRY_DIR)
        fs.mkdirSync(dir, { recursive: true })
        entryAbs = path.join(dir, `${slug(rel)}.ts`)
        let imp = toPosix(path.relative(dir, path.join(work, rel))).replace(/\.ts$/, "")
        if (!imp.startsWith(".")) imp = "./" + imp
        fs.writeFileSync(entryAbs, entrySource(imp))
        entry = toPosix(path.relative(work, entryAbs))
    }
    const cli = findCli(root)
    const args = [cli, "run", entry, "--test", "-k", "-T", String(timeoutMs)]
    const t0 = Date.now()
    const chunks: string[] = []
    let startedCalled = false
    const started = () => {
        if (!startedCalled) {
            startedCalled = true
            opts.onStarted?.()
        }
    }
    const graceMs = opts.graceMs ?? 120000
    const { exitCode, signal, killed } = await new Promise<{
        exitCode: number | null
        signal: NodeJS.Signals | null
        killed: boolean
    }>(resolve => {
        const child = spawn(process.execPath, args, {
            cwd: work,
            env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
            stdio: ["ignore", "pipe", "pipe"],
        })
        let killedByUs = false
        const watchdog = setTimeout(() => {
            killedByUs = true
            chunks.push(`\nkilled by host/test/devs-run.ts: the CLI did not exit within ${timeoutMs + graceMs} ms\n`)
            child.kill("SIGKILL")
        }, timeoutMs + graceMs)
        const attach = (stream: NodeJS.ReadableStream) => {
            let partial = ""
            stream.setEncoding("utf8")
            stream.on("data", (d: string) => {
                partial += d
                const parts = partial.split("\n")
                partial = parts.pop()!
                for (const p of parts) {
                    chunks.push(p + "\n")
                    opts.onLine?.(p)
                    if (p.startsWith("WASM> ")) started()
                }
            })
            stream.on("end", () => {
                if (partial) {
                    chunks.push(partial + "\n")
                    opts.onLine?.(partial)
                }
                partial = ""
            })
        }
        attach(child.stdout!)
        attach(child.stderr!)
        child.on("error", err => {
            chunks.push(`\nfailed to start the DeviceScript CLI: ${err.message}\n`)
        })
        child.on("close", (code, sig) => {
            clearTimeout(watchdog)
            started()
            resolve({ exitCode: code, signal: sig, killed: killedByUs })
        })
    })
    if (entryAbs) {
        try {
            fs.unlinkSync(entryAbs)
        } catch {}
    }
    const raw = chunks.join("")
    const parsed = parseDevsOutput(raw, { exitCode })
    // the generated entry itself failed to compile (e.g. @devicescript/test changed): run plainly
    if (instrument && parsed.compileError && parsed.compileError.includes(ENTRY_DIR))
        return runDevsTest(file, { ...opts, instrument: false })
    const res: DevsFileResult = {
        ...parsed,
        file: rel,
        exitCode,
        signal,
        killed: killed || undefined,
        timeoutMs,
        durationMs: Date.now() - t0,
        text: stripAnsi(raw)
            .split("\n")
            .map(l => (l.startsWith("WASM> ") ? l.slice(6) : l))
            .join("\n"),
    }
    if (killed) {
        res.crash = `the DeviceScript CLI did not exit and was killed after ${res.durationMs} ms`
    } else if (signal && !res.crash) {
        res.crash = `the DeviceScript CLI was killed by ${signal}`
    } else if (exitCode === 0 && !res.finished && !res.crash) {
        res.crash = "the DeviceScript CLI exited with code 0 but the program did not finish its tests"
    } else if (exitCode !== 0 && res.finished && !res.crash) {
        res.crash = `the DeviceScript CLI exited with code ${exitCode} after the program finished`
    }
    return res
}

// ---------------------------------------------------------------------------
// mirrors of the project for parallel runs
//
// Every CLI run writes the debug info of its compilation to
// <cwd>/.devicescript/bin/dbg.json and reads it back to resolve stack frames
// once the simulator starts; two runs in the same directory can print each
// other's file names and lines. So each parallel slot runs the CLI in its own
// directory, .devicescript/devs-test/<pid>-<slot>/, that holds a symlink to
// every top-level entry of the project (src, test, node_modules,
// package.json, devsconfig.json, ...) and its own .devicescript/. Paths
// relative to it are the same as in the project, so the output is the same.

const MIRRORS = ".devicescript/devs-test"

/** creates or refreshes the mirror `name`; returns its path */
export function prepareWorkDir(root: string, name: string): string {
    const dir = path.join(root, MIRRORS, name)
    fs.mkdirSync(dir, { recursive: true })
    const want = new Set(fs.readdirSync(root).filter(e => e !== ".devicescript" && e !== ".git"))
    for (const e of fs.readdirSync(dir)) {
        if (e === ".devicescript") continue
        const p = path.join(dir, e)
        if (!fs.lstatSync(p).isSymbolicLink()) throw new Error(`${p} should be a symlink`)
        if (!want.has(e)) fs.unlinkSync(p)
    }
    for (const e of want) {
        const p = path.join(dir, e)
        const target = path.relative(dir, path.join(root, e))
        let current: string | undefined
        try {
            current = fs.readlinkSync(p)
        } catch {}
        if (current === target) continue
        if (current !== undefined) fs.unlinkSync(p)
        fs.symlinkSync(target, p)
    }
    return dir
}

/** removes a mirror: unlinks its symlinks (never following them) and deletes its own .devicescript/ */
export function removeWorkDir(dir: string) {
    if (!fs.existsSync(dir)) return
    for (const e of fs.readdirSync(dir)) {
        const p = path.join(dir, e)
        const st = fs.lstatSync(p)
        if (st.isSymbolicLink()) fs.unlinkSync(p)
        else if (e === ".devicescript" && st.isDirectory()) fs.rmSync(p, { recursive: true, force: true })
    }
    fs.rmdirSync(dir)
}

/** removes mirrors left by test runs that are no longer alive */
function removeStaleWorkDirs(root: string) {
    const base = path.join(root, MIRRORS)
    let entries: string[] = []
    try {
        entries = fs.readdirSync(base)
    } catch {
        return
    }
    for (const e of entries) {
        const m = /^(\d+)-\d+$/.exec(e)
        if (!m) continue
        let alive = true
        try {
            process.kill(+m[1], 0)
        } catch (err: any) {
            alive = err?.code === "EPERM"
        }
        if (!alive) {
            try {
                removeWorkDir(path.join(base, e))
            } catch {}
        }
    }
}

/** reads a "// devs-timeout: 120000" comment on the first line of a test file */
export function fileTimeout(absFile: string): number | undefined {
    try {
        const first = fs.readFileSync(absFile, "utf8").split(/\r?\n/, 1)[0]
        const m = /^\s*\/\/\s*devs-timeout:\s*(\d+)\s*$/.exec(first)
        return m ? parseInt(m[1]) : undefined
    } catch {
        return undefined
    }
}

/**
 * Runs files with at most `concurrency` CLIs at a time, each slot in its own
 * mirror of the project (see prepareWorkDir). If mirrors cannot be made, the
 * files run one at a time in the project itself.
 */
export async function runDevsFiles(
    files: string[],
    opts: {
        concurrency?: number
        timeoutFor?: (file: string) => number
        cwd?: string
        onResult?: (r: DevsFileResult) => void
        onLine?: (file: string, line: string) => void
    } = {}
): Promise<DevsFileResult[]> {
    const root = opts.cwd ?? projectRoot()
    const results: DevsFileResult[] = new Array(files.length)
    if (!files.length) return results
    removeStaleWorkDirs(root)
    const slots: (string | undefined)[] = []
    const want = Math.max(1, Math.min(opts.concurrency ?? 2, files.length))
    for (let i = 0; i < want; i++) {
        try {
            slots.push(prepareWorkDir(root, `${process.pid}-${i}`))
        } catch {
            // no symlinks here: a single slot in the project itself
            slots.length = 0
            slots.push(undefined)
            break
        }
    }
    let next = 0
    const worker = async (workDir: string | undefined) => {
        while (next < files.length) {
            const idx = next++
            const file = files[idx]
            let r: DevsFileResult
            try {
                r = await runDevsTest(file, {
                    cwd: root,
                    workDir,
                    timeoutMs: opts.timeoutFor?.(file),
                    onLine: opts.onLine ? l => opts.onLine!(file, l) : undefined,
                })
            } catch (err: any) {
                r = {
                    file,
                    tests: [],
                    timedOut: false,
                    instrumented: false,
                    started: false,
                    finished: false,
                    output: [],
                    problems: [],
                    crash: `host/test/devs-run.ts failed: ${err?.stack ?? err}`,
                    exitCode: null,
                    timeoutMs: opts.timeoutFor?.(file) ?? 60000,
                    durationMs: 0,
                    text: "",
                }
            }
            results[idx] = r
            opts.onResult?.(r)
        }
    }
    try {
        await Promise.all(slots.map(worker))
    } finally {
        for (const s of slots) {
            if (!s) continue
            try {
                removeWorkDir(s)
            } catch {}
        }
    }
    return results
}
