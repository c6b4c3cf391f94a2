// `npm run bench`: the benchmarks of the transmit path, in one run, as a table a person reads.
//
//   npm run bench -- [--json FILE] [--quick] [--only cost,steps,spi,mem,size]
//
//   cost  bench/cost.ts in the simulator WITHOUT GC stress: `devicescript run --tcp` (no --test),
//         with this process as the Jacdac TCP peer on 127.0.0.1:8082 (a sink: the simulator only
//         needs a transport to start; nothing is exchanged). The program prints "@@bench" lines
//         and "@@bench:done"; then the simulator, which never exits by itself, is killed.
//   steps bench/steps.ts, the same way, compiled once and patched per run: bytecode steps per
//         datagram, counted against the VM's 128 Ki-step watchdog (deterministic, whatever the
//         machine's load; see that file).
//   spi   bench/spi.ts, the same way: SPI transactions and bytes per frame from the chip models.
//   size  host/bench/size.ts: the board firmware's function bytecode per module, W5500 and ENC28J60
//         boards (npm run build --board), against DeviceScript's 64 KB limit.
//   mem   heap footprints, measured from outside: the largest padding a program can allocate
//         before building X and still complete, under `--test` (GC on every allocation, so what
//         fits is exactly what is live). One program holds every variant; the variant and the
//         padding are digits in a string literal, patched into the compiled .devs per run, so the
//         search costs one compile. Runs go two at a time.
//
// Generated files go to .bench-tmp/<pid>/ (removed at the end, also on failure or Ctrl-C); every
// child process is killed at the end. --quick shortens the timed cases (for a smoke test of the bench).

import { spawn, ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { killChild } from "../fuzz/devs"
import { stripAnsi } from "../test/devs-run"
import { readArgs, usageExit } from "../cli"
import { printSize, runSize, SizeResult } from "./size"

const ROOT = path.resolve(__dirname, "..", "..")
const CLI = path.join(ROOT, "node_modules", "@devicescript", "cli", "built", "devicescript-cli.cjs")
const TMP_ROOT = path.join(ROOT, ".bench-tmp")
/** This run's own directory (another run may be going on); two levels below the root. */
const TMP = path.join(TMP_ROOT, String(process.pid))
const TMP_REL = ".bench-tmp/" + process.pid + "/"
const BINDIR = path.join(ROOT, ".devicescript", "bin")
const SINK_PORT = 8082
const T_START = Date.now()

interface Options {
    json?: string
    quick: boolean
    only: Set<string>
}

const usage: (msg?: string) => never = usageExit(
    "npm run bench",
    "usage: npm run bench -- [--json FILE] [--quick] [--only cost,steps,spi,mem,size]"
)

function parseArgs(argv: string[]): Options {
    const v = readArgs(argv, { json: { type: "string" }, quick: { type: "boolean" }, only: { type: "string" } }, usage)
    const o: Options = { quick: !!v.quick, only: new Set(["cost", "steps", "spi", "mem", "size"]) }
    if (v.json !== undefined) o.json = path.resolve(v.json)
    if (v.only !== undefined) {
        o.only = new Set(v.only.split(","))
        for (const s of o.only) if (!["cost", "steps", "spi", "mem", "size"].includes(s)) usage("unknown part " + s)
    }
    return o
}

function log(msg: string) {
    const t = ((Date.now() - T_START) / 1000).toFixed(1).padStart(6)
    process.stderr.write(`[bench ${t}s] ${msg}\n`)
}

// ------------------------------------------------------------------ child processes and cleanup

const children = new Set<ChildProcess>()
let sink: net.Server | null = null
const sinkSockets = new Set<net.Socket>()


function cleanup() {
    for (const c of children) killChild(c)
    children.clear()
    for (const s of sinkSockets) s.destroy()
    if (sink) {
        sink.close()
        sink = null
    }
    try {
        fs.rmSync(TMP, { recursive: true, force: true })
        if (fs.readdirSync(TMP_ROOT).length === 0) fs.rmdirSync(TMP_ROOT)
    } catch {}
}

process.on("exit", cleanup)
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
    process.on(sig, () => {
        log(`${sig}: stopping`)
        cleanup()
        process.exit(130)
    })

function spawnCli(args: string[]): ChildProcess {
    const c = spawn(process.execPath, [CLI, ...args], {
        cwd: ROOT,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    })
    children.add(c)
    c.on("exit", () => children.delete(c))
    return c
}


/** The Jacdac TCP peer `devicescript run --tcp` connects to: accepts and discards. */
function startSink(): Promise<void> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer((sock) => {
            sinkSockets.add(sock)
            sock.on("data", () => {})
            sock.on("error", () => {})
            sock.on("close", () => sinkSockets.delete(sock))
        })
        srv.once("error", (e: NodeJS.ErrnoException) => {
            reject(
                new Error(
                    e.code === "EADDRINUSE"
                        ? `127.0.0.1:${SINK_PORT} is in use (another "npm run bench", or a "devicescript devtools"?); run again when it is free`
                        : `cannot listen on 127.0.0.1:${SINK_PORT}: ${e.message}`
                )
            )
        })
        srv.listen(SINK_PORT, "127.0.0.1", () => {
            sink = srv
            resolve()
        })
    })
}

interface BenchLine {
    kind: string
    f: Record<string, string>
}

function parseBenchLine(s: string): BenchLine | null {
    const m = /^@@bench (\S+)(.*)$/.exec(s)
    if (!m) return null
    const f: Record<string, string> = {}
    for (const kv of m[2].trim().split(/\s+/)) {
        const i = kv.indexOf("=")
        if (i > 0) f[kv.slice(0, i)] = kv.slice(i + 1)
    }
    return { kind: m[1], f }
}

/**
 * `devicescript run --tcp file` (no GC stress): the program's "@@bench" lines, until
 * "@@bench:done"; then the simulator is killed. A panic (the simulator would restart the program),
 * an early exit (compile error) or the deadline is an error carrying the output's tail.
 */
function runStreaming(file: string, timeoutMs: number, onLine?: (l: BenchLine) => void): Promise<BenchLine[]> {
    return new Promise((resolve, reject) => {
        const c = spawnCli(["run", "--tcp", path.relative(ROOT, file)])
        const lines: BenchLine[] = []
        const tail: string[] = []
        let settled = false
        let failing: string | null = null
        const finish = (err: Error | null) => {
            if (settled) return
            settled = true
            clearTimeout(timer)
            killChild(c)
            if (err) reject(err)
            else resolve(lines)
        }
        const timer = setTimeout(() => finish(new Error(`${file}: no "@@bench:done" after ${timeoutMs} ms\n${tail.join("\n")}`)), timeoutMs)
        const onText = (raw: string) => {
            const line = stripAnsi(raw)
            tail.push(line)
            if (tail.length > 40) tail.shift()
            const prog = line.startsWith("WASM> ") ? line.slice(6) : null
            if (prog !== null && prog.startsWith("@@bench:done")) return finish(null)
            if (prog !== null && prog.startsWith("@@bench ")) {
                const l = parseBenchLine(prog)
                if (l) {
                    lines.push(l)
                    onLine?.(l)
                }
                return
            }
            if (!failing && (/^PANIC \d+/.test(line) || /Exception: /.test(line) || /^VMERR>/.test(line))) {
                failing = line
                // let the stack trace arrive, then stop the simulator (it would restart the program)
                setTimeout(() => finish(new Error(`${file}: the program failed (${failing})\n${tail.join("\n")}`)), 300)
            }
        }
        readline.createInterface({ input: c.stdout! }).on("line", onText)
        readline.createInterface({ input: c.stderr! }).on("line", onText)
        c.on("exit", (code, sig) => finish(new Error(`${file}: devicescript exited (${code ?? sig}) before "@@bench:done"\n${tail.join("\n")}`)))
    })
}

