// The host bridge: joins the simulator's virtual LAN to a Linux TAP interface. It listens for the
// simulator's TCP connection (src/sim/hostlink.ts, over the simulator's socket primitives), splits the
// stream into records (protocol.ts) and exchanges the frames with the TAP (tap.ts, via socat).
// One simulator at a time: a new connection replaces the old one (the simulator reconnected).
// Frames from the TAP wait in a bounded queue for the board's flow-control window and are dropped
// and counted when it is full, as a NIC drops on RX ring overrun. Optionally every frame carried is
// written to a pcap file.

import * as net from "node:net"
import { EventEmitter } from "node:events"
import { PcapWriter } from "../pcap/writer"
import { Netem } from "./netem"
import { SocatTap, TapSetup, setupTap } from "./tap"
import {
    Hello,
    HOSTLINK_VERSION,
    MAX_FRAME,
    MIN_FRAME,
    ProtocolError,
    RecordDecoder,
    RecordType,
    encodeFrame,
    encodeRecord,
} from "./protocol"

/**
 * The interface side of the bridge: SocatTap, or a stand-in in tests. Emits "frame" (Buffer) for
 * each frame the interface sends and may emit "exit" (string) when it goes away.
 */
export interface FramePort extends EventEmitter {
    readonly name: string
    send(frame: Buffer): void
    close(): Promise<void>
}

export interface BridgeOptions extends TapSetup {
    /** The TAP interface: created (and removed at the end) or, when it exists, attached to. */
    tap: string
    /** Where to listen for the simulator; default 127.0.0.1, port 0 (any: see Bridge.port). */
    listenHost?: string
    listenPort?: number
    /** Write every frame carried to this pcap file. */
    pcap?: string
    /** Frames from the TAP waiting for the board's window, at most (default 256). */
    queueFrames?: number
    log?: (line: string) => void
}

export class BridgeStats {
    framesToTap = 0
    bytesToTap = 0
    framesFromTap = 0
    bytesFromTap = 0
    /** From the TAP while no simulator was connected. */
    droppedNoBoard = 0
    /** From the TAP with the board's window and the queue full (RX overrun). */
    droppedQueueFull = 0
    /** From the TAP over 1514 bytes (an MTU over 1500 on the interface). */
    droppedGiant = 0
    /** Bad records from the simulator. */
    protocolErrors = 0
    boardConnects = 0
    boardDisconnects = 0
}

/**
 * Events: "board" (Hello: a simulator connected and introduced itself), "disconnect" (string: why),
 * "control" (string: a CONTROL record from the board), "tap-exit" (string: socat ended).
 */
export class Bridge extends EventEmitter {
    readonly stats = new BridgeStats()
    /** The board connected now, from its HELLO. */
    board: Hello | null = null
    /** Fault injection for tests: loss, duplication, reordering and delay as netem applies them (netem.ts). */
    netem: Netem | null = null
    private conn: net.Socket | null = null
    private decoder = new RecordDecoder()
    private queue: Buffer[] = []
    private inflight = 0
    private closed = false
    private readonly queueFrames: number
    private readonly log: (line: string) => void

    private constructor(
        readonly opts: Omit<BridgeOptions, keyof TapSetup>,
        readonly tap: FramePort,
        private readonly server: net.Server,
        readonly pcap: PcapWriter | null
    ) {
        super()
        this.queueFrames = opts.queueFrames ?? 256
        this.log = opts.log ?? (() => {})
    }

    /** The TCP port the simulator connects to. */
    get port(): number {
        return (this.server.address() as net.AddressInfo).port
    }

    get host(): string {
        return (this.server.address() as net.AddressInfo).address
    }

