// UDP sockets, RFC 768: Linux's udp_sendmsg -> ip_make_skb/udp_send_skb -> ip_queue_xmit, with the
// socket's cached route re-validated against the FIB generation (__sk_dst_check), and udp_rcv's
// demultiplexing by destination port on the way in.

import { Csum, Kept, keptHeaders, OutPacket } from "../ipv4/packet"
import { abandonOutput, continueOutput, Ipv4Output, resolutionOver, SendResult, startResolution } from "../ipv4/output"
import { UdpReceiver } from "../ipv4/input"
import { UdpStats, UdpMib } from "./mib"
import * as ds from "@devicescript/core"
import { newMib } from "../dev/counters"
import { NO_ROUTE } from "../ipv4/fib"
import { getU16, setU16 } from "../wire/bytes"
import { onesSum } from "../wire/checksum"
import { udpCheck, UdpField, UDP_HEADER_LEN } from "../wire/udp"
import { WireError } from "../wire/error"
import { IpProtocol, IPV4_MAX_OPTIONS_LEN, ipv4HeaderLenFor, ipv4OptionsCheck } from "../wire/ipv4"
import { inc } from "../util/mib"

/** IP_MTU_DISCOVER: when to set DF (ip_dont_fragment). */
export const enum PmtuDisc {
    /** Never set DF; fragment when larger than the MTU (IP_PMTUDISC_DONT). */
    Dont = 0,
    /** Set DF when the datagram fits the MTU, fragment (without DF) when it does not (the default). */
    Want = 1,
    /** Always set DF: larger than the MTU is "message too big" (IP_PMTUDISC_DO). */
    Do = 2,
}

export type UdpHandler = (buf: Buffer, off: number, len: number, src: number, srcPort: number) => void

/** @devsWhenUsed */
export class UdpSocket {
    remoteAddr = 0
    remotePort = 0
    pmtudisc = PmtuDisc.Want
    tos = 0
    /** 0 = the route's or the interface default. */
    ttl = 0
    /** Called synchronously for each datagram received on the bound port; the buffer is valid for the call. */
    onMessage: UdpHandler = null
    readonly pkt = new OutPacket(UDP_HEADER_LEN)
    /** The FIB generation pkt.route was found in, for pkt.dst (0: no route cached). */
    routeGen = 0
    open = true
    /** The destination port and the socket options (tos, ttl, pmtudisc) the kept headers were made with. */
    hdrKey = -1
    /** The pseudo-header and ports part of the UDP checksum for pkt's kept headers. */
    udpSum = 0

    constructor(
        readonly table: UdpTable,
        readonly localPort: number
    ) {
        udpPacket(this.pkt, localPort)
        this.pkt.hdr = keptHeaders()
    }

    /** Fix the destination (connect(2) on a UDP socket); send() then uses it. */
    connect(addr: number, port: number): void {
        this.remoteAddr = addr >>> 0
        this.remotePort = port
        this.routeGen = 0
    }

    send(payload: Buffer, off?: number, len?: number): SendResult {
        return this.sendTo(this.remoteAddr, this.remotePort, payload, off, len)
    }

    /**
     * udp_sendmsg, non-blocking (MSG_DONTWAIT): the datagram is routed, filtered, fragmented and
     * enqueued (or held for ARP) before this returns; the drain task sends it.
     */
    sendTo(addr: number, port: number, payload: Buffer, off?: number, len?: number): SendResult {
        if (off === undefined) off = 0
        if (len === undefined) len = payload.length - off
        const p = this.pkt
        // the fast path: the headers the last datagram to this destination left (Ipv4Output.fastReserve;
        // hdr[Kept.Len], their length, is 0 when there are none).
        // Nested ifs, not &&: the compiler keeps each && operand in a temporary, steps on every datagram.
        // No maxDatagram check: the MTU bounds a fast datagram and maxDatagram is at least the MTU.
        // An address given as a negative int32 (p.dst is unsigned) takes the slow path.
        // ((off | len) >= 0: neither is negative)
        if (p.hdr[Kept.Len]) if (addr === p.dst) if ((off | len) >= 0) if (off + len <= payload.length)
            if (port + this.tos * 0x10000 + this.ttl * 0x1000000 + this.pmtudisc * 0x100000000 === this.hdrKey) {
                const t = this.table
                const ulen = UDP_HEADER_LEN + len
                // (a call among the arguments costs a temporary for each argument before it)
                const now = t.clock.now()
                const at = t.out.fastReserve(p, ulen, now)
                if (at >= 0) {
                    // the UDP header (udp_send_skb, RFC 768), then the payload; the length counts
                    // twice in the checksum: in the header and in the pseudo-header
                    const buf = t.frames
                    buf.blitAt(at, p.head, 0, 4)
                    buf[at + 4] = ulen >> 8
                    buf[at + 5] = ulen
                    let c = ~onesSum(payload, off, len, this.udpSum + ulen + ulen) & 0xffff
                    if (!c) c = 0xffff // RFC 768: zero is sent as all ones
                    buf[at + 6] = c >> 8
                    buf[at + 7] = c
                    buf.blitAt(at + UDP_HEADER_LEN, payload, off, len)
                    t.stats[UdpMib.OutDatagrams]++
                    return SendResult.Sent
                }
            }
        const r = udpOutput(this, addr, port, payload, off, len)
        p.payload = null
        return r
    }