/**
 * `devicescript run --tcp file` (no GC stress) until the program panics: the exception line and
 * the last "@@n N" line before it. (Without --test the simulator would restart the program.)
 */
function runUntilPanic(file: string, timeoutMs: number): Promise<{ exception: string; lastN: number; started: boolean; tail: string[] }> {
    return new Promise((resolve, reject) => {
        const c = spawnCli(["run", "--tcp", path.relative(ROOT, file)])
        const tail: string[] = []
        let lastN = 0
        let started = false
        let exception = ""
        let settled = false
        const finish = (err: Error | null) => {
            if (settled) return
            settled = true
            clearTimeout(timer)
            killChild(c)
            if (err) reject(err)
            else resolve({ exception, lastN, started, tail })
        }
        const timer = setTimeout(() => finish(new Error(`${file}: no panic after ${timeoutMs} ms\n${tail.join("\n")}`)), timeoutMs)
        const onText = (raw: string) => {
            const line = stripAnsi(raw)
            const m = /^WASM> @@n (\d+)$/.exec(line)
            if (m) {
                if (!exception) lastN = Number(m[1])
                return
            }
            tail.push(line)
            if (tail.length > 30) tail.shift()
            if (line.startsWith("WASM> @@steps start")) started = true
            const e = /Exception: (\w+)/.exec(line)
            if (e && !exception) exception = e[1]
            if (/^PANIC \d+/.test(line)) finish(null)
        }
        readline.createInterface({ input: c.stdout! }).on("line", onText)
        readline.createInterface({ input: c.stderr! }).on("line", onText)
        c.on("exit", (code, sig) => finish(new Error(`${file}: devicescript exited (${code ?? sig}) before a panic\n${tail.join("\n")}`)))
    })
}

/** `devicescript <args>` to completion: exit code and the whole output (ANSI removed). */
function runToEnd(args: string[], timeoutMs: number): Promise<{ code: number | null; text: string; killed: boolean }> {
    return new Promise((resolve) => {
        const c = spawnCli(args)
        let text = ""
        let killed = false
        c.stdout!.setEncoding("utf8").on("data", (d: string) => (text += d))
        c.stderr!.setEncoding("utf8").on("data", (d: string) => (text += d))
        const timer = setTimeout(() => {
            killed = true
            killChild(c)
        }, timeoutMs)
        c.on("close", (code) => {
            clearTimeout(timer)
            resolve({ code, text: stripAnsi(text), killed })
        })
    })
}

/** A limit on simulators running at once (the machine has two cores). */
class Pool {
    private active = 0
    private readonly queue: (() => void)[] = []
    constructor(readonly size: number) {}
    async run<T>(fn: () => Promise<T>): Promise<T> {
        if (this.active >= this.size) await new Promise<void>((r) => this.queue.push(r))
        this.active++
        try {
            return await fn()
        } finally {
            this.active--
            const next = this.queue.shift()
            if (next) next()
        }
    }
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b)
    const n = s.length
    return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

