// The TCP connection table: tcp_v4_rcv's demultiplexing by the 4-tuple, tcp_v4_send_reset for
// segments that match no connection (RFC 9293 §3.10.7.1), active opens with RFC 6056 ports and
// RFC 6528 initial sequence numbers, and the timers of every connection from the stack's tick.
//
// Opt-in: a firmware that never calls tcpTable() links none of TCP (the stack knows only the
// StackProtocol and receiver interfaces it registers through).

import * as ds from "@devicescript/core"
import { Ipv4Output, SendResult } from "../ipv4/output"
import { Csum, OutPacket } from "../ipv4/packet"
import { NO_ROUTE } from "../ipv4/fib"
import { newMib } from "../dev/counters"
import { IpProtocol } from "../wire/ipv4"
import { WireError } from "../wire/error"
import { Ipv4Input } from "../ipv4/input"
import { TcpConn, TcpListener } from "./conn"
import { TcpMib, TcpStats } from "./mib"
import { tcpCheck, tcpEmit, TcpField, TcpFlag, tcpHeaderLen, tcpSegLen, TCP_HEADER_LEN } from "./wire"
import { getU32, setU16 } from "../wire/bytes"
import { inc } from "../util/mib"

/**
 * What the table and its connections are built with, defaults sized for MQTT telemetry (a few
 * hundred bytes a message, one or two connections): `new TcpConfig()`, change fields, tcpTable().
 * @devsWhenUsed
 */
export class TcpConfig {
    /** Connections open at once (TIME-WAIT included); connect() beyond it is refused (TableFull). */
    connections = 2
    /** Send and receive ring bytes per connection, allocated at connect. */
    sndBuf = 1460
    rcvBuf = 1024
    /** RFC 6298 §2.1 initial RTO, §2.4 minimum (Linux's TCP_RTO_MIN: 200 ms), the back-off cap. */
    initialRtoMs = 1000
    minRtoMs = 200
    maxRtoMs = 60000
    /** SYN retransmissions before TimedOut (tcp_syn_retries), data retransmissions (tcp_retries2). */
    synRetries = 5
    retries = 8
    /** Delayed ACK (RFC 1122 §4.2.3.2: under 500 ms; run by the stack's 100 ms tick). */
    delAckMs = 40
    /** TIME-WAIT (2 MSL is 240 s in RFC 9293; short here: one client, a small table). */
    timeWaitMs = 2000
    /** FIN-WAIT-2 without the peer's FIN (tcp_fin_timeout). */
    finTimeoutMs = 30000
    keepaliveIntervalMs = 10000
    keepaliveProbes = 5
}

export const enum TcpConnectError {
    Ok = 0,
    /** The connection table is full. */
    TableFull = 1,
    /** No local address yet, or a bad destination or port. */
    BadAddress = 2,
}

/** Ephemeral ports, RFC 6335 §6. */
const EPHEMERAL_FIRST = 49152
const EPHEMERAL_COUNT = 16384

/** murmur3's 32-bit finaliser: each input bit reaches every output bit. */
function mix(x: number): number {
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
    return (x ^ (x >>> 16)) >>> 0
}

function random32(): number {
    return Math.floor(Math.random() * 0x100000000) >>> 0
}

/** @devsWhenUsed */
export class TcpTable {
    readonly conns: TcpConn[] = []
    /** The Tcp group and TcpExt counters, indexed by TcpMib. */
    readonly stats: TcpStats = newMib(TcpMib.Count)
    /** Counts connection events; ByteStream.waitEvent polls it. */
    events = 0
    lastError = TcpConnectError.Ok
    /** RFC 6528's secret key (random at start-up) and RFC 6056's port offset. */
    private readonly key: number[] = [random32(), random32(), random32(), random32()]
    private nextPort: number
    /** RSTs for segments that match no connection. */
    private readonly rst = new OutPacket(TCP_HEADER_LEN)

    constructor(
        readonly out: Ipv4Output,
        readonly clock: { now(): number },
        readonly cfg: TcpConfig
    ) {
        this.nextPort = EPHEMERAL_FIRST + (random32() % EPHEMERAL_COUNT)
        const p = this.rst
        p.protocol = IpProtocol.Tcp
        p.headLen = TCP_HEADER_LEN
        p.csumOff = 16
        p.csumFlags = Csum.Pseudo
        p.dontFragment = true
    }

    now(): number {
        return this.clock.now()
    }

    /** Until the next connection event or `timeoutMs` (polled: an emitter costs 1.3 KB of bytecode). */
    async waitEvent(timeoutMs: number): Promise<void> {
        const v = this.events
        const end = ds.millis() + timeoutMs
        while (this.events === v && ds.millis() < end) await ds.sleep(5)
    }

    /**
     * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs clock.
     * F is a keyed mix of the tuple rather than MD5: unpredictable without the key, a few
     * operations of bytecode.
     */
    isn(local: number, lport: number, remote: number, rport: number): number {
        const k = this.key
        const f = mix(mix(mix(k[0] ^ local) ^ k[1] ^ remote) ^ k[2] ^ (lport * 0x10000 + rport)) ^ k[3]
        return (f + Math.floor(this.now() * 250)) >>> 0
    }

