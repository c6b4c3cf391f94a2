// The link from the virtual LAN to a host process (host/bridge/, which puts the frames on a Linux TAP
// interface): a LanPort on the Segment that carries every frame of the segment to the host over the
// simulator's one TCP connection and puts the host's frames on the segment, so the TAP is one more
// station on the hub.
//
// The stream, both directions, is a sequence of records (host/bridge/protocol.ts is the host's copy):
//   length u16 BE (bytes after this field) | type u8 | body (length - 1 bytes)
//   1 FRAME    one Ethernet frame without FCS, 14..1514 bytes
//   2 HELLO    board -> host, the first record: version u8 (1), window u16 BE, the board's MAC (6)
//   3 CREDIT   board -> host: u16 BE, bytes of host records (headers included) now consumed
//   4 CONTROL  either way: UTF-8 text, for test programs (onRecord / send)
// Flow control: the host keeps at most `window` bytes of records sent and not yet credited. The
// simulator hands the program whatever Node read at once, as one buffer on the 64 KB heap; with the
// window no chunk, and no record carried over between chunks, is larger than `window`.
//
// It uses the simulator's socket primitives (what @devicescript/net's Socket is built on) and takes
// each chunk in the runtime's socket-event fiber: the program's code must stay under the 64 KB
// function-code limit of the bytecode format, and the Socket class alone is ~1.5 KB of it.
// When the host closes the connection the link fails with a clear reason (`failed`, `lastError`).

import * as ds from "@devicescript/core"
import { Segment, SegmentLink } from "./lan"

export const HOSTLINK_VERSION = 1

export const enum LinkRecord {
    Frame = 1,
    Hello = 2,
    Credit = 3,
    Control = 4,
}

type DsSockets = typeof ds & {
    _socketOpen(host: string, port: number): number
    _socketClose(): number
    _socketWrite(buf: Buffer): number
    _socketOnEvent: (event: string, arg?: Buffer | string) => void
}

/**
 * A HostLink on `segment`, connected to the host bridge at host:port (simulate()'s `link` option);
 * throws when no attempt to connect succeeds.
 */
export async function connectHostLink(segment: Segment, mac: Buffer, host: string, port: number): Promise<HostLink> {
    const l = new HostLink(segment, mac, host, port)
    if (!(await l.start())) throw new Error(l.lastError)
    return l
}

export class HostLink implements SegmentLink {
    connected = false
    /** The connection could not be made, or ended: see lastError. */
    failed = false
    lastError = ""
    framesToHost = 0
    framesFromHost = 0
    /** Frames of the segment not carried (no connection) and bad frames from the host. */
    dropped = 0
    /** Records other than frames from the host (CONTROL): type, buffer, offset of the body, its length. */
    onRecord: (type: number, buf: Buffer, off: number, len: number) => void = null
    /** A record split over two chunks, its first `rxHave` bytes. */
    private readonly rx: Buffer
    private rxHave = 0
    private readonly credit = hex`00 03 03 00 00`.slice(0)
    private state = 0

    /** `window`: bytes of host records taken at once (default 4096). */
    constructor(
        readonly segment: Segment,
        readonly mac: Buffer,
        readonly host: string,
        readonly port: number,
        readonly window?: number
    ) {
        if (!window) this.window = 4096
        this.rx = Buffer.alloc(this.window)
        segment.attach(this)
    }

    /** Connect: `attempts` tries (default 5), one a second; false (and lastError) when none worked. */
    async start(attempts?: number): Promise<boolean> {
        const sd = ds as DsSockets
        const self = this
        sd._socketOnEvent = (ev, arg) => self.event(ev, arg)
        for (let i = 0; i < (attempts || 5); i++) {
            if (i > 0) await ds.sleep(1000)
            this.state = 0
            this.failed = false
            if (sd._socketOpen(this.host, this.port) !== 0) continue
            for (let t = 0; t < 500 && this.state === 0; t++) await ds.sleep(10)
            if (this.connected) {
                const h = Buffer.alloc(9)
                h[0] = HOSTLINK_VERSION
                h[1] = this.window >> 8
                h[2] = this.window & 0xff
                h.blitAt(3, this.mac, 0, 6)
                this.send(LinkRecord.Hello, h, 0, 9)
                return true
            }
        }
        this.failed = true
        this.lastError = "no host bridge at " + this.host + ":" + this.port + " (" + this.lastError + ")"
        return false
    }

    stop(): void {
        this.connected = false
        ;(ds as DsSockets)._socketClose()
    }

    summary(): string {
        return "hostlink: " + this.framesToHost + " frames to the host, " + this.framesFromHost + " from it, " + this.dropped + " dropped"
    }

    /** The runtime's socket events, each in a fiber of its own. */
    private event(ev: string, arg: Buffer | string): void {
        if (ev === "open") {
            this.connected = true
            this.state = 1
        } else if (ev === "data") {
            const used = this.consume(arg as Buffer)
            if (used > 0) {
                this.credit[3] = used >> 8
                this.credit[4] = used & 0xff
                this.write(this.credit)
            }
        } else {
            this.connected = false
            this.failed = true
            this.state = 2
            this.lastError = ev === "close" ? "the host bridge closed the connection" : "" + arg
        }
    }

    private write(rec: Buffer): void {
        if (!this.connected || (ds as DsSockets)._socketWrite(rec) !== 0) this.dropped++
    }

    /** A frame of the segment (from the chip model or a virtual peer): to the host. */
    receiveFromWire(frame: Buffer, off: number, len: number): void {
        this.framesToHost++
        this.send(LinkRecord.Frame, frame, off, len)
    }

    /** One record of `type`, its body `len` bytes of `b` at `off`, to the host. */
    send(type: number, b: Buffer, off: number, len: number): void {
        const rec = Buffer.alloc(3 + len)
        rec[0] = (len + 1) >> 8
        rec[1] = (len + 1) & 0xff
        rec[2] = type
        rec.blitAt(3, b, off, len)
        this.write(rec)
    }

    /** The records of one chunk (and the one carried over): bytes of whole records used, the credit. */
    private consume(c: Buffer): number {
        const n = c.length
        let at = 0
        let used = 0
        const rx = this.rx
        if (this.rxHave === 1 && n > 0) {
            rx[1] = c[0]
            this.rxHave = 2
            at = 1
        }
        if (this.rxHave >= 2) {
            const need = 2 + ((rx[0] << 8) | rx[1])
            const k = Math.min(need - this.rxHave, n - at)
            rx.blitAt(this.rxHave, c, at, k)
            this.rxHave += k
            at += k
            if (this.rxHave < need) return 0
            this.record(rx, 0, need)
            this.rxHave = 0
            used = need
        }
        while (n - at >= 2) {
            const need = 2 + ((c[at] << 8) | c[at + 1])
            if (n - at < need) break
            this.record(c, at, need)
            at += need
            used += need
        }
        // the host never has more than `window` bytes uncredited, so the rest fits
        if (at < n) rx.blitAt(0, c, at, n - at)
        if (at < n) this.rxHave = n - at
        return used
    }

    private record(b: Buffer, off: number, len: number): void {
        const blen = len - 3
        if (b[off + 2] !== LinkRecord.Frame) {
            if (this.onRecord !== null) this.onRecord(b[off + 2], b, off + 3, blen)
        } else if (blen < 14 || blen > 1514) this.dropped++
        else {
            this.framesFromHost++
            this.segment.transmit(this, b, off + 3, blen)
        }
    }
}