/** Copy a bench program into this run's directory, its imports made to resolve from there. */
function stageProgram(name: string, rewrite?: (src: string) => string): string {
    let src = fs.readFileSync(path.join(ROOT, "bench", name), "utf8")
    src = src.replace(/from "\.\.\//g, 'from "../../').replace(/from "\.\/(\w+)"/g, 'from "../../bench/$1"')
    if (rewrite) src = rewrite(src)
    const out = path.join(TMP, name)
    fs.writeFileSync(out, src)
    return out
}

// ------------------------------------------------------------------ cost

const SIZES = [16, 64, 512, 1472, 4000]
const CFGS = ["default", "hooks8", "fib32", "arp32"]

interface CostResult {
    sampleMs: number
    samples: number
    /** µs per datagram, the best sample (least disturbed by other load), by case, then size */
    us: Record<string, Record<number, number>>
    /** the same, median of the samples */
    usMedian: Record<string, Record<number, number>>
    /** µs per call (best sample), empty closure call subtracted (except for the call rows themselves) */
    micro: Record<string, number>
    checks: string[]
    loadavg: { before: number[]; after: number[] }
}

async function runCost(o: Options): Promise<CostResult> {
    const sampleMs = o.quick ? 25 : 50
    const samples = o.quick ? 2 : 8
    const file = stageProgram("cost.ts", (s) =>
        s.replace(/^const SAMPLE_MS = \d+/m, `const SAMPLE_MS = ${sampleMs}`).replace(/^const SAMPLES = \d+/m, `const SAMPLES = ${samples}`)
    )
    const before = os.loadavg()
    log(`cost: devicescript run --tcp ${path.relative(ROOT, file)} (no GC stress), ${samples} samples of >= ${sampleMs} ms per case; load average ${before.map((x) => x.toFixed(2)).join(" ")}`)
    let nLines = 0
    const lines = await runStreaming(file, (o.quick ? 120 : 240) * 1000, (l) => {
        if (l.kind === "cost" && ++nLines % 20 === 0) log(`cost: ${nLines} cases measured`)
    })
    const after = os.loadavg()
    const raw: Record<string, number[]> = {}
    const micro: Record<string, number[]> = {}
    const checks: string[] = []
    for (const l of lines) {
        if (l.kind === "cost") {
            const { cfg, size, n, ms, bad } = l.f
            if (Number(bad) !== 0) throw new Error(`cost: ${cfg} ${l.f.case} ${size}: ${bad} datagrams not sent/accepted`)
            const key = `${l.f.case === "stack" || l.f.case === "stack-nocache" ? cfg + ":" + l.f.case : l.f.case}|${size}`
            ;(raw[key] ??= []).push((Number(ms) * 1000) / Number(n))
        } else if (l.kind === "micro") {
            ;(micro[l.f.name] ??= []).push((Number(l.f.ms) * 1000) / Number(l.f.n))
        } else if (l.kind === "check") {
            checks.push(Object.entries(l.f).map(([k, v]) => `${k}=${v}`).join(" "))
            if (Number(l.f.drops) !== 0 || Number(l.f.OutDiscards) !== 0) throw new Error(`cost: drops in ${l.f.cfg}: ${JSON.stringify(l.f)}`)
        }
    }
    const us: Record<string, Record<number, number>> = {}
    const usMedian: Record<string, Record<number, number>> = {}
    for (const [key, xs] of Object.entries(raw)) {
        const [name, size] = key.split("|")
        ;(us[name] ??= {})[Number(size)] = Math.min(...xs)
        ;(usMedian[name] ??= {})[Number(size)] = median(xs)
    }
    const m: Record<string, number> = {}
    const best = (xs: number[] | undefined) => (xs ? Math.min(...xs) : 0)
    const call = best(micro["empty-call"])
    const acall = best(micro["empty-async-call"])
    for (const [k, xs] of Object.entries(micro)) {
        const v = best(xs)
        if (k === "empty-call" || k === "empty-async-call") m[k] = v
        else if (k === "sleep0" || k === "drain-run-empty") m[k] = v - acall
        else m[k] = v - call
    }
    return { sampleMs, samples, us, usMedian, micro: m, checks, loadavg: { before, after } }
}

// ------------------------------------------------------------------ steps

const STEP_BUDGET = 131072
const STEP_MARK = Buffer.from("@@stepspec:00:0:000000")
const STEP_CASES: [number, string][] = [
    [1, "floor"],
    [2, "default:stack"],
    [3, "ip"],
    [4, "qdisc"],
    [5, "hand"],
    [6, "hooks8:stack"],
    [7, "fib32:stack"],
    [8, "fib32:stack-nocache"],
    [9, "arp32:stack"],
]

interface StepsResult {
    budget: number
    /** steps of the per-iteration overhead (test, count, print) */
    overhead: number
    /** steps per datagram by case, then size */
    steps: Record<string, Record<number, number>>
    /** the precision of each figure (± steps) */
    error: Record<string, Record<number, number>>
    runs: number
}

async function runSteps(o: Options): Promise<StepsResult> {
    const src = stageProgram("steps.ts")
    log(`steps: compiling ${path.relative(ROOT, src)}`)
    const bin = await buildDevs(src, STEP_MARK)
    const pool = new Pool(2)
    let runs = 0
    let seq = 0
    /** Iterations completed before the watchdog. */
    const iterations = async (c: number, sizeIndex: number, k: number): Promise<number> => {
        const b = Buffer.from(bin)
        Buffer.from(`@@stepspec:${String(c).padStart(2, "0")}:${sizeIndex}:${String(k).padStart(6, "0")}`).copy(b, b.indexOf(STEP_MARK))
        const file = path.join(TMP, `steps-${c}-${sizeIndex}-${k}-${seq++}.devs`)
        fs.writeFileSync(file, b)
        const r = await pool.run(() => runUntilPanic(file, 60000))
        runs++
        fs.rmSync(file, { force: true })
        if (r.exception !== "InfiniteLoop" || !r.started)
            throw new Error(`steps: case ${c} size ${sizeIndex} k ${k}: stopped by ${r.exception || "?"}, not by the watchdog\n${r.tail.join("\n")}`)
        return r.lastN
    }
    const n0 = await iterations(0, 0, 0)
    const ov = Math.round(STEP_BUDGET / n0)
    const steps: StepsResult["steps"] = {}
    const error: StepsResult["error"] = {}
    // Which sizes: the stack and the hand-written sender at every size; the floor and the layers
    // where they change (a single frame's cost does not depend on its length: one native copy);
    // the table variants at 64 bytes (what they add does not depend on the size either).
    const sizesOf = (c: number): number[] =>
        c === 2 || c === 5 ? [16, 64, 512, 1472, 4000] : c === 1 || c === 4 ? [64, 4000] : c === 3 ? [64, 1472, 4000] : [64]
    // K from a generous prior (steps per datagram); if the watchdog stops the run inside the
    // datagrams (the prior was too low), once more with K just below what fitted.
    const prior = (c: number, size: number) => (c === 1 ? 100 : 1.5 * (size <= 512 ? 5000 : size <= 1472 ? 11000 : 26000)) * (size > 1472 ? 3 : 1) / (c === 1 ? 1 : size > 1472 ? 3 : 1)
    const jobs: Promise<void>[] = []
    for (const [c, name] of STEP_CASES) {
        for (const size of sizesOf(c)) {
            if (c === 5 && size > 1472) continue
            const si = SIZES.indexOf(size)
            jobs.push(
                (async () => {
                    let k = Math.max(1, Math.floor((0.85 * STEP_BUDGET) / (prior(c, size) + ov)))
                    let n = await iterations(c, si, k)
                    if (n <= k) {
                        k = Math.max(1, n - 1)
                        n = await iterations(c, si, k)
                    }
                    let v: number
                    let err: number
                    if (n > k) {
                        v = (ov * (n0 - n)) / k
                        err = ov / k
                    } else {
                        // a single datagram does not fit in the budget
                        v = STEP_BUDGET
                        err = NaN
                    }
                    ;(steps[name] ??= {})[size] = v
                    ;(error[name] ??= {})[size] = err
                })()
            )
        }
    }
    await Promise.all(jobs)
    return { budget: STEP_BUDGET, overhead: ov, steps, error, runs }
}

// ------------------------------------------------------------------ spi

interface SpiRow {
    chip: string
    len: number
    transactions: number
    bytes: number
    overhead: number
    xfers: number
    /** checks: frames on the wire = frames sent, no protocol errors, model counts = bus counts */
    ok: boolean
}

interface SpiHwRow {
    runtime: string
    chip: string
    len: number
    tx: number
    rx: number
    idle: number
    /** every frame sent and received, no stale RX FIFO byte */
    ok: boolean
}

/** The RP2040 runtime sleeps up to 1 ms between wake-ups: each native transfer may cost that. */
const RP2040_RESUME_MS = 1

interface SpiResult {
    rows: SpiRow[]
    hw: SpiHwRow[]
    idle: { chip: string; int: boolean; perSecond: number; delayMs: number; frames: number }[]
    polls: { chip: string; transactions: number; bytes: number }[]
    boardHz: number
    txUs: number
    bounds: {
        chip: string
        len: number
        hz: number
        spiOnly: number
        withTx: number
        wire: number
        combined: number
        combinedNote: string
    }[]
}

const TX_US = 10
/** Preamble + SFD (8), FCS (4), inter-frame gap (12) on top of the frame. */
const WIRE_EXTRA = 24

async function runSpi(o: Options): Promise<SpiResult> {
    const file = stageProgram("spi.ts")
    log(`spi: devicescript run --tcp ${path.relative(ROOT, file)}`)
    const lines = await runStreaming(file, 180 * 1000)
    const rows: SpiRow[] = []
    const hw: SpiHwRow[] = []
    const idle: SpiResult["idle"] = []
    const polls: SpiResult["polls"] = []
    for (const l of lines) {
        if (l.kind === "spi") {
            const f = l.f
            const n = Number(f.frames)
            const len = Number(f.len)
            const ok =
                Number(f.bad) === 0 &&
                Number(f.wireFrames) === n &&
                Number(f.protocolErrors) === 0 &&
                Number(f.simTransactions) === Number(f.transactions) &&
                Number(f.simBytes) === Number(f.bytes)
            rows.push({
                chip: f.chip,
                len,
                transactions: Number(f.transactions) / n,
                bytes: Number(f.bytes) / n,
                overhead: Number(f.bytes) / n - len,
                xfers: Number(f.xfers) / n,
                ok,
            })
        } else if (l.kind === "spiidle") {
            idle.push({ chip: l.f.chip, int: l.f.int === "1", perSecond: Number(l.f.perSecond), delayMs: Number(l.f.delayMs), frames: Number(l.f.frames) })
        } else if (l.kind === "spihw") {
            const f = l.f
            hw.push({
                runtime: f.runtime,
                chip: f.chip,
                len: Number(f.len),
                tx: Number(f.txNative),
                rx: Number(f.rxNative),
                idle: Number(f.idleNative),
                ok: Number(f.bad) === 0 && Number(f.received) === Number(f.frames) && Number(f.stale) === 0,
            })
        } else if (l.kind === "spipoll") {
            const n = Number(l.f.polls)
            polls.push({ chip: l.f.chip, transactions: Number(l.f.transactions) / n, bytes: Number(l.f.bytes) / n })
        }
    }
    const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, "devicescript.json"), "utf8"))
    const boardHz: number = cfg?.spi?.hz ?? 20000000
    const bounds: SpiResult["bounds"] = []
    const clocks = [...new Set([20000000, boardHz])]
    for (const r of rows) {
        for (const hz of clocks) {
            const tSpi0 = (8 * r.bytes * 1e6) / hz // µs
            const tSpi = tSpi0 + r.transactions * TX_US
            const mbps = r.chip === "w5500" ? 100 : 10
            const tWire = ((Math.max(r.len, 60) + WIRE_EXTRA) * 8) / mbps // µs
            // W5500: the next frame is staged while the previous is on the wire (its end checked
            // after the write): max(). ENC28J60: one TX buffer, the driver waits for TXIF before
            // writing the next frame: the two add up.
            const serial = r.chip !== "w5500"
            const tComb = serial ? tSpi + tWire : Math.max(tSpi, tWire)
            bounds.push({
                chip: r.chip,
                len: r.len,
                hz,
                spiOnly: 1e6 / tSpi0,
                withTx: 1e6 / tSpi,
                wire: 1e6 / tWire,
                combined: 1e6 / tComb,
                combinedNote: serial ? "SPI(t_x) + wire, serialised" : "max(SPI(t_x), wire), overlapped",
            })
        }
    }
    return { rows, hw, idle, polls, boardHz, txUs: TX_US, bounds }
}

