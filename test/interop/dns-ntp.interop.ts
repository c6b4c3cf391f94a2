/**
 * DNS and SNTP interop: the simulated board (test/interop/dns-ntp-board.ts) on a TAP interface in a
 * throw-away network namespace, through the host bridge, against real servers started there:
 *   dnsmasq (DNS only: --host-record for collector.lan, --cname www.lan -> collector.lan, --local=/lan/
 *   so other .lan names are NXDOMAIN) and chronyd (an NTP server on the namespace's clock, `local
 *   stratum 8`, `allow 192.0.2.0/24`, -x: it never sets the clock). Checks: an A name, a CNAME, an
 *   NXDOMAIN, SNTP offset vs the host clock within 50 ms, and Influx telemetry sent to the collector
 *   by its name, stamped with that clock.
 *
 *   npm run test:interop        (mocha --config test/interop/mocharc.cjs)
 *
 * Needs root; skips, saying why, only when namespaces cannot be made. dnsmasq, chronyd and socat must
 * be installed (Debian: apt-get install dnsmasq chrony socat). Addresses: 192.0.2.0/24 (RFC 5737).
 * Everything it starts is removed at the end, also on failure (test/interop/harness.ts).
 */
import * as assert from "node:assert/strict"
import * as fs from "node:fs"
import * as path from "node:path"
import { KERNEL_IP, Proc, Rig, eachLine, requireTools, startIn, staticAddressing, until } from "./harness"

const rig = new Rig({ nsPrefix: "dsnet-dns-", tap: "dsdns" + (process.pid % 1000000), workPrefix: "dsnet-dns-", entryPrefix: "dns-entry-" })
const NS = rig.ns
const COLLECTOR_PORT = 8189
const TELEMETRY_MS = 500

function writeEntry(port: number): string {
    return rig.writeEntry(
        "dns-ntp.interop.ts",
        { fn: "runDnsNtpBoard", module: "dns-ntp-board" },
        [
            ...staticAddressing({ mtu: false, comments: true }),
            `CONFIG.collector = 0`,
            `CONFIG.collectorName = "collector.lan"`,
            `CONFIG.collectorPort = ${COLLECTOR_PORT}`,
            `CONFIG.dnsServers = [0xc0000201]`,
            `CONFIG.ntpServers = [0xc0000201]`,
            `CONFIG.telemetryFormat = "influx"`,
            `CONFIG.telemetryPrefix = "board"`,
            `CONFIG.telemetryIntervalMs = ${TELEMETRY_MS}`,
        ],
        `await runDnsNtpBoard(CONFIG, device, "127.0.0.1", ${port})`
    )
}

