// A Linux TAP interface for Node, through socat (Debian package `socat`): Node has no TUNSETIFF, so
//   socat -d -d TUN,tun-type=tap,iff-no-pi,iff-up,tun-name=NAME UDP4:127.0.0.1:<node>,bind=127.0.0.1:<socat>
// opens the TAP (creating it, or attaching to an existing persistent one such as `ip tuntap add`
// makes) and turns each frame the kernel sends on it into one loopback UDP datagram to Node, and
// each datagram from Node into one frame: the frame boundaries survive (socat(1), TUN address).
// socat runs under `setpriv --pdeathsig KILL` (util-linux) where available so that it dies with
// this process however that ends, and is killed on close() and in a process "exit" handler.

import { spawn, spawnSync, ChildProcess } from "node:child_process"
import * as dgram from "node:dgram"
import * as fs from "node:fs"
import * as path from "node:path"
import { EventEmitter } from "node:events"

/** A TAP interface cannot be opened; the message says why and what to do. */
export class TapError extends Error {
    constructor(message: string) {
        super(message)
        this.name = "TapError"
    }
}

/** linux/if_tun.h */
const IFF_TUN = 0x0001
const IFF_TAP = 0x0002
const CAP_NET_ADMIN = 12

/** The first executable `name` on PATH, or null. */
export function which(name: string): string | null {
    for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(path.delimiter)) {
        if (!dir) continue
        const p = path.join(dir, name)
        try {
            fs.accessSync(p, fs.constants.X_OK)
            if (fs.statSync(p).isFile()) return p
        } catch {
            // not here
        }
    }
    return null
}

/** True when this process has CAP_NET_ADMIN (root has it, unless a container dropped it). */
export function hasNetAdmin(): boolean {
    try {
        const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))
        return m !== null && (BigInt("0x" + m[1]) & (1n << BigInt(CAP_NET_ADMIN))) !== 0n
    } catch {
        return process.getuid?.() === 0
    }
}

function readSys(name: string, file: string): string | null {
    try {
        return fs.readFileSync(`/sys/class/net/${name}/${file}`, "utf8").trim()
    } catch {
        return null
    }
}

/** Linux interface names: 1..15 bytes, no '/', ':', whitespace; not "." or "..". */
export function checkInterfaceName(name: string): void {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || name === "." || name === "..")
        throw new TapError(`"${name}" is not a usable interface name (1-15 of A-Z a-z 0-9 _ . -)`)
}

export interface TapCheck {
    /** The interface exists already (a persistent TAP): socat attaches to it. */
    exists: boolean
    socat: string
    setpriv: string | null
}

/**
 * Everything that can be checked before starting socat, with an error that says what to do:
 * socat installed, /dev/net/tun present and usable, CAP_NET_ADMIN, and an existing interface of
 * that name being a TAP.
 */
export function checkTap(name: string): TapCheck {
    checkInterfaceName(name)
    if (process.platform !== "linux") throw new TapError(`TAP interfaces need Linux (this is ${process.platform})`)
    const socat = which("socat")
    if (socat === null)
        throw new TapError("socat is not installed; it opens the TAP interface for the bridge (Debian/Ubuntu: apt-get install socat)")
    if (!fs.existsSync("/dev/net/tun"))
        throw new TapError(
            "/dev/net/tun does not exist: load the tun module (modprobe tun), or in a container pass the device " +
                "(docker run --device /dev/net/tun --cap-add NET_ADMIN ...)"
        )
    try {
        fs.accessSync("/dev/net/tun", fs.constants.R_OK | fs.constants.W_OK)
    } catch {
        throw new TapError(`/dev/net/tun is not readable and writable by uid ${process.getuid?.()}: run as root (sudo)`)
    }
    const flags = readSys(name, "tun_flags")
    const exists = fs.existsSync(`/sys/class/net/${name}`)
    if (exists && flags === null) throw new TapError(`interface ${name} exists and is not a TUN/TAP interface; choose another name`)
    if (exists && (parseInt(flags!, 16) & (IFF_TUN | IFF_TAP)) !== IFF_TAP)
        throw new TapError(`interface ${name} is a TUN (layer 3) interface; the bridge needs a TAP (ip tuntap add dev ${name} mode tap)`)
    // also for a persistent TAP the user owns: socat sets the interface flags (SIOCSIFFLAGS) after
    // attaching, whatever its options, and that needs CAP_NET_ADMIN
    if (!hasNetAdmin())
        throw new TapError(`${exists ? "attaching to" : "creating"} TAP interface ${name} needs root (CAP_NET_ADMIN): run with sudo`)
    return { exists, socat, setpriv: which("setpriv") }
}

