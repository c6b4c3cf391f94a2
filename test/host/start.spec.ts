// The main job from the runner, end to end: `npm start -- --seconds 14 --pcap FILE --forward
// 127.0.0.1:PORT` builds the telemetry firmware, runs it in the simulator on the virtual LAN, writes
// the wire to a pcap file and hands what the virtual collector receives to a real StatsD daemon (the
// `statsd` package) listening on loopback. One run (~10 s of compiling + 14 s) serves every test here:
//  - the sample configuration asks DHCP: the rounds before the lease are reported as not sent (no
//    address yet), and telemetry from the leased address reaches the virtual collector within
//    seconds of the lease, once a second;
//  - tshark opens the pcap: no malformed frame, IPv4/UDP/ICMP checksums good, no warning or error,
//    and the UDP payloads on the wire are the datagrams the collector received;
//  - StatsD received exactly those metric lines, and its aggregates (gauges, summed counters) are
//    the values the firmware sent.
// tshark comes from Debian (.ci/run installs it). Without it the pcap test fails in CI (CI=true) and
// is skipped elsewhere.

import { strict as assert } from "node:assert"
import { ChildProcess, spawn, spawnSync } from "node:child_process"
import * as dgram from "node:dgram"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { REPO_ROOT } from "../../host/config/validate"

const START = path.join(REPO_ROOT, "host", "sim", "start.ts")
const STATSD = path.join(REPO_ROOT, "node_modules", "statsd", "stats.js")
const BACKEND = path.join(REPO_ROOT, "host", "test", "statsd-flush-backend.cjs")
const SECONDS = 14
const CONFIG = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "devicescript.json"), "utf8"))
const FLUSH_MS = 500

interface Run {
    code: number
    stdout: string
    stderr: string
    /** The runner's lines with their time stamps (seconds since it started). */
    lines: { t: number; text: string }[]
    /** The datagrams the virtual collector received, as the runner printed them: metric lines. */
    datagrams: string[][]
}

interface Flush {
    timestamp: number
    counters: Record<string, number>
    gauges: Record<string, number>
}

function freeUdpPort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = dgram.createSocket("udp4")
        s.on("error", reject)
        s.bind(0, "127.0.0.1", () => {
            const { port } = s.address()
            s.close(() => resolve(port))
        })
    })
}

function freeTcpPort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer()
        s.on("error", reject)
        s.listen(0, "127.0.0.1", () => {
            const { port } = s.address() as net.AddressInfo
            s.close(() => resolve(port))
        })
    })
}

/** The real StatsD daemon on 127.0.0.1:port, echoing every metric line and every flush on stdout. */
class StatsD {
    out = ""
    private proc: ChildProcess | null = null
    private exited: Promise<void> = Promise.resolve()

    constructor(readonly port: number, readonly mgmtPort: number, readonly dir: string) {}

    async start(): Promise<void> {
        const cfg = path.join(this.dir, "statsd-config.js")
        const config = {
            address: "127.0.0.1",
            port: this.port,
            mgmt_address: "127.0.0.1",
            mgmt_port: this.mgmtPort,
            flushInterval: FLUSH_MS,
            dumpMessages: true,
            backends: [BACKEND],
            deleteGauges: false,
            automaticConfigReload: false,
        }
        fs.writeFileSync(cfg, JSON.stringify(config, null, 2))
        const proc = spawn(process.execPath, [STATSD, cfg], { cwd: path.dirname(STATSD), stdio: ["ignore", "pipe", "pipe"] })
        this.proc = proc
        this.exited = new Promise(resolve => proc.once("exit", () => resolve()))
        proc.stdout!.on("data", d => (this.out += d))
        proc.stderr!.on("data", d => (this.out += d))
        // ready once it has flushed once: the UDP server and the backend are up by then
        await this.waitFor(() => this.flushes().length > 0, 10000, "StatsD did not start")
    }

