// Process and namespace plumbing for the Linux interop spec. Everything started here is registered
// and removed by cleanup(), which the spec runs in its after hook and which also runs on process
// exit and on SIGINT/SIGTERM (synchronously there: kill by pid, `ip netns del`). Background
// processes run under `setpriv --pdeathsig KILL` (util-linux) so that they die with this process
// even when it is killed outright; a namespace left that way is removed by the next run. Every wait
// is bounded. While the bridge runs in this process, nothing may block the event loop for long: the
// commands run during the tests are asynchronous (run()), never spawnSync.

import * as assert from "node:assert/strict"
import { spawn, spawnSync, ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Bridge } from "../../host/bridge/bridge"
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

// ---- What every interop suite sets up the same way: the namespace with a TAP joined to the host
// bridge, the board program in the simulator, its control channel, the capture and its check.

export const ROOT = path.resolve(__dirname, "..", "..")
/** The kernel's side of the TAP (the board's gateway in every suite), and the board. */
export const KERNEL_IP = "192.0.2.1"
export const KERNEL_MAC = "02:00:5e:00:02:01"
export const BOARD_MAC = "02:00:5e:10:00:0a"

export interface RigNames {
    /** The namespace is `<nsPrefix><pid>` (stale ones of killed runs are removed by prefix). */
    nsPrefix: string
    tap: string
    /** mkdtemp prefix of the work directory (pcaps, logs, server files). */
    workPrefix: string
    /** The generated board entry is .interop/<entryPrefix><pid>.ts. */
    entryPrefix: string
}

/** The board's fixed addressing as entry lines: 192.0.2.10/24 via KERNEL_IP, or 0 (DHCP). */
export function staticAddressing(opts: { address?: boolean; mtu?: boolean; comments?: boolean } = {}): string[] {
    const address = opts.address ?? true
    const c = (s: string) => (opts.comments ? ` // ${s}` : "")
    const lines = [
        address ? `CONFIG.address = 0xc000020a${c("192.0.2.10")}` : "CONFIG.address = 0",
        "CONFIG.prefix = 24",
        address ? `CONFIG.gateway = 0xc0000201${c(KERNEL_IP)}` : "CONFIG.gateway = 0",
        "CONFIG.routes = []",
        "CONFIG.arp = []",
    ]
    if (opts.mtu ?? true) lines.push("CONFIG.mtu = 1500")
    return lines
}

/** Entry lines that give the program `device`: the W5500 model and its driver. */
export const W5500_DEVICE = [
    `import { W5500Model } from "../src/sim/w5500"`,
    `import { W5500Device } from "../src/drivers/w5500/device"`,
    `const device = (seg: Segment) => new W5500Device(new SimSpiBus(new W5500Model(seg)), CONFIG.mac, { mtu: CONFIG.mtu })`,
]

/** Follow a process's output: `f` gets each line once, as it comes. */
export function eachLine(p: Proc, f: (line: string) => void): void {
    let seen = 0
    p.child.stdout!.on("data", () => {
        while (seen < p.lines.length) f(p.lines[seen++])
    })
}

/**
 * Debian's dnsmasq as a DHCP server only (port 0: no DNS) on `iface` in `ns`, every exchange logged
 * to its lines, its lease file in `work`; `args` add the range, options and hosts. Stopped at cleanup.
 */
export async function startDhcpServer(ns: string, iface: string, work: string, args: string[]): Promise<Proc> {
    const p = startIn(ns, "dnsmasq", "dnsmasq", [
        "--no-daemon",
        "--conf-file=/dev/null",
        "--port=0",
        `--interface=${iface}`,
        "--bind-interfaces",
        "--dhcp-authoritative",
        `--dhcp-leasefile=${path.join(work, "dnsmasq.leases")}`,
        `--pid-file=${path.join(work, "dnsmasq.pid")}`,
        "--log-dhcp",
        "--log-facility=-",
        ...args,
    ])
    onCleanup(async () => {
        p.child.kill("SIGTERM")
    })
    await p.waitLine(/DHCP, IP range/, 10000)
    return p
}

/** udp-sink.cjs at addr:port in `ns` (the telemetry collector); `from` gets each datagram's source address. */
export async function startTelemetrySink(ns: string, addr: string, port: number, from: (src: string) => void): Promise<Proc> {
    const p = startIn(ns, "udp-sink", process.execPath, [path.join(__dirname, "udp-sink.cjs"), addr, String(port)])
    await p.waitLine(/^ready$/, 10000)
    eachLine(p, l => {
        if (l.startsWith("{")) from(JSON.parse(l).from)
    })
    return p
}

/** One interop suite's namespace, bridge, board and work directory; cleaned up by cleanup(). */
export class Rig {
    readonly ns: string
    readonly tap: string
    skipReason = ""
    work = ""
    bridge: Bridge | null = null
    sim: Proc | null = null
    tcpdump: Proc | null = null
    entry = ""
    /** CONTROL records from the board, in order. */
    readonly control: string[] = []

