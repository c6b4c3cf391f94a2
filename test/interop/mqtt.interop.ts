/**
 * MQTT interop: the board's MQTT client (src/mqtt/) over this stack's TCP (src/tcp/), in the
 * DeviceScript simulator joined through the host bridge to a TAP in a throw-away network namespace,
 * against Mosquitto (Debian `mosquitto`) running in that namespace on 192.0.2.1:1883 and its own
 * clients (`mosquitto-clients`):
 *   CONNECT (with a will) accepted and SUBSCRIBE granted QoS 1; 10 QoS 0 and 10 QoS 1 binary
 *   messages reach mosquitto_sub byte-exact; what mosquitto_pub sends reaches the board's handler
 *   byte-exact; Mosquitto stopped and restarted while the board publishes a QoS 1 message every
 *   100 ms: the board reconnects by itself and every message arrives; then the same burst under
 *   netem's 10 % loss, 5 % duplication, reordering and 50 ms delay of the TCP frames both ways
 *   (applied in the bridge, host/bridge/netem.ts: this kernel has no sch_netem): every message
 *   arrives, counted at mosquitto_sub; every captured frame passes tshark with checksum validation.
 *
 *   npm run test:interop -- test/interop/mqtt.interop.ts
 *
 * Needs root: it skips, saying why, without. The board
 * program is test/interop/mqtt-board.ts -> test/mqtt/mosquitto-board.ts (shared with the host spec
 * test/host/mqtt-mosquitto.spec.ts, which runs the same client over the simulator's own socket).
 * Addresses: 192.0.2.0/24 only — kernel and broker 192.0.2.1, board 192.0.2.10.
 */
import * as assert from "node:assert/strict"
import * as fs from "node:fs"
import * as path from "node:path"
import { Netem } from "../../host/bridge/netem"
import { which } from "../../host/bridge/tap"
import { KERNEL_IP, Proc, ROOT, Rig, assertTcpCaptureClean, cleanup, requireTools, run, runIn, sleep, startIn, staticAddressing, until } from "./harness"