describe("DNS and SNTP interop: the simulated board against dnsmasq and chronyd in a network namespace", function () {
    this.timeout(120000)

    let work = ""
    let dnsmasq: Proc | null = null
    const lines: { at: number; text: string }[] = []

    const ask = (cmd: string, answer: string, ms = 20000) => rig.ask(cmd, answer, ms, 10)

    let nextId = 1
    async function resolve(name: string): Promise<string[]> {
        const id = nextId++
        return (await ask(`resolve ${id} ${name}`, `resolved ${id} `)).split(" ").slice(2)
    }

    before(async function () {
        this.timeout(240000)
        await rig.setUp(this)
        requireTools([
            ["socat", "socat"],
            ["dnsmasq", "dnsmasq"],
            ["chronyd", "chrony"],
        ])

        work = rig.makeWork()
        await rig.quietNamespace()
        await rig.startBridge()

        // ---- dnsmasq: DNS only (no dhcp-range), answering from its own records, nothing forwarded
        dnsmasq = startIn(NS, "dnsmasq", "dnsmasq", [
            "-k",
            "-C",
            "/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            `--listen-address=${KERNEL_IP}`,
            "--user=root",
            `--pid-file=${path.join(work, "dnsmasq.pid")}`,
            "--log-queries",
            "--log-facility=-",
            "--local-ttl=30",
            `--host-record=collector.lan,${KERNEL_IP}`,
            "--cname=www.lan,collector.lan",
            "--local=/lan/",
        ])
        await dnsmasq.waitLine(/started, version/, 10000)

        // ---- chronyd: serves the namespace's clock (the host's: namespaces share it), never sets it
        const conf = path.join(work, "chrony.conf")
        fs.writeFileSync(conf, `local stratum 8\nallow 192.0.2.0/24\nbindaddress ${KERNEL_IP}\ncmdport 0\npidfile ${path.join(work, "chronyd.pid")}\n`)
        const chrony = startIn(NS, "chronyd", "chronyd", ["-d", "-x", "-u", "root", "-f", conf])
        await chrony.waitLine(/chronyd version/, 10000)

        // ---- the collector: a UDP listener on the name's address
        const sink = startIn(NS, "udp-sink", process.execPath, [path.join(__dirname, "udp-sink.cjs"), KERNEL_IP, String(COLLECTOR_PORT)])
        await sink.waitLine(/^ready$/, 10000)
        eachLine(sink, l => {
            if (!l.startsWith("{")) return
            const j = JSON.parse(l)
            for (const t of Buffer.from(j.data, "base64").toString().split("\n")) if (t) lines.push({ at: Date.now(), text: t })
        })

        writeEntry(rig.bridge!.port)
        rig.startSimulator(600)
        await rig.waitConnected()
        await rig.waitReady()
    })

    afterEach(function () {
        rig.reportFailure(this, { dnsmasq })
    })

    after(async function () {
        this.timeout(60000)
        if (rig.skipReason) return
        try {
            if (rig.bridge?.board && rig.sim && !rig.sim.exited) console.log("      " + (await ask("stats", "stats", 10000).catch(() => "")).split("\n").join("\n      "))
            await rig.quitBoard()
        } finally {
            await rig.tearDown()
        }
    })

    it("an A record from dnsmasq's --host-record, with its TTL (--local-ttl 30)", async () => {
        const [outcome, addr, ttl] = await resolve("collector.lan")
        assert.equal(outcome, "Ok")
        assert.equal(addr, KERNEL_IP)
        assert.ok(Number(ttl) > 0 && Number(ttl) <= 30000, `ttl ${ttl}`)
        assert.ok(dnsmasq!.lines.some(l => /query\[A\] collector\.lan from 192\.0\.2\.10/.test(l)), dnsmasq!.tail(10))
    })

    it("a CNAME followed to the address inside dnsmasq's answer", async () => {
        const [outcome, addr] = await resolve("www.lan")
        assert.equal(outcome, "Ok")
        assert.equal(addr, KERNEL_IP)
    })

    it("NXDOMAIN for a name in dnsmasq's --local domain", async () => {
        const [outcome, addr] = await resolve("nope.lan")
        assert.equal(outcome, "NxDomain")
        assert.equal(addr, "0.0.0.0")
    })

    it("SNTP against chronyd: the board's clock within 50 ms of the namespace's", async () => {
        let r: string[] = []
        // chronyd answers once its `local` reference is active: a few tries, bounded
        for (let i = 0; i < 10; i++) {
            r = (await ask(`sntp ${nextId}`, `sntp ${nextId++} `)).split(" ").slice(2)
            if (r[0] === "0") break
            await new Promise(res => setTimeout(res, 1000))
        }
        assert.equal(r[0], "0", `sntp outcome ${r.join(" ")}`)
        assert.ok(Number(r[2]) >= 0 && Number(r[2]) < 100, `round-trip delay ${r[2]} ms`)
        for (let i = 0; i < 3; i++) {
            const t0 = Date.now()
            const t = Number((await ask("time", "time ")).split(" ")[1])
            const t1 = Date.now()
            assert.ok(t >= t0 - 50 && t <= t1 + 50, `board clock ${t}, host between ${t0} and ${t1} (round trip ${t1 - t0} ms)`)
        }
    })

    it("Influx telemetry reaches the collector named collector.lan, stamped with that clock", async () => {
        const from = Date.now()
        assert.ok(await until(() => lines.some(l => l.at >= from + 600), 10000), "no telemetry line")
        const stamped = lines.filter(l => l.at >= from && / \d{19}$/.test(l.text))
        assert.ok(stamped.length > 0, `no timestamped line; last: ${lines.slice(-3).map(l => l.text).join(" | ")}`)
        for (const l of stamped) {
            assert.match(l.text, /^board,board=board \w+=[-\d.]+i? \d{13}000000$/)
            const ms = Number(l.text.slice(-19, -6))
            assert.ok(Math.abs(ms - l.at) < 1000, `line time ${ms} vs arrival ${l.at}: ${l.text}`)
        }
    })
})