// ------------------------------------------------------------------ mem

const FIXED_PAD = 12288
const GRAIN = 16
const SENDS_WARM = 10
const SENDS_MANY = 10000
/** Larger than any free block once FIXED_PAD is allocated, smaller than the 57,344-byte Buffer limit. */
const PROBE = 57000
const enum V {
    Lib = 0,
    TestDevice = 1,
    Stack = 2,
    StackSocket = 3,
    Sends10 = 4,
    SendsMany = 5,
    W5500 = 6,
    Enc28j60 = 7,
    Pool = 8,
    Neigh16 = 9,
    Rules16 = 10,
    Routes6 = 11,
}
type Prog = "membare" | "memdev" | "memstack" | "memw5500" | "memenc28j60"

/**
 * One program per set of linked modules; the variant (V), the mode (M: 1 = end with an allocation
 * that cannot succeed, so that `-v` prints the heap statistics) and the padding (P) are digits in
 * a string literal, patched into the compiled .devs for each run.
 */
function memSource(prog: Prog): string {
    let body = `let x: any = null\n`
    if (prog === "memstack")
        body =
            `import { memStack, memSends, memTestDevice, memPool, memStackNeigh16, memStackRules16, memStackRoutes6 } from "../../bench/memstack"\n` +
            body +
            `if (V === ${V.TestDevice}) x = memTestDevice()\n` +
            `else if (V === ${V.Stack}) x = memStack(false)\n` +
            `else if (V === ${V.StackSocket}) x = memStack(true)\n` +
            `else if (V === ${V.Sends10}) x = await memSends(${SENDS_WARM})\n` +
            `else if (V === ${V.SendsMany}) x = await memSends(${SENDS_WARM + SENDS_MANY})\n` +
            `else if (V === ${V.Pool}) x = memPool()\n` +
            `else if (V === ${V.Neigh16}) x = memStackNeigh16()\n` +
            `else if (V === ${V.Rules16}) x = memStackRules16()\n` +
            `else if (V === ${V.Routes6}) x = memStackRoutes6()\n`
    else if (prog === "memdev")
        body = `import { memDevice } from "../../bench/memdev"\n` + body + `if (V === ${V.TestDevice}) x = memDevice()\n`
    else if (prog === "memw5500")
        body = `import { memW5500 } from "../../bench/memdrv"\n` + body + `if (V === ${V.W5500}) x = memW5500()\n`
    else if (prog === "memenc28j60")
        body = `import { memEnc28j60 } from "../../bench/memdrv"\n` + body + `if (V === ${V.Enc28j60}) x = memEnc28j60()\n`
    // imports are hoisted; the padding is the first thing the main program allocates
    return (
        `// generated by host/bench/run.ts\n` +
        `import * as ds from "@devicescript/core"\n` +
        `const SPEC = "@@memspec:00:0:00000000"\n` +
        `const V = parseInt(SPEC.slice(10, 12))\n` +
        `const M = parseInt(SPEC.slice(13, 14))\n` +
        `const pad0 = Buffer.alloc(${FIXED_PAD})\n` +
        `const pad1 = Buffer.alloc(parseInt(SPEC.slice(15)))\n` +
        body +
        `console.log("@@bench memok v=" + V + " pad=" + (pad0.length + pad1.length) + " x=" + (x === null ? 0 : 1))\n` +
        `if (M === 1) console.log("probe " + Buffer.alloc(${PROBE}).length)\n` +
        `ds.restart()\n`
    )
}

const MARK = Buffer.from("@@memspec:00:0:00000000")

/** Compile once; the compiled program is patched per run. */
async function buildMem(prog: Prog): Promise<Buffer> {
    const src = path.join(TMP, prog + ".ts")
    fs.writeFileSync(src, memSource(prog))
    return await buildDevs(src, MARK)
}

/** `devicescript build` of a staged program; its bytecode, which must contain `mark`. */
async function buildDevs(src: string, mark: Buffer): Promise<Buffer> {
    const name = path.basename(src, ".ts")
    for (let attempt = 0; attempt < 3; attempt++) {
        const r = await runToEnd(["build", path.relative(ROOT, src)], 120000)
        if (r.code !== 0) throw new Error(`devicescript build ${name} failed\n${r.text}`)
        // .devicescript/bin is shared with every other devicescript run: make sure this is ours
        const bin = fs.readFileSync(path.join(BINDIR, "bytecode.devs"))
        if (bin.indexOf(mark) >= 0 && bin.indexOf(Buffer.from(TMP_REL + name)) >= 0) return bin
        log(`${name}: bytecode.devs was overwritten by another devicescript run, building again`)
    }
    throw new Error(`could not get the compiled ${name}`)
}

type Fit = "ok" | "oom"
interface HeapStats {
    objects: number
    used: number
    free: number
    maxBlock: number
}

class MemRunner {
    runs = 0
    private seq = 0
    /** Runs started, by program, variant and padding: two searches asking the same question share one run. */
    private readonly cache = new Map<string, Promise<Fit>>()
    constructor(
        readonly pool: Pool,
        readonly bins: Record<Prog, Buffer>
    ) {}