/** socat processes alive: killed when this process exits, whatever the path to exit. */
const live = new Set<ChildProcess>()
let exitHookInstalled = false
function installExitHook(): void {
    if (exitHookInstalled) return
    exitHookInstalled = true
    process.on("exit", () => {
        for (const c of live) {
            try {
                c.kill("SIGKILL")
            } catch {
                // gone
            }
        }
    })
}

export interface TapOptions {
    /** How long socat may take to open the interface; default 5000 ms. */
    startTimeoutMs?: number
    log?: (line: string) => void
}

async function freeUdpPort(): Promise<number> {
    const s = dgram.createSocket("udp4")
    await new Promise<void>((resolve, reject) => {
        s.once("error", reject)
        s.bind(0, "127.0.0.1", () => resolve())
    })
    const port = s.address().port
    await new Promise<void>(r => s.close(() => r()))
    return port
}

/**
 * One TAP interface. Events: "frame" (Buffer: a frame the kernel sent on the interface), "exit"
 * (string: socat ended while the TAP was open, with the reason).
 */
export class SocatTap extends EventEmitter {
    /** The interface existed before (persistent); it stays when the bridge ends. */
    readonly existed: boolean
    private closing = false
    framesIn = 0
    framesOut = 0
    sendErrors = 0

    private constructor(
        readonly name: string,
        private readonly child: ChildProcess,
        private readonly sock: dgram.Socket,
        existed: boolean
    ) {
        super()
        this.existed = existed
    }

    get pid(): number | undefined {
        return this.child.pid
    }

    static async open(name: string, opts: TapOptions = {}): Promise<SocatTap> {
        const chk = checkTap(name)
        installExitHook()
        let lastError: Error | null = null
        // the socat port is picked free and then bound by socat: another process may take it in
        // between, so a bind failure is retried (three times)
        for (let attempt = 0; attempt < 3; attempt++) {
            try {
                return await SocatTap.tryOpen(name, chk, opts)
            } catch (e) {
                lastError = e as Error
                if (!/Address already in use/.test(lastError.message)) throw e
            }
        }
        throw lastError!
    }

