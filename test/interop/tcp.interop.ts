/**
 * TCP interop: the board's TCP client (src/tcp/) in the DeviceScript simulator, joined through the
 * host bridge to a TAP in a throw-away network namespace, against the Linux kernel's TCP there
 * (Node servers on real sockets, test/interop/tcp-peer.cjs):
 *   connect; 200 KB to the kernel byte-exact and in order; 30 KB from the kernel and its half-close;
 *   orderly close both ways (TIME-WAIT after the kernel's FIN, LAST-ACK -> CLOSED); RST from the
 *   kernel for a closed port (refused) and for an established connection (reset); 200 KB under
 *   netem's 10 % loss, 5 % duplication, reordering and 50 ms delay of TCP frames both ways (applied
 *   in the bridge, host/bridge/netem.ts: this kernel has no sch_netem) arriving byte-exact with the
 *   board's retransmissions counted; a kernel reader that stops reading (zero window: persist
 *   probes) and resumes; the Tcp counters in formatStack(stack); every captured frame clean under
 *   tshark with TCP checksum validation.
 *
 *   npm run test:interop -- test/interop/tcp.interop.ts
 *
 * Needs root (it skips, saying why, without). Addresses: 192.0.2.0/24 only — kernel 192.0.2.1,
 * board 192.0.2.10. Everything it creates is removed at the end, also on failure.
 * DSNET_INTEROP_KEEP=1 keeps the work directory (pcaps, logs).
 */
import * as assert from "node:assert/strict"
import * as fs from "node:fs"
import * as path from "node:path"
import { Netem } from "../../host/bridge/netem"
import { KERNEL_IP, Proc, Rig, assertTcpCaptureClean, cleanup, eachLine, requireTools, run, runIn, sleep, startIn, staticAddressing, until } from "./harness"

const rig = new Rig({ nsPrefix: "dsnet-tcp-", tap: "dstcp" + (process.pid % 1000000), workPrefix: "dsnet-tcp-", entryPrefix: "tcp-entry-" })
const NS = rig.ns
const SINK = 9100
const SOURCE = 9101
const RESETTER = 9102
const CLOSED_PORT = 9199
/** socat with a 2 KB receive buffer that starts reading only after SLOW_MS: a zero window. */
const SLOW = 9103
const SLOW_MS = 4000
const SOURCE_BYTES = 30000
/**
 * The board's send ring: three segments, so that the kernel's duplicate ACKs can trigger fast
 * retransmit (the default, 1460, has one segment in flight); DSNET_TCP_SNDBUF=1460 runs the defaults.
 */
const SND_BUF = Number(process.env.DSNET_TCP_SNDBUF ?? 4380)
const STREAM_BYTES = 200 * 1024
const T0 = Date.now()
const elapsed = () => ((Date.now() - T0) / 1000).toFixed(1) + " s"

// StreamStatus and TcpState values (src/tcp/stream.ts, src/tcp/conn.ts)
const OPEN = 1
const PEER_CLOSED = 2
const CLOSED = 3
const RESET = 4
const STATE_CLOSED = 0
const STATE_TIME_WAIT = 9
const ERR_REFUSED = 1
const ERR_RESET = 3

/** Byte i of the board's stream `id` (test/interop/tcp-board.ts). */
function boardStream(id: number, len: number): Buffer {
    const b = Buffer.alloc(len)
    for (let i = 0; i < len; i++) b[i] = (i + 7 * (i >> 8) + id) & 0xff
    return b
}

/** Fletcher-16 (a, b) of the kernel's source stream, as the board computes it. */
function sourceFletcher(n: number): [number, number] {
    let a = 0
    let b = 0
    for (let i = 0; i < n; i++) {
        a = (a + ((i * 13 + (i >> 8)) & 0xff)) % 255
        b = (b + a) % 255
    }
    return [a, b]
}

