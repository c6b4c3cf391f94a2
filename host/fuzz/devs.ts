/**
 * What the long fuzz and soak runners share: building a generated DeviceScript entry once in a
 * private mirror of the project, patching its SPEC string per run, and running the compiled program
 * in the WASM VM without GC stress (vm-child.cjs), in a child process that is always killed.
 *
 * Mirror: `.devicescript/devs-test/robust-<pid>` (host/test/devs-run.ts prepareWorkDir: symlinks to
 * every top-level entry of the project, its own .devicescript/), so a build never races the
 * `.devicescript/bin` of `npm test`, `npm run bench` or anyone else. Removed at exit; mirrors of
 * dead runs are removed at start.
 */
import { spawn, ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as readline from "node:readline"
import { findCli, prepareWorkDir, projectRoot, removeWorkDir, stripAnsi } from "../test/devs-run"

export const ROOT = projectRoot()
const MIRRORS = path.join(ROOT, ".devicescript", "devs-test")
const VM_CHILD = path.join(__dirname, "vm-child.cjs")

/** The SPEC string the entries carry (test/fuzz/batch.ts SPEC_TEMPLATE); same length when patched. */
export const SPEC_TEMPLATE = "@@robustspec:0000000000:0000000000:0000000000:000000:0"

export function spec(seed: number, first: number, count: number, seconds: number, mode: number): string {
    const d = (v: number, w: number) => {
        const s = String(Math.max(0, Math.floor(v)))
        if (s.length > w) throw new Error(`spec field ${v} does not fit ${w} digits`)
        return s.padStart(w, "0")
    }
    return `@@robustspec:${d(seed, 10)}:${d(first, 10)}:${d(count, 10)}:${d(seconds, 6)}:${d(mode, 1)}`
}

const children = new Set<ChildProcess>()
let mirror: string | undefined

/** Kill a child started detached, with its process group (the CLI spawns the simulator). */
export function killChild(c: ChildProcess) {
    if (c.exitCode !== null || c.signalCode !== null) return
    try {
        process.kill(-c.pid!, "SIGKILL")
    } catch {
        try {
            c.kill("SIGKILL")
        } catch {}
    }
}

/** Kill every child still running and remove the mirror (also run on exit and on signals). */
export function cleanup() {
    for (const c of children) killChild(c)
    children.clear()
    if (mirror) {
        try {
            removeWorkDir(mirror)
        } catch {}
        mirror = undefined
    }
}

let handlersInstalled = false
function installHandlers() {
    if (handlersInstalled) return
    handlersInstalled = true
    process.on("exit", cleanup)
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
        process.on(sig, () => {
            process.stderr.write(`${sig}: stopping\n`)
            cleanup()
            process.exit(130)
        })
}

function removeDeadMirrors() {
    let entries: string[] = []
    try {
        entries = fs.readdirSync(MIRRORS)
    } catch {
        return
    }
    for (const e of entries) {
        const m = /^robust-(\d+)$/.exec(e)
        if (!m || +m[1] === process.pid) continue
        let alive = true
        try {
            process.kill(+m[1], 0)
        } catch (err: any) {
            alive = err?.code === "EPERM"
        }
        if (!alive) {
            try {
                removeWorkDir(path.join(MIRRORS, e))
            } catch {}
        }
    }
}

function workDir(): string {
    if (!mirror) {
        installHandlers()
        removeDeadMirrors()
        mirror = prepareWorkDir(ROOT, `robust-${process.pid}`)
    }
    return mirror
}

function spawnTracked(args: string[], cwd: string): ChildProcess {
    const c = spawn(process.execPath, args, {
        cwd,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    })
    children.add(c)
    c.on("exit", () => children.delete(c))
    return c
}

/**
 * Compile `source` (a generated entry; its imports are relative to .devicescript/robust/ in the
 * mirror, i.e. "../../test/...") and return the bytecode. Throws with the compiler's output.
 */
export async function build(name: string, source: string, timeoutMs = 180000): Promise<Buffer> {
    const dir = workDir()
    const rel = `.devicescript/robust/${name}.ts`
    fs.mkdirSync(path.join(dir, ".devicescript", "robust"), { recursive: true })
    fs.writeFileSync(path.join(dir, rel), source)
    const out = path.join(dir, ".devicescript", "bin", "bytecode.devs")
    try {
        fs.rmSync(out, { force: true })
    } catch {}
    const c = spawnTracked([findCli(ROOT), "build", rel], dir)
    let text = ""
    c.stdout!.setEncoding("utf8").on("data", (d: string) => (text += d))
    c.stderr!.setEncoding("utf8").on("data", (d: string) => (text += d))
    const code = await new Promise<number | null>(resolve => {
        const t = setTimeout(() => killChild(c), timeoutMs)
        c.on("close", code => {
            clearTimeout(t)
            resolve(code)
        })
    })
    if (code !== 0 || !fs.existsSync(out)) throw new Error(`devicescript build of ${name} failed (exit ${code}):\n${stripAnsi(text)}`)
    const bin = fs.readFileSync(out)
    if (bin.indexOf(Buffer.from(SPEC_TEMPLATE)) < 0) throw new Error(`${name}: the compiled program does not carry the SPEC string`)
    return bin
}

export interface VmResult {
    /** 0 normal end (ds.restart), 3 panic, 4 VM/deploy error, null killed at the deadline */
    code: number | null
    killed: boolean
    panic?: number
    /** every line the VM printed (ANSI removed) */
    lines: string[]
    /** the program's own console lines ("> " removed) */
    out: string[]
    ms: number
}

let seq = 0

/** Run `bin` with `specText` patched in, in a child VM; kill it after `timeoutMs`. */
export async function runVm(bin: Buffer, specText: string, timeoutMs: number, onOut?: (line: string) => void): Promise<VmResult> {
    const dir = workDir()
    const b = Buffer.from(bin)
    const at = b.indexOf(Buffer.from(SPEC_TEMPLATE))
    if (at < 0 || specText.length !== SPEC_TEMPLATE.length) throw new Error("bad SPEC")
    Buffer.from(specText).copy(b, at)
    const file = path.join(dir, ".devicescript", "robust", `run-${seq++}.devs`)
    fs.writeFileSync(file, b)
    const t0 = Date.now()
    const c = spawnTracked([VM_CHILD, file], dir)
    const lines: string[] = []
    const out: string[] = []
    let panic: number | undefined
    const onLine = (raw: string) => {
        const l = stripAnsi(raw)
        lines.push(l)
        if (lines.length > 4000) lines.splice(0, 1000)
        const m = /^\s*> (.*)$/.exec(l)
        if (m) {
            out.push(m[1])
            onOut?.(m[1])
        }
        const p = /^@@vm panic (\d+)/.exec(l)
        if (p) panic = +p[1]
    }
    readline.createInterface({ input: c.stdout! }).on("line", onLine)
    readline.createInterface({ input: c.stderr! }).on("line", onLine)
    let killed = false
    const code = await new Promise<number | null>(resolve => {
        const t = setTimeout(() => {
            killed = true
            killChild(c)
        }, timeoutMs)
        c.on("close", code => {
            clearTimeout(t)
            resolve(code)
        })
    })
    try {
        fs.rmSync(file, { force: true })
    } catch {}
    return { code: killed ? null : code, killed, panic, lines, out, ms: Date.now() - t0 }
}

/** The last lines of a run that explain a panic (exception, stack). */
export function panicContext(r: VmResult, n = 12): string {
    const i = r.lines.findIndex(l => /Exception:|PANIC|@@vm panic/.test(l))
    const from = i >= 0 ? Math.max(0, i - 2) : Math.max(0, r.lines.length - n)
    return r.lines.slice(from, from + n).join("\n")
}