const rig = new Rig({ nsPrefix: "dsnet-mqtt-", tap: "dsmq" + (process.pid % 1000000), workPrefix: "dsnet-mqtt-", entryPrefix: "mqtt-tcp-entry-" })
const NS = rig.ns
const PORT = 1883
const BURST = 40
const LOSS_BURST = 40
const MOSQUITTO = which("mosquitto") ?? (fs.existsSync("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : null)
const SUB = which("mosquitto_sub")
const PUB = which("mosquitto_pub")
const STDBUF = which("stdbuf")

function payloadHex(i: number): string {
    const b = Buffer.alloc(1 + 13 * i)
    for (let k = 0; k < b.length; k++) b[k] = (7 * i + k) & 0xff
    return b.toString("hex")
}

function writeEntry(bridgePort: number): string {
    return rig.writeEntry(
        "mqtt.interop.ts",
        { fn: "runMqttInteropBoard", module: "mqtt-board" },
        staticAddressing(),
        `await runMqttInteropBoard(CONFIG, device, "127.0.0.1", ${bridgePort}, "${KERNEL_IP}", ${PORT}, ${BURST}, ${LOSS_BURST})`
    )
}

describe("MQTT interop: the board's MQTT client over its own TCP, against Mosquitto", function () {
    this.timeout(300000)
    let work = ""
    let sim: Proc | null = null
    let broker: Proc
    let sub: Proc
    const received: string[] = []

    const startBroker = async () => {
        broker = startIn(NS, "mosquitto", MOSQUITTO!, ["-c", path.join(work, "mosquitto.conf")])
        // listening: a TCP connect in the namespace succeeds (its log is block-buffered in a pipe)
        const up = await until(async () => (await runIn(NS, "bash", ["-c", `exec 3<>/dev/tcp/${KERNEL_IP}/${PORT}`], 2000)).code === 0, 10000, 100)
        assert.ok(up, `mosquitto not listening on ${KERNEL_IP}:${PORT}:\n${broker.tail(20)}`)
    }
    const startSub = async () => {
        const args = ["-h", KERNEL_IP, "-p", "" + PORT, "-i", "hostsub", "-c", "-q", "1", "-t", "ds/out/#", "-F", "MSG %t %x", "-d"]
        sub = STDBUF ? startIn(NS, "mosquitto_sub", STDBUF, ["-oL", SUB!, ...args]) : startIn(NS, "mosquitto_sub", SUB!, args)
        await sub.waitLine(/SUBACK/, 10000)
        const s = sub
        let seen = 0
        const poll = setInterval(() => {
            for (; seen < s.lines.length; seen++) if (s.lines[seen].startsWith("MSG ")) received.push(s.lines[seen].slice(4))
            if (s.exited && seen >= s.lines.length) clearInterval(poll)
        }, 50)
    }
    const want = (seq: number, tag: string) => `ds/out/seq ${Buffer.from(tag + seq).toString("hex")}`

    before(async function () {
        this.timeout(300000)
        await rig.setUp(this)
        assert.ok(MOSQUITTO && SUB && PUB, "mosquitto or its clients are missing (Debian: apt-get install mosquitto mosquitto-clients)")
        requireTools([
            ["socat", "socat"],
            ["tcpdump", "tcpdump"],
            ["tshark", "tshark"],
        ])
        work = rig.makeWork()
        fs.chmodSync(work, 0o777)
        fs.writeFileSync(
            path.join(work, "mosquitto.conf"),
            [`listener ${PORT} ${KERNEL_IP}`, "allow_anonymous true", "persistence true", `persistence_location ${work}/`, "log_dest stdout", "log_type error", "log_type warning", "log_type notice", "log_type information", ""].join("\n")
        )
        await rig.quietNamespace()
        await rig.startBridge()
        await rig.startCapture()
        await startBroker()
        await startSub()
        writeEntry(rig.bridge!.port)
        sim = rig.startSimulator(280)
    })

    afterEach(function () {
        if (this.currentTest?.state === "failed") {
            console.log(`      simulator output (last lines):\n${sim?.tail(30) ?? "  (none)"}`)
            console.log(`      mosquitto (last lines):\n${broker?.tail(10) ?? "  (none)"}`)
        }
    })

    after(async function () {
        this.timeout(60000)
        if (rig.skipReason) return
        await cleanup()
    })

    it("connects (CONNECT with a will accepted) and subscribes with QoS 1 granted", async () => {
        await sim!.waitLine(/CONNECTED|FAIL/, 180000)
        assert.ok(!sim!.lines.some(l => /FAIL/.test(l)), sim!.tail(20))
        await sim!.waitLine(/SUBACK 1/, 30000)
    })

    it("QoS 0 and QoS 1 messages reach mosquitto_sub byte-exact; every QoS 1 message acknowledged", async () => {
        const acked = await sim!.waitLine(/ACKED /, 60000)
        assert.match(acked, /queued=10 acked=10 dropped=0/)
        assert.ok(await until(() => received.length >= 20, 10000), `mosquitto_sub got ${received.length} of 20:\n${sub.tail(10)}`)
        for (let i = 0; i < 10; i++) {
            assert.ok(received.includes(`ds/out/q0 ${payloadHex(i)}`), `QoS 0 message ${i} missing or altered`)
            assert.ok(received.includes(`ds/out/q1 ${payloadHex(i)}`), `QoS 1 message ${i} missing or altered`)
        }
    })

    it("messages mosquitto_pub sends reach the board's handler byte-exact", async () => {
        await sim!.waitLine(/READY/, 30000)
        const a = await runIn(NS, PUB!, ["-h", KERNEL_IP, "-p", "" + PORT, "-q", "1", "-t", "ds/in/x", "-m", "hello"])
        assert.equal(a.code, 0, a.stderr)
        const b = await runIn(NS, PUB!, ["-h", KERNEL_IP, "-p", "" + PORT, "-q", "0", "-t", "ds/in/y/z", "-m", "w\u00f6rld"])
        assert.equal(b.code, 0, b.stderr)
        await sim!.waitLine(/RX ds\/in\/x 1 68656c6c6f/, 30000)
        await sim!.waitLine(/RX ds\/in\/y\/z 0 77c3b6726c64/, 30000)
    })

    it("Mosquitto stopped and restarted while the board publishes QoS 1: it reconnects and every message arrives", async () => {
        await sim!.waitLine(/PUB 10 /, 60000)
        await broker.stop()
        await sub.stop()
        await sleep(2000)
        await startBroker()
        await startSub()
        const drained = await sim!.waitLine(/DRAINED /, 150000)
        const m = /queued=(\d+) acked=(\d+) dropped=(\d+) sent=(\d+) redelivered=(\d+) connected=(\d+)/.exec(drained)!
        const [queued, acked, dropped, , , connected] = m.slice(1).map(Number)
        assert.equal(dropped, 0, drained)
        assert.equal(queued, 10 + BURST)
        assert.equal(acked, queued, drained)
        assert.ok(connected >= 2, `the board should have reconnected: ${drained}`)
        const all = () => {
            for (let s = 0; s < BURST; s++) if (!received.includes(want(s, "seq "))) return false
            return true
        }
        await until(all, 20000)
        const missing: number[] = []
        let dups = 0
        for (let s = 0; s < BURST; s++) {
            const n = received.filter(r => r === want(s, "seq ")).length
            if (n === 0) missing.push(s)
            if (n > 1) dups += n - 1
        }
        assert.deepEqual(missing, [], `lost: ${missing.join(",")}\n${drained}`)
        console.log(`      ${BURST} messages through a broker restart: 0 lost, ${dups} duplicates; ${drained.replace(/^.*DRAINED/, "")}`)
    })

    it("netem on the TCP frames both ways (10 % loss, 5 % duplication, 25 % reordered, 50 ms delay) while the board publishes QoS 1: every message arrives", async function () {
        this.timeout(240000)
        await sim!.waitLine(/PHASE3/, 60000)
        // TCP frames only (IPv4 protocol 6 at byte 23), seeded; applied in the bridge (no sch_netem here)
        const netem = new Netem({ lossPct: 10, duplicatePct: 5, reorderPct: 25, delayMs: 50, seed: 2026, match: f => f.length >= 34 && f[12] === 0x08 && f[13] === 0 && f[23] === 6 })
        rig.bridge!.netem = netem
        try {
            const go = await runIn(NS, PUB!, ["-h", KERNEL_IP, "-p", "" + PORT, "-q", "1", "-t", "ds/in/go", "-m", "go"])
            assert.equal(go.code, 0, go.stderr)
            const drained = await sim!.waitLine(/DRAINED2 /, 180000)
            assert.match(drained, /dropped=0 /)
            await until(() => {
                for (let s = 0; s < LOSS_BURST; s++) if (!received.includes(want(s, "loss "))) return false
                return true
            }, 20000)
            const missing: number[] = []
            let dups = 0
            for (let s = 0; s < LOSS_BURST; s++) {
                const n = received.filter(r => r === want(s, "loss ")).length
                if (n === 0) missing.push(s)
                if (n > 1) dups += n - 1
            }
            assert.deepEqual(missing, [], `lost: ${missing.join(",")}`)
            assert.ok(netem.stats.dropped > 0, netem.format())
            console.log(`      ${LOSS_BURST} messages under netem: 0 lost, ${dups} duplicates; ${netem.format()}; ${drained.replace(/^.*DRAINED2/, "")}`)
        } finally {
            rig.bridge!.netem = null
        }
        const end = await sim!.waitLine(/mqtt board: /, 30000)
        const retrans = /RetransSegs (\d+)/.exec(end)
        if (retrans) console.log(`      board TCP: RetransSegs ${retrans[1]}`)
        await sim!.waitLine(/END/, 30000)
    })

    it("every captured frame passes tshark with IPv4 and TCP checksum validation; MQTT dissected", async function () {
        this.timeout(60000)
        const file = await rig.stopCapture()
        await assertTcpCaptureClean(file)
        const mqtt = await run("tshark", ["-r", file, "-n", "-Y", "mqtt", "-T", "fields", "-e", "mqtt.msgtype"], 60000)
        const types = mqtt.stdout.split("\n").filter(Boolean)
        // CONNECT (1), PUBLISH (3), PUBACK (4), SUBSCRIBE (8) seen from the board's side
        for (const t of ["1", "3", "4", "8"]) assert.ok(types.some(x => x.split(",").includes(t)), `no MQTT message type ${t} in the capture`)
        console.log(`      tap.pcap: ${types.length} frames with MQTT, 0 malformed or bad checksums`)
    })
})
