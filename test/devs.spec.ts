/**
 * Mocha glue for the DeviceScript tests: runs every test/**\/*.test.ts file in
 * the DeviceScript simulator (host/test/devs-run.ts) and mirrors its
 * @devicescript/test describes and tests as mocha describes and its, under a
 * describe named after the file.
 *
 * Mocha needs its tests declared before it starts, and they are only known
 * once the files have run, so .mocharc.cjs turns on mocha's delay mode: this
 * file runs the DeviceScript files while mocha waits, declares the results,
 * then calls the global run().
 *
 * Environment:
 *  DEVS_TEST_FILES       comma-separated paths or globs (relative to the project root)
 *                        restricting the DeviceScript files, e.g. "test/wire/**"
 *  DEVS_TEST_TIMEOUT_MS  simulator timeout per file (default 60000); a file can set its
 *                        own with a first line `// devs-timeout: 120000`
 *  DEVS_TEST_JOBS        simulators run in parallel (default 2)
 *  DEVS_VERBOSE=1        print each file's whole output (console.log included) to stderr
 * When spec files are named on the command line (`mocha test/host/x.spec.ts`) and
 * this file is not among them, the DeviceScript files are not run unless
 * DEVS_TEST_FILES is set.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import {
    DevsFileResult,
    DevsTestResult,
    fileTimeout,
    projectRoot,
    runDevsFiles,
} from "../host/test/devs-run"

const ROOT = projectRoot()
const DEFAULT_TIMEOUT_MS = 60000

function posix(p: string) {
    return p.replace(/\\/g, "/")
}

/** every *.test.ts under test/, as sorted project-relative posix paths */
function discover(): string[] {
    const out: string[] = []
    const walk = (dir: string) => {
        let entries: fs.Dirent[]
        try {
            entries = fs.readdirSync(dir, { withFileTypes: true })
        } catch {
            return
        }
        for (const e of entries) {
            if (e.name.startsWith(".") || e.name === "node_modules") continue
            const p = path.join(dir, e.name)
            if (e.isDirectory()) walk(p)
            else if (e.isFile() && e.name.endsWith(".test.ts")) out.push(posix(path.relative(ROOT, p)))
        }
    }
    walk(path.join(ROOT, "test"))
    return out.sort()
}

function globToRegExp(glob: string): RegExp {
    let re = ""
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i]
        if (c === "*") {
            if (glob[i + 1] === "*") {
                i++
                if (glob[i + 1] === "/") {
                    i++
                    re += "(?:.*/)?"
                } else re += ".*"
            } else re += "[^/]*"
        } else if (c === "?") re += "[^/]"
        else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&")
    }
    return new RegExp("^" + re + "$")
}

