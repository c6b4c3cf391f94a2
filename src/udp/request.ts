// The request/reply client that DNS (RFC 1035 §7) and SNTP (RFC 4330 §5) share: one socket, a
// server list, one request in flight at a time sent from a fresh random source port (RFC 5452 §9.2,
// RFC 9109 §3), and a reply taken only from the server and port asked; the subclass reads it.
// Requesters may share one socket (the resolver and the clock of a firmware: 0.8 KB of heap less):
// they take turns, one request in flight on it at a time, and a reply goes to the one asking.
// Waiting polls every few ms against the stack's clock, so every wait has its deadline and tests
// drive it by moving the clock.

import * as ds from "@devicescript/core"
import { UdpClock, UdpSocket, UdpTable } from "./socket"
import { Kept } from "../ipv4/packet"
import { setU16 } from "../wire/bytes"
import { newMib } from "../dev/counters"

/** Counters every requester keeps first in its group. */
export const enum ReqMib {
    /** Datagrams sent (first tries and retries). */
    Requests,
    /** Waits for a reply that ran out. */
    Timeouts,
    /** Datagrams from another address or port than the one asked, or when nothing was asked. */
    BadSource,
    Count,
}

/**
 * Move `s` to local port `port` (dropping its kept headers); false, leaving it where it was, when
 * the port is taken or out of range.
 */
export function udpRebind(s: UdpSocket, port: number): boolean {
    const t = s.table
    if (port < 1 || port > 0xffff) return false
    for (let i = 0; i < t.sockets.length; i++) if (t.sockets[i].localPort === port) return false
    ;(s as any).localPort = port
    setU16(s.pkt.head, 0, port)
    s.pkt.hdr[Kept.Len] = 0
    return true
}

/** @devsWhenUsed */
export abstract class UdpRequester {
    readonly stats: number[]
    readonly clock: UdpClock
    servers: number[] = []
    /** Null when the socket table was full at construction. */
    readonly socket: UdpSocket
    /** The requester whose request is in flight on `socket` (null: none), shared by those sharing it. */
    private readonly inFlight: UdpRequester[]
    private asked = 0
    private port = 0
    /** What take() made of the reply to the request in flight; -1 while none came. */
    protected got = -1

    /**
     * `udp`: the stack's socket table (stack.udp); its clock is the stack's. With `shareWith`, that
     * requester's socket is used; a datagram that answers no request in flight is counted
     * (BadSource) by the requester that bound the socket.
     */
    constructor(udp: UdpTable, private readonly maxServers: number, counters: number, shareWith?: UdpRequester) {
        this.stats = newMib(counters)
        this.clock = udp.clock
        if (shareWith) {
            this.socket = shareWith.socket
            this.inFlight = shareWith.inFlight
            return
        }
        this.socket = udp.bind(0)
        const f: UdpRequester[] = [null]
        this.inFlight = f
        const self = this
        if (this.socket !== null)
            this.socket.onMessage = (buf, off, len, src, port) => {
                const r = f[0]
                if (r === null || r.got >= 0 || src !== r.asked || port !== r.port) (r === null ? self : r).stats[ReqMib.BadSource]++
                else r.got = r.take(buf, off, len, src)
            }
    }

    /** The servers to ask from now on (from a DHCP lease or the configuration); zeros dropped. */
    setServers(list: number[]): void {
        const s: number[] = []
        for (let i = 0; i < list.length && s.length < this.maxServers; i++) if (list[i] !== 0) s.push(list[i] >>> 0)
        this.servers = s
    }

    /** A reply from the server asked: an outcome (>= 0) ends the wait, -1 ignores it (counted by the subclass). */
    protected abstract take(buf: Buffer, off: number, len: number, src: number): number

    /**
     * Send `len` bytes of `buf` to `server`:`port` from a new random port and wait for take() to
     * give an outcome, until `until` on the stack's clock: the outcome, or -1 (counted as a timeout).
     */
    protected async exchange(server: number, port: number, buf: Buffer, len: number, until: number): Promise<number> {
        const st = this.clock
        const f = this.inFlight
        // a requester sharing the socket has a request in flight: wait for its end (bounded by it)
        while (f[0] !== null && st.now() < until) await ds.sleep(5)
        if (f[0] !== null) {
            this.stats[ReqMib.Timeouts]++
            return -1
        }
        f[0] = this
        for (let k = 0; k < 8; k++) if (udpRebind(this.socket, 49152 + Math.floor(Math.random() * 16384))) break
        this.asked = server
        this.port = port
        this.got = -1
        this.stats[ReqMib.Requests]++
        this.socket.sendTo(server, port, buf, 0, len)
        while (this.got < 0 && st.now() < until) await ds.sleep(5)
        f[0] = null
        if (this.got < 0) this.stats[ReqMib.Timeouts]++
        return this.got
    }
}
