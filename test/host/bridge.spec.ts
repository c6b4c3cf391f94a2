// Host-side specs for the host bridge without root: the record stream (host/bridge/protocol.ts) and
// the bridge's flow control, padding, control records and errors (host/bridge/bridge.ts) with a
// stand-in for the TAP and a TCP client playing the simulator. The real TAP, socat and kernel are
// exercised by test/interop/linux.interop.ts (npm run test:interop, root).

import { strict as assert } from "node:assert"
import { EventEmitter } from "node:events"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Bridge, FramePort } from "../../host/bridge/bridge"
import { Netem } from "../../host/bridge/netem"
import {
    BoardRecord,
    HOSTLINK_VERSION,
    RecordDecoder,
    RecordType,
    encodeCredit,
    encodeFrame,
    encodeHello,
    encodeRecord,
} from "../../host/bridge/protocol"
import { checkInterfaceName, TapError } from "../../host/bridge/tap"
import { readPcap } from "../../host/pcap/writer"

const ROOT = path.resolve(__dirname, "..", "..")

class FakeTap extends EventEmitter implements FramePort {
    readonly name = "faketap0"
    readonly sent: Buffer[] = []
    closed = false
    send(frame: Buffer): void {
        this.sent.push(frame)
    }
    async close(): Promise<void> {
        this.closed = true
    }
}

/** A frame of `len` bytes: broadcast, EtherType 0x88b5 (local experimental), byte i = i + tag. */
function frame(len: number, tag = 0): Buffer {
    const f = Buffer.alloc(len)
    f.fill(0xff, 0, 6)
    Buffer.from([2, 0, 0x5e, 0, 2, 1]).copy(f, 6)
    f.writeUInt16BE(0x88b5, 12)
    for (let i = 14; i < len; i++) f[i] = (i + tag) & 0xff
    return f
}

/** The simulator's side of the connection: records received, with bounded waits. */
class FakeBoard {
    readonly records: BoardRecord[] = []
    private readonly dec = new RecordDecoder()
    closed = false
    constructor(readonly sock: net.Socket) {
        sock.on("data", d => this.records.push(...this.dec.push(d)))
        sock.on("close", () => (this.closed = true))
        sock.on("error", () => (this.closed = true))
    }
    static async connect(port: number): Promise<FakeBoard> {
        const s = net.connect(port, "127.0.0.1")
        await new Promise<void>((resolve, reject) => {
            s.once("connect", () => resolve())
            s.once("error", reject)
        })
        return new FakeBoard(s)
    }
    write(b: Buffer): void {
        this.sock.write(b)
    }
    frames(): Buffer[] {
        return this.records.filter(r => r.type === RecordType.Frame).map(r => (r as { frame: Buffer }).frame)
    }
    close(): void {
        this.sock.destroy()
    }
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
    const deadline = Date.now() + ms
    while (!cond()) {
        if (Date.now() > deadline) throw new Error("condition not met within " + ms + " ms")
        await new Promise(r => setTimeout(r, 5))
    }
}

const settle = () => new Promise(r => setTimeout(r, 50))