function writeEntry(port: number): string {
    return rig.writeEntry(
        "tcp.interop.ts",
        { fn: "runTcpBoard", module: "tcp-board" },
        [
            ...staticAddressing(),
            `const tcp = new TcpConfig()`,
            `tcp.connections = 4`,
            `tcp.timeWaitMs = 1000`,
            // several segments in flight: fast retransmit and recovery against the kernel's duplicate ACKs
            `tcp.sndBuf = ${SND_BUF}`,
        ],
        `await runTcpBoard(CONFIG, device, "127.0.0.1", ${port}, tcp)`,
        { imports: [`import { TcpConfig } from "../src/tcp/table"`] }
    )
}

function parseStats(text: string): Record<string, number> {
    const out: Record<string, number> = {}
    for (const line of text.split("\n")) {
        const m = /^([A-Za-z_ ]+?):\s(.*)$/.exec(line)
        if (!m) continue
        const words = m[2].split(/\s+/).filter(Boolean)
        for (let i = 0; i + 1 < words.length; i += 2) if (/^-?\d+$/.test(words[i + 1])) out[m[1] + "." + words[i]] = parseInt(words[i + 1])
    }
    return out
}

describe("TCP interop: the board's TCP client against the Linux kernel", function () {
    this.timeout(180000)
    let work = ""
    let peer: Proc | null = null
    let slow: Proc | null = null
    const events: any[] = []

    async function ask(cmd: string, answer: string, ms = 30000): Promise<string[]> {
        return (await askRaw(cmd, answer, ms)).split(/\s+/)
    }

    async function boardStats(): Promise<Record<string, number>> {
        return parseStats(await askRaw("stats", "stats", 30000))
    }

    const askRaw = (cmd: string, answer: string, ms: number) => rig.ask(cmd, answer, ms)

    async function peerEvent(pred: (e: any) => boolean, ms: number, what: string): Promise<any> {
        let e: any
        const ok = await until(() => (e = events.find(pred)) !== undefined, ms, 20)
        assert.ok(ok, `the kernel side never saw ${what} within ${ms} ms; its events: ${JSON.stringify(events.slice(-5))}`)
        return e
    }

    /** connect, send STREAM_BYTES, close; the sink's copy compared byte for byte. */
    async function streamToKernel(id: number): Promise<void> {
        const ends = events.filter(e => e.event === "end").length
        const c = await ask(`connect ${id} ${KERNEL_IP} ${SINK}`, `connect ${id} `)
        assert.equal(Number(c[2]), OPEN, `connect: status ${c[2]} error ${c[3]}`)
        const s = await ask(`send ${id} ${STREAM_BYTES}`, `send ${id} `, 150000)
        assert.equal(Number(s[2]), STREAM_BYTES, `bytes the board's send buffer took (status ${s[3]})`)
        const cl = await ask(`close ${id}`, `close ${id} `, 60000)
        // TIME-WAIT: our FIN acknowledged and the kernel's FIN received (both directions closed)
        assert.ok(Number(cl[2]) === STATE_TIME_WAIT || Number(cl[2]) === STATE_CLOSED, `state after close: ${cl[2]}`)
        await peerEvent(() => events.filter(e => e.event === "end").length > ends, 20000, "the stream's end")
        const end = events.filter(e => e.event === "end")[ends]
        const got = fs.readFileSync(end.file)
        const want = boardStream(id, STREAM_BYTES)
        assert.equal(got.length, STREAM_BYTES, "bytes the kernel received")
        const at = got.findIndex((v, i) => v !== want[i])
        assert.equal(at, -1, `first differing byte at ${at}`)
    }

    before(async function () {
        this.timeout(300000)
        await rig.setUp(this)
        requireTools([
            ["socat", "socat"],
            ["tcpdump", "tcpdump"],
            ["tshark", "tshark"],
        ])
        work = rig.makeWork()
        await rig.quietNamespace()
        await rig.startBridge()
        await rig.startCapture()
        peer = startIn(NS, "tcp-peer", process.execPath, [path.join(__dirname, "tcp-peer.cjs"), KERNEL_IP, work, String(SOURCE_BYTES)])
        await peer.waitLine(/ready/, 10000)
        eachLine(peer, l => {
            if (l.startsWith("{")) events.push(JSON.parse(l))
        })
        // the reader that stops: socat's pipe to `sleep; cat` fills, then its 2 KB socket buffer
        slow = startIn(NS, "slow-reader", "socat", ["-u", `TCP-LISTEN:${SLOW},bind=${KERNEL_IP},reuseaddr,rcvbuf=2048`, `SYSTEM:sleep ${SLOW_MS / 1000}; cat > ${path.join(work, "slow.bin")}`])
        assert.ok(await until(async () => (await runIn(NS, "ss", ["-ltn"])).stdout.includes(`${KERNEL_IP}:${SLOW}`), 10000), "socat is not listening")
        writeEntry(rig.bridge!.port)
        rig.startSimulator(900)
        await rig.waitConnected()
        await rig.waitReady()
        console.log(`      board up at ${elapsed()}; namespace ${NS}, TAP ${rig.tap}`)
    })

    afterEach(function () {
        rig.reportFailure(this)
        if (this.currentTest?.state === "failed" && rig.bridge) console.log(`      bridge: ${rig.bridge.format()}`)
    })

    after(async function () {
        this.timeout(60000)
        if (rig.skipReason) return
        try {
            await rig.quitBoard()
            console.log(`      total ${elapsed()}`)
        } finally {
            await cleanup()
        }
    })

    it("200 KB to the kernel arrive byte-exact and in order; orderly close both ways (TIME-WAIT)", async () => {
        const t = Date.now()
        await streamToKernel(1)
        console.log(`      200 KB in ${((Date.now() - t) / 1000).toFixed(1)} s`)
    })

    it("30 KB from the kernel arrive in order; its half-close is seen (PeerClosed); our close ends LAST-ACK -> CLOSED", async () => {
        const c = await ask(`connect 2 ${KERNEL_IP} ${SOURCE}`, "connect 2 ")
        assert.equal(Number(c[2]), OPEN)
        const r = await ask(`recv 2 10000`, "recv 2 ", 120000)
        const [a, b] = sourceFletcher(SOURCE_BYTES)
        assert.equal(Number(r[2]), SOURCE_BYTES, "bytes received")
        assert.deepEqual([Number(r[3]), Number(r[4])], [a, b], "Fletcher-16 of the stream (order)")
        assert.equal(Number(r[5]), PEER_CLOSED, "status after the kernel's FIN")
        const cl = await ask("close 2", "close 2 ")
        assert.equal(Number(cl[2]), STATE_CLOSED)
        assert.equal(Number(cl[3]), CLOSED)
        await peerEvent(e => e.event === "closed" && e.port === SOURCE, 10000, "the board's FIN")
    })

    it("a closed port: the kernel's RST refuses the connection", async () => {
        const c = await ask(`connect 3 ${KERNEL_IP} ${CLOSED_PORT}`, "connect 3 ")
        assert.equal(Number(c[2]), RESET)
        assert.equal(Number(c[3]), ERR_REFUSED)
    })

    it("a RST on an established connection: status Reset, error Reset", async () => {
        const c = await ask(`connect 4 ${KERNEL_IP} ${RESETTER}`, "connect 4 ")
        assert.equal(Number(c[2]), OPEN)
        await peerEvent(e => e.event === "reset", 10000, "its reset")
        let s: string[] = []
        assert.ok(await until(async () => (s = await ask("status 4", "status 4 "))[3] === String(RESET), 10000, 200), `status: ${s.join(" ")}`)
        assert.equal(Number(s[4]), ERR_RESET)
    })

    it("200 KB under netem (10 % loss, 5 % duplication, 25 % reordered, 50 ms delay of TCP frames both ways) arrive byte-exact; the board retransmits", async () => {
        const st0 = await boardStats()
        // TCP frames only (IPv4 protocol 6 at byte 23), seeded
        const netem = new Netem({ lossPct: 10, duplicatePct: 5, reorderPct: 25, delayMs: 50, seed: 2026, match: f => f.length >= 34 && f[12] === 0x08 && f[13] === 0 && f[23] === 6 })
        rig.bridge!.netem = netem
        try {
            const t = Date.now()
            await streamToKernel(5)
            console.log(`      200 KB under netem in ${((Date.now() - t) / 1000).toFixed(1)} s; ${netem.format()}`)
        } finally {
            rig.bridge!.netem = null
        }
        const st = await boardStats()
        assert.ok(netem.stats.dropped > 0 && netem.stats.duplicated > 0 && netem.stats.reordered > 0, netem.format())
        assert.ok(st["Tcp.RetransSegs"] > st0["Tcp.RetransSegs"], `RetransSegs ${st0["Tcp.RetransSegs"]} -> ${st["Tcp.RetransSegs"]}`)
        console.log(`      board: RetransSegs ${st["Tcp.RetransSegs"] - st0["Tcp.RetransSegs"]}, TCPTimeouts ${st["TcpExt.TCPTimeouts"] - st0["TcpExt.TCPTimeouts"]}, TCPFastRetrans ${st["TcpExt.TCPFastRetrans"] - st0["TcpExt.TCPFastRetrans"]}, TCPOFODrop ${st["TcpExt.TCPOFODrop"] - st0["TcpExt.TCPOFODrop"]}`)
    })

    it("a kernel reader that stops reading (zero window) and resumes: persist probes, then 200 KB byte-exact", async () => {
        const st0 = await boardStats()
        const c = await ask(`connect 6 ${KERNEL_IP} ${SLOW}`, "connect 6 ")
        assert.equal(Number(c[2]), OPEN)
        const t = Date.now()
        const s = await ask(`send 6 ${STREAM_BYTES}`, "send 6 ", 150000)
        assert.equal(Number(s[2]), STREAM_BYTES)
        const cl = await ask("close 6", "close 6 ", 60000)
        assert.ok(Number(cl[2]) === STATE_TIME_WAIT || Number(cl[2]) === STATE_CLOSED, `state after close: ${cl[2]}`)
        assert.ok(await until(() => slow!.exited !== null, 20000), "socat did not finish")
        const got = fs.readFileSync(path.join(work, "slow.bin"))
        const want = boardStream(6, STREAM_BYTES)
        assert.equal(got.length, STREAM_BYTES)
        assert.equal(got.findIndex((v, i) => v !== want[i]), -1)
        const st = await boardStats()
        const probes = st["TcpExt.TCPWinProbe"] - st0["TcpExt.TCPWinProbe"]
        assert.ok(probes > 0, "zero-window probes sent")
        console.log(`      ${((Date.now() - t) / 1000).toFixed(1)} s with the reader stopped ${SLOW_MS / 1000} s; board: TCPWinProbe ${probes}, RetransSegs ${st["Tcp.RetransSegs"] - st0["Tcp.RetransSegs"]}`)
    })

    it("formatStack(stack) prints the Tcp counters as /proc/net/snmp names them", async () => {
        const st = await boardStats()
        assert.equal(st["Tcp.ActiveOpens"], 6)
        assert.equal(st["Tcp.AttemptFails"], 1)
        assert.equal(st["Tcp.EstabResets"], 1)
        assert.equal(st["Tcp.CurrEstab"], 0)
        assert.ok(st["Tcp.InSegs"] > 70 && st["Tcp.OutSegs"] > 140, JSON.stringify(st))
        assert.equal(st["Tcp.InErrs"], 0)
    })

    it("every captured frame passes tshark with IPv4 and TCP checksum validation; the zero window is on the wire", async function () {
        this.timeout(60000)
        const file = await rig.stopCapture()
        await assertTcpCaptureClean(file)
        const all = await run("tshark", ["-r", file, "-n", "-Y", "tcp"], 60000)
        const retrans = await run("tshark", ["-r", file, "-n", "-Y", "tcp.analysis.retransmission || tcp.analysis.fast_retransmission"], 60000)
        const zero = await run("tshark", ["-r", file, "-n", "-Y", "tcp.analysis.zero_window || tcp.analysis.zero_window_probe"], 60000)
        assert.ok(zero.stdout.split("\n").filter(Boolean).length > 0, "no zero window seen in the capture")
        console.log(`      tap.pcap: ${zero.stdout.split("\n").filter(Boolean).length} zero-window frames and probes; ${all.stdout.split("\n").filter(Boolean).length} TCP frames, ${retrans.stdout.split("\n").filter(Boolean).length} retransmissions (expected under loss), 0 malformed or bad checksums`)
    })
})