    /**
     * connect(2), non-blocking: the SYN is sent (or the route's answer makes the connection end at
     * once: status() says why). null when the table is full or there is nothing to connect from or
     * to (lastError says which). `listener` hears every event of the connection.
     */
    connect(addr: number, port: number, listener?: TcpListener): TcpConn {
        const local = this.out.ifa.address
        if (local === 0 || addr === 0 || port <= 0 || port > 0xffff) {
            this.lastError = TcpConnectError.BadAddress
            return null
        }
        if (this.conns.length >= this.cfg.connections) {
            this.lastError = TcpConnectError.TableFull
            return null
        }
        // RFC 6056 §3.3.2-like: from a random start, the next port no connection uses
        let lport = 0
        for (let k = 0; k < this.cfg.connections + 1 && lport === 0; k++) {
            const c = this.nextPort
            this.nextPort = c + 1 >= EPHEMERAL_FIRST + EPHEMERAL_COUNT ? EPHEMERAL_FIRST : c + 1
            lport = c
            for (let i = 0; i < this.conns.length; i++) if (this.conns[i].localPort === c) lport = 0
        }
        const c = new TcpConn(this, addr >>> 0, port, lport, listener || null)
        this.conns.push(c)
        this.lastError = TcpConnectError.Ok
        c.open(this.isn(local, lport, addr >>> 0, port), this.now())
        return c
    }

    remove(c: TcpConn): void {
        const i = this.conns.indexOf(c)
        if (i >= 0) this.conns.insert(i, -1)
    }

    /** tcp_v4_rcv: `len` bytes of TCP at `off`, from `src` to `dst`. */
    receive(buf: Buffer, off: number, len: number, src: number, dst: number): void {
        const st = this.stats
        inc(st, TcpMib.InSegs)
        const e = tcpCheck(buf, off, len, src, dst)
        if (e !== WireError.Ok) {
            inc(st, TcpMib.InErrs)
            if (e === WireError.BadChecksum) inc(st, TcpMib.InCsumErrors)
            return
        }
        // RFC 1122 §4.2.3.10: a segment to a broadcast address is dropped
        if (dst !== this.out.ifa.address) return
        const sport = (buf[off] << 8) | buf[off + 1]
        const dport = (buf[off + 2] << 8) | buf[off + 3]
        const now = this.now()
        for (let i = 0; i < this.conns.length; i++) {
            const c = this.conns[i]
            if (c.localPort === dport && c.remotePort === sport && c.remoteAddr === src) {
                c.input(buf, off, len, now)
                return
            }
        }
        // RFC 9293 §3.10.7.1: CLOSED — a RST answers anything but a RST
        const flags = buf[off + 13]
        if (flags & TcpFlag.Rst) return
        if (flags & TcpFlag.Ack) this.reset(src, sport, dport, getU32(buf, off + TcpField.Ack), 0, TcpFlag.Rst, now)
        else {
            const segLen = tcpSegLen(len - tcpHeaderLen(buf, off), flags)
            this.reset(src, sport, dport, 0, (getU32(buf, off + TcpField.Seq) + segLen) >>> 0, TcpFlag.Rst | TcpFlag.Ack, now)
        }
    }

    /** tcp_v4_send_reset: <SEQ=seq><ACK=ack><CTL=flags> to (addr, port) from `lport`. */
    reset(addr: number, port: number, lport: number, seq: number, ack: number, flags: number, now: number): void {
        const p = this.rst
        const h = p.head
        setU16(h, 0, lport)
        setU16(h, 2, port)
        tcpEmit(h, seq, ack, TCP_HEADER_LEN, flags, 0)
        p.dst = addr
        p.route = NO_ROUTE
        p.payloadLen = 0
        const r = this.out.queueXmit(p, now)
        if (r === SendResult.Sent || r === SendResult.Queued) {
            inc(this.stats, TcpMib.OutSegs)
            inc(this.stats, TcpMib.OutRsts)
        }
    }

    /** Every connection's timers (the stack's tick). */
    tick(now: number): void {
        // backwards: a connection may leave the table during its tick
        for (let i = this.conns.length - 1; i >= 0; i--) {
            const c = this.conns[i]
            if (c) c.tick(now)
        }
    }
}

/** What tcpTable() needs of the stack (NetStack; tcp/ sits below stack.ts, so named by shape). */
export interface TcpHost {
    readonly ip: Ipv4Output
    readonly input: Ipv4Input
    tcp: { tick(now: number): void; readonly stats: number[] }
    now(): number
}

/** TCP on `stack`: the table, registered with IPv4 input (protocol 6) and the stack's tick and formatStack(). */
export function tcpTable(stack: TcpHost, cfg?: TcpConfig): TcpTable {
    const t = new TcpTable(stack.ip, stack, cfg || new TcpConfig())
    stack.input.tcp = t
    stack.tcp = t
    return t
}
