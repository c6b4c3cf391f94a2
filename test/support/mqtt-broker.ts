// An in-memory ByteStream (src/tcp/stream.ts) and a scripted MQTT broker behind it, on a virtual
// clock: a stream's waitEvent() jumps the clock to the caller's deadline (or the next scheduled broker
// event) when nothing is pending, so keep-alive and back-off timings are exact and tests run fast.
// The broker decodes what the client writes with its own small parser (not src/mqtt/packet.ts)
// and answers as configured.

import * as ds from "@devicescript/core"
import { ByteStream, StreamStatus } from "../../src/tcp/stream"

export class VirtualClock {
    t = 100000
    private evT: number[] = []
    private evF: (() => void | Promise<void>)[] = []

    now(): number {
        return this.t
    }

    /** Run `f` when the clock reaches `at`. */
    at(at: number, f: () => void | Promise<void>): void {
        this.evT.push(at)
        this.evF.push(f)
    }

    /** Move the clock forward to `to`, running the events due on the way (in time order). */
    async advanceTo(to: number): Promise<void> {
        while (true) {
            let k = -1
            for (let i = 0; i < this.evT.length; i++) if (this.evT[i] <= to && (k < 0 || this.evT[i] < this.evT[k])) k = i
            if (k < 0) break
            const f = this.evF[k]
            if (this.evT[k] > this.t) this.t = this.evT[k]
            this.evT.insert(k, -1)
            this.evF.insert(k, -1)
            await f()
        }
        if (to > this.t) this.t = to
    }

    /** The next event time, or Infinity. */
    next(): number {
        let m = Infinity
        for (const x of this.evT) if (x < m) m = x
        return m
    }

    /** The client's sleep: virtual time passes, a real millisecond too (other fibers run). */
    async sleep(ms: number): Promise<void> {
        await this.advanceTo(this.t + ms)
        await ds.sleep(1)
    }
}

export class MemStream implements ByteStream {
    st = StreamStatus.Open
    /** Broker -> client bytes not yet read. */
    private inb = Buffer.alloc(1024)
    private inLen = 0
    /** Client -> broker bytes the broker has not taken (it takes them at once unless stalled). */
    sendCap = 4096
    pendingOut = 0
    stalled = false
    closedByClient = false
    abortedByClient = false

    constructor(readonly clock: VirtualClock, readonly onBytes: (s: MemStream, b: Buffer, off: number, len: number) => void) {}

    readable(): number {
        return this.inLen
    }
    read(buf: Buffer, off: number, len: number): number {
        const n = Math.min(len, this.inLen)
        if (n <= 0) return 0
        buf.blitAt(off, this.inb, 0, n)
        this.inb.blitAt(0, this.inb, n, this.inLen - n)
        this.inLen -= n
        return n
    }
    writable(): number {
        return this.st === StreamStatus.Open || this.st === StreamStatus.PeerClosed ? this.sendCap - this.pendingOut : 0
    }
    write(buf: Buffer, off: number, len: number): number {
        const n = Math.min(len, this.writable())
        if (n <= 0) return 0
        if (this.stalled) this.pendingOut += n
        else this.onBytes(this, buf, off, n)
        return n
    }
    async waitEvent(timeoutMs: number): Promise<void> {
        if (this.inLen === 0 && this.st === StreamStatus.Open) await this.clock.advanceTo(this.clock.t + timeoutMs)
        await ds.sleep(1)
    }
    status(): StreamStatus {
        return this.st
    }
    close(): void {
        this.closedByClient = true
        if (this.st === StreamStatus.Open || this.st === StreamStatus.PeerClosed) this.st = StreamStatus.Closed
    }
    abort(): void {
        this.abortedByClient = true
        this.st = StreamStatus.Reset
    }

    /** Bytes the broker sends. */
    push(b: Buffer): void {
        this.inb.blitAt(this.inLen, b, 0, b.length)
        this.inLen += b.length
    }
}

export class BrokerPacket {
    constructor(readonly bytes: Buffer, readonly t: number, readonly conn: number) {}
    type(): number {
        return this.bytes[0] >> 4
    }
}