    close(): void {
        this.open = false
        this.pkt.hdr[Kept.Len] = 0
        const sockets = this.table.sockets
        const i = sockets.indexOf(this)
        if (i >= 0) sockets.insert(i, -1)
    }
}

/** The slow path of a send (udp_sendmsg -> ip_queue_xmit); headers kept for the fast path when they can be. */
function udpOutput(s: UdpSocket, addr: number, port: number, payload: Buffer, off?: number, len?: number): SendResult {
    const t = s.table
    const o = off || 0
    const n = len === undefined ? payload.length - o : len
    if (!s.open || port <= 0 || port > 0xffff || o < 0 || n < 0 || o + n > payload.length) return SendResult.MessageTooBig
    const p = s.pkt
    // __sk_dst_check: the route of the last datagram holds for the same destination while the FIB is unchanged
    const fib = t.out.fib
    if (p.dst !== addr >>> 0 || s.routeGen !== fib.genid) p.route = NO_ROUTE
    p.dst = addr >>> 0
    setU16(p.head, 2, port)
    setU16(p.head, 4, UDP_HEADER_LEN + n)
    p.payload = payload
    p.payloadOff = o
    p.payloadLen = n
    p.tos = s.tos
    p.ttl = s.ttl
    const mtu = t.out.mtu
    p.dontFragment = s.pmtudisc === PmtuDisc.Do ||
        (s.pmtudisc === PmtuDisc.Want && ipv4HeaderLenFor(p.optionsLen) + UDP_HEADER_LEN + n <= mtu)
    const r = t.out.queueXmit(p, t.clock.now())
    if (p.hdr[Kept.Len] !== 0) {
        // headers kept: the fast path's key, and the pseudo-header and ports part of its checksum
        s.hdrKey = port + s.tos * 0x10000 + s.ttl * 0x1000000 + s.pmtudisc * 0x100000000
        s.udpSum = (p.src >>> 16) + (p.src & 0xffff) + (p.dst >>> 16) + (p.dst & 0xffff) + IpProtocol.Udp + s.localPort + port
    }
    if (r === SendResult.Sent || r === SendResult.Queued || r === SendResult.InProgress) {
        t.stats[UdpMib.OutDatagrams]++
        // a hook may have sent it elsewhere: then the route is not this destination's
        s.routeGen = p.dst === addr >>> 0 ? fib.genid : 0
    } else {
        s.routeGen = 0
        if (r === SendResult.QueueFull) inc(t.stats, UdpMib.SndbufErrors)
    }
    return r
}

// The slow path, options and blocking sends are functions, not methods: a firmware that does not use them links
// none of their code.

/**
 * IP_OPTIONS on `s`: options (RFC 791 §3.1) for every datagram, unpadded, at most 40 bytes; copied.
 * Returns false for a malformed or oversized list.
 */
export function setIpOptions(s: UdpSocket, opts: Buffer, off: number, len: number): boolean {
    if (len > IPV4_MAX_OPTIONS_LEN || off + len > opts.length || ipv4OptionsCheck(opts, off, len) !== WireError.Ok)
        return false
    const p = s.pkt
    p.options = len > 0 ? opts.slice(off, off + len) : null
    p.optionsLen = len
    if (p.hdr !== null) p.hdr[Kept.Len] = 0
    return true
}

/**
 * udp_sendmsg on `s`, blocking, for datagrams larger than the qdisc: waits (up to `timeoutMs`) for
 * the neighbour to resolve, then enqueues the fragments as the drain makes room. The drain task
 * must be running. Ends as sendTo does, or QueueFull (counted) when the deadline passes mid-way.
 */
