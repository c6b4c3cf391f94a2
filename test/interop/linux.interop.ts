/**
 * Linux interop: the stack in the DeviceScript simulator (a chip model, the driver, the stack, the
 * telemetry client: test/interop/board.ts) joined through the host bridge (host/bridge/) to a TAP
 * interface in a throw-away network namespace, checked against the Linux kernel there:
 *   ARP both ways; UDP datagrams byte-exact at a real socket; 4,000- and 16,000-byte datagrams
 *   reassembled by the kernel; ping, and a ping flood rate-limited while telemetry keeps flowing;
 *   telemetry at a real StatsD daemon (node_modules/statsd, when installed; else a UDP listener that
 *   parses StatsD lines); every captured frame clean under tshark with checksum validation.
 *
 *   npm run test:interop        (mocha --config test/interop/mocharc.cjs)
 *
 * Needs root: it skips, saying why, only when namespaces cannot be made (not root, no `ip`,
 * `ip netns add` fails). socat, tcpdump, tshark and ping must be installed (it fails otherwise).
 * Addresses: 192.0.2.0/24 only (RFC 5737) — the kernel side 192.0.2.1 (gateway and collector of
 * the board), the board 192.0.2.10. Everything it creates is removed at the end, also on failure.
 * Environment: DSNET_INTEROP_CHIP=w5500|enc28j60 (default: devicescript.json's chip),
 * DSNET_INTEROP_KEEP=1 keeps the work directory (pcaps, logs), DSNET_STATSD=<path to statsd's
 * stats.js> uses that StatsD instead of node_modules/statsd.
 */
import * as assert from "node:assert/strict"
import * as fs from "node:fs"
import * as path from "node:path"
import { readPcap } from "../../host/pcap/writer"
import { BOARD_MAC, KERNEL_IP, KERNEL_MAC, Proc, ROOT, Rig, W5500_DEVICE, eachLine, requireTools, run, runIn, sleep, startIn, staticAddressing, until } from "./harness"

const rig = new Rig({ nsPrefix: "dsnet-iop-", tap: "dsiop" + (process.pid % 1000000), workPrefix: "dsnet-interop-", entryPrefix: "entry-" })
const NS = rig.ns
const TAP = rig.tap
const BOARD_IP = "192.0.2.10"
const DATA_PORT = 9001
const STATSD_PORT = 8125
const TELEMETRY_MS = 500
const ICMP_RATE = 10
const T0 = Date.now()

const elapsed = () => ((Date.now() - T0) / 1000).toFixed(1) + " s"

/** What the test sees arrive at the namespace's sockets. */
interface Datagram {
    at: number
    port: number
    from: string
    data: Buffer
}

/** Payload byte i of datagram `id` (test/interop/board.ts fills it so). */
function expected(id: number, len: number): Buffer {
    const b = Buffer.alloc(len)
    for (let i = 0; i < len; i++) b[i] = (i + id) & 0xff
    return b
}

function configuredChip(): string {
    const env = process.env.DSNET_INTEROP_CHIP
    if (env) return env
    return JSON.parse(fs.readFileSync(path.join(ROOT, "devicescript.json"), "utf8")).chip
}

/** The board program's entry: the chip's model and driver only, and the test's addresses. */
function writeEntry(port: number, chip: string): string {
    const device =
        chip === "enc28j60"
            ? [
                  `import { Enc28j60Model } from "../src/sim/enc28j60"`,
                  `import { Enc28j60Device } from "../src/drivers/enc28j60/device"`,
                  `const device = (seg: Segment) => new Enc28j60Device(new SimSpiBus(new Enc28j60Model(seg)), CONFIG.mac, { mtu: CONFIG.mtu })`,
              ]
            : W5500_DEVICE
    return rig.writeEntry(
        "linux.interop.ts",
        { fn: "runInteropBoard", module: "board" },
        [
            ...staticAddressing({ comments: true }),
            `CONFIG.maxDatagram = 16000`,
            `CONFIG.icmpRatePerSec = ${ICMP_RATE}`,
            `CONFIG.collector = 0xc0000201 // ${KERNEL_IP}`,
            `CONFIG.collectorPort = ${STATSD_PORT}`,
            `CONFIG.telemetryFormat = "statsd"`,
            `CONFIG.telemetryPrefix = "board"`,
            `CONFIG.telemetryIntervalMs = ${TELEMETRY_MS}`,
        ],
        `await runInteropBoard(CONFIG, device, "127.0.0.1", ${port})`,
        { device, chip }
    )
}