    private async run(prog: Prog, v: V, probe: boolean, pad: number, timeoutMs: number) {
        if (pad < 0 || pad > 57344) throw new Error(`mem: padding ${pad} out of range`)
        const spec = Buffer.from(`@@memspec:${String(v).padStart(2, "0")}:${probe ? 1 : 0}:${String(pad).padStart(8, "0")}`)
        const b = Buffer.from(this.bins[prog])
        spec.copy(b, b.indexOf(MARK))
        const file = path.join(TMP, `${prog}-${v}-${pad}-${this.seq++}.devs`)
        fs.writeFileSync(file, b)
        const args = [...(probe ? ["-v"] : []), "run", path.relative(ROOT, file), "--test", "-k", "-T", String(timeoutMs)]
        const r = await this.pool.run(() => runToEnd(args, timeoutMs + 30000))
        this.runs++
        fs.rmSync(file, { force: true })
        return r
    }

    /** Heap statistics at the end of the variant (exact: the GC has just run), padding 0. */
    async stats(prog: Prog, v: V, timeoutMs = 60000): Promise<HeapStats> {
        const r = await this.run(prog, v, true, 0, timeoutMs)
        const m = [...r.text.matchAll(/stats: (\d+) objects, (\d+) B used, (\d+) B free \((\d+) B max block\)/g)].pop()
        if (!/@@bench memok/.test(r.text) || !m || !(Number(/devs: OOM \((\d+) bytes\)/.exec(r.text)?.[1]) >= PROBE))
            throw new Error(`mem: ${prog} variant ${v}: no heap statistics at the end (exit ${r.code}${r.killed ? ", killed" : ""})\n${r.text.split("\n").slice(-25).join("\n")}`)
        return { objects: Number(m[1]), used: Number(m[2]), free: Number(m[3]), maxBlock: Number(m[4]) }
    }

    /** Does the variant complete with `pad` more bytes of padding? */
    fits(prog: Prog, v: V, pad: number, timeoutMs: number): Promise<Fit> {
        const key = `${prog}:${v}:${pad}`
        let f = this.cache.get(key)
        if (!f) {
            f = this.run(prog, v, false, pad, timeoutMs).then((r): Fit => {
                if (r.code === 0 && /@@bench memok/.test(r.text)) return "ok"
                if (/Exception: OutOfMemory/.test(r.text)) return "oom"
                throw new Error(`mem: ${prog} variant ${v} pad ${pad}: neither completed nor ran out of memory (exit ${r.code}${r.killed ? ", killed" : ""})\n${r.text.split("\n").slice(-25).join("\n")}`)
            })
            this.cache.set(key, f)
        }
        return f
    }

    /**
     * The largest padding (a multiple of GRAIN) with which the variant completes, searching
     * [lo, hi] (hints, verified first), two probes at a time (the interval shrinks 3x per step).
     */
    async largest(prog: Prog, v: V, lo: number, hi: number, timeoutMs = 60000): Promise<number> {
        const g = (x: number) => Math.max(0, Math.floor(x / GRAIN) * GRAIN)
        lo = g(lo)
        hi = Math.min(57344, g(hi))
        await Promise.all([this.fits(prog, v, lo, timeoutMs), this.fits(prog, v, hi, timeoutMs)])
        for (let i = 0; i < 8 && lo > 0 && (await this.fits(prog, v, lo, timeoutMs)) !== "ok"; i++) {
            const w = Math.max(1024, (hi - lo) * 4)
            hi = lo
            lo = g(lo - w)
        }
        if ((await this.fits(prog, v, lo, timeoutMs)) !== "ok") throw new Error(`mem: ${prog} variant ${v} does not fit even without padding`)
        for (let i = 0; i < 8 && hi < 57344 && (await this.fits(prog, v, hi, timeoutMs)) === "ok"; i++) {
            lo = hi
            hi = Math.min(57344, g(hi + 4096))
        }
        while (hi - lo > GRAIN) {
            const step = (hi - lo) / 3
            let p1 = g(lo + step)
            let p2 = g(lo + 2 * step)
            if (p1 <= lo) p1 = lo + GRAIN
            if (p2 <= p1) p2 = p1 + GRAIN
            if (p2 >= hi) p2 = -1
            const [f1, f2] = await Promise.all([
                this.fits(prog, v, p1, timeoutMs),
                p2 > 0 ? this.fits(prog, v, p2, timeoutMs) : Promise.resolve<Fit>("oom"),
            ])
            if (p2 > 0 && f2 === "ok") lo = p2
            else if (f1 === "ok") {
                lo = p1
                if (p2 > 0) hi = p2
            } else hi = p1
        }
        return lo
    }
}

interface MemResult {
    /** used + free as the simulator reports it */
    heapBytes: number
    fixedPad: number
    runs: number
    /** heap statistics at the end of each variant, padding FIXED_PAD + 0 */
    stats: Record<string, HeapStats>
    /** bytes, from differences of `used` */
    footprint: {
        runtimeBaseline: number
        stackStatics: number
        testDevice: number
        netStack: number
        netStackObjects: number
        udpSocket: number
        stackTotal: number
        w5500Statics: number
        w5500Driver: number
        enc28j60Statics: number
        enc28j60Driver: number
        packetPool: number
        perNeighbour: number
        perHookRule: number
        perRoute: number
    }
    leftToApp: { w5500: number; enc28j60: number }
    /** the external measure: largest padding (FIXED_PAD + searched part) that completes */
    largestPad: { stackSocket: number; sends10: number; sendsManyAtSends10: boolean; sendsManyAtSends10PlusGrain: boolean; sendsMany: number }
    sends: { warm: number; many: number; retainedBytes: number; peakEqual: boolean }
}

