/**
 * DHCP interop: the simulated board (chip model, driver, stack, the DHCP client as startDhcp runs it,
 * telemetry) joined through the host bridge to a TAP interface in a throw-away network namespace,
 * where Debian's dnsmasq is the DHCP server:
 *   the board obtains a lease (dnsmasq's lease file shows its MAC, host name and client id), the
 *   kernel pings it at the leased address and receives its telemetry from there; it renews (T1 of
 *   10 s set on the server: dnsmasq's shortest lease is 2 min) and dnsmasq ACKs the renewal; an
 *   explicit release reaches dnsmasq (DHCPRELEASE in its log, the lease gone from its file).
 *
 *   npx mocha --config test/interop/mocharc.cjs test/interop/dhcp.interop.ts
 *
 * Needs root and dnsmasq (apt-get install dnsmasq); skips, saying why, only when namespaces cannot
 * be made. Addresses: 192.0.2.0/24 (RFC 5737): the kernel 192.0.2.1, the pool 192.0.2.100-150.
 * Everything it creates is removed at the end, also on failure.
 */
import * as assert from "node:assert/strict"
import * as fs from "node:fs"
import * as path from "node:path"
import { which } from "../../host/bridge/tap"
import { BOARD_MAC, KERNEL_IP, Proc, Rig, runIn, startDhcpServer, startTelemetrySink, staticAddressing, until } from "./harness"

const rig = new Rig({ nsPrefix: "dsnet-dhcp-", tap: "dsdhcp" + (process.pid % 100000), workPrefix: "dsnet-dhcp-", entryPrefix: "dhcp-entry-" })
const NS = rig.ns
const TAP = rig.tap
const HOST_NAME = "dsboard"
const STATSD_PORT = 8125
const T1_SEC = 10

function writeEntry(port: number): string {
    return rig.writeEntry(
        "dhcp.interop.ts",
        { fn: "runDhcpInteropBoard", module: "dhcp-board" },
        [
            ...staticAddressing({ address: false }),
            `CONFIG.collector = 0xc0000201 // ${KERNEL_IP}`,
            `CONFIG.collectorPort = ${STATSD_PORT}`,
            `CONFIG.telemetryFormat = "statsd"`,
            `CONFIG.telemetryPrefix = "board"`,
            `CONFIG.telemetryIntervalMs = 500`,
            `CONFIG.dhcp = { hostName: "${HOST_NAME}", retransmitMs: 1000, fallbackMs: 0, fallbackAddress: 0 }`,
        ],
        `await runDhcpInteropBoard(CONFIG, device, "127.0.0.1", ${port})`
    )
}