/** /proc/net/snmp of the namespace: { "Ip.ReasmOKs": n, ... } */
async function snmp(): Promise<Record<string, number>> {
    const r = await runIn(NS, "cat", ["/proc/net/snmp"])
    const out: Record<string, number> = {}
    const lines = r.stdout.split("\n")
    for (let i = 0; i + 1 < lines.length; i += 2) {
        const names = lines[i].split(/\s+/)
        const values = lines[i + 1].split(/\s+/)
        const proto = names[0].replace(":", "")
        for (let k = 1; k < names.length; k++) out[proto + "." + names[k]] = Number(values[k])
    }
    return out
}

/** "Icmp: ... OutRateLimited 3 ..." lines of formatStack(stack) -> { "Icmp.OutRateLimited": 3, ... } */
function parseStats(text: string): Record<string, number> {
    const out: Record<string, number> = {}
    for (const line of text.split("\n")) {
        const m = /^([A-Za-z_ ]+?):\s(.*)$/.exec(line)
        if (!m) continue
        const words = m[2].split(/[\s,()]+/).filter(Boolean)
        for (let i = 0; i + 1 < words.length; i++) if (/^-?\d+b?p?$/.test(words[i + 1])) out[m[1] + "." + words[i]] = parseInt(words[i + 1])
    }
    return out
}