    async waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
        const t0 = Date.now()
        while (!cond()) {
            if (this.proc?.exitCode !== null && this.proc?.exitCode !== undefined)
                throw new Error(`${what}: the daemon exited (${this.proc.exitCode}):\n${this.out}`)
            if (Date.now() - t0 > ms) throw new Error(`${what} within ${ms} ms:\n${this.out.slice(-3000)}`)
            await new Promise(r => setTimeout(r, 50))
        }
    }

    /** The metric lines the daemon logged (dumpMessages), in arrival order. */
    received(): string[] {
        const out: string[] = []
        for (const l of this.out.split("\n")) {
            const m = / - DEBUG: (\S+:[^|\s]*\|[a-z]+(?:\|@[\d.]+)?)\s*$/.exec(l)
            if (m) out.push(m[1])
        }
        return out
    }

    flushes(): Flush[] {
        return this.out
            .split("\n")
            .filter(l => l.startsWith("@@flush "))
            .map(l => JSON.parse(l.slice(8)) as Flush)
    }

    async stop(): Promise<void> {
        const p = this.proc
        if (!p || p.exitCode !== null || p.signalCode !== null) return
        p.kill("SIGTERM")
        const t = setTimeout(() => p.kill("SIGKILL"), 3000)
        await this.exited
        clearTimeout(t)
    }
}