    constructor(readonly names: RigNames) {
        this.ns = names.nsPrefix + process.pid
        this.tap = names.tap
    }

    /**
     * In before(): the reasons to skip (said, then ctx.skip()): not Linux, not root, `extra()` (a
     * reason or ""), no `ip`, `ip netns add` failing. Else the namespace exists; returns the stale
     * namespaces of killed runs it removed.
     */
    async setUp(ctx: Mocha.Context, opts: { rootHint?: string; extra?: () => string } = {}): Promise<string[]> {
        let stale: string[] = []
        if (process.platform !== "linux") this.skipReason = "not Linux"
        else if (process.getuid?.() !== 0) this.skipReason = "not root: network namespaces and TAP interfaces need root" + (opts.rootHint ?? "")
        else if (opts.extra) this.skipReason = opts.extra()
        if (!this.skipReason && !which("ip")) this.skipReason = "no `ip` command (Debian: apt-get install iproute2)"
        if (!this.skipReason) {
            installExitHooks()
            stale = await removeStaleNamespaces(this.names.nsPrefix)
            try {
                await addNamespace(this.ns)
            } catch (e) {
                this.skipReason = `cannot create a network namespace: ${(e as Error).message}`
            }
        }
        if (this.skipReason) {
            console.log(`      SKIPPED: ${this.skipReason}`)
            ctx.skip()
        }
        return stale
    }

    /** The work directory, removed at cleanup with the entry (DSNET_INTEROP_KEEP=1 keeps it). */
    makeWork(): string {
        this.work = fs.mkdtempSync(path.join(os.tmpdir(), this.names.workPrefix))
        onCleanup(async () => {
            if (this.entry) fs.rmSync(this.entry, { force: true })
            if (process.env.DSNET_INTEROP_KEEP) console.log(`      (kept ${this.work})`)
            else fs.rmSync(this.work, { recursive: true, force: true })
        })
        return this.work
    }

    /** Loopback up, IPv6 off (no chatter on the capture); `check`: the sysctls must succeed. */
    async quietNamespace(check = false): Promise<void> {
        for (const k of ["all", "default"]) {
            const r = await runIn(this.ns, "sysctl", ["-qw", `net.ipv6.conf.${k}.disable_ipv6=1`])
            if (check) assert.equal(r.code, 0, r.stderr)
        }
        await run("ip", ["-n", this.ns, "link", "set", "lo", "up"])
    }

    /** The bridge: the TAP in the namespace at KERNEL_IP/24, its pcap in work; CONTROL into `control`. */
    async startBridge(log?: (line: string) => void): Promise<Bridge> {
        const bridge = await Bridge.start({ tap: this.tap, netns: this.ns, mac: KERNEL_MAC, addresses: [`${KERNEL_IP}/24`], pcap: path.join(this.work, "bridge.pcap"), log })
        this.bridge = bridge
        onCleanup(async () => {
            await bridge.close()
        })
        bridge.on("control", (t: string) => this.control.push(t))
        return bridge
    }

    /** tcpdump on the TAP in the namespace to work/tap.pcap (-Z root: dropping privileges would clear the parent-death signal). */
    async startCapture(): Promise<Proc> {
        this.tcpdump = startIn(this.ns, "tcpdump", "tcpdump", ["-Z", "root", "-i", this.tap, "-n", "-s", "0", "-U", "--immediate-mode", "-w", path.join(this.work, "tap.pcap")])
        await this.tcpdump.waitLine(/listening on/, 10000)
        return this.tcpdump
    }

    /** The capture ended (after 500 ms: what is on the wire now reaches the file); its path. */
    async stopCapture(): Promise<string> {
        await sleep(500)
        await this.tcpdump!.stop()
        return path.join(this.work, "tap.pcap")
    }

    /**
     * The board program's entry, .interop/<entryPrefix><pid>.ts (those of killed runs removed):
     * `imports` from the board module, `device` (W5500_DEVICE unless given), the board's MAC and chip,
     * `config` lines, then `call` and a restart.
     */
    writeEntry(spec: string, board: { fn: string; module: string }, config: string[], call: string, opts: { device?: string[]; chip?: string; imports?: string[] } = {}): string {
        const dir = path.join(ROOT, ".interop")
        fs.mkdirSync(dir, { recursive: true })
        const own = new RegExp("^" + this.names.entryPrefix + "(\\d+)\\.ts$")
        for (const f of fs.readdirSync(dir)) {
            const m = own.exec(f)
            if (m && !fs.existsSync(`/proc/${m[1]}`)) fs.rmSync(path.join(dir, f), { force: true })
        }
        const file = path.join(dir, `${this.names.entryPrefix}${process.pid}.ts`)
        const lines = [
            `// generated by test/interop/${spec} (removed after the run)`,
            `import * as ds from "@devicescript/core"`,
            `import { CONFIG } from "../src/config/generated"`,
            `import { ${board.fn} } from "../test/interop/${board.module}"`,
            `import { Segment } from "../src/sim/lan"`,
            `import { SimSpiBus } from "../src/sim/spi"`,
            ...(opts.imports ?? []),
            ...(opts.device ?? W5500_DEVICE),
            `CONFIG.chip = "${opts.chip ?? "w5500"}"`,
            `CONFIG.mac = hex\`${BOARD_MAC.replace(/:/g, " ")}\`.slice(0)`,
            ...config,
            call,
            `ds.restart()`,
        ]
        fs.writeFileSync(file, lines.join("\n") + "\n")
        this.entry = file
        return file
    }