export class ScriptedBroker {
    readonly clock = new VirtualClock()
    up = true
    /** The CONNACK return code (-1: no CONNACK at all). */
    connackCode = 0
    sessionPresent = false
    ackPublishes = true
    answerPings = true
    /** Reset the connection when this many PUBLISH packets arrived on it (0: never); no PUBACK for the last. */
    resetAfterPublishes = 0
    /** The SUBACK return code (-1: the requested QoS). */
    subackCode = -1
    /** Every complete packet the client sent, with the virtual time and connection number. */
    readonly packets: BrokerPacket[] = []
    conns = 0
    pings = 0
    /** Packets the client sent, by type (all of them, recorded or not). */
    readonly typeCount: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    /** Packets kept in `packets` at most (the heap is 64 KB). */
    maxRecorded = 300
    conn: MemStream = null
    private acc = Buffer.alloc(1024)
    private accLen = 0
    private pubsOnConn = 0

    connector(): (host: string | number, port: number) => Promise<ByteStream | StreamStatus> {
        const self = this
        return async (host: string | number, port: number) => self.accept()
    }

    accept(): ByteStream | StreamStatus {
        if (!this.up) return StreamStatus.Reset
        this.conns++
        this.accLen = 0
        this.pubsOnConn = 0
        const self = this
        this.conn = new MemStream(this.clock, (s, b, off, len) => self.onBytes(s, b, off, len))
        return this.conn
    }

    of(type: number): BrokerPacket[] {
        return this.packets.filter(p => p.type() === type)
    }

    /** Reset the current connection (as a broker killed would, for the client). */
    kill(): void {
        if (this.conn !== null) this.conn.st = StreamStatus.Reset
        this.conn = null
    }

    private onBytes(s: MemStream, b: Buffer, off: number, len: number): void {
        if (s !== this.conn) return
        this.acc.blitAt(this.accLen, b, off, len)
        this.accLen += len
        while (this.accLen >= 2) {
            const total = packetLength(this.acc, this.accLen)
            if (total < 0 || this.accLen < total) return
            const i = headerLength()
            const pkt = this.acc.slice(0, total)
            this.acc.blitAt(0, this.acc, total, this.accLen - total)
            this.accLen -= total
            this.typeCount[pkt[0] >> 4]++
            // an idle client pings every keep-alive period as fast as virtual time runs: keep 16
            if ((pkt[0] !== 0xc0 || ++this.pings <= 16) && this.packets.length < this.maxRecorded) this.packets.push(new BrokerPacket(pkt, this.clock.t, this.conns))
            this.answer(s, pkt, i)
            if (s !== this.conn) return
        }
    }

    private answer(s: MemStream, p: Buffer, hdr: number): void {
        const type = p[0] >> 4
        if (type === 1) {
            if (this.connackCode >= 0) s.push(Buffer.from([0x20, 2, this.sessionPresent ? 1 : 0, this.connackCode]))
        }
        else if (type === 3) {
            this.pubsOnConn++
            if (this.resetAfterPublishes > 0 && this.pubsOnConn >= this.resetAfterPublishes) {
                this.kill()
                return
            }
            const qos = (p[0] >> 1) & 3
            if (qos === 1 && this.ackPublishes) {
                const at = hdr + 2 + ((p[hdr] << 8) | p[hdr + 1])
                s.push(Buffer.from([0x40, 2, p[at], p[at + 1]]))
            }
        } else if (type === 8) {
            const code = this.subackCode >= 0 ? this.subackCode : p[p.length - 1]
            s.push(Buffer.from([0x90, 3, p[hdr], p[hdr + 1], code]))
        } else if (type === 10) s.push(Buffer.from([0xb0, 2, p[hdr], p[hdr + 1]]))
        else if (type === 12 && this.answerPings) s.push(hex`d0 00`)
    }
}

let lastHeader = 0

/**
 * The length of the MQTT packet at the start of `acc` (of which `n` bytes are there) from its fixed
 * header (2.2.3, decoded here independently of the client's code): -1 while the header is
 * incomplete, -2 when the remaining length runs past four bytes. headerLength() is then the fixed
 * header's length. (Also the soak's broker, test/robust/broker.ts.)
 */
export function packetLength(acc: Buffer, n: number): number {
    let rem = 0
    let mult = 1
    let i = 1
    while (i < n && i <= 4) {
        const d = acc[i++]
        rem += (d & 127) * mult
        mult *= 128
        if ((d & 128) === 0) {
            lastHeader = i
            return i + rem
        }
    }
    return i > 4 ? -2 : -1
}

export function headerLength(): number {
    return lastHeader
}

/** Poll (real time) until `cond` or `iters` polls. */
export async function until(cond: () => boolean, iters = 2000): Promise<boolean> {
    for (let i = 0; i < iters; i++) {
        if (cond()) return true
        await ds.sleep(1)
    }
    return cond()
}

export function hexOf(b: Buffer): string {
    return b.toString("hex")
}