/** applies DEVS_TEST_FILES; returns the files and the entries that matched nothing */
function selectFiles(all: string[], spec: string | undefined) {
    if (!spec || !spec.trim()) return { files: all, unmatched: [] as string[] }
    const chosen = new Set<string>()
    const unmatched: string[] = []
    for (let pat of spec.split(",").map(s => s.trim()).filter(Boolean)) {
        if (path.isAbsolute(pat)) pat = path.relative(ROOT, pat)
        pat = posix(pat).replace(/^\.\//, "").replace(/\/$/, "")
        let hit = false
        const re = globToRegExp(pat)
        for (const f of all) {
            if (f === pat || re.test(f) || f.startsWith(pat + "/")) {
                chosen.add(f)
                hit = true
            }
        }
        // a file outside test/ or not named *.test.ts, given explicitly
        if (!hit && !/[*?]/.test(pat) && fs.existsSync(path.join(ROOT, pat)) && fs.statSync(path.join(ROOT, pat)).isFile()) {
            chosen.add(pat)
            hit = true
        }
        if (!hit) unmatched.push(pat)
    }
    return { files: [...chosen].sort(), unmatched }
}

/**
 * True when spec files were named on the mocha command line and this file is
 * not one of them (mocha loads the .mocharc spec files anyway).
 */
function explicitSpecsWithoutThisFile(): boolean {
    const withValue = new Set([
        "-r", "--require", "--file", "--config", "--package", "--ignore", "--exclude",
        "-O", "--reporter-option", "--reporter-options", "--extension", "-u", "--ui",
        "-R", "--reporter", "-g", "--grep", "-f", "--fgrep", "-t", "--timeout", "-s",
        "--slow", "-j", "--jobs", "--retries", "-n", "--node-option", "--spec", "--watch-files",
        "--watch-ignore",
    ])
    const args = process.argv.slice(2)
    const specs: string[] = []
    for (let i = 0; i < args.length; i++) {
        const a = args[i]
        if (a === "--spec" && i + 1 < args.length) {
            specs.push(args[++i])
            continue
        }
        if (a.startsWith("--spec=")) {
            specs.push(a.slice(7))
            continue
        }
        if (a.startsWith("-")) {
            if (withValue.has(a)) i++
            continue
        }
        if (/\.(ts|js|mjs|cjs|mts|cts)$/.test(a) || /[*?]/.test(a) || isDir(a)) specs.push(a)
    }
    if (!specs.length) return false
    const me = path.resolve(__filename)
    return !specs.some(s => {
        if (/[*?]/.test(s)) return globToRegExp(posix(path.resolve(s))).test(posix(me))
        const abs = path.resolve(s)
        return abs === me || me.startsWith(abs + path.sep)
    })
}

function isDir(p: string) {
    try {
        return fs.statSync(p).isDirectory()
    } catch {
        return false
    }
}

function envInt(name: string): number | undefined {
    const v = process.env[name]
    if (!v) return undefined
    const n = parseInt(v)
    return Number.isFinite(n) && n > 0 ? n : undefined
}

function timeoutFor(file: string) {
    return fileTimeout(path.join(ROOT, file)) ?? envInt("DEVS_TEST_TIMEOUT_MS") ?? DEFAULT_TIMEOUT_MS
}

// ---------------------------------------------------------------------------
// turning results into mocha tests

/** an error that mocha prints as "message" followed by DeviceScript frames */
function devsError(message: string, frames: string[] = []): Error {
    const e = new Error(message)
    e.stack = [message, ...frames.map(f => "    " + f)].join("\n")
    return e
}

/**
 * The frames worth showing, innermost first as DeviceScript prints them (the
 * test file's own frame is among them): @devicescript/test internals are
 * dropped when something else remains.
 */
function usefulFrames(stack: string | undefined): string[] {
    const frames = (stack ?? "").split("\n").filter(Boolean)
    const own = frames.filter(f => !f.includes("node_modules/@devicescript/test/"))
    return own.length ? own : frames
}

function indentBlock(lines: string[], max = 60) {
    const shown = lines.length > max ? [...lines.slice(0, 10), `... (${lines.length - max} lines omitted)`, ...lines.slice(-(max - 10))] : lines
    return shown.map(l => "  | " + l).join("\n")
}

function testError(t: DevsTestResult): Error {
    let msg = t.message ?? "failed"
    if (t.output?.length) msg += `\n\nconsole output:\n${indentBlock(t.output)}`
    return devsError(msg, usefulFrames(t.stack))
}

function tail(text: string, n = 40) {
    const lines = text
        .split("\n")
        .filter(l => l.trim() !== "" && !l.startsWith("@@devs:") && !/^(using devs: |npm warn )/.test(l))
    return indentBlock(lines.slice(-n), n)
}

function describeStop(r: DevsFileResult) {
    const s = r.stoppedIn
    if (!s) return ""
    const name = [...s.path, s.name].join(" > ")
    return s.inHook ? ` in a beforeEach hook of test "${name}"` : ` in test "${name}"`
}

/** failing its for problems of the file as a whole */
function fileConditions(r: DevsFileResult): { title: string; error: Error }[] {
    const out: { title: string; error: Error }[] = []
    const notRun = r.tests.filter(t => t.status === "notrun").length
    const notRunText = notRun ? `; ${notRun} test${notRun === 1 ? "" : "s"} did not run` : ""
    if (r.compileError) {
        const loc = /^(\S+?:\d+:\d+) - error/m.exec(r.compileError)?.[1]
        out.push({
            title: "compile error",
            error: devsError(`${r.file} does not compile:\n\n${r.compileError}`, loc ? [`at ${loc}`] : []),
        })
        return out
    }
    if (r.crash) {
        out.push({
            title: "simulator crashed",
            error: devsError(`${r.crash}${notRunText}\n\nlast output:\n${tail(r.text)}`),
        })
    }
    if (r.timedOut) {
        out.push({
            title: `timed out after ${r.timeoutMs} ms`,
            error: devsError(
                `the simulator timeout (-T ${r.timeoutMs} ms) expired${describeStop(r) || " before the tests finished"}${notRunText}` +
                    `\n(raise it for this file with a first line "// devs-timeout: <ms>", or for all with DEVS_TEST_TIMEOUT_MS)` +
                    `\n\nlast output:\n${tail(r.text, 20)}`
            ),
        })
    }
    const p = r.panic
    if (p && !p.expected && !p.inTest && !r.timedOut) {
        const code = p.code !== undefined ? ` (PANIC ${p.code})` : ""
        let msg = `the program panicked outside any test${code}: ${p.message ?? "no exception was printed"}${notRunText}`
        if (p.output?.length) msg += `\n\nconsole output before the panic:\n${indentBlock(p.output)}`
        out.push({ title: "panic outside tests", error: devsError(msg, usefulFrames(p.stack)) })
    } else if (p && p.inTest && !r.timedOut && notRun) {
        const code = p.code !== undefined ? ` (PANIC ${p.code})` : ""
        out.push({
            title: "program stopped early",
            error: devsError(`the program stopped${code}${describeStop(r)}: ${p.message ?? "no exception was printed"}${notRunText}`, usefulFrames(p.stack)),
        })
    }
    if (r.problems.length) {
        out.push({
            title: "test count mismatch",
            error: devsError(r.problems.join("\n") + `\n\noutput:\n${tail(r.text, 60)}`),
        })
    }
    const executed = r.tests.filter(t => t.status === "pass" || t.status === "fail").length
    if (!out.length && executed === 0) {
        out.push({
            title: "no tests ran",
            error: devsError(
                r.tests.length
                    ? `all ${r.tests.length} tests of ${r.file} are skipped`
                    : `${r.file} declared no tests (use describe()/test() from @devicescript/test)` + `\n\noutput:\n${tail(r.text, 20)}`
            ),
        })
    }
    return out
}

interface TreeNode {
    name: string
    items: ({ kind: "suite"; node: TreeNode } | { kind: "test"; test: DevsTestResult })[]
    suites: Map<string, TreeNode>
}

function buildTree(tests: DevsTestResult[]): TreeNode {
    const root: TreeNode = { name: "", items: [], suites: new Map() }
    for (const t of tests) {
        let n = root
        for (const name of t.path) {
            let c = n.suites.get(name)
            if (!c) {
                c = { name, items: [], suites: new Map() }
                n.suites.set(name, c)
                n.items.push({ kind: "suite", node: c })
            }
            n = c
        }
        n.items.push({ kind: "test", test: t })
    }
    return root
}

function declareTree(n: TreeNode) {
    for (const item of n.items) {
        if (item.kind === "suite") {
            describe(item.node.name, () => declareTree(item.node))
            continue
        }
        const t = item.test
        switch (t.status) {
            case "pass":
                it(t.name, () => {})
                break
            case "skip":
                it.skip(t.name, () => {})
                break
            case "notrun":
                // pending: the file-level failure says why it did not run
                it(`${t.name} (did not run)`)
                break
            default: {
                const err = testError(t)
                it(t.name, () => {
                    throw err
                })
            }
        }
    }
}

function declareFile(r: DevsFileResult) {
    describe(r.file, () => {
        for (const c of fileConditions(r)) {
            it(c.title, () => {
                throw c.error
            })
        }
        declareTree(buildTree(r.tests))
    })
}

function progressLine(r: DevsFileResult) {
    const secs = (r.durationMs / 1000).toFixed(1)
    const failed = r.tests.filter(t => t.status === "fail").length
    const skipped = r.tests.filter(t => t.status === "skip").length
    const notRun = r.tests.filter(t => t.status === "notrun").length
    const notes: string[] = []
    if (r.compileError) notes.push("COMPILE ERROR")
    if (r.crash) notes.push("CRASHED")
    if (r.timedOut) notes.push("TIMEOUT")
    if (r.panic && !r.panic.expected && !r.panic.inTest && !r.timedOut) notes.push("PANIC")
    if (failed) notes.push(`${failed} failed`)
    if (skipped) notes.push(`${skipped} skipped`)
    if (notRun) notes.push(`${notRun} not run`)
    const n = r.tests.length
    return `devs: ${r.file} ${n} test${n === 1 ? "" : "s"}${notes.length ? " (" + notes.join(", ") + ")" : ""} ${secs} s`
}

// ---------------------------------------------------------------------------

const runFn: (() => void) | undefined = (globalThis as any).run

/** mocha's root suite, found through a throw-away describe (describe() returns the suite) */
function findRootSuite(): Mocha.Suite | undefined {
    const probe = describe("devs: probe", () => {})
    const root = probe.parent
    if (root) {
        const i = root.suites.indexOf(probe)
        if (i >= 0) root.suites.splice(i, 1)
    }
    return root
}

/**
 * Calls run() once mocha is waiting for it. In delay mode mocha subscribes to
 * the root suite's "run" event only after it has loaded every spec file; a
 * run() before that is lost, and mocha then exits 0 without running anything.
 */
function runWhenMochaWaits(root: Mocha.Suite | undefined) {
    const t0 = Date.now()
    const poll = () => {
        if (!root || root.listenerCount("run") > 0) return runFn!()
        if (Date.now() - t0 > 10 * 60 * 1000) {
            process.stderr.write("devs: mocha never started waiting for run(); calling it anyway\n")
            return runFn!()
        }
        setTimeout(poll, 20)
    }
    poll()
}

async function main() {
    const verbose = !!process.env.DEVS_VERBOSE && process.env.DEVS_VERBOSE !== "0"
    const filesEnv = process.env.DEVS_TEST_FILES
    if (!filesEnv && explicitSpecsWithoutThisFile()) {
        process.stderr.write("devs: DeviceScript test files not run (spec files were named; set DEVS_TEST_FILES to run some)\n")
        return
    }
    const { files, unmatched } = selectFiles(discover(), filesEnv)
    if (unmatched.length) {
        describe("DeviceScript test files", () => {
            for (const u of unmatched)
                it(`DEVS_TEST_FILES entry "${u}"`, () => {
                    throw devsError(`"${u}" matches no DeviceScript test file (test/**/*.test.ts)`)
                })
        })
    }
    const t0 = Date.now()
    const results = await runDevsFiles(files, {
        cwd: ROOT,
        concurrency: envInt("DEVS_TEST_JOBS") ?? 2,
        timeoutFor,
        onResult: r => {
            process.stderr.write(progressLine(r) + "\n")
            if (verbose) {
                const body = r.text
                    .split("\n")
                    .filter(l => !/^@@devs:/.test(l) && !/^npm warn/.test(l))
                    .map(l => `  ${r.file}| ${l}`)
                    .join("\n")
                process.stderr.write(body + "\n")
            }
        },
    })
    if (files.length)
        process.stderr.write(`devs: ${files.length} file${files.length === 1 ? "" : "s"} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
    for (const r of results) declareFile(r)
}

if (typeof runFn !== "function") {
    describe("DeviceScript tests", () => {
        it("need mocha's delay mode", () => {
            throw new Error("test/devs.spec.ts must be run with mocha's delay mode (delay: true in .mocharc.cjs)")
        })
    })
} else {
    const root = findRootSuite()
    main()
        .catch(err => {
            describe("DeviceScript tests", () => {
                it("harness", () => {
                    throw err
                })
            })
        })
        .finally(() => runWhenMochaWaits(root))
}