async function runMem(o: Options): Promise<MemResult> {
    log(`mem: compiling the bare program, the TestDevice program, the stack program and one program per driver`)
    const bins = {
        membare: await buildMem("membare"),
        memdev: await buildMem("memdev"),
        memstack: await buildMem("memstack"),
        memw5500: await buildMem("memw5500"),
        memenc28j60: await buildMem("memenc28j60"),
    }
    const mr = new MemRunner(new Pool(2), bins)
    const manyTimeout = 600000
    log(`mem: heap statistics at the end of each variant (devicescript -v run --test: GC on every allocation); ${SENDS_MANY} sends under GC stress take a while`)
    const st: Record<string, HeapStats> = {}
    const jobs: [string, Prog, V, number][] = [
        ["sendsMany", "memstack", V.SendsMany, manyTimeout],
        ["bare", "membare", V.Lib, 60000],
        ["devLib", "memdev", V.Lib, 60000],
        ["stackLib", "memstack", V.Lib, 60000],
        ["testDevice", "memstack", V.TestDevice, 60000],
        ["stack", "memstack", V.Stack, 60000],
        ["stackSocket", "memstack", V.StackSocket, 60000],
        ["sends10", "memstack", V.Sends10, 60000],
        ["w5500Lib", "memw5500", V.Lib, 60000],
        ["w5500", "memw5500", V.W5500, 60000],
        ["enc28j60Lib", "memenc28j60", V.Lib, 60000],
        ["enc28j60", "memenc28j60", V.Enc28j60, 60000],
        ["pool", "memstack", V.Pool, 60000],
        ["neigh16", "memstack", V.Neigh16, 60000],
        ["rules16", "memstack", V.Rules16, 60000],
        ["routes6", "memstack", V.Routes6, 60000],
    ]
    const statsDone = Promise.all(
        jobs.map(async ([name, prog, v, t]) => {
            st[name] = await mr.stats(prog, v, t)
            log(`mem: ${name}: ${st[name].objects} objects, ${st[name].used} B used, ${st[name].free} B free`)
        })
    )
    // the external measure, from the hint the statistics give (one slot of the pool meanwhile)
    await statsDone
    const g = (x: number) => Math.floor(x / GRAIN) * GRAIN
    log(`mem: largest padding for stack + socket, and for stack + socket + ${SENDS_WARM} sends (the external measure)`)
    const [pSock, p10] = await Promise.all([
        // hints: construction peaks a little above the end state; the sends add the 4,000-byte payload
        // and their frames (a wrong hint only costs runs: the search widens it)
        mr.largest("memstack", V.StackSocket, g(st.stackSocket.maxBlock) - 1280, g(st.stackSocket.maxBlock) + 16),
        mr.largest("memstack", V.Sends10, g(st.sends10.maxBlock) - 4864, g(st.sends10.maxBlock) - 4224),
    ])
    log(`mem: ${SENDS_MANY} more sends at that padding, and ${GRAIN} B above it`)
    const [okAt, okAbove] = await Promise.all([
        mr.fits("memstack", V.SendsMany, p10, manyTimeout),
        mr.fits("memstack", V.SendsMany, p10 + GRAIN, manyTimeout),
    ])
    let pMany = p10
    if (okAt !== "ok") pMany = await mr.largest("memstack", V.SendsMany, p10 - 4096, p10, manyTimeout)
    else if (okAbove === "ok") pMany = await mr.largest("memstack", V.SendsMany, p10 + GRAIN, p10 + 4096, manyTimeout)

    const u = (k: string) => st[k].used
    // the stack's program links the benchmark's TestDevice too: its class goes to the TestDevice row
    const stackStatics = u("stackLib") - u("devLib")
    const netStack = u("stack") - u("testDevice")
    const udpSocket = u("stackSocket") - u("stack")
    const fp = {
        runtimeBaseline: u("bare") - FIXED_PAD,
        stackStatics,
        testDevice: u("testDevice") - u("stackLib") + (u("devLib") - u("bare")),
        netStack,
        netStackObjects: st.stack.objects - st.testDevice.objects,
        udpSocket,
        stackTotal: stackStatics + netStack + udpSocket,
        w5500Statics: u("w5500Lib") - u("bare"),
        w5500Driver: u("w5500") - u("w5500Lib"),
        enc28j60Statics: u("enc28j60Lib") - u("bare"),
        enc28j60Driver: u("enc28j60") - u("enc28j60Lib"),
        packetPool: u("pool") - u("stackLib"),
        perNeighbour: (u("neigh16") - u("stack")) / 8,
        perHookRule: (u("rules16") - u("stack")) / 16,
        perRoute: (u("routes6") - u("stack")) / 6,
    }
    const heap = st.bare.used + st.bare.free
    // what a program may still allocate: the heap, less the runtime's own, the stack and socket, one driver (and the drivers' statics)
    const left = (statics: number, drv: number) => heap - fp.runtimeBaseline - fp.stackTotal - statics - drv
    return {
        heapBytes: heap,
        fixedPad: FIXED_PAD,
        runs: mr.runs,
        stats: st,
        footprint: fp,
        leftToApp: { w5500: left(fp.w5500Statics, fp.w5500Driver), enc28j60: left(fp.enc28j60Statics, fp.enc28j60Driver) },
        largestPad: {
            stackSocket: FIXED_PAD + pSock,
            sends10: FIXED_PAD + p10,
            sendsManyAtSends10: okAt === "ok",
            sendsManyAtSends10PlusGrain: okAbove === "ok",
            sendsMany: FIXED_PAD + pMany,
        },
        sends: { warm: SENDS_WARM, many: SENDS_MANY, retainedBytes: u("sendsMany") - u("sends10"), peakEqual: pMany === p10 },
    }
}

// ------------------------------------------------------------------ the table

function fmt(x: number | undefined, d = 1): string {
    return x === undefined || Number.isNaN(x) ? "-" : x.toFixed(d)
}