describe("DHCP interop: the simulated board gets its address from dnsmasq in a network namespace", function () {
    this.timeout(120000)
    let work = ""
    let sim: Proc | null = null
    let dnsmasq: Proc | null = null
    let sink: Proc | null = null
    let leaseFile = ""
    const control = rig.control
    const telemetryFrom: string[] = []

    const ask = (cmd: string, answer: string, ms = 20000) => rig.ask(cmd, answer, ms)
    const leases = () => control.filter(c => c.startsWith("lease "))

    before(async function () {
        this.timeout(240000)
        await rig.setUp(this)
        assert.ok(which("dnsmasq"), "dnsmasq is not installed; Debian: apt-get install dnsmasq")
        assert.ok(which("ping"), "ping is not installed; Debian: apt-get install iputils-ping")
        work = rig.makeWork()
        await rig.quietNamespace()
        await rig.startBridge()

        // dnsmasq: DHCP only (port=0: no DNS), this TAP only, its own lease file, every exchange logged
        leaseFile = path.join(work, "dnsmasq.leases")
        dnsmasq = await startDhcpServer(NS, TAP, work, [
            "--dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,2m",
            `--dhcp-option=option:router,${KERNEL_IP}`,
            `--dhcp-option=option:dns-server,${KERNEL_IP}`,
            `--dhcp-option=option:ntp-server,${KERNEL_IP}`,
            `--dhcp-option=option:T1,${T1_SEC}`,
            `--dhcp-option=option:T2,${T1_SEC * 2}`,
        ])
        sink = await startTelemetrySink(NS, KERNEL_IP, STATSD_PORT, from => telemetryFrom.push(from))

        writeEntry(rig.bridge!.port)
        sim = rig.startSimulator(600)
        await rig.waitBoard(() => control.some(c => c.startsWith("ready")), "start")
    })

    afterEach(function () {
        rig.reportFailure(this)
        if (this.currentTest?.state === "failed") console.log(`      dnsmasq output (last lines):\n${dnsmasq?.tail(30) ?? "  (none)"}`)
    })

    after(async function () {
        this.timeout(60000)
        if (rig.skipReason) return
        try {
            await rig.quitBoard()
        } finally {
            await rig.tearDown()
        }
    })

    let address = ""

    it("the board obtains a lease; dnsmasq's lease file shows its MAC, host name and client id", async () => {
        assert.ok(await until(() => leases().length > 0, 30000), `no lease within 30 s:\n${sim!.tail(20)}`)
        const m = /^lease (\S+) (\d+) (\S+) (\d+) (\d+)$/.exec(leases()[0])
        assert.ok(m, leases()[0])
        address = m[1]
        assert.match(address, /^192\.0\.2\.(1[0-4]\d|150)$/)
        assert.equal(m[2], "24")
        assert.equal(m[3], KERNEL_IP)
        assert.equal(m[4], "120")
        assert.equal(m[5], String(T1_SEC))
        // <expiry> <mac> <ip> <hostname> <client id>
        const lines = fs.readFileSync(leaseFile, "utf8").trim().split("\n")
        const line = lines.find(l => l.includes(BOARD_MAC))
        assert.ok(line, `lease file: ${lines.join(" | ")}`)
        const f = line.split(" ")
        assert.equal(f[1], BOARD_MAC)
        assert.equal(f[2], address)
        assert.equal(f[3], HOST_NAME)
        assert.equal(f[4], "01:" + BOARD_MAC)
        const st = await ask("stats", "stats")
        assert.match(st, new RegExp(`dhcp: BOUND ${address.replace(/\./g, "\\.")}/24 via ${KERNEL_IP} server ${KERNEL_IP} lease 120 s`))
    })

    it("the kernel pings the board at the leased address, and its telemetry arrives from there", async () => {
        const p = await runIn(NS, "ping", ["-n", "-c", "3", "-i", "0.3", "-W", "3", address], 15000)
        assert.match(p.stdout, / [23] received/, `no reply to ping:\n${p.stdout}${p.stderr}`)
        assert.ok(await until(() => telemetryFrom.includes(address), 10000), `no telemetry from ${address}: ${[...new Set(telemetryFrom)].join(", ")}`)
    })

    it(`the lease is renewed at T1 (${T1_SEC} s): unicast DHCPREQUEST, dnsmasq ACKs it, same address`, async () => {
        const acks = () => dnsmasq!.lines.filter(l => new RegExp(`DHCPACK\\(${TAP}\\) ${address.replace(/\./g, "\\.")} ${BOARD_MAC}`).test(l)).length
        const before = leases().length
        assert.ok(await until(() => leases().length > before && acks() >= 2, 30000), `no renewal within 30 s; dnsmasq:\n${dnsmasq!.tail(20)}`)
        assert.equal(leases()[leases().length - 1].split(" ")[1], address)
        const st = await ask("stats", "stats")
        assert.match(st, /Dhcp: .* naks 0 /)
        assert.match(st, /dhcp: BOUND /)
    })

    it("release: DHCPRELEASE reaches dnsmasq (its log), the lease leaves its file, the board has no address", async () => {
        await ask("release", "released", 15000)
        const re = new RegExp(`DHCPRELEASE\\(${TAP}\\) ${address.replace(/\./g, "\\.")} ${BOARD_MAC}`)
        assert.ok(await until(() => dnsmasq!.lines.some(l => re.test(l)), 10000), `no DHCPRELEASE in dnsmasq's log:\n${dnsmasq!.tail(20)}`)
        assert.ok(await until(() => !fs.readFileSync(leaseFile, "utf8").includes(BOARD_MAC), 10000), "the lease is still in dnsmasq's file")
        const st = await ask("stats", "stats")
        assert.match(st, /dhcp: STOPPED/)
        assert.match(st, /releases 1/)
    })
})
