// A ByteStream (src/tcp/stream.ts) over the DeviceScript simulator's own TCP socket
// (@devicescript/net connect(), which the simulator opens through Node): lets the MQTT client talk to
// a real broker on the host before this stack's TCP is there. Test support only (it allocates per
// chunk received); one connection at a time, as the simulator allows.

import * as ds from "@devicescript/core"
import { connect, Socket } from "@devicescript/net"
import { ByteStream, StreamStatus } from "../../src/tcp/stream"

type DsSockets = typeof ds & { _socketWrite(buf: Buffer): number }

export class SocketStream implements ByteStream {
    private st = StreamStatus.Open
    private chunks: Buffer[] = []
    private chunkOff = 0
    private inLen = 0

    constructor(readonly sock: Socket) {
        this.reader.start()
    }

    private async reader(): Promise<void> {
        while (this.st === StreamStatus.Open) {
            let b: Buffer
            try {
                b = await this.sock.recv(1000)
            } catch (e) {
                this.st = StreamStatus.Reset
                return
            }
            if (b === null) {
                if (this.st === StreamStatus.Open) this.st = StreamStatus.PeerClosed
                return
            }
            if (b !== undefined && b.length > 0) {
                this.chunks.push(b)
                this.inLen += b.length
            }
        }
    }

    readable(): number {
        return this.inLen
    }
    read(buf: Buffer, off: number, len: number): number {
        let n = 0
        while (n < len && this.chunks.length > 0) {
            const c = this.chunks[0]
            const k = Math.min(len - n, c.length - this.chunkOff)
            buf.blitAt(off + n, c, this.chunkOff, k)
            n += k
            this.chunkOff += k
            if (this.chunkOff === c.length) {
                this.chunks.shift()
                this.chunkOff = 0
            }
        }
        this.inLen -= n
        return n
    }
    writable(): number {
        return this.st === StreamStatus.Open || this.st === StreamStatus.PeerClosed ? 4096 : 0
    }
    write(buf: Buffer, off: number, len: number): number {
        if (this.writable() === 0 || len === 0) return 0
        // the simulator's socket write is synchronous (Socket.send only wraps it)
        const r = (ds as DsSockets)._socketWrite(buf.slice(off, off + len))
        if (r !== 0) {
            this.st = StreamStatus.Reset
            return 0
        }
        return len
    }
    async waitEvent(timeoutMs: number): Promise<void> {
        const end = ds.millis() + timeoutMs
        const st = this.st
        while (this.inLen === 0 && this.st === st && ds.millis() < end) await ds.sleep(5)
    }
    status(): StreamStatus {
        return this.inLen === 0 && this.st === StreamStatus.PeerClosed ? StreamStatus.Closed : this.st
    }
    close(): void {
        this.st = StreamStatus.Closed
        this.closeSock.start()
    }
    abort(): void {
        this.close()
    }
    private async closeSock(): Promise<void> {
        await this.sock.close()
    }
}

/** The MqttConnector over the simulator's socket (host: a name or dotted quad the host resolves). */
export async function socketConnector(host: string | number, port: number): Promise<ByteStream | StreamStatus> {
    try {
        const s = await connect({ host: "" + host, port, proto: "tcp", timeout: 5000 })
        return new SocketStream(s)
    } catch (e) {
        return StreamStatus.Unreachable
    }
}