export async function sendToWait(s: UdpSocket, addr: number, port: number, payload: Buffer, off: number, len: number, timeoutMs: number): Promise<SendResult> {
    const t = s.table
    const out = t.out
    const p = s.pkt
    const deadline = t.clock.now() + timeoutMs
    // resolve first, so the fragments do not wait in the neighbour's (smaller) pending queue
    const n = startResolution(out, addr >>> 0, t.clock.now())
    while (!resolutionOver(out, n) && t.clock.now() < deadline) await ds.sleep(10)
    p.partialOk = true
    let r = udpOutput(s, addr, port, payload, off, len)
    while (r === SendResult.InProgress) {
        if (t.clock.now() >= deadline) {
            abandonOutput(out, p)
            inc(t.stats, UdpMib.SndbufErrors)
            r = SendResult.QueueFull
            break
        }
        await ds.sleep(1)
        r = continueOutput(out, p)
    }
    p.partialOk = false
    p.payload = null
    return r
}

/**
 * Make `pkt` a UDP datagram from `srcPort` (RFC 768): its header, whose length (set per datagram
 * at head[4]) and checksum (finished by IPv4 output, over the pseudo-header) follow.
 */
export function udpPacket(pkt: OutPacket, srcPort: number): void {
    pkt.protocol = IpProtocol.Udp
    pkt.headLen = UDP_HEADER_LEN
    pkt.csumOff = 6
    pkt.csumFlags = Csum.Pseudo | Csum.ZeroAsOnes
    setU16(pkt.head, 0, srcPort)
}

export const enum UdpBindError {
    Ok = 0,
    /** EADDRINUSE */
    InUse = 1,
    /** The socket table is full. */
    Full = 2,
    BadPort = 3,
}

/** The socket bound to `port`, or null. */
function findSocket(t: UdpTable, port: number): UdpSocket {
    for (let i = 0; i < t.sockets.length; i++) if (t.sockets[i].localPort === port) return t.sockets[i]
    return null
}

/** Ephemeral ports, RFC 6335 §6. */
const EPHEMERAL_FIRST = 49152

export interface UdpClock {
    /** Milliseconds. */
    now(): number
}

/** @devsWhenUsed */
export class UdpTable implements UdpReceiver {
    readonly sockets: UdpSocket[] = []
    /** The UDP group (/proc/net/snmp Udp:), indexed by UdpMib. */
    readonly stats: UdpStats = newMib(UdpMib.Count)
    private nextEphemeral = EPHEMERAL_FIRST
    lastError = UdpBindError.Ok
    /** The packet pool's buffer, where the fast path writes (out.neigh.qdisc.pool.buf). */
    readonly frames: Buffer
    /** `clock`: the stack's. */
    constructor(
        readonly out: Ipv4Output,
        readonly capacity: number,
        readonly clock: UdpClock
    ) {
        this.frames = out.neigh.qdisc.pool.buf
    }

    /** bind(2): a socket on `port` (0 = an ephemeral port); null with lastError set on failure. */
    bind(port: number): UdpSocket {
        if (this.sockets.length >= this.capacity) {
            this.lastError = UdpBindError.Full
            return null
        }
        if (port < 0 || port > 0xffff) {
            this.lastError = UdpBindError.BadPort
            return null
        }
        if (port === 0) {
            for (let k = 0; k < 16384 && port === 0; k++) {
                const c = this.nextEphemeral
                this.nextEphemeral = c >= 0xffff ? EPHEMERAL_FIRST : c + 1
                if (findSocket(this, c) === null) port = c
            }
        } else if (findSocket(this, port) !== null) {
            this.lastError = UdpBindError.InUse
            return null
        }
        const s = new UdpSocket(this, port)
        this.sockets.push(s)
        this.lastError = UdpBindError.Ok
        return s
    }

    /** udp_rcv: checksum, port lookup, delivery; NoPorts when nobody listens. */
    receive(buf: Buffer, off: number, len: number, src: number, dst: number): void {
        if (udpCheck(buf, off, len, src, dst) !== WireError.Ok) {
            inc(this.stats, UdpMib.InErrors)
            return
        }
        const s = findSocket(this, getU16(buf, off + UdpField.DstPort))
        if (s === null || s.onMessage === null) {
            inc(this.stats, UdpMib.NoPorts)
            return
        }
        this.stats[UdpMib.InDatagrams]++
        s.onMessage(buf, off + UDP_HEADER_LEN, getU16(buf, off + UdpField.Length) - UDP_HEADER_LEN, src, getU16(buf, off + UdpField.SrcPort))
    }
}
