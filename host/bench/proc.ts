// `npm run bench`: the child processes and the files every part shares. Generated files go to
// .bench-tmp/<pid>/ (removed at the end, also on failure or Ctrl-C); every child process is killed
// at the end; the Jacdac TCP sink that `devicescript run --tcp` needs; the "@@bench" line protocol.

import { spawn, ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import * as readline from "node:readline"
import { killChild } from "../fuzz/devs"
import { stripAnsi } from "../test/devs-run"

export const ROOT = path.resolve(__dirname, "..", "..")
export const CLI = path.join(ROOT, "node_modules", "@devicescript", "cli", "built", "devicescript-cli.cjs")
export const TMP_ROOT = path.join(ROOT, ".bench-tmp")
/** This run's own directory (another run may be going on); two levels below the root. */
export const TMP = path.join(TMP_ROOT, String(process.pid))
export const TMP_REL = ".bench-tmp/" + process.pid + "/"
export const BINDIR = path.join(ROOT, ".devicescript", "bin")
export const SINK_PORT = 8082
export const T_START = Date.now()

export interface Options {
    json?: string
    quick: boolean
    only: Set<string>
}

export function log(msg: string) {
    const t = ((Date.now() - T_START) / 1000).toFixed(1).padStart(6)
    process.stderr.write(`[bench ${t}s] ${msg}\n`)
}

// ------------------------------------------------------------------ child processes and cleanup

const children = new Set<ChildProcess>()
let sink: net.Server | null = null
const sinkSockets = new Set<net.Socket>()


export function cleanup() {
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

export function spawnCli(args: string[]): ChildProcess {
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
export function startSink(): Promise<void> {
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

/** Close the sink and its connections (the parts that need it are done). */
export function stopSink() {
    for (const s of sinkSockets) s.destroy()
    sink?.close()
    sink = null
}

export interface BenchLine {
    kind: string
    f: Record<string, string>
}

export function parseBenchLine(s: string): BenchLine | null {
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
export function runStreaming(file: string, timeoutMs: number, onLine?: (l: BenchLine) => void): Promise<BenchLine[]> {
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
export function runUntilPanic(file: string, timeoutMs: number): Promise<{ exception: string; lastN: number; started: boolean; tail: string[] }> {
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
export function runToEnd(args: string[], timeoutMs: number): Promise<{ code: number | null; text: string; killed: boolean }> {
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
export class Pool {
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

/** Copy a bench program into this run's directory, its imports made to resolve from there. */
export function stageProgram(name: string, rewrite?: (src: string) => string): string {
    let src = fs.readFileSync(path.join(ROOT, "bench", name), "utf8")
    src = src.replace(/from "\.\.\//g, 'from "../../').replace(/from "\.\/(\w+)"/g, 'from "../../bench/$1"')
    if (rewrite) src = rewrite(src)
    const out = path.join(TMP, name)
    fs.writeFileSync(out, src)
    return out
}

/** `devicescript build` of a staged program; its bytecode, which must contain `mark`. */
export async function buildDevs(src: string, mark: Buffer): Promise<Buffer> {
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