describe(`Linux interop: the simulated board on a TAP interface in a network namespace`, function () {
    this.timeout(120000)

    let work = ""
    let sink: Proc | null = null
    let statsd: Proc | null = null
    let statsdMode = ""
    const chip = configuredChip()
    const datagrams: Datagram[] = []
    /** StatsD lines the collector got, with their arrival time. */
    const statsdLines: { at: number; line: string }[] = []
    const timings: string[] = []
    const bridgeLog: string[] = []

    const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
        const t = Date.now()
        try {
            return await f()
        } finally {
            timings.push(`${what}: ${((Date.now() - t) / 1000).toFixed(1)} s`)
        }
    }

    /** Send a command to the board program; its answer starting with `answer`, within `ms`. */
    const ask = (cmd: string, answer: string, ms = 20000) => rig.ask(cmd, answer, ms)

    async function boardStats(): Promise<Record<string, number>> {
        return parseStats(await ask("stats", "stats"))
    }

    let nextId = 1
    /** The board sends `len` bytes to the namespace's DATA_PORT; returns the id and the board's result. */
    async function boardSend(len: number, wait: boolean): Promise<{ id: number; result: string }> {
        const id = nextId++
        const a = await ask(`send ${id} ${KERNEL_IP} ${DATA_PORT} ${len} ${wait ? 1 : 0}`, `sent ${id} `, 30000)
        return { id, result: a.slice(`sent ${id} `.length) }
    }

    async function arrival(id: number, len: number, ms = 10000): Promise<Datagram> {
        const want = expected(id, len)
        let d: Datagram | undefined
        await until(() => (d = datagrams.find(x => x.port === DATA_PORT && x.data.length === len && x.data[0] === want[0] && x.data.equals(want))) !== undefined, ms, 20)
        if (!d) {
            const near = datagrams.filter(x => x.port === DATA_PORT).slice(-5).map(x => `${x.data.length} bytes, first ${x.data.subarray(0, 8).toString("hex")}`)
            const k = await snmp()
            const kernel = ["Ip.InHdrErrors", "Ip.ReasmReqds", "Ip.ReasmOKs", "Ip.ReasmFails", "Udp.InDatagrams", "Udp.InErrors", "Udp.InCsumErrors", "Udp.NoPorts"]
                .map(n => `${n} ${k[n]}`)
                .join(", ")
            throw new Error(
                `datagram ${id} (${len} bytes) did not arrive byte-exact at ${KERNEL_IP}:${DATA_PORT} within ${ms} ms; ` +
                    `last seen: ${near.join("; ") || "none"}; the kernel's /proc/net/snmp: ${kernel}`
            )
        }
        return d
    }

    before(async function () {
        this.timeout(240000)
        // ---- can this machine make namespaces? (the only reasons to skip)
        const stale = await rig.setUp(this, { rootHint: " (sudo npm run test:interop)" })
        if (stale.length) console.log(`      (removed namespaces left by killed runs: ${stale.join(", ")})`)
        // ---- tools the suite needs (missing: a failure that says what to install)
        requireTools([
            ["socat", "socat"],
            ["tcpdump", "tcpdump"],
            ["tshark", "tshark"],
            ["ping", "iputils-ping"],
        ])

        work = rig.makeWork()

        // ---- the namespace: loopback up, no IPv6 chatter on the capture
        await timed("namespace", () => rig.quietNamespace(true))

        // ---- the bridge: TAP created by socat, moved into the namespace, addressed, up
        const bridge = await timed("bridge + TAP", () => rig.startBridge(l => bridgeLog.push(`[${elapsed()}] ${l}`)))
        const link = await run("ip", ["-n", NS, "-o", "link", "show", TAP])
        assert.match(link.stdout, /LOWER_UP/, `TAP ${TAP} in ${NS} has no carrier: ${link.stdout}`)

        // ---- capture on the TAP, in the namespace (the kernel's view)
        await rig.startCapture()

        // ---- the collector: a real StatsD daemon when one is installed, else a UDP listener
        const statsdJs = process.env.DSNET_STATSD ?? path.join(ROOT, "node_modules", "statsd", "stats.js")
        const sinkPorts = [String(DATA_PORT)]
        if (fs.existsSync(statsdJs)) {
            statsdMode = `StatsD daemon ${statsdJs}`
            const cfg = path.join(work, "statsd-config.js")
            fs.writeFileSync(
                cfg,
                JSON.stringify({
                    address: KERNEL_IP,
                    port: STATSD_PORT,
                    mgmt_address: "127.0.0.1",
                    mgmt_port: 8126,
                    flushInterval: 1000,
                    backends: ["./backends/console"],
                    dumpMessages: true,
                    automaticConfigReload: false,
                })
            )
            statsd = startIn(NS, "statsd", process.execPath, ["--no-deprecation", statsdJs, cfg], path.dirname(statsdJs))
            await statsd.waitLine(/server is up/, 15000)
        } else {
            statsdMode = "no StatsD daemon installed (node_modules/statsd): a UDP listener parsing StatsD lines stands in"
            sinkPorts.push(String(STATSD_PORT))
        }
        sink = startIn(NS, "udp-sink", process.execPath, [path.join(__dirname, "udp-sink.cjs"), KERNEL_IP, ...sinkPorts])
        await sink.waitLine(/^ready$/, 10000)
        const takeSink = (line: string) => {
            if (!line.startsWith("{")) return
            const j = JSON.parse(line)
            const d: Datagram = { at: Date.now(), port: j.port, from: j.from, data: Buffer.from(j.data, "base64") }
            datagrams.push(d)
            if (d.port === STATSD_PORT) for (const l of d.data.toString().split("\n")) if (l) statsdLines.push({ at: d.at, line: l })
        }
        // follow the listeners' output as it comes
        eachLine(sink, takeSink)
        if (statsd) {
            eachLine(statsd, l => {
                const m = /- DEBUG: (\S+:[^|\s]+\|[a-z]+)\s*$/.exec(l)
                if (m) statsdLines.push({ at: Date.now(), line: m[1] })
            })
        }

        // ---- the board, in the simulator, connected to the bridge
        writeEntry(bridge.port, chip)
        rig.startSimulator(600)
        await timed("build + start the simulator until HELLO", () => rig.waitConnected())
        const hello = bridge.board!
        assert.equal(hello.mac, BOARD_MAC)
        await timed("board stack up (ready)", () => rig.waitReady())
        console.log(`      board ${BOARD_MAC} (${chip} model) up at ${elapsed()}; namespace ${NS}, TAP ${TAP}; collector: ${statsdMode}`)
    })

    afterEach(function () {
        rig.reportFailure(this, {}, 40)
        if (this.currentTest?.state === "failed" && rig.bridge) console.log(`      bridge: ${rig.bridge.format()}\n${bridgeLog.map(l => "        " + l).join("\n")}`)
    })

    after(async function () {
        this.timeout(60000)
        if (rig.skipReason) return
        try {
            await rig.quitBoard()
            if (rig.bridge) console.log(`      bridge: ${rig.bridge.format()}`)
            console.log(`      timings: ${timings.join("; ")}; total ${elapsed()}`)
        } finally {
            await rig.tearDown()
        }
    })

    it("the kernel resolves the board's MAC by ARP (ip neigh after a ping)", async () => {
        // forget what the board's own ARP request taught the kernel, so that the kernel has to ask
        await run("ip", ["-n", NS, "neigh", "flush", "dev", TAP])
        const p = await runIn(NS, "ping", ["-n", "-c", "2", "-i", "0.3", "-W", "3", BOARD_IP], 15000)
        assert.match(p.stdout, / [12] received/, `no reply to ping:\n${p.stdout}${p.stderr}`)
        const n = await run("ip", ["-n", NS, "neigh", "show", BOARD_IP, "dev", TAP])
        assert.match(n.stdout, new RegExp(`lladdr ${BOARD_MAC} (REACHABLE|STALE|DELAY|PROBE)`), `ip neigh: ${n.stdout}`)
    })

    it("the board resolves the kernel's MAC: a datagram to the namespace arrives", async () => {
        const { id, result } = await boardSend(32, false)
        assert.match(result, /^(sent|queued)/)
        const d = await arrival(id, 32)
        assert.equal(d.from, BOARD_IP)
        const n = await ask(`neigh ${KERNEL_IP}`, `neigh ${KERNEL_IP} `)
        assert.match(n, new RegExp(`(REACHABLE|STALE|DELAY|PROBE) ${KERNEL_MAC}$`), n)
    })

    it("UDP datagrams arrive byte-exact at a real socket (1 to 1472 bytes)", async () => {
        for (const len of [1, 17, 64, 255, 512, 1000, 1472]) {
            const { id, result } = await boardSend(len, false)
            assert.equal(result, "sent", `${len} bytes: ${result}`)
            await arrival(id, len)
        }
    })

    it("a 4,000-byte datagram is reassembled by the kernel (3 fragments)", async () => {
        const before = await snmp()
        const { id, result } = await boardSend(4000, false)
        assert.equal(result, "sent")
        await arrival(id, 4000)
        const after = await snmp()
        assert.equal(after["Ip.ReasmReqds"] - before["Ip.ReasmReqds"], 3, "fragments the kernel received")
        assert.equal(after["Ip.ReasmOKs"] - before["Ip.ReasmOKs"], 1, "datagrams the kernel reassembled")
        assert.equal(after["Ip.ReasmFails"] - before["Ip.ReasmFails"], 0, "reassembly failures")
    })

    it("a 16,000-byte datagram (sendToWait) is reassembled by the kernel (11 fragments)", async () => {
        const before = await snmp()
        const { id, result } = await boardSend(16000, true)
        assert.equal(result, "sent")
        await arrival(id, 16000, 20000)
        const after = await snmp()
        assert.equal(after["Ip.ReasmReqds"] - before["Ip.ReasmReqds"], 11, "fragments the kernel received")
        assert.equal(after["Ip.ReasmOKs"] - before["Ip.ReasmOKs"], 1, "datagrams the kernel reassembled")
        assert.equal(after["Udp.InErrors"] - before["Udp.InErrors"], 0, "UDP checksum / receive errors at the kernel")
    })

    it("ping from the namespace gets every reply", async () => {
        const p = await runIn(NS, "ping", ["-n", "-c", "5", "-i", "0.25", "-W", "3", BOARD_IP], 20000)
        assert.match(p.stdout, /5 packets transmitted, 5 received/, p.stdout + p.stderr)
    })

    it("a ping flood is rate-limited and telemetry keeps arriving during it", async function () {
        this.timeout(90000)
        await sleep(1500) // let the echo token bucket refill after the previous test
        const s0 = await boardStats()
        const t0 = Date.now()
        // (no -w: with a deadline ping keeps sending until 500 replies, not 500 requests)
        const p = await runIn(NS, "ping", ["-n", "-q", "-f", "-c", "500", "-W", "1", BOARD_IP], 60000)
        const t1 = Date.now()
        const s1 = await boardStats()
        const secs = (t1 - t0) / 1000
        const m = /(\d+) packets transmitted, (\d+) received/.exec(p.stdout)
        assert.ok(m, `ping -f output:\n${p.stdout}${p.stderr}`)
        const sent = Number(m[1])
        const got = Number(m[2])
        const limited = s1["Icmp.OutRateLimited"] - s0["Icmp.OutRateLimited"]
        const echoes = s1["Icmp.InEchos"] - s0["Icmp.InEchos"]
        const replies = s1["Icmp.OutEchoReps"] - s0["Icmp.OutEchoReps"]
        const telemetry = statsdLines.filter(l => l.at >= t0 && l.at <= t1 && l.line.startsWith("board.uptime_s:")).length
        const dropped = s1["telemetry.dropped"] - s0["telemetry.dropped"]
        console.log(
            `      flood: ${sent} requests in ${secs.toFixed(1)} s, ${got} replies; board: ${echoes} echo requests in, ` +
                `${replies} replies, ${limited} rate-limited; ${telemetry} telemetry rounds arrived meanwhile, ${dropped} dropped; ` +
                `bridge: ${rig.bridge!.stats.droppedQueueFull} frames dropped at the board's queue`
        )
        assert.equal(sent, 500)
        assert.ok(got >= 1, "no reply at all during the flood")
        // token bucket of ICMP_RATE a second with a burst of ICMP_RATE (+2 for timing at the edges)
        assert.ok(got <= Math.ceil(ICMP_RATE * secs) + ICMP_RATE + 2, `${got} replies in ${secs.toFixed(1)} s is over ${ICMP_RATE}/s`)
        assert.ok(limited > 0, "the board rate-limited nothing")
        assert.ok(replies >= got, `board sent ${replies} replies, ping counted ${got}`)
        // telemetry every TELEMETRY_MS: at least half of the rounds the flood lasted (and 2)
        const due = Math.floor((secs * 1000) / TELEMETRY_MS)
        assert.ok(telemetry >= Math.max(2, Math.floor(due / 2)), `${telemetry} telemetry rounds arrived during ${secs.toFixed(1)} s of flood (${due} due)`)
        assert.equal(dropped, 0, "telemetry datagrams dropped by the board during the flood")
    })

    it(`telemetry reaches the StatsD collector in the namespace`, async () => {
        const ok = await until(() => statsdLines.filter(l => l.line.startsWith("board.uptime_s:")).length >= 3, 10000)
        assert.ok(ok, `StatsD lines seen: ${statsdLines.length} (${statsdMode})`)
        const names = new Set(statsdLines.map(l => l.line.split(":")[0]))
        for (const n of ["board.uptime_s", "board.link_up", "board.tx_packets", "board.rx_packets", "board.ip_out_requests"])
            assert.ok(names.has(n), `metric ${n} missing; got ${[...names].join(", ")}`)
        for (const l of statsdLines) assert.match(l.line, /^[A-Za-z0-9_.]+:-?\d+(\.\d+)?\|(g|c|ms)$/, `not a StatsD line: ${l.line}`)
        assert.ok(statsdLines.some(l => l.line === "board.link_up:1|g"), "link_up is not 1")
        const up = statsdLines.filter(l => l.line.startsWith("board.uptime_s:")).map(l => Number(l.line.split(/[:|]/)[1]))
        assert.ok(up[up.length - 1] > up[0], `uptime does not advance: ${up.join(",")}`)
        if (statsd) {
            assert.ok(!statsd.lines.some(l => /Bad line/.test(l)), `StatsD rejected lines:\n${statsd.lines.filter(l => /Bad line/.test(l)).join("\n")}`)
            // the console backend prints each flush's metrics: the daemon aggregated ours
            assert.ok(statsd.lines.some(l => l.includes("'board.uptime_s'")), `StatsD never flushed board.uptime_s:\n${statsd.tail(20)}`)
        }
        console.log(`      ${statsdLines.length} StatsD lines, ${names.size} metrics (${statsdMode})`)
    })

    it("every captured frame passes tshark with checksum validation (tcpdump on the TAP, and the bridge's pcap)", async function () {
        this.timeout(60000)
        await rig.stopCapture()
        const tcpdumpStats = rig.tcpdump!.lines.filter(l => /packets (captured|received by filter|dropped by kernel)/.test(l)).map(l => l.replace(/^! /, ""))
        const prefs = (await run("tshark", ["-G", "defaultprefs"], 30000)).stdout
        const opts: string[] = []
        const checked: string[] = []
        for (const p of ["ip", "udp", "icmp"]) {
            if (new RegExp(`^#?${p}\\.check_checksum:`, "m").test(prefs)) {
                opts.push("-o", `${p}.check_checksum:TRUE`)
                checked.push(p)
            }
        }
        // (Wireshark 4.0 has no icmp.check_checksum preference: it always verifies ICMP checksums)
        const bad = '_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad"'
        const report: string[] = []
        // the bridge is still writing its pcap (telemetry goes on): check a copy taken between frames
        fs.copyFileSync(path.join(work, "bridge.pcap"), path.join(work, "bridge-snapshot.pcap"))
        for (const name of ["tap.pcap", "bridge-snapshot.pcap"]) {
            const file = path.join(work, name)
            const frames = readPcap(file).length
            assert.ok(frames > 50, `${name}: only ${frames} frames`)
            const r = await run("tshark", ["-r", file, "-n", ...opts, "-Y", bad], 60000)
            assert.equal(r.code, 0, r.stderr)
            const flagged = r.stdout.split("\n").filter(Boolean)
            if (flagged.length > 0)
                assert.fail(`${name}: tshark flags ${flagged.length} frames (the first 10):\n${flagged.slice(0, 10).join("\n")}`)
            const f = await run("tshark", ["-r", file, "-n", ...opts, "-T", "fields", "-e", "_ws.col.Protocol", "-e", "ip.reassembled.length", "-e", "arp.opcode", "-e", "eth.src", "-e", "arp.dst.proto_ipv4"], 60000)
            const rows = f.stdout.split("\n").filter(Boolean).map(l => l.split("\t"))
            const count = (p: (r: string[]) => boolean) => rows.filter(p).length
            const reasm = rows.map(r => r[1]).filter(Boolean)
            assert.ok(reasm.includes("4008"), `${name}: no reassembled 4,008-byte UDP datagram (got ${reasm.join(",")})`)
            assert.ok(reasm.includes("16008"), `${name}: no reassembled 16,008-byte UDP datagram`)
            assert.ok(count(r => r[2] === "1" && r[3] === KERNEL_MAC && r[4] === BOARD_IP) >= 1, `${name}: no ARP request from the kernel for ${BOARD_IP}`)
            assert.ok(count(r => r[2] === "2" && r[3] === BOARD_MAC) >= 1, `${name}: no ARP reply from the board`)
            report.push(
                `${name}: ${frames} frames (${count(r => r[0] === "ARP")} ARP, ${count(r => r[0] === "ICMP")} ICMP, ` +
                    `${count(r => r[0] === "UDP")} UDP, ${count(r => r[0] === "IPv4")} IPv4 fragments), none flagged`
            )
        }
        console.log(`      tshark (${checked.join("+")} checksum prefs on): ${report.join("; ")}; tcpdump: ${tcpdumpStats.join(", ")}`)
    })
})