describe("host bridge: record stream (host/bridge/protocol.ts)", () => {
    it("decodes the same records however the stream is cut", () => {
        const recs = [
            encodeHello({ version: 1, window: 4096, mac: "02:00:5e:10:00:0a" }),
            encodeFrame(frame(60, 1)),
            encodeRecord(RecordType.Control, Buffer.from("ready 49152")),
            encodeFrame(frame(1514, 2)),
            encodeCredit(1517),
        ]
        const stream = Buffer.concat(recs)
        const want = new RecordDecoder().push(stream)
        assert.equal(want.length, 5)
        for (const step of [1, 2, 3, 7, 100, 1600]) {
            const d = new RecordDecoder()
            const got: BoardRecord[] = []
            for (let i = 0; i < stream.length; i += step) got.push(...d.push(stream.subarray(i, i + step)))
            assert.deepEqual(got, want, `chunks of ${step}`)
            assert.equal(d.pending, 0)
        }
        assert.deepEqual(want[0], { type: RecordType.Hello, hello: { version: 1, window: 4096, mac: "02:00:5e:10:00:0a" } })
        assert.deepEqual(want[2], { type: RecordType.Control, text: "ready 49152" })
        assert.deepEqual(want[4], { type: RecordType.Credit, bytes: 1517 })
    })

    it("pads frames under 60 bytes as a MAC does, and refuses runts and giants", () => {
        const arp = frame(42)
        const r = encodeFrame(arp)
        assert.equal(r.length, 3 + 60)
        assert.equal(r.readUInt16BE(0), 61)
        assert.deepEqual(r.subarray(3, 45), arp)
        assert.deepEqual(r.subarray(45), Buffer.alloc(18))
        assert.throws(() => encodeFrame(Buffer.alloc(13)), RangeError)
        assert.throws(() => encodeFrame(Buffer.alloc(1515)), RangeError)
    })

    it("agrees with the board's copy (src/sim/hostlink.ts) on the version and record types", () => {
        const src = fs.readFileSync(path.join(ROOT, "src", "sim", "hostlink.ts"), "utf8")
        assert.equal(Number(/export const HOSTLINK_VERSION = (\d+)/.exec(src)?.[1]), HOSTLINK_VERSION)
        const e = /export const enum LinkRecord \{([^}]*)\}/.exec(src)?.[1] ?? ""
        const vals = Object.fromEntries([...e.matchAll(/(\w+) = (\d+)/g)].map(m => [m[1], Number(m[2])]))
        assert.deepEqual(vals, { Frame: RecordType.Frame, Hello: RecordType.Hello, Credit: RecordType.Credit, Control: RecordType.Control })
    })

    it("checks interface names before asking the kernel", () => {
        assert.throws(() => checkInterfaceName("a-name-that-is-too-long"), TapError)
        assert.throws(() => checkInterfaceName("tap/0"), TapError)
        checkInterfaceName("dstap0")
    })
})

