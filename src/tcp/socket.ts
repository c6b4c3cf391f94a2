// A socket over a TcpConn shaped like @devicescript/net's Socket (connect, send, recv, readLine,
// close, the onopen/onclose/onerror/onmessage emitters), so code written for DeviceScript's Wi-Fi
// sockets reads the same here. A thin wrapper: the connection's rings hold the data; recv() and
// readLine() allocate their results as net's do (the per-segment path underneath does not).

import * as ds from "@devicescript/core"
import { parseIpv4 } from "../wire/addr"
import { StreamStatus } from "./stream"
import { setKeepalive, TcpConn, TcpError, TcpListener } from "./conn"
import { TcpConnectError, TcpTable } from "./table"

export function tcpErrorName(e: TcpError): string {
    switch (e) {
        case TcpError.Refused:
            return "connection refused"
        case TcpError.TimedOut:
            return "timed out"
        case TcpError.Reset:
            return "connection reset by peer"
        case TcpError.NoRoute:
            return "no route"
        case TcpError.Unreachable:
            return "unreachable"
        case TcpError.Aborted:
            return "aborted"
    }
    return "closed"
}

/**
 * A failed connect, send or receive; `error` is the connection's outcome.
 * @devsWhenUsed
 */
export class TcpSocketError extends Error {
    constructor(
        message: string,
        readonly error: TcpError
    ) {
        super(message)
        this.name = "TcpSocketError"
    }
}

export interface TcpConnectOptions {
    /** A dotted-quad address (a host name needs the resolver first) or the address as a number. */
    host: string | number
    port: number
    /** ms, default 30000 (net's default). */
    timeout?: number
    /** TCP_NODELAY. */
    noDelay?: boolean
    /** Keepalive idle time in ms (0: off). */
    keepalive?: number
}

const LF = 10
const CR = 13
/** readLine's longest line. */
const MAX_LINE = 1024

/** @devsWhenUsed */
export class TcpSocket implements TcpListener {
    readonly onopen = ds.emitter<void>()
    readonly onclose = ds.emitter<void>()
    readonly onerror = ds.emitter<TcpSocketError>()
    readonly onmessage = ds.emitter<void>()
    private ended = false
    /** Set by tcpConnect once the table made the connection. */
    conn: TcpConn = null

    constructor(readonly name: string) {}

    tcpEvent(c: TcpConn): void {
        // (events may come before tcpConnect has set conn: a route that says no at once)
        this.conn = c
        const s = c.status()
        if (c.readable() > 0) this.onmessage.emit(undefined)
        if (this.ended || s === StreamStatus.Open || s === StreamStatus.Connecting) return
        if (s === StreamStatus.PeerClosed || s === StreamStatus.Closed) {
            this.ended = true
            this.onclose.emit(undefined)
        } else {
            this.ended = true
            this.onerror.emit(this.fault())
        }
    }

    /** The error the connection ended with, as thrown. */
    fault(): TcpSocketError {
        return new TcpSocketError("socket " + this.name + ": " + tcpErrorName(this.conn.error), this.conn.error)
    }

    private check(): void {
        const s = this.conn.status()
        if (s === StreamStatus.Reset || s === StreamStatus.TimedOut || s === StreamStatus.Unreachable) throw this.fault()
    }

    /** Send all of `data`, waiting for send space; throws when the connection can no longer send. */
    async send(data: Buffer | string): Promise<void> {
        const b = typeof data === "string" ? Buffer.from(data) : data
        let off = 0
        while (off < b.length) {
            this.check()
            const n = this.conn.write(b, off, b.length - off)
            off += n
            if (n === 0) {
                const s = this.conn.status()
                if (this.conn.finQueued || (s !== StreamStatus.Open && s !== StreamStatus.PeerClosed))
                    throw new TcpSocketError("socket " + this.name + ": closed", this.conn.error)
                await this.conn.waitEvent(1000)
            }
        }
    }

    /**
     * The bytes received so far (waiting up to `timeout` ms for some, default forever); `undefined`
     * on timeout, `null` once the peer has closed and everything was read. Throws on reset.
     */
    async recv(timeout?: number): Promise<Buffer> {
        const c = this.conn
        const deadline = timeout === undefined ? Infinity : ds.millis() + timeout
        for (;;) {
            const n = c.readable()
            if (n > 0) {
                const b = Buffer.alloc(n)
                c.read(b, 0, n)
                return b
            }
            this.check()
            const s = c.status()
            if (s === StreamStatus.PeerClosed || s === StreamStatus.Closed) return null
            const left = deadline - ds.millis()
            if (left <= 0) return undefined
            await c.waitEvent(Math.min(left, 1000))
        }
    }

    /** One line without its CR LF; null at the end of the stream (a last unterminated line is returned). */
    async readLine(): Promise<string> {
        const c = this.conn
        const line = Buffer.alloc(MAX_LINE)
        const one = Buffer.alloc(1)
        let n = 0
        for (;;) {
            if (c.readable() > 0) {
                c.read(one, 0, 1)
                if (one[0] === LF) break
                if (n < MAX_LINE) line[n++] = one[0]
                continue
            }
            this.check()
            const s = c.status()
            if (s === StreamStatus.PeerClosed || s === StreamStatus.Closed) {
                if (n === 0) return null
                break
            }
            await c.waitEvent(1000)
        }
        if (n > 0 && line[n - 1] === CR) n--
        return line.slice(0, n).toString()
    }

    /** Orderly close: what was sent is still delivered, then FIN (RFC 9293 §3.10.4). */
    async close(): Promise<void> {
        this.conn.close()
    }
}

/**
 * connect() of @devicescript/net over this stack's TCP: resolves once ESTABLISHED, throws a
 * TcpSocketError saying why not (refused, timed out, no route, unreachable).
 */
export async function tcpConnect(t: TcpTable, options: TcpConnectOptions): Promise<TcpSocket> {
    const addr = typeof options.host === "string" ? parseIpv4(options.host) : options.host
    const name = "tcp://" + options.host + ":" + options.port
    const sock = new TcpSocket(name)
    const c = t.connect(addr, options.port, sock)
    if (c === null)
        throw new TcpSocketError("socket " + name + ": " + (t.lastError === TcpConnectError.TableFull ? "connection table full" : "bad address"), TcpError.None)
    if (options.noDelay) c.noDelay = true
    if (options.keepalive) setKeepalive(c, options.keepalive)
    sock.conn = c
    const deadline = ds.millis() + (options.timeout || 30000)
    while (c.status() === StreamStatus.Connecting) {
        const left = deadline - ds.millis()
        if (left <= 0) {
            c.abort()
            throw new TcpSocketError("socket " + name + ": timed out", TcpError.TimedOut)
        }
        await c.waitEvent(Math.min(left, 1000))
    }
    if (c.status() !== StreamStatus.Open) throw sock.fault()
    sock.onopen.emit(undefined)
    return sock
}