    /** The simulator running the entry (built first), for at most `seconds`. */
    startSimulator(seconds: number): Proc {
        const cli = path.join(ROOT, "node_modules", "@devicescript", "cli", "devicescript")
        assert.ok(fs.existsSync(cli), "@devicescript/cli is not installed: npm ci")
        this.sim = start("simulator", process.execPath, [cli, "run", path.relative(ROOT, this.entry), "--test", "-T", String(seconds * 1000)], ROOT)
        return this.sim
    }

    /** Until `cond`, the simulator's exit or a build/runtime error (180 s); `cond` must hold then. */
    async waitBoard(cond: () => boolean, what: string): Promise<void> {
        const sim = this.sim!
        const failed = /error TS\d+|PANIC|Exception:/
        const ok = await until(() => cond() || sim.exited !== null || sim.lines.some(l => failed.test(l)), 180000, 50)
        assert.ok(ok && cond(), `the board program did not ${what}:\n${sim.tail(40)}`)
    }

    /** The board's HELLO reached the bridge. */
    waitConnected(): Promise<void> {
        return this.waitBoard(() => this.bridge!.board !== null, "connect to the bridge")
    }

    /** The board's `ready` (after its stack started), within 60 s. */
    async waitReady(): Promise<void> {
        assert.ok(await until(() => this.control.some(c => c.startsWith("ready")), 60000), `the board never said ready:\n${this.sim!.tail(30)}`)
    }

    /** Send a command to the board program; its answer starting with `answer`, within `ms`. */
    async ask(cmd: string, answer: string, ms = 20000, stepMs = 20): Promise<string> {
        const from = this.control.length
        this.bridge!.sendControl(cmd)
        let got = ""
        const ok = await until(() => {
            for (let i = from; i < this.control.length; i++) if (this.control[i].startsWith(answer)) got = this.control[i]
            return got !== "" || (this.sim?.exited ?? null) !== null
        }, ms, stepMs)
        if (!ok || !got) throw new Error(`the board did not answer "${cmd}" within ${ms} ms${this.sim?.exited ? " (the simulator exited)" : ""}:\n${this.sim?.tail(25)}`)
        return got
    }

    /** In after(): `quit` to a board still running, and its exit awaited (bounded). */
    async quitBoard(): Promise<void> {
        if (this.bridge?.board && this.sim && !this.sim.exited) {
            await this.ask("quit", "bye", 10000).catch(() => undefined)
            await until(() => this.sim!.exited !== null, 10000)
        }
    }

    /** In after(): cleanup(), then the namespace must be gone. */
    async tearDown(): Promise<void> {
        await cleanup()
        const left = await run("ip", ["netns", "list"])
        assert.ok(!left.stdout.includes(this.ns), `namespace ${this.ns} is still there`)
    }

    /** In afterEach(): after a failure, the simulator's last lines and `more` (name -> process). */
    reportFailure(ctx: Mocha.Context, more: Record<string, Proc | null | undefined> = {}, lines = 30): void {
        if (ctx.currentTest?.state !== "failed") return
        console.log(`      simulator output (last lines):\n${this.sim?.tail(lines) ?? "  (none)"}`)
        for (const [name, p] of Object.entries(more)) console.log(`      ${name} (last lines):\n${p?.tail(20) ?? "  (none)"}`)
    }
}

/** tshark with IPv4 and TCP checksum validation flags no frame of `file` (malformed, errors, bad sums). */
export async function assertTcpCaptureClean(file: string): Promise<void> {
    const opts = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"]
    const bad = '_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad"'
    const r = await run("tshark", ["-r", file, "-n", ...opts, "-Y", bad], 60000)
    assert.equal(r.code, 0, r.stderr)
    const flagged = r.stdout.split("\n").filter(Boolean)
    assert.equal(flagged.length, 0, `tshark flags ${flagged.length} frames:\n${flagged.slice(0, 10).join("\n")}`)
}

/** The Debian packages of the missing commands ([command, package]): none may be missing. */
export function requireTools(tools: [string, string][]): void {
    const missing = tools.filter(([cmd]) => !which(cmd))
    assert.equal(missing.length, 0, `missing tools; Debian: apt-get install ${missing.map(m => m[1]).join(" ")}`)
}