/** Runs the runner as `npm start` does (tsx host/sim/start.ts), with its arguments. */
function runStart(args: string[]): Promise<Run> {
    return new Promise(resolve => {
        const child = spawn(process.execPath, ["--require", require.resolve("tsx/cjs"), START, ...args], {
            cwd: REPO_ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", d => (stdout += d))
        child.stderr.on("data", d => (stderr += d))
        child.on("close", code => {
            const lines: Run["lines"] = []
            const datagrams: string[][] = []
            let current: string[] | null = null
            for (const l of stdout.split("\n")) {
                const m = /^\[\s*([\d.]+)s\] (.*)$/.exec(l)
                if (m) {
                    lines.push({ t: Number(m[1]), text: m[2] })
                    current = null
                    if (/^collector received from /.test(m[2])) datagrams.push((current = []))
                } else if (current && l.startsWith("    ")) current.push(l.slice(4))
                else current = null
            }
            resolve({ code: code ?? 1, stdout, stderr, lines, datagrams })
        })
    })
}

/** The runner's output for an assertion message (the end of it). */
function tail(r: Run): string {
    return `\n--- npm start (exit ${r.code}) ---\n${r.stdout.split("\n").slice(-60).join("\n")}\n${r.stderr}`
}

/** tshark's path, or undefined; "-o" options for the checksum preferences this tshark has. */
function tshark(): { bin: string; prefs: string[] } | undefined {
    const v = spawnSync("tshark", ["--version"], { encoding: "utf8" })
    if (v.error || v.status !== 0) return undefined
    const defaults = spawnSync("tshark", ["-G", "defaultprefs"], { encoding: "utf8", maxBuffer: 64 << 20 }).stdout ?? ""
    const prefs: string[] = []
    for (const p of ["ip.check_checksum", "udp.check_checksum", "icmp.check_checksum"])
        if (new RegExp(`^#?${p.replace(".", "\\.")}:`, "m").test(defaults)) prefs.push("-o", `${p}:TRUE`)
    return { bin: "tshark", prefs }
}

const parseMetric = (line: string) => {
    const m = /^([^:]+):([^|]+)\|([a-z]+)$/.exec(line)
    assert.ok(m, `not a StatsD metric line: ${JSON.stringify(line)}`)
    return { name: m[1], value: Number(m[2]), type: m[3] }
}

describe("npm start: the telemetry firmware in the simulator", function () {
    this.timeout(180000)
    let dir: string
    let statsd: StatsD
    let run: Run
    let pcap: string
    let finalFlushes: Flush[]
    /** The address the virtual gateway's DHCP server leased (from the runner's "dhcp lease" line). */
    let leased = ""

    before(async function () {
        this.timeout(180000)
        assert.ok(fs.existsSync(STATSD), "the statsd package is not installed (npm ci installs it: it is a devDependency)")
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "devs-start-"))
        pcap = path.join(dir, "telemetry.pcap")
        statsd = new StatsD(await freeUdpPort(), await freeTcpPort(), dir)
        await statsd.start()
        run = await runStart(["--seconds", String(SECONDS), "--pcap", pcap, "--forward", `127.0.0.1:${statsd.port}`])
        // let the daemon flush what arrived last, twice to be sure the last datagram is in
        const n = statsd.flushes().length
        await statsd.waitFor(() => statsd.flushes().length >= n + 2, 5000, "StatsD did not flush")
        finalFlushes = statsd.flushes()
        const l = run.lines.find(l => /^dhcp lease \S+\//.test(l.text))
        if (l) leased = /^dhcp lease (\S+)\//.exec(l.text)![1]
    })

    after(async () => {
        await statsd?.stop() // also when a test or the before hook failed
        if (dir) fs.rmSync(dir, { recursive: true, force: true })
    })

    it("runs for --seconds and exits 0", () => {
        assert.equal(run.code, 0, "npm start failed" + tail(run))
        assert.ok(run.lines.some(l => /^done: \d+ telemetry datagrams in 14 s$/.test(l.text)), tail(run))
    })

    it("telemetry from the DHCP lease's address reaches the virtual collector within seconds of the lease, every interval", () => {
        const up = run.lines.find(l => /^link up, device \S+ open$/.test(l.text))
        assert.ok(up, "no 'link up' line" + tail(run))
        const lease = run.lines.find(l => /^dhcp lease \S+\/\d+ from \S+ for \d+ s$/.test(l.text))
        assert.ok(lease, "no DHCP lease" + tail(run))
        // never blocked: the rounds before the lease were sampled and reported as not sent
        const early = run.lines.filter(l => l.t < lease.t && /^telemetry datagram \d+ bytes: no address yet$/.test(l.text))
        assert.ok(early.length > 0 && up.t <= early[0].t, "no 'no address yet' round before the lease" + tail(run))
        const got = run.lines.filter(l => l.text.startsWith(`collector received from ${leased}:`))
        assert.ok(got.length > 0, "the collector received nothing" + tail(run))
        assert.ok(got[0].t - lease.t <= 2, `first datagram ${(got[0].t - lease.t).toFixed(1)} s after the lease` + tail(run))
        // one a second (intervalMs 1000) from the lease to the end, allowing for the cut at the end
        const interval = (CONFIG.telemetry.intervalMs ?? 1000) / 1000
        const done = run.lines.find(l => l.text.startsWith("done: "))!
        assert.ok(got.length >= Math.floor((done.t - lease.t) / interval) - 2, `only ${got.length} datagrams in ${(done.t - lease.t).toFixed(1)} s after the lease` + tail(run))
        assert.equal(run.datagrams.length, got.length)
        const prefix = CONFIG.telemetry.prefix + "."
        for (const d of run.datagrams) {
            assert.ok(d.length > 0)
            for (const line of d) assert.ok(parseMetric(line).name.startsWith(prefix), line)
            assert.ok(d.some(l => l === `${prefix}link_up:1|g`), d.join("\n"))
        }
        assert.ok(run.lines.some(l => l.text === `forwarded ${run.datagrams.length} datagrams to 127.0.0.1:${statsd.port}`), tail(run))
    })

    it("writes a pcap that tshark reads with no malformed frame and good checksums", function () {
        const ts = tshark()
        if (!ts) {
            if (process.env.CI) assert.fail("tshark is not installed: CI must install it (apt-get install tshark, see .ci/run)")
            this.skip()
        }
        assert.ok(fs.existsSync(pcap), "no pcap written" + tail(run))
        const fields = [
            "frame.number",
            "frame.protocols",
            "ip.checksum.status",
            "udp.checksum.status",
            "icmp.checksum.status",
            "_ws.malformed",
            "_ws.expert.severity",
            "_ws.expert.message",
            "ip.src",
            "ip.dst",
            "udp.dstport",
            "data.data",
        ]
        const r = spawnSync(
            ts.bin,
            ["-r", pcap, ...ts.prefs, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|", ...fields.flatMap(f => ["-e", f])],
            { encoding: "utf8", maxBuffer: 64 << 20 }
        )
        assert.equal(r.status, 0, `tshark failed: ${r.stderr}`)
        assert.ok(!/cut short|corrupt|isn't a capture file|unknown/i.test(r.stderr), r.stderr)
        const rows = r.stdout
            .trim()
            .split("\n")
            .map(l => {
                const v = l.split("\t")
                return Object.fromEntries(fields.map((f, i) => [f, v[i] ?? ""]))
            })
        assert.ok(rows.length >= 4, `only ${rows.length} frames`)
        const problems: string[] = []
        const GOOD = "1" // tshark's checksum.status: 0 bad, 1 good, 2 unverified
        for (const f of rows) {
            const n = `frame ${f["frame.number"]} (${f["frame.protocols"]})`
            if (f["_ws.malformed"] !== "") problems.push(`${n}: malformed`)
            for (const c of ["ip.checksum.status", "udp.checksum.status", "icmp.checksum.status"])
                for (const s of f[c] ? f[c].split("|") : []) if (s !== GOOD) problems.push(`${n}: ${c} = ${s}`)
            const sev = f["_ws.expert.severity"] ? f["_ws.expert.severity"].split("|").map(Number) : []
            // 0x00600000 warning, 0x00800000 error
            if (sev.some(s => s >= 0x00600000)) problems.push(`${n}: ${f["_ws.expert.message"]}`)
        }
        assert.deepEqual(problems, [], problems.join("\n"))
        // every IPv4 frame's checksums were in fact verified
        const ipv4 = rows.filter(f => f["frame.protocols"].includes(":ip:"))
        assert.ok(ipv4.length > 0)
        for (const f of ipv4) assert.equal(f["ip.checksum.status"], GOOD, `frame ${f["frame.number"]}`)
        // the telemetry on the wire is what the collector received
        const telemetry = rows.filter(
            f => f["ip.src"] === leased && f["ip.dst"] === CONFIG.telemetry.collector && f["udp.dstport"] === String(CONFIG.telemetry.port)
        )
        for (const f of telemetry) assert.equal(f["udp.checksum.status"], GOOD)
        const onWire = telemetry.map(f => Buffer.from(f["data.data"].replace(/:/g, ""), "hex").toString("utf8").replace(/\n$/, "").split("\n"))
        assert.deepEqual(onWire, run.datagrams)
    })

    it("a real StatsD daemon receives the metric lines the firmware sent", () => {
        const sent = run.datagrams.flat()
        assert.ok(sent.length > 0, tail(run))
        assert.deepEqual(statsd.received(), sent, "StatsD's log:\n" + statsd.out.slice(-3000))
    })

    it("StatsD's gauges and summed counters are the values the firmware sent", () => {
        const sent = run.datagrams.flat().map(parseMetric)
        const p = CONFIG.telemetry.prefix + "."
        // gauges: the last value sent; uptime counts up
        const last = finalFlushes[finalFlushes.length - 1]
        const uptimes = sent.filter(m => m.name === p + "uptime_s").map(m => m.value)
        assert.ok(uptimes.length >= 3)
        for (let i = 1; i < uptimes.length; i++) assert.ok(uptimes[i] > uptimes[i - 1], `uptime_s ${uptimes.join(", ")}`)
        assert.equal(last.gauges[p + "uptime_s"], uptimes[uptimes.length - 1])
        assert.equal(last.gauges[p + "link_up"], 1)
        for (const g of sent.filter(m => m.type === "g")) assert.ok(g.name in last.gauges, g.name)
        // counters: StatsD resets them at each flush; summed over the flushes they are what was sent
        const counterNames = [...new Set(sent.filter(m => m.type === "c").map(m => m.name))]
        for (const n of [p + "tx_packets", p + "tx_bytes", p + "ip_out_requests", p + "qdisc_drops", p + "telemetry_dropped"])
            assert.ok(counterNames.includes(n), `${n} not sent`)
        for (const n of counterNames) {
            const want = sent.filter(m => m.name === n).reduce((a, m) => a + m.value, 0)
            const got = finalFlushes.reduce((a, f) => a + (f.counters[n] ?? 0), 0)
            assert.equal(got, want, `counter ${n}`)
        }
        assert.ok(sent.filter(m => m.name === p + "tx_packets").reduce((a, m) => a + m.value, 0) > 0, "tx_packets never counted")
        const bad = finalFlushes.reduce((a, f) => a + (f.counters["statsd.bad_lines_seen"] ?? 0), 0)
        assert.equal(bad, 0, "StatsD saw bad lines")
    })
})