describe("host bridge: flow control and errors (host/bridge/bridge.ts, a stand-in TAP)", () => {
    let tap: FakeTap
    let bridge: Bridge
    let board: FakeBoard | null = null
    let work: string
    const log: string[] = []

    beforeEach(async () => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dsnet-bridge-"))
        tap = new FakeTap()
        bridge = await Bridge.attach(tap, { tap: tap.name, queueFrames: 8, pcap: path.join(work, "b.pcap"), log: l => log.push(l) })
    })

    afterEach(async () => {
        board?.close()
        board = null
        await bridge.close()
        fs.rmSync(work, { recursive: true, force: true })
    })

    async function hello(window: number): Promise<FakeBoard> {
        const b = await FakeBoard.connect(bridge.port)
        b.write(encodeHello({ version: HOSTLINK_VERSION, window, mac: "02:00:5e:10:00:0a" }))
        await bridge.waitForBoard(2000)
        return b
    }

    it("drops frames from the TAP while no board is connected", async () => {
        tap.emit("frame", frame(100))
        assert.equal(bridge.stats.droppedNoBoard, 1)
        board = await hello(4096)
        assert.equal(bridge.board?.mac, "02:00:5e:10:00:0a")
        tap.emit("frame", frame(100))
        await until(() => board!.frames().length === 1)
    })

    it("keeps within the board's window until it credits, queues up to its limit, drops the rest", async () => {
        board = await hello(1600) // room for 15 records of 103 bytes
        for (let i = 0; i < 30; i++) tap.emit("frame", frame(100, i))
        await settle()
        assert.equal(board.frames().length, 15, "frames within the window")
        assert.equal(bridge.stats.droppedQueueFull, 30 - 15 - 8, "frames over the queue")
        board.write(encodeCredit(5 * 103))
        await until(() => board!.frames().length === 20)
        board.write(encodeCredit(10 * 103))
        await until(() => board!.frames().length === 23)
        await settle()
        assert.equal(board.frames().length, 23)
        // in order, unchanged
        board.frames().forEach((f, k) => assert.equal(f[14], (14 + k) & 0xff))
    })

    it("pads short frames from the TAP to 60 bytes and passes the board's frames to the TAP", async () => {
        board = await hello(4096)
        tap.emit("frame", frame(42))
        await until(() => board!.frames().length === 1)
        assert.equal(board.frames()[0].length, 60)
        board.write(encodeFrame(frame(1514, 9)))
        board.write(encodeFrame(frame(64, 3)))
        await until(() => tap.sent.length === 2)
        assert.deepEqual(tap.sent[0], frame(1514, 9))
        assert.equal(bridge.stats.framesToTap, 2)
        await bridge.close()
        assert.deepEqual(readPcap(path.join(work, "b.pcap")).map(f => f.length), [60, 1514, 64])
        assert.ok(tap.closed)
    })

    it("carries CONTROL records both ways", async () => {
        board = await hello(4096)
        const got: string[] = []
        bridge.on("control", t => got.push(t))
        board.write(encodeRecord(RecordType.Control, Buffer.from("ready 49152")))
        bridge.sendControl("send 1 192.0.2.1 9001 32 0")
        await until(() => got.length === 1 && board!.records.some(r => r.type === RecordType.Control))
        assert.equal(got[0], "ready 49152")
        assert.deepEqual(board.records.find(r => r.type === RecordType.Control), { type: RecordType.Control, text: "send 1 192.0.2.1 9001 32 0" })
    })

    it("drops a connection that does not start with HELLO, or speaks another version", async () => {
        const why: string[] = []
        bridge.on("disconnect", w => why.push(w))
        board = await FakeBoard.connect(bridge.port)
        board.write(encodeFrame(frame(60)))
        await until(() => board!.closed)
        assert.match(why[0], /record type 1 before HELLO/)
        board = await FakeBoard.connect(bridge.port)
        board.write(encodeHello({ version: 9, window: 4096, mac: "02:00:5e:10:00:0a" }))
        await until(() => board!.closed)
        assert.match(why[1], /hostlink version 9, this bridge version 1/)
        assert.equal(bridge.stats.protocolErrors, 2)
    })

    it("netem in the bridge: loss, duplication, delay and reordering both ways, every frame accounted for", async () => {
        board = await hello(65535)
        const opts = { lossPct: 20, duplicatePct: 10, reorderPct: 25, delayMs: 30, seed: 7 }
        bridge.netem = new Netem(opts)
        const N = 200
        // the frame's number in bytes 20-21, the rest as frame(64)
        const tagged = (k: number) => {
            const f = frame(64)
            f.writeUInt16BE(k, 20)
            return f
        }
        for (let k = 0; k < N; k++) {
            board.write(encodeFrame(tagged(k)))
            tap.emit("frame", tagged(k))
        }
        const s = bridge.netem.stats
        await until(() => tap.sent.length + board!.frames().length === 2 * N - s.dropped + s.duplicated, 3000)
        await settle()
        assert.equal(s.matched, 2 * N)
        assert.equal(tap.sent.length + board.frames().length, 2 * N - s.dropped + s.duplicated)
        for (const got of [tap.sent, board.frames()]) {
            const tags = got.map(f => f.readUInt16BE(20))
            for (const f of got) assert.deepEqual(f.subarray(22), tagged(0).subarray(22), "frames carried unchanged")
            // a frame sent at once overtakes frames sent before it that wait out the delay
            assert.ok(tags.some((t, i) => i > 0 && t < tags[i - 1]), "some frames reordered")
        }
        const distinct = new Set([...tap.sent.map(f => "t" + f.readUInt16BE(20)), ...board.frames().map(f => "b" + f.readUInt16BE(20))])
        assert.equal(distinct.size, 2 * N - s.dropped, "each frame not dropped arrives, duplicates as the same frame")
        // 400 draws at 20 % / 10 %: far outside these bounds only if the percentages were not applied
        assert.ok(s.dropped > 40 && s.dropped < 120, `dropped ${s.dropped}`)
        assert.ok(s.duplicated > 10 && s.duplicated < 70, `duplicated ${s.duplicated}`)
        assert.equal(s.reordered + s.delayed, 2 * N - s.dropped + s.duplicated)
        // seeded: the same seed decides the same way
        const a = new Netem(opts), b = new Netem(opts)
        const f = frame(64)
        assert.deepEqual(Array.from({ length: 50 }, () => a.schedule(f, true)), Array.from({ length: 50 }, () => b.schedule(f, true)))
        assert.throws(() => new Netem({ ...opts, lossPct: 101 }), /lossPct 101 is not a percentage/)
    })

    it("a new connection from the simulator replaces the old one", async () => {
        const first = await hello(4096)
        board = await FakeBoard.connect(bridge.port)
        await until(() => first.closed)
        board.write(encodeHello({ version: HOSTLINK_VERSION, window: 4096, mac: "02:00:5e:10:00:0b" }))
        await until(() => bridge.board?.mac === "02:00:5e:10:00:0b")
        tap.emit("frame", frame(80))
        await until(() => board!.frames().length === 1)
        assert.ok(log.some(l => /replaced by a new connection/.test(l)))
    })
})