function table(rows: string[][], align?: ("l" | "r")[]): string {
    const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)))
    return rows
        .map((r) => r.map((c, i) => ((align?.[i] ?? (i === 0 ? "l" : "r")) === "l" ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  "))
        .join("\n")
}

function printCost(c: CostResult) {
    const u = c.us
    const out: string[] = []
    out.push(`1. Cost per UDP datagram, µs (simulator, no GC stress; best of ${c.samples} samples of >= ${c.sampleMs} ms per case)`)
    const hdr = ["payload bytes", ...SIZES.map((s) => (s > 1472 ? `${s} (3 frags)` : String(s)))]
    const row = (label: string, key: string) => [label, ...SIZES.map((s) => fmt(u[key]?.[s]))]
    out.push(
        table([
            hdr,
            row("floor: startXmit(prebuilt)", "floor"),
            row("stack (default config)", "default:stack"),
            ["stack / floor", ...SIZES.map((s) => fmt(u["default:stack"]?.[s] / u.floor?.[s], 2))],
            row("hand-written 1 function", "hand"),
            ["hand / floor", ...SIZES.map((s) => fmt(u.hand?.[s] / u.floor?.[s], 2))],
            row("hooks: 8+8 non-matching", "hooks8:stack"),
            row("FIB 32, route cached", "fib32:stack"),
            row("FIB 32, cache defeated", "fib32:stack-nocache"),
            row("ARP table 32, dst last", "arp32:stack"),
        ])
    )
    const r64 = u["default:stack"]?.[64] / u.floor?.[64]
    const r1472 = u["default:stack"]?.[1472] / u.floor?.[1472]
    out.push(
        `   targets: stack / floor at most 5 at 64 bytes: ${fmt(r64, 1)}, ${r64 <= 5 ? "met" : "MISSED"}; under 2 at 1,472 bytes: ` +
            `${fmt(r1472, 1)}, ${r1472 < 2 ? "met" : "MISSED"} (README, Benchmarks: why)`
    )
    out.push("")
    out.push("   where the default-config time goes (µs per datagram, by layers, from entry points below the socket)")
    const d = (a: string, b: string) => SIZES.map((s) => fmt((u[a]?.[s] ?? NaN) - (b ? u[b]?.[s] ?? NaN : 0)))
    out.push(
        table([
            ["layer", ...SIZES.map(String)],
            ["socket (sendTo: checks, payload sum, cache)", ...d("default:stack", "ip")],
            ["IP output (queueXmit .. enqueue, in place)", ...d("ip", "qdisc")],
            ["qdisc reserve/copy/enqueue + drain", ...d("qdisc", "floor")],
            ["device (floor)", ...d("floor", "")],
        ])
    )
    out.push("")
    out.push("   micro-benchmarks, µs per call (an empty closure call subtracted; async ones: an empty async call)")
    const m = c.micro
    const keys = Object.keys(m)
    const half = Math.ceil(keys.length / 2)
    const mrows: string[][] = []
    for (let i = 0; i < half; i++) {
        const a = keys[i]
        const b = keys[i + half]
        mrows.push([a, fmt(m[a], 2), "   " + (b ?? ""), b ? fmt(m[b], 2) : ""])
    }
    out.push(table(mrows, ["l", "r", "l", "r"]))
    out.push(`   load average before/after: ${c.loadavg.before.map((x) => x.toFixed(2)).join(" ")} / ${c.loadavg.after.map((x) => x.toFixed(2)).join(" ")} (${os.cpus().length} CPUs)`)
    console.log(out.join("\n"))
}

function printSteps(r: StepsResult) {
    const st = r.steps
    const out: string[] = []
    out.push(`1b. Bytecode steps per datagram (deterministic: counted against the ${r.budget}-step watchdog; ${r.runs} runs)`)
    const row = (label: string, key: string) => [label, ...SIZES.map((s) => (st[key]?.[s] === undefined ? "-" : fmt(st[key][s], 0)))]
    out.push(
        table([
            ["payload bytes", ...SIZES.map((s) => (s > 1472 ? `${s} (3 frags)` : String(s)))],
            row("floor: startXmit(prebuilt)", "floor"),
            row("stack (default config)", "default:stack"),
            ["stack / floor", ...SIZES.map((s) => fmt(st["default:stack"]?.[s] / st.floor?.[s], 1))],
            ["stack, % of the watchdog budget", ...SIZES.map((s) => fmt((100 * st["default:stack"]?.[s]) / r.budget, 1))],
            row("hand-written 1 function", "hand"),
            row("  socket layer (stack - ip)", "_sock"),
            row("  IP output (ip - qdisc)", "_ip"),
            row("  qdisc + drain (qdisc - floor)", "_q"),
            row("hooks: 8+8 non-matching", "hooks8:stack"),
            row("FIB 32, route cached", "fib32:stack"),
            row("FIB 32, cache defeated", "fib32:stack-nocache"),
            row("ARP table 32, dst last", "arp32:stack"),
        ])
    )
    const maxErr = Math.max(...Object.values(r.error).flatMap((x) => Object.values(x)))
    out.push(`   precision: within ${fmt(maxErr, 1)} steps; an iteration's own overhead (${r.overhead} steps) is subtracted. Floor, qdisc and IP layers`)
    out.push(`   measured at 64 (and 1472) and 4000 bytes and shown for the other single-frame sizes; table variants at 64 bytes only`)
    console.log(out.join("\n"))
}

function addStepLayers(r: StepsResult) {
    const st = r.steps
    // one frame costs the same whatever its length (one native copy): the 64-byte figures stand for 16..1472
    for (const key of ["floor", "qdisc"]) for (const s of [16, 512, 1472]) if (st[key]?.[64] !== undefined && st[key][s] === undefined) st[key][s] = st[key][64]
    for (const s of [16, 512]) if (st.ip?.[64] !== undefined && st.ip[s] === undefined) st.ip[s] = st.ip[64]
    for (const s of SIZES) {
        if (st["default:stack"]?.[s] !== undefined && st.ip?.[s] !== undefined) (st._sock ??= {})[s] = st["default:stack"][s] - st.ip[s]
        if (st.ip?.[s] !== undefined && st.qdisc?.[s] !== undefined) (st._ip ??= {})[s] = st.ip[s] - st.qdisc[s]
        if (st.qdisc?.[s] !== undefined && st.floor?.[s] !== undefined) (st._q ??= {})[s] = st.qdisc[s] - st.floor[s]
    }
}

function printSpi(s: SpiResult) {
    const out: string[] = []
    out.push("2. SPI traffic per transmitted frame, steady state (driver over SimSpiBus + chip model on a segment)")
    out.push(
        table([
            ["chip", "frame B", "transactions", "bytes", "overhead B", "driver xfers", "checks"],
            ...s.rows.map((r) => [r.chip, String(r.len), fmt(r.transactions, 2), fmt(r.bytes, 1), fmt(r.overhead, 1), fmt(r.xfers, 2), r.ok ? "ok" : "MISMATCH"]),
        ])
    )
    out.push(`   idle receive poll: ${s.polls.map((p) => `${p.chip} ${fmt(p.transactions, 1)} transactions / ${fmt(p.bytes, 0)} B`).join(", ")}`)
    const maxOf = (chip: string, k: "transactions" | "overhead") => Math.max(...s.rows.filter((r) => r.chip === chip).map((r) => r[k]))
    const wTx = maxOf("w5500", "transactions")
    const eTx = maxOf("enc28j60", "transactions")
    const wOver = maxOf("w5500", "overhead")
    const eOver = maxOf("enc28j60", "overhead")
    // 17: the W5500 reads both bytes of Sn_TX_RD to judge a SEND finished (safe however it advances)
    const spiMet = wTx <= 5 && eTx <= 7 && Math.max(wOver, eOver) <= 17
    out.push(
        `   targets: W5500 at most 5 transactions a frame (${fmt(wTx, 0)}), ENC28J60 at most 7 (${fmt(eTx, 0)}), ` +
            `at most 17 bytes besides the frame (${fmt(wOver, 0)} / ${fmt(eOver, 0)}): ${spiMet ? "met" : "MISSED"}`
    )
    out.push("")
    out.push("   the board's bus (HardwareSpiBus) over each runtime's native-SPI model: spiXfer calls per frame")
    out.push(
        table([
            ["runtime", "chip", "frame B", "per TX frame", "per RX frame", "idle poll", `TX frames/s at ${RP2040_RESUME_MS} ms a call`, "checks"],
            ...s.hw.map((r) => [
                r.runtime,
                r.chip,
                String(r.len),
                fmt(r.tx, 2),
                fmt(r.rx, 2),
                fmt(r.idle, 2),
                r.runtime === "rp2040" ? fmt(1000 / (RP2040_RESUME_MS * r.tx), 0) : "-",
                r.ok ? "ok" : "MISMATCH",
            ]),
        ])
    )
    const hwMax = (chip: string) => Math.max(...s.hw.filter((r) => r.chip === chip).map((r) => r.tx))
    const hwW = hwMax("w5500")
    const hwE = hwMax("enc28j60")
    out.push(
        `   targets: at most 3 native transfers per W5500 TX frame (${fmt(hwW, 2)}): ${hwW <= 3 ? "met" : "MISSED"}; ` +
            `at most 4 per ENC28J60 TX frame (${fmt(hwE, 2)}): ${hwE <= 4 ? "met" : "MISSED"}; ` +
            `every transfer full duplex (no stale RX FIFO byte): ${s.hw.every((r) => r.ok) ? "met" : "MISSED"}`
    )
    out.push("")
    out.push("   idle: the poll task running with nothing received, then a frame's delay from arrival to delivery")
    out.push(
        table([
            ["chip", "INT line", "SPI transactions/s idle", "arrival to delivery (ms)", "frames"],
            ...s.idle.map((r) => [r.chip, r.int ? "read" : "none", fmt(r.perSecond, 1), fmt(r.delayMs, 1), String(r.frames)]),
        ])
    )
    const worst = (g: boolean) => Math.max(...s.idle.filter((r) => r.int === g).map((r) => r.perSecond))
    out.push(
        `   targets: with INT at most 2 transactions a second idle (${fmt(worst(true), 1)}): ${worst(true) <= 2 ? "met" : "MISSED"}; ` +
            `without, at most 20 (${fmt(worst(false), 1)}): ${worst(false) <= 20 ? "met" : "MISSED"}; ` +
            `every frame delivered: ${s.idle.every((r) => r.frames === 10) ? "met" : "MISSED"}`
    )
    out.push("")
    out.push(`   frames/s bounds: t = 8*bytes/clock + transactions*t_x, t_x = ${s.txUs} µs per chip-select window; board spi.hz = ${s.boardHz / 1e6} MHz`)
    out.push(
        table([
            ["chip", "frame B", "clock MHz", "SPI only (t_x=0)", `SPI, t_x=${s.txUs}µs`, "wire", "SPI(t_x)+wire", "how"],
            ...s.bounds.map((b) => [b.chip, String(b.len), String(b.hz / 1e6), fmt(b.spiOnly, 0), fmt(b.withTx, 0), fmt(b.wire, 0), fmt(b.combined, 0), b.combinedNote]),
        ])
    )
    console.log(out.join("\n"))
}

function printMem(m: MemResult) {
    const f = m.footprint
    const st = m.stats
    const out: string[] = []
    out.push(`3. Heap: ${m.heapBytes} B in the simulator (the 64 KB of ESP32/RP2040). Exact live bytes from the simulator's own statistics at the end`)
    out.push(`   of each variant (devicescript -v run --test: a GC on every allocation, then an allocation that cannot succeed prints them)`)
    out.push(
        table([
            ["what", "bytes", "objects"],
            ["runtime, empty program", String(f.runtimeBaseline), String(st.bare.objects - 1)],
            ["statics of the linked stack code", String(f.stackStatics), String(st.stackLib.objects - st.devLib.objects)],
            ["TestDevice (its class and 1,514-byte sink; not the stack)", String(f.testDevice), String(st.testDevice.objects - st.stackLib.objects + st.devLib.objects - st.bare.objects)],
            ["NetStack, default configuration", String(f.netStack), String(f.netStackObjects)],
            ["  of which the packet pool (qdisc + ARP pending)", String(f.packetPool), String(st.pool.objects - st.stackLib.objects)],
            ["  each neighbour entry (capacity, preallocated)", fmt(f.perNeighbour, 0), ""],
            ["  each hook rule (when added)", fmt(f.perHookRule, 0), ""],
            ["  each route added (the slots are preallocated, 20 B each)", fmt(f.perRoute, 0), ""],
            ["one UDP socket", String(f.udpSocket), String(st.stackSocket.objects - st.stack.objects)],
            ["= stack: statics + NetStack + socket", String(f.stackTotal), ""],
            ["statics of the linked W5500 driver code", String(f.w5500Statics), String(st.w5500Lib.objects - st.bare.objects)],
            ["W5500Device", String(f.w5500Driver), String(st.w5500.objects - st.w5500Lib.objects)],
            ["statics of the linked ENC28J60 driver code", String(f.enc28j60Statics), String(st.enc28j60Lib.objects - st.bare.objects)],
            ["Enc28j60Device", String(f.enc28j60Driver), String(st.enc28j60.objects - st.enc28j60Lib.objects)],
            ["left to the application: stack + socket + W5500", String(m.leftToApp.w5500), ""],
            ["left to the application: stack + socket + ENC28J60", String(m.leftToApp.enc28j60), ""],
        ])
    )
    const kb = (x: number) => (x / 1024).toFixed(1) + " KB"
    out.push(
        `   targets: the stack (statics + NetStack + socket) at most 12 KB: ${kb(f.stackTotal)}, ` +
            (f.stackTotal <= 12 * 1024 ? "met" : "MISSED") +
            `; at least 48 KB left to the application with a driver: W5500 ${kb(m.leftToApp.w5500)}, ENC28J60 ${kb(m.leftToApp.enc28j60)}, ` +
            (Math.min(m.leftToApp.w5500, m.leftToApp.enc28j60) >= 48 * 1024 ? "met" : "MISSED")
    )
    const p = m.largestPad
    out.push(`   external measure (largest Buffer a program can allocate first and still complete, ${GRAIN} B steps; ${m.runs} simulator runs in all):`)
    out.push(`     stack + socket: ${p.stackSocket} B (free at the end of the same program: ${st.stackSocket.free + m.fixedPad} B incl. the padding)`)
    out.push(`     stack + socket + 4,000-byte payload + ${m.sends.warm} sends (16/64/512/1472/4000 B in turn): ${p.sends10} B`)
    out.push(
        `     ... + ${m.sends.many} more sends: ${p.sendsMany} B: ` +
            (m.sends.peakEqual
                ? `equal (completes at ${p.sends10}, not at ${p.sends10 + GRAIN}): no higher peak`
                : `DIFFERENT by ${p.sends10 - p.sendsMany} B`) +
            `; live bytes after them vs after ${m.sends.warm}: ${m.sends.retainedBytes >= 0 ? "+" : ""}${m.sends.retainedBytes} B retained`
    )
    console.log(out.join("\n"))
}

async function main() {
    const o = parseArgs(process.argv.slice(2))
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm ci first`)
    fs.rmSync(TMP, { recursive: true, force: true })
    fs.mkdirSync(TMP, { recursive: true })
    const result: Record<string, unknown> = {
        date: new Date().toISOString(),
        host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    }
    let cost: CostResult | undefined
    let spi: SpiResult | undefined
    let mem: MemResult | undefined
    let steps: StepsResult | undefined
    if (o.only.has("cost") || o.only.has("spi") || o.only.has("steps")) await startSink()
    if (o.only.has("cost")) result.cost = cost = await runCost(o)
    if (o.only.has("steps")) {
        result.steps = steps = await runSteps(o)
        addStepLayers(steps)
    }
    if (o.only.has("spi")) result.spi = spi = await runSpi(o)
    for (const s of sinkSockets) s.destroy()
    sink?.close()
    sink = null
    if (o.only.has("mem")) result.mem = mem = await runMem(o)
    let size: SizeResult | undefined
    if (o.only.has("size")) result.size = size = await runSize(log)
    result.seconds = (Date.now() - T_START) / 1000
    console.log("")
    if (cost) printCost(cost)
    if (steps) {
        console.log("")
        printSteps(steps)
    }
    if (spi) {
        console.log("")
        printSpi(spi)
    }
    if (mem) {
        console.log("")
        printMem(mem)
    }
    if (size) {
        console.log("")
        console.log(printSize(size, table))
    }
    console.log(`\n(${result.seconds} s)`)
    if (o.json) {
        fs.writeFileSync(o.json, JSON.stringify(result, null, 2) + "\n")
        log(`figures written to ${o.json}`)
    }
}

main().then(
    () => {
        cleanup()
        process.exit(0)
    },
    (e) => {
        console.error(`npm run bench: ${e instanceof Error ? e.message : e}`)
        cleanup()
        process.exit(1)
    }
)
