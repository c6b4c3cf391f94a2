// Process and namespace plumbing for the Linux interop spec. Everything started here is registered
// and removed by cleanup(), which the spec runs in its after hook and which also runs on process
// exit and on SIGINT/SIGTERM (synchronously there: kill by pid, `ip netns del`). Background
// processes run under `setpriv --pdeathsig KILL` (util-linux) so that they die with this process
// even when it is killed outright; a namespace left that way is removed by the next run. Every wait
// is bounded. While the bridge runs in this process, nothing may block the event loop for long: the
// commands run during the tests are asynchronous (run()), never spawnSync.

import { spawn, spawnSync, ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import { which } from "../../host/bridge/tap"

const SETPRIV = which("setpriv")
/** `cmd args` so that it is killed when this process dies (PR_SET_PDEATHSIG), where setpriv exists. */
function orphanProof(cmd: string, args: string[]): [string, string[]] {
    return SETPRIV ? [SETPRIV, ["--pdeathsig", "KILL", cmd, ...args]] : [cmd, args]
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g

/** A background process with its output kept as lines (the last 5,000). */
export class Proc {
    readonly lines: string[] = []
    exited: { code: number | null; signal: string | null } | null = null
    private waiters: (() => void)[] = []

    constructor(
        readonly name: string,
        readonly child: ChildProcess
    ) {
        const take = (stream: NodeJS.ReadableStream | null, tag: string) => {
            let rest = ""
            stream?.on("data", (d: Buffer) => {
                rest += d.toString("utf8")
                const parts = rest.split("\n")
                rest = parts.pop() ?? ""
                for (const p of parts) this.push(tag + p.replace(ANSI, ""))
            })
        }
        take(child.stdout, "")
        take(child.stderr, "! ")
        child.on("exit", (code, signal) => {
            this.exited = { code, signal }
            this.wake()
        })
        child.on("error", e => {
            this.push("! spawn error: " + e.message)
            this.exited = { code: null, signal: "spawn-error" }
            this.wake()
        })
    }

    private push(line: string): void {
        this.lines.push(line)
        if (this.lines.length > 5000) this.lines.splice(0, 1000)
        this.wake()
    }

    private wake(): void {
        const w = this.waiters
        this.waiters = []
        for (const f of w) f()
    }

    /** Resolves on the next line or exit (or after `ms`). */
    private next(ms: number): Promise<void> {
        return new Promise(resolve => {
            const t = setTimeout(resolve, ms)
            this.waiters.push(() => {
                clearTimeout(t)
                resolve()
            })
        })
    }

    /** The first line (from `from` on) matching `re`, within `ms`; throws with the output's tail. */
    async waitLine(re: RegExp, ms: number, from = 0): Promise<string> {
        const deadline = Date.now() + ms
        for (let i = from; ; ) {
            for (; i < this.lines.length; i++) if (re.test(this.lines[i])) return this.lines[i]
            if (this.exited) throw new Error(`${this.name} exited (${this.exited.code ?? this.exited.signal}) before printing ${re}:\n${this.tail(30)}`)
            const left = deadline - Date.now()
            if (left <= 0) throw new Error(`${this.name}: no line matching ${re} within ${ms} ms:\n${this.tail(30)}`)
            await this.next(Math.min(left, 1000))
        }
    }

    tail(n: number): string {
        return this.lines.slice(-n).map(l => "  | " + l).join("\n")
    }

    /** SIGTERM, then SIGKILL after 3 s; resolves when gone (at most ~4 s). */
    async stop(): Promise<void> {
        if (this.exited || this.child.pid === undefined) return
        this.child.kill("SIGTERM")
        const deadline = Date.now() + 3000
        while (!this.exited && Date.now() < deadline) await this.next(200)
        if (!this.exited) {
            this.child.kill("SIGKILL")
            await this.next(1000)
        }
    }
}

const procs: Proc[] = []
const namespaces: string[] = []
const cleanups: (() => Promise<void>)[] = []

/** Start a registered background process (stdin is a pipe held open: children may end when it closes). */
export function start(name: string, cmd: string, args: string[], cwd?: string): Proc {
    const [c, a] = orphanProof(cmd, args)
    const child = spawn(c, a, { cwd, stdio: ["pipe", "pipe", "pipe"] })
    const p = new Proc(name, child)
    procs.push(p)
    return p
}

/** The same, inside network namespace `ns`. */
export function startIn(ns: string, name: string, cmd: string, args: string[], cwd?: string): Proc {
    // `ip netns exec` execs the command (same process): setpriv's setting survives it
    const child = spawn("ip", ["netns", "exec", ns, ...orphanProof(cmd, args).flat()], { cwd, stdio: ["pipe", "pipe", "pipe"] })
    const p = new Proc(name, child)
    procs.push(p)
    return p
}

export interface RunResult {
    code: number | null
    stdout: string
    stderr: string
    ms: number
}

/** Run a command to completion without blocking the event loop; killed after `timeoutMs`. */
export function run(cmd: string, args: string[], timeoutMs = 10000): Promise<RunResult> {
    const t0 = Date.now()
    return new Promise(resolve => {
        const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", d => (stdout += d))
        child.stderr.on("data", d => (stderr += d))
        const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
        child.on("error", e => {
            clearTimeout(t)
            resolve({ code: null, stdout, stderr: stderr + e.message, ms: Date.now() - t0 })
        })
        child.on("close", code => {
            clearTimeout(t)
            resolve({ code, stdout, stderr, ms: Date.now() - t0 })
        })
    })
}

export function runIn(ns: string, cmd: string, args: string[], timeoutMs = 10000): Promise<RunResult> {
    return run("ip", ["netns", "exec", ns, cmd, ...args], timeoutMs)
}

/** Like run() but throws on a non-zero exit; returns stdout. */
export async function must(cmd: string, args: string[], timeoutMs = 10000): Promise<string> {
    const r = await run(cmd, args, timeoutMs)
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.code}: ${r.stderr.trim()}`)
    return r.stdout
}

/** Create a registered network namespace (removed by cleanup). */
export async function addNamespace(ns: string): Promise<void> {
    await must("ip", ["netns", "add", ns])
    namespaces.push(ns)
}

/** Something else cleanup() must undo (the bridge), run before the namespaces go. */
export function onCleanup(f: () => Promise<void>): void {
    cleanups.push(f)
}

let cleaning: Promise<void> | null = null

/**
 * Undo everything, in order: extra cleanups, processes, namespaces. Bounded (each step is). Calls
 * while one runs share it; a later call (the next spec file's after hook, in the same mocha
 * process) undoes what was registered since.
 */
export function cleanup(): Promise<void> {
    if (!cleaning) {
        cleaning = (async () => {
            for (const f of cleanups.splice(0).reverse()) {
                try {
                    await Promise.race([f(), new Promise(r => setTimeout(r, 10000))])
                } catch (e) {
                    console.error("cleanup:", (e as Error).message)
                }
            }
            await Promise.all(procs.splice(0).map(p => p.stop()))
            for (const ns of namespaces.splice(0)) {
                const r = await run("ip", ["netns", "del", ns])
                if (r.code !== 0) console.error(`cleanup: ip netns del ${ns}: ${r.stderr.trim()}`)
            }
            // several suites run in one mocha process: a later suite's cleanup() undoes its own
            cleaning = null
        })()
    }
    return cleaning
}

/** The last resort on exit: no event loop, so kill by pid and delete namespaces synchronously. */
function cleanupSync(): void {
    for (const p of procs) {
        if (!p.exited && p.child.pid !== undefined) {
            try {
                p.child.kill("SIGKILL")
            } catch {
                // gone
            }
        }
    }
    for (const ns of namespaces) spawnSync("ip", ["netns", "del", ns], { timeout: 5000 })
}

let hooked = false
export function installExitHooks(): void {
    if (hooked) return
    hooked = true
    process.on("exit", cleanupSync)
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.once(sig, () => {
            cleanupSync()
            process.exit(sig === "SIGINT" ? 130 : 143)
        })
    }
}

/** Namespaces `<prefix><pid>` left by runs that were killed (their pid is gone): removed. */
export async function removeStaleNamespaces(prefix: string): Promise<string[]> {
    const r = await run("ip", ["netns", "list"])
    const removed: string[] = []
    for (const line of r.stdout.split("\n")) {
        const m = new RegExp("^(" + prefix + "(\\d+))\\b").exec(line.trim())
        if (!m) continue
        const pid = Number(m[2])
        if (pid === process.pid || fs.existsSync(`/proc/${pid}`)) continue
        await run("ip", ["netns", "del", m[1]])
        removed.push(m[1])
    }
    return removed
}

/** Poll `cond` every `stepMs` until true or `ms` passed; returns whether it became true. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, stepMs = 100): Promise<boolean> {
    const deadline = Date.now() + ms
    for (;;) {
        if (await cond()) return true
        if (Date.now() >= deadline) return false
        await new Promise(r => setTimeout(r, stepMs))
    }
}

export function sleep(ms: number): Promise<void> {
    return new Promise(r => setTimeout(r, ms))
}