    /** Open the TAP (and set it up), then listen for the simulator. Cleans up after itself on failure. */
    static async start(opts: BridgeOptions): Promise<Bridge> {
        const tap = await SocatTap.open(opts.tap, { log: opts.log })
        try {
            if (opts.netns || opts.mac || opts.addresses?.length) {
                if (tap.existed && opts.netns) throw new Error(`TAP ${opts.tap} existed before: the bridge moves only interfaces it created`)
                setupTap(opts.tap, opts)
            }
            return await Bridge.attach(tap, opts)
        } catch (e) {
            await tap.close()
            throw e
        }
    }

    /** Bridge the simulator to an opened FramePort (closed with the bridge). */
    static async attach(port: FramePort, opts: Omit<BridgeOptions, keyof TapSetup>): Promise<Bridge> {
        const server = net.createServer()
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject)
            server.listen(opts.listenPort ?? 0, opts.listenHost ?? "127.0.0.1", () => resolve())
        })
        let pcap: PcapWriter | null = null
        try {
            pcap = opts.pcap ? new PcapWriter(opts.pcap) : null
        } catch (e) {
            server.close()
            throw e
        }
        const b = new Bridge(opts, port, server, pcap)
        server.on("connection", c => b.accept(c))
        port.on("frame", (f: Buffer) => b.fromTap(f))
        port.on("exit", (why: string) => {
            b.log(why)
            b.emit("tap-exit", why)
        })
        b.log(`bridge: simulator side on ${b.host}:${b.port}, TAP ${port.name}${"netns" in opts && opts.netns ? " in netns " + opts.netns : ""}`)
        return b
    }

    private accept(c: net.Socket): void {
        if (this.closed) {
            c.destroy()
            return
        }
        if (this.conn) {
            this.dropConnection("replaced by a new connection from the simulator")
        }
        this.conn = c
        this.decoder = new RecordDecoder()
        this.queue = []
        this.inflight = 0
        c.setNoDelay(true)
        c.on("data", (d: Buffer) => {
            if (this.conn !== c) return
            try {
                for (const r of this.decoder.push(d)) this.fromBoard(r)
            } catch (e) {
                this.stats.protocolErrors++
                this.dropConnection(`bad stream from the simulator: ${(e as Error).message}`)
            }
        })
        c.on("error", e => {
            if (this.conn === c) this.dropConnection(`connection error: ${e.message}`)
        })
        c.on("close", () => {
            if (this.conn === c) this.dropConnection("the simulator disconnected")
        })
    }

    private dropConnection(why: string): void {
        const c = this.conn
        if (!c) return
        this.conn = null
        const had = this.board !== null
        this.board = null
        this.queue = []
        this.inflight = 0
        c.destroy()
        if (had) this.stats.boardDisconnects++
        this.log(`bridge: ${why}`)
        this.emit("disconnect", why)
    }

    private fromBoard(r: ReturnType<RecordDecoder["push"]>[number]): void {
        if (this.board === null && r.type !== RecordType.Hello) throw new ProtocolError(`record type ${r.type} before HELLO`)
        if ("hello" in r) {
            if (r.hello.version !== HOSTLINK_VERSION)
                throw new ProtocolError(`the simulator speaks hostlink version ${r.hello.version}, this bridge version ${HOSTLINK_VERSION}`)
            if (r.hello.window < MAX_FRAME + 3) throw new ProtocolError(`window of ${r.hello.window} bytes cannot hold a frame`)
            this.board = r.hello
            this.stats.boardConnects++
            this.log(`bridge: board ${r.hello.mac} connected (window ${r.hello.window} bytes)`)
            this.emit("board", r.hello)
            return
        }
        if ("frame" in r) {
            const f = r.frame
            if (f.length < MIN_FRAME || f.length > MAX_FRAME) throw new ProtocolError(`frame of ${f.length} bytes`)
            this.impaired(f, true, g => this.toTap(g))
        } else if ("bytes" in r) {
            this.inflight -= r.bytes
            if (this.inflight < 0) throw new ProtocolError(`credit of ${r.bytes} bytes for ${this.inflight + r.bytes} in flight`)
            this.pump()
        } else if ("text" in r) this.emit("control", r.text)
    }

    private fromTap(f: Buffer): void {
        if (this.closed) return
        if (this.board === null || this.conn === null) {
            this.stats.droppedNoBoard++
            return
        }
        if (f.length > MAX_FRAME || f.length < MIN_FRAME) {
            this.stats.droppedGiant++
            return
        }
        this.impaired(f, false, g => this.queueForBoard(g))
    }

    /** Each copy netem lets through, when its delay has passed (at once without netem). */
    private impaired(f: Buffer, toTap: boolean, send: (f: Buffer) => void): void {
        if (!this.netem) return send(f)
        for (const ms of this.netem.schedule(f, toTap)) {
            if (ms === 0) send(f)
            else {
                const copy = Buffer.from(f)
                setTimeout(() => this.closed || send(copy), ms)
            }
        }
    }

    private toTap(f: Buffer): void {
        this.stats.framesToTap++
        this.stats.bytesToTap += f.length
        this.pcap?.write(f, Date.now())
        this.tap.send(f)
    }

    private queueForBoard(f: Buffer): void {
        if (this.board === null || this.conn === null) {
            this.stats.droppedNoBoard++
            return
        }
        if (this.queue.length >= this.queueFrames) {
            this.stats.droppedQueueFull++
            return
        }
        const rec = encodeFrame(f)
        this.stats.framesFromTap++
        this.stats.bytesFromTap += f.length
        this.pcap?.write(rec.subarray(3), Date.now())
        this.queue.push(rec)
        this.pump()
    }

    /**
     * Send what the board's window takes, in one write: each chunk the simulator reads becomes a
     * buffer and a fiber on the board's heap, so fewer, larger chunks cost it less.
     */
    private pump(): void {
        const c = this.conn
        const w = this.board?.window ?? 0
        const out: Buffer[] = []
        while (c && this.queue.length > 0 && this.inflight + this.queue[0].length <= w) {
            const r = this.queue.shift()!
            this.inflight += r.length
            out.push(r)
        }
        if (c && out.length > 0) c.write(out.length === 1 ? out[0] : Buffer.concat(out))
    }

    /** Send text to the board program (HostLink.onControl); queued with the frames, never dropped. */
    sendControl(text: string): void {
        if (!this.conn || !this.board) throw new Error("bridge: no board connected")
        this.queue.push(encodeRecord(RecordType.Control, Buffer.from(text, "utf8")))
        this.pump()
    }

    /** The next HELLO (or the current board), within `timeoutMs`. */
    waitForBoard(timeoutMs: number): Promise<Hello> {
        if (this.board) return Promise.resolve(this.board)
        return new Promise((resolve, reject) => {
            const t = setTimeout(() => {
                this.off("board", on)
                reject(new Error(`no simulator connected to the bridge on ${this.host}:${this.port} within ${timeoutMs} ms`))
            }, timeoutMs)
            const on = (h: Hello) => {
                clearTimeout(t)
                resolve(h)
            }
            this.once("board", on)
        })
    }

    /** The counters as one line. */
    format(): string {
        const s = this.stats
        return (
            `to TAP ${s.framesToTap} frames ${s.bytesToTap} bytes; from TAP ${s.framesFromTap} frames ${s.bytesFromTap} bytes, ` +
            `dropped: no board ${s.droppedNoBoard}, queue full ${s.droppedQueueFull}, giant ${s.droppedGiant}; ` +
            `protocol errors ${s.protocolErrors}; board connects ${s.boardConnects} disconnects ${s.boardDisconnects}`
        )
    }

    /** Close the simulator connection and the listener, stop socat, close the pcap. Idempotent. */
    async close(): Promise<void> {
        if (this.closed) return
        this.closed = true
        if (this.conn) this.dropConnection("the bridge is closing")
        await new Promise<void>(r => this.server.close(() => r()))
        await this.tap.close()
        this.pcap?.close()
    }
}