    private static async tryOpen(name: string, chk: TapCheck, opts: TapOptions): Promise<SocatTap> {
        const sock = dgram.createSocket("udp4")
        await new Promise<void>((resolve, reject) => {
            sock.once("error", reject)
            sock.bind(0, "127.0.0.1", () => resolve())
        })
        const nodePort = sock.address().port
        const socatPort = await freeUdpPort()
        const args = [
            "-d",
            "-d",
            `TUN,tun-type=tap,iff-no-pi,iff-up,tun-name=${name}`,
            `UDP4:127.0.0.1:${nodePort},bind=127.0.0.1:${socatPort}`,
        ]
        const cmd = chk.setpriv ? chk.setpriv : chk.socat
        const argv = chk.setpriv ? ["--pdeathsig", "KILL", chk.socat, ...args] : args
        const child = spawn(cmd, argv, { stdio: ["ignore", "ignore", "pipe"] })
        live.add(child)
        let stderr = ""
        let ready = false
        const started = new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new TapError(`socat did not open ${name} within ${opts.startTimeoutMs ?? 5000} ms:\n${stderr}`)), opts.startTimeoutMs ?? 5000)
            child.stderr!.on("data", (d: Buffer) => {
                stderr += d.toString()
                if (stderr.length > 20000) stderr = stderr.slice(-20000)
                if (!ready && /starting data transfer loop/.test(stderr)) {
                    ready = true
                    clearTimeout(timer)
                    resolve()
                }
            })
            child.once("error", e => {
                clearTimeout(timer)
                reject(new TapError(`cannot run ${cmd}: ${e.message}`))
            })
            child.once("exit", (code, sig) => {
                clearTimeout(timer)
                if (!ready) reject(new TapError(`socat could not open TAP ${name} (exit ${code ?? sig}):\n${socatErrors(stderr)}`))
            })
        })
        try {
            await started
        } catch (e) {
            live.delete(child)
            child.kill("SIGKILL")
            sock.close()
            throw e
        }
        sock.setRecvBufferSize(1 << 20)
        sock.setSendBufferSize(1 << 20)
        const tap = new SocatTap(name, child, sock, chk.exists)
        sock.on("message", (msg, rinfo) => {
            if (rinfo.port !== socatPort || rinfo.address !== "127.0.0.1") return
            tap.framesIn++
            tap.emit("frame", msg)
        })
        sock.on("error", e => {
            tap.sendErrors++
            opts.log?.(`TAP ${name}: UDP socket error: ${e.message}`)
        })
        tap.socatPort = socatPort
        child.once("exit", (code, sig) => {
            live.delete(child)
            if (!tap.closing) tap.emit("exit", `socat (TAP ${name}) ended unexpectedly (exit ${code ?? sig}):\n${socatErrors(stderr)}`)
        })
        opts.log?.(`TAP ${name}: ${chk.exists ? "attached to the existing interface" : "created"} (socat pid ${child.pid})`)
        return tap
    }

    private socatPort = 0

    /** Put one frame on the interface (the kernel receives it). */
    send(frame: Buffer): void {
        if (this.closing) return
        this.framesOut++
        this.sock.send(frame, this.socatPort, "127.0.0.1", err => {
            if (err) this.sendErrors++
        })
    }

    /** Stop socat (a TAP socat created disappears with it) and close the socket. Bounded: ~2 s. */
    async close(): Promise<void> {
        if (this.closing) return
        this.closing = true
        const c = this.child
        if (c.exitCode === null && c.signalCode === null) {
            const gone = new Promise<void>(r => c.once("exit", () => r()))
            c.kill("SIGTERM")
            const t = setTimeout(() => c.kill("SIGKILL"), 1000)
            await Promise.race([gone, new Promise(r => setTimeout(r, 2000))])
            clearTimeout(t)
        }
        live.delete(c)
        await new Promise<void>(r => {
            try {
                this.sock.close(() => r())
            } catch {
                r()
            }
        })
    }
}

/** socat's error lines (" E "), or its whole output when there are none. */
function socatErrors(stderr: string): string {
    const e = stderr.split("\n").filter(l => / E /.test(l))
    return (e.length ? e : stderr.split("\n").slice(-10)).join("\n").trim()
}

/** Run `ip` (iproute2), in `netns` when given; returns stdout, throws with stderr on failure. */
export function ip(args: string[], netns?: string): string {
    const argv = netns ? ["-n", netns, ...args] : args
    const r = spawnSync("ip", argv, { encoding: "utf8", timeout: 10000 })
    if (r.error) throw new TapError(`ip ${argv.join(" ")}: ${r.error.message}${which("ip") ? "" : " (install iproute2)"}`)
    if (r.status !== 0) throw new TapError(`ip ${argv.join(" ")}: ${(r.stderr || "").trim() || "exit " + r.status}`)
    return r.stdout
}

export interface TapSetup {
    /** Move the interface into this (existing) network namespace. */
    netns?: string
    /** The kernel side's MAC address. */
    mac?: string
    /** Addresses to add, CIDR (192.0.2.1/24). */
    addresses?: string[]
}

/** Move / address / bring up the TAP (after socat opened it; the open file follows the interface). */
export function setupTap(name: string, s: TapSetup): void {
    if (s.netns) ip(["link", "set", "dev", name, "netns", s.netns])
    const ns = s.netns
    if (s.mac) ip(["link", "set", "dev", name, "address", s.mac], ns)
    for (const a of s.addresses ?? []) ip(["addr", "add", a, "dev", name], ns)
    ip(["link", "set", "dev", name, "up"], ns)
}
