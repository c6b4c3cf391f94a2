// One TCP connection, active open only (RFC 9293): Linux's tcp_sock with tcp_v4_connect,
// tcp_rcv_synsent_state_process, tcp_rcv_state_process, tcp_ack, tcp_data_queue, tcp_write_xmit and
// the retransmit, persist, delayed-ACK, keepalive and TIME-WAIT timers, scaled down: state, both
// sequence spaces and every timer as plain fields; one deadline per timer, run by the stack's tick.
//
// Sequence numbers are unsigned 32-bit values in doubles; comparisons go through `(a - b) | 0`
// (RFC 9293 §3.4: modulo 2^32). Data lives in two byte rings allocated at connect; segments are cut
// from the send ring in place (a segment never spans the ring's end) and out-of-order data is dropped
// (no reassembly queue: the peer's retransmission fills the hole), so nothing is allocated per
// segment.

import { OutPacket } from "../ipv4/packet"
import { Csum } from "../ipv4/packet"
import { SendResult } from "../ipv4/output"
import { NO_ROUTE } from "../ipv4/fib"
import { IpProtocol } from "../wire/ipv4"
import { ByteStream, StreamStatus } from "./stream"
import { TcpField, TcpFlag, tcpEmit, tcpHeaderLen, tcpMssOption, tcpSegLen, TCP_SYN_HEADER_LEN } from "./wire"
import { getU32, setU16 } from "../wire/bytes"
import { TcpMib } from "./mib"
import { TcpConfig, TcpTable } from "./table"
import { inc } from "../util/mib"

/** RFC 9293 §3.3.2, the states a client goes through (LISTEN is never used: active open only). */
// The order matters: SYN-SENT..SYN-RECEIVED are "connecting", ESTABLISHED..FIN-WAIT-2 receive data,
// ESTABLISHED..CLOSE-WAIT are the states a RST resets (range checks cost less bytecode than lists).
export const enum TcpState {
    Closed = 0,
    SynSent = 1,
    SynReceived = 2,
    Established = 3,
    FinWait1 = 4,
    FinWait2 = 5,
    CloseWait = 6,
    Closing = 7,
    LastAck = 8,
    TimeWait = 9,
}

/** How a connection attempt or a connection ended (the errno a Linux socket would report). */
export const enum TcpError {
    None = 0,
    /** RST in answer to our SYN (ECONNREFUSED). */
    Refused = 1,
    /** SYN or data retransmissions, or keepalive probes, ran out (ETIMEDOUT). */
    TimedOut = 2,
    /** The peer reset an established connection (ECONNRESET). */
    Reset = 3,
    /** No route to the destination (ENETUNREACH). */
    NoRoute = 4,
    /** An unreachable or prohibit route (EHOSTUNREACH). */
    Unreachable = 5,
    /** abort() was called: we sent the RST. */
    Aborted = 6,
}

/** RFC 9293 §3.7.1: the send MSS when the peer sends no MSS option. */
const DEFAULT_MSS = 536
/** The largest window the 16-bit field says without scaling (no window scale option: RFC 7323 §2.2). */
const MAX_WINDOW = 65535

/** SYN-SENT, SYN-RECEIVED. */
function connecting(s: TcpState): boolean {
    return s > TcpState.Closed && s < TcpState.Established
}

/** ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2: data is taken in. */
function receiving(s: TcpState): boolean {
    return s >= TcpState.Established && s <= TcpState.FinWait2
}

/** Copy `n` bytes from `src` at `off` into the ring `r` at `at`, wrapping at its end. */
function ringIn(r: Buffer, at: number, src: Buffer, off: number, n: number): void {
    const first = Math.min(n, r.length - at)
    r.blitAt(at, src, off, first)
    r.blitAt(0, src, off + first, n - first)
}

export interface TcpListener {
    /** Data arrived, send space freed, or the status changed. */
    tcpEvent(c: TcpConn): void
}

/** @devsWhenUsed */
export class TcpConn implements ByteStream {
    state = TcpState.Closed
    error = TcpError.None
    /** Nagle's algorithm off (TCP_NODELAY). */
    noDelay = false
    /** Keepalive idle time (SO_KEEPALIVE with TCP_KEEPIDLE), set by setKeepalive(); 0 = off. */
    keepaliveMs = 0
    /** The keepalive timer when on (a function: a firmware that never turns keepalive on links none of it). */
    kaTimer: (c: TcpConn, now: number) => void = null
    /** When the last segment arrived; keepalive probes sent since, and when the last went. */
    lastRx = 0
    kaProbes = 0
    kaProbeAt = 0

    // the send sequence space (RFC 9293 §3.3.1), and SND.MAX: the highest sequence number sent
    // (these four, recover, rttSeq, rttAt and rtxAt are first set by open(), which connect() calls
    // right after the constructor)
    iss: number
    sndUna: number
    sndNxt: number
    sndMax: number
    sndWnd = 0
    maxSndWnd = 0
    sndWl1 = 0
    sndWl2 = 0
    /** The send MSS: the peer's option (or 536), capped by our MTU. */
    mss = DEFAULT_MSS
    // the receive sequence space; rcvAdv: the right edge of the window last advertised
    rcvNxt = 0
    rcvAdv = 0

    // the send ring from SND.UNA (txLen bytes, sent or not) and the receive ring (rxLen bytes unread)
    readonly tx: Buffer
    txHead = 0
    txLen = 0
    readonly rx: Buffer
    rxHead = 0
    rxLen = 0
    /** close() was called: a FIN follows the data (its sequence number is SND.UNA + txLen). */
    finQueued = false
    /** The FIN went out at least once, with this sequence number. */
    finSent = false
    finSeq = 0

    // RFC 6298: the estimators (ms), the current (backed-off) RTO, the segment being timed (Karn)
    srtt = 0
    rttvar = 0
    rto: number
    rttSeq: number
    rttAt: number
    /** Consecutive retransmission timeouts, persist probes or keepalive probes without an answer. */
    retries = 0
    // RFC 5681
    cwnd = 0
    ssthresh = MAX_WINDOW
    dupAcks = 0
    /** Fast recovery until SND.UNA passes `recover` (RFC 6582). */
    inRecovery = false
    recover: number
    /** Bytes received and not acknowledged yet, and the largest segment seen (Linux's rcv_mss). */
    unacked = 0
    rcvMss = 0

    // deadlines (stack clock, ms; 0 = not armed): retransmit / persist / SYN / FIN-WAIT-2 / TIME-WAIT,
    // the delayed ACK
    rtxAt: number
    ackAt = 0

    readonly pkt: OutPacket
    private routeGen = 0

    constructor(
        readonly table: TcpTable,
        readonly remoteAddr: number,
        readonly remotePort: number,
        readonly localPort: number,
        /** Told of every event (the socket wrapper), or null. */
        readonly listener: TcpListener
    ) {
        const cfg = table.cfg
        this.tx = Buffer.alloc(cfg.sndBuf)
        this.rx = Buffer.alloc(cfg.rcvBuf)
        this.rto = cfg.initialRtoMs
        const p = new OutPacket(TCP_SYN_HEADER_LEN)
        p.protocol = IpProtocol.Tcp
        p.csumOff = 16
        p.csumFlags = Csum.Pseudo
        // RFC 9293 §3.7.1 and RFC 1191: segments carry DF; the MSS keeps them within the MTU
        p.dontFragment = true
        p.dst = remoteAddr
        const h = p.head
        setU16(h, 0, localPort)
        setU16(h, 2, remotePort)
        this.pkt = p
    }

    // ByteStream

    readable(): number {
        return this.rxLen
    }

    read(buf: Buffer, off: number, len: number): number {
        const size = this.rx.length
        const n = Math.min(len, this.rxLen)
        if (n <= 0) return 0
        const first = Math.min(n, size - this.rxHead)
        buf.blitAt(off, this.rx, this.rxHead, first)
        buf.blitAt(off + first, this.rx, 0, n - first)
        this.rxHead = (this.rxHead + n) % size
        this.rxLen -= n
        // tcp_cleanup_rbuf: tell the peer when the window grew enough to matter (RFC 1122 §4.2.3.3)
        if (receiving(this.state) && this.rcvWindow() > ((this.rcvAdv - this.rcvNxt) | 0)) this.sendAck(this.table.now())
        return n
    }

    writable(): number {
        const s = this.state
        return ((s > TcpState.Closed && s <= TcpState.Established) || s === TcpState.CloseWait) && !this.finQueued
            ? this.tx.length - this.txLen
            : 0
    }

    write(buf: Buffer, off: number, len: number): number {
        const size = this.tx.length
        const n = Math.min(len, this.writable())
        if (n <= 0) return 0
        ringIn(this.tx, (this.txHead + this.txLen) % size, buf, off, n)
        this.txLen += n
        this.push(this.table.now())
        return n
    }

    async waitEvent(timeoutMs: number): Promise<void> {
        await this.table.waitEvent(timeoutMs)
    }

    status(): StreamStatus {
        const s = this.state
        if (connecting(s)) return StreamStatus.Connecting
        if (receiving(s)) return StreamStatus.Open
        // by TcpError: Refused and Reset are Reset, TimedOut TimedOut, NoRoute and Unreachable Unreachable
        const e = hex`00 04 05 04 06 06 00`[this.error]
        if (e !== 0) return e
        // CLOSE-WAIT, and the states after both FINs while data waits to be read
        return s === TcpState.CloseWait || this.rxLen > 0 ? StreamStatus.PeerClosed : StreamStatus.Closed
    }

    /** RFC 9293 §3.10.4 CLOSE: the FIN goes after the data written so far. */
    close(): void {
        const s = this.state
        // before the handshake completes nothing was sent: the attempt just ends
        if (connecting(s)) this.done(TcpError.None)
        else if (s === TcpState.Established || s === TcpState.CloseWait) {
            this.finQueued = true
            this.setState(s === TcpState.CloseWait ? TcpState.LastAck : TcpState.FinWait1)
            this.push(this.table.now())
        }
    }

    /** RFC 9293 §3.10.5 ABORT: RST <SEQ=SND.NXT>, everything dropped. */
    abort(): void {
        const s = this.state
        if (s === TcpState.Closed) return
        if (s !== TcpState.SynSent && s !== TcpState.TimeWait) {
            this.xmit(this.sndNxt, TcpFlag.Rst | TcpFlag.Ack, 0, this.table.now())
            inc(this.table.stats, TcpMib.OutRsts)
        }
        this.done(TcpError.Aborted)
    }

    // connection life

    /** tcp_v4_connect + tcp_connect: the SYN with our MSS (RFC 9293 §3.5). */
    open(iss: number, now: number): void {
        this.iss = iss
        this.sndUna = iss
        this.sndNxt = (iss + 1) >>> 0
        this.sndMax = this.sndNxt
        this.recover = iss
        this.setState(TcpState.SynSent)
        inc(this.table.stats, TcpMib.ActiveOpens)
        this.rttAt = now
        this.rttSeq = iss
        this.rtxAt = now + this.rto
        const r = this.xmit(iss, TcpFlag.Syn, 0, now)
        // a route that says no now will say no at every retransmission: fail at once
        if (r === SendResult.NoRoute) this.done(TcpError.NoRoute)
        else if (r === SendResult.Unreachable || r === SendResult.Prohibited || r === SendResult.Blackhole) this.done(TcpError.Unreachable)
    }

    private setState(s: TcpState): void {
        const st = this.table.stats
        const was = this.state === TcpState.Established || this.state === TcpState.CloseWait
        const is = s === TcpState.Established || s === TcpState.CloseWait
        if (was && !is) st[TcpMib.CurrEstab]--
        if (is && !was) inc(st, TcpMib.CurrEstab)
        this.state = s
        this.event()
    }

    /** tcp_done: to CLOSED, counted as /proc/net/snmp counts it, out of the table. */
    done(e: TcpError): void {
        const st = this.table.stats
        const s = this.state
        if (connecting(s)) inc(st, TcpMib.AttemptFails)
        else if (s === TcpState.Established || s === TcpState.CloseWait) inc(st, TcpMib.EstabResets)
        if (e === TcpError.TimedOut) inc(st, TcpMib.TCPAbortOnTimeout)
        if (e === TcpError.Refused || e === TcpError.Reset || e === TcpError.Aborted) this.rxLen = 0
        this.error = e
        this.rtxAt = 0
        this.ackAt = 0
        this.txLen = 0
        this.setState(TcpState.Closed)
        this.table.remove(this)
    }

    event(): void {
        this.table.events++
        if (this.listener !== null) this.listener.tcpEvent(this)
    }

    // output

    /**
     * tcp_transmit_skb: one segment with sequence number `seq`, `flags`, and `len` bytes of the send
     * ring starting at `seq`'s place, through IPv4 output (the route kept as UDP keeps it).
     */
    xmit(seq: number, flags: number, len: number, now: number): SendResult {
        const t = this.table
        const p = this.pkt
        const h = p.head
        const syn = flags & TcpFlag.Syn
        const win = flags & TcpFlag.Rst ? 0 : this.rcvWindow()
        p.headLen = syn ? TCP_SYN_HEADER_LEN : 20
        tcpEmit(h, seq, flags & TcpFlag.Ack ? this.rcvNxt : 0, p.headLen, flags, win)
        if (syn) {
            // RFC 9293 §3.7.1 / RFC 879: MSS = MTU - 40 (IPv4 and TCP headers without options)
            const mss = t.out.mtu - 40
            h[20] = 2
            h[21] = 4
            h[22] = mss >> 8
            h[23] = mss
        }
        p.payload = this.tx
        p.payloadOff = len > 0 ? (this.txHead + ((seq - this.sndUna) | 0)) % this.tx.length : 0
        p.payloadLen = len
        // __sk_dst_check
        const fib = t.out.fib
        if (this.routeGen !== fib.genid || p.dst !== this.remoteAddr) p.route = NO_ROUTE
        p.dst = this.remoteAddr
        p.tos = 0
        p.ttl = 0
        const r = t.out.queueXmit(p, now)
        p.payload = null
        if (r === SendResult.Sent || r === SendResult.Queued) {
            this.routeGen = fib.genid
            inc(t.stats, TcpMib.OutSegs)
            if (flags & TcpFlag.Ack) {
                this.ackAt = 0
                this.unacked = 0
                this.rcvAdv = (this.rcvNxt + win) >>> 0
            }
        } else this.routeGen = 0
        return r
    }

    private sendAck(now: number): void {
        this.xmit(this.sndNxt, TcpFlag.Ack, 0, now)
    }

    private challengeAck(now: number): void {
        // RFC 5961 §7 suggests a rate limit; the peer is one host here, each one is counted
        inc(this.table.stats, TcpMib.TCPChallengeACK)
        this.sendAck(now)
    }

    /**
     * The window to advertise: free ring space, never shrinking the edge already advertised (RFC 9293
     * §3.8.6.2.2), and grown by at least min(buffer / 2, MSS) or not at all (RFC 1122 §4.2.3.3).
     */
    private rcvWindow(): number {
        const free = this.rx.length - this.rxLen
        const adv = Math.max(0, (this.rcvAdv - this.rcvNxt) | 0)
        return Math.min(MAX_WINDOW, free - adv >= Math.min(this.rx.length >> 1, this.mss) ? free : adv)
    }

    /**
     * tcp_write_xmit: new data as the peer's window, the congestion window and Nagle allow (RFC 9293
     * §3.8.6.2.1, RFC 5681 §3.1, RFC 896), then the FIN once all data is out.
     */
    push(now: number): void {
        const s = this.state
        // ESTABLISHED, FIN-WAIT-1, CLOSE-WAIT, CLOSING, LAST-ACK: data or a FIN may be (re)sent
        if (s < TcpState.Established || s > TcpState.LastAck || s === TcpState.FinWait2) return
        const size = this.tx.length
        for (let k = 0; k < 64; k++) {
            const sent = (this.sndNxt - this.sndUna) | 0
            const unsent = this.txLen - sent
            if (unsent <= 0) break
            const pos = (this.txHead + sent) % size
            const toWrap = size - pos
            // (DeviceScript's Math.min takes two arguments)
            const n = Math.min(Math.min(this.mss, unsent), Math.min(Math.min(this.sndWnd, this.cwnd) - sent, toWrap))
            if (n <= 0) {
                // RFC 9293 §3.8.6.1: a zero window with nothing in flight starts the persist timer
                if (this.sndWnd === 0 && sent === 0 && this.rtxAt === 0) this.rtxAt = now + this.rto
                break
            }
            // Nagle (RFC 896, RFC 1122 §4.2.3.4): a short segment waits while data is unacknowledged
            // (a segment cut short by the ring's end is not short)
            if (n < this.mss && sent > 0 && !this.noDelay && !(n === toWrap && n < unsent)) break
            if (!this.sendData(this.sndNxt, n, n === unsent ? TcpFlag.Psh : 0, now)) break
        }
        if (this.finQueued && ((this.sndNxt - this.sndUna) | 0) === this.txLen) this.sendData(this.sndNxt, 0, TcpFlag.Fin, now)
    }

    /** A data (or FIN) segment at `seq`, SND.NXT and SND.MAX moved past it, timed and counted. */
    private sendData(seq: number, len: number, flags: number, now: number): boolean {
        const r = this.xmit(seq, flags | TcpFlag.Ack, len, now)
        if (r !== SendResult.Sent && r !== SendResult.Queued) return false
        const end = (seq + len + (flags & TcpFlag.Fin)) >>> 0
        if (flags & TcpFlag.Fin) {
            this.finSent = true
            this.finSeq = seq
        }
        if (((seq - this.sndMax) | 0) < 0) {
            inc(this.table.stats, TcpMib.RetransSegs)
            // Karn's rule (RFC 6298 §3): a retransmitted segment is never timed
            this.rttAt = 0
        } else if (this.rttAt === 0) {
            this.rttAt = now
            this.rttSeq = seq
        }
        if (((end - this.sndNxt) | 0) > 0) this.sndNxt = end
        if (((end - this.sndMax) | 0) > 0) this.sndMax = end
        if (this.rtxAt === 0) this.rtxAt = now + this.rto
        return true
    }

    // input

    /** tcp_rcv_state_process: a checked segment for this connection (RFC 9293 §3.10.7). */
    input(buf: Buffer, off: number, len: number, now: number): void {
        const flags = buf[off + 13]
        const seq = getU32(buf, off + TcpField.Seq)
        const ack = getU32(buf, off + TcpField.Ack)
        const hl = tcpHeaderLen(buf, off)
        const wnd = (buf[off + 14] << 8) | buf[off + 15]
        let dOff = off + hl
        let dLen = len - hl
        this.lastRx = now
        if (this.state === TcpState.SynSent) {
            this.synSent(buf, off, flags, seq, ack, wnd, now)
            return
        }
        // first, the sequence number (§3.10.7.4, the four cases)
        const segLen = tcpSegLen(dLen, flags)
        const rwnd = Math.max(0, (this.rcvAdv - this.rcvNxt) | 0)
        const d = (seq - this.rcvNxt) | 0
        // "0 <= x < RCV.WND" is (x >>> 0) < RCV.WND: a negative x is over 2^31 unsigned. At RCV.NXT
        // (d === 0) with RCV.WND zero, "special allowance should be made to accept valid ACKs, URGs,
        // and RSTs": the segment goes on; its text is taken only as far as the ring has room, and an
        // ACK answers the rest
        if (!(d === 0 || (d >>> 0) < rwnd || (segLen > 0 && ((d + segLen - 1) >>> 0) < rwnd))) {
            if (!(flags & TcpFlag.Rst)) this.sendAck(now)
            return
        }
        // second, RST: RFC 5961 §3.2 — exactly RCV.NXT resets, elsewhere in the window challenges
        if (flags & TcpFlag.Rst) {
            if (d !== 0) this.challengeAck(now)
            else {
                const s = this.state
                this.done(s === TcpState.SynReceived ? TcpError.Refused
                    : s >= TcpState.Established && s <= TcpState.CloseWait ? TcpError.Reset
                    : TcpError.None)
            }
            return
        }
        // fourth, SYN in a synchronized state: RFC 5961 §4.2 challenge ACK
        if (flags & TcpFlag.Syn) {
            this.challengeAck(now)
            return
        }
        // fifth, ACK
        if (!(flags & TcpFlag.Ack)) return
        if (this.state === TcpState.SynReceived) {
            if (((ack - this.sndUna) | 0) > 0 && ((ack - this.sndMax) | 0) <= 0) this.established(seq, ack, wnd)
            else {
                this.table.reset(this.remoteAddr, this.remotePort, this.localPort, ack, 0, TcpFlag.Rst, now)
                return
            }
        }
        const a = (ack - this.sndUna) | 0
        // RFC 5961 §5.2: acceptable when SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT (our SND.MAX)
        if (a > ((this.sndMax - this.sndUna) | 0) || a < -this.maxSndWnd) {
            this.challengeAck(now)
            return
        }
        const inFlight = (this.sndMax - this.sndUna) | 0
        if (a > 0) this.acked(a, ack, now)
        // (RFC 5681 §2 "duplicate": no new ACK, no data, no FIN, the same non-zero window, data in flight)
        else if ((a | dLen | (flags & TcpFlag.Fin)) === 0 && wnd === this.sndWnd && wnd > 0 && inFlight > 0) this.dupAck(now)
        // the window, from the newest segment only (SND.WL1, SND.WL2)
        if (((seq - this.sndWl1) | 0) > 0 || (seq === this.sndWl1 && ((ack - this.sndWl2) | 0) >= 0)) {
            if (wnd > this.sndWnd) this.event()
            this.sndWnd = wnd
            this.sndWl1 = seq
            this.sndWl2 = ack
            if (wnd > this.maxSndWnd) this.maxSndWnd = wnd
        }
        // the peer answers: zero-window and keepalive probes start over (RFC 1122 §4.2.2.17)
        if (this.sndNxt === this.sndUna) this.retries = 0
        // our FIN acknowledged?
        const finAcked = this.finSent && ((this.sndUna - this.finSeq) | 0) > 0
        const s = this.state
        if (finAcked) {
            if (s === TcpState.FinWait1) {
                this.setState(TcpState.FinWait2)
                this.rtxAt = now + this.table.cfg.finTimeoutMs
            } else if (s === TcpState.Closing) this.timeWait(now)
            else if (s === TcpState.LastAck) {
                this.done(TcpError.None)
                return
            }
        }
        // seventh, the text (§3.10.7.4 "seventh"; tcp_data_queue)
        const finSeq = (seq + dLen) >>> 0
        if (dLen > 0 && receiving(s)) {
            if (d > 0) {
                // a hole before it: dropped, and the duplicate ACK tells the peer (RFC 5681 §4.2)
                inc(this.table.stats, TcpMib.TCPOFODrop)
                this.sendAck(now)
                return
            }
            // already received bytes at the front are cut (d <= 0)
            dOff -= d
            dLen += d
            const size = this.rx.length
            const n = Math.min(dLen, size - this.rxLen)
            ringIn(this.rx, (this.rxHead + this.rxLen) % size, buf, dOff, n)
            this.rxLen += n
            this.rcvNxt = (this.rcvNxt + n) >>> 0
            if (n > 0) this.event()
            // RFC 1122 §4.2.3.2 / RFC 5681 §4.2: every second full-sized segment at once, and when
            // the window left is under a segment (the peer would stall on the delay); else delayed
            if (n > this.rcvMss) this.rcvMss = n
            this.unacked += n
            if (this.unacked >= 2 * this.rcvMss || ((this.rcvAdv - this.rcvNxt) | 0) < this.rcvMss || n < dLen) this.sendAck(now)
            else if (this.ackAt === 0) this.ackAt = now + this.table.cfg.delAckMs
        }
        // eighth, FIN: only once every byte before it is in
        // (a FIN repeated in CLOSE-WAIT, CLOSING, LAST-ACK or TIME-WAIT is old: the first check
        // acknowledged it)
        if (flags & TcpFlag.Fin && finSeq === this.rcvNxt && receiving(s)) {
            this.rcvNxt = (this.rcvNxt + 1) >>> 0
            if (s === TcpState.Established) this.setState(TcpState.CloseWait)
            else if (s === TcpState.FinWait1 && this.state !== TcpState.FinWait2) this.setState(TcpState.Closing)
            else this.timeWait(now)
            this.sendAck(now)
        }
        this.push(now)
    }

    /** §3.10.7.3: our SYN is out; an answer that acknowledges it, a RST, or the peer's own SYN. */
    private synSent(buf: Buffer, off: number, flags: number, seq: number, ack: number, wnd: number, now: number): void {
        const hasAck = flags & TcpFlag.Ack
        if (hasAck && (((ack - this.iss) | 0) <= 0 || ((ack - this.sndMax) | 0) > 0)) {
            if (!(flags & TcpFlag.Rst)) this.table.reset(this.remoteAddr, this.remotePort, this.localPort, ack, 0, TcpFlag.Rst, now)
            return
        }
        if (flags & TcpFlag.Rst) {
            // RFC 5961 §3.2 leaves SYN-SENT to RFC 9293: a RST that acknowledges our SYN refuses
            if (hasAck) this.done(TcpError.Refused)
            return
        }
        if (!(flags & TcpFlag.Syn)) return
        this.rcvNxt = (seq + 1) >>> 0
        this.rcvAdv = this.rcvNxt
        const peerMss = tcpMssOption(buf, off)
        this.mss = Math.min(peerMss > 0 ? peerMss : DEFAULT_MSS, this.table.out.mtu - 40)
        if (hasAck) {
            this.established(seq, ack, wnd)
            this.sendAck(now)
            this.push(now)
        } else {
            // simultaneous open (§3.5, figure 7)
            this.setState(TcpState.SynReceived)
            this.xmit(this.iss, TcpFlag.Syn | TcpFlag.Ack, 0, now)
        }
    }

    /** To ESTABLISHED: SND.UNA past the SYN, the window, the first RTT sample, the initial window. */
    private established(seq: number, ack: number, wnd: number): void {
        const now = this.table.now()
        if (this.rttAt !== 0) this.rttSample(now - this.rttAt)
        this.rttAt = 0
        this.sndUna = ack
        this.sndWnd = wnd
        this.maxSndWnd = wnd
        this.sndWl1 = seq
        this.sndWl2 = ack
        this.rtxAt = 0
        // RFC 5681 §3.1: IW = min(4 SMSS, max(2 SMSS, 4380)), one segment after a lost SYN
        const m = this.mss
        this.cwnd = this.retries > 0 ? m : Math.min(4 * m, Math.max(2 * m, 4380))
        this.retries = 0
        this.setState(TcpState.Established)
    }

    /** tcp_ack for `a` newly acknowledged sequence numbers: ring, RTT, congestion window, timer. */
    private acked(a: number, ack: number, now: number): void {
        if (this.rttAt !== 0 && ((ack - this.rttSeq) | 0) > 0) {
            this.rttSample(now - this.rttAt)
            this.rttAt = 0
        }
        const bytes = Math.min(a, this.txLen)
        this.txHead = (this.txHead + bytes) % this.tx.length
        this.txLen -= bytes
        this.sndUna = ack
        if (((this.sndNxt - ack) | 0) < 0) this.sndNxt = ack
        this.retries = 0
        this.rto = this.rtoValue()
        const m = this.mss
        if (this.inRecovery) {
            if (((ack - this.recover) | 0) >= 0) {
                // full acknowledgment: deflate (RFC 6582 §3.2 step 3)
                this.inRecovery = false
                this.cwnd = this.ssthresh
            } else {
                // partial acknowledgment: the next hole at once, the window deflated by what left
                this.retransmitUna(now)
                this.cwnd = Math.max(m, this.cwnd - a + m)
            }
        } else if (this.cwnd < this.ssthresh) this.cwnd += Math.min(a, m)
        else this.cwnd += Math.max(1, Math.floor(m * m / this.cwnd))
        this.dupAcks = 0
        // RFC 6298 §5.2-5.3: off when everything is acknowledged, else restarted
        this.rtxAt = this.sndUna === this.sndMax ? 0 : now + this.rto
        if (bytes > 0) this.event()
    }

    /** RFC 5681 §3.2: the third duplicate ACK retransmits and enters fast recovery; later ones inflate. */
    private dupAck(now: number): void {
        this.dupAcks++
        const m = this.mss
        if (this.inRecovery) this.cwnd += m
        else if (this.dupAcks === 3 && ((this.sndUna - this.recover) | 0) >= 0) {
            inc(this.table.stats, TcpMib.TCPFastRetrans)
            this.ssthresh = Math.max(((this.sndMax - this.sndUna) | 0) >> 1, 2 * m)
            this.recover = this.sndMax
            this.inRecovery = true
            this.retransmitUna(now)
            this.cwnd = this.ssthresh + 3 * m
        }
    }

    /**
     * The segment at SND.UNA again (fast retransmit, and the next hole after a partial ACK). SND.UNA's
     * byte is the ring's head: the segment stops at the ring's end, as push() cuts them. It holds
     * only bytes already sent (RFC 5681 §3.2 step 4 retransmits the lost segment): unsent data may lie
     * past the peer's window (RFC 9293 §3.8.6), and push() sends that as the windows allow.
     */
    private retransmitUna(now: number): void {
        // (SND.MAX - SND.UNA counts a FIN in flight: txLen caps it)
        const sent = Math.min(this.txLen, (this.sndMax - this.sndUna) | 0)
        if (sent > 0) this.sendData(this.sndUna, Math.min(Math.min(this.mss, sent), this.tx.length - this.txHead), 0, now)
    }

    private timeWait(now: number): void {
        this.setState(TcpState.TimeWait)
        this.rtxAt = now + this.table.cfg.timeWaitMs
    }

    /** RFC 6298 §2.2-2.3, times in ms; the clock granularity G is the stack's tick. */
    private rttSample(r: number): void {
        if (this.srtt === 0) {
            this.srtt = Math.max(r, 1)
            this.rttvar = r / 2
        } else {
            this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r)
            this.srtt = 0.875 * this.srtt + 0.125 * r
        }
        this.rto = this.rtoValue()
    }

    private rtoValue(): number {
        const c = this.table.cfg
        if (this.srtt === 0) return c.initialRtoMs
        return Math.min(c.maxRtoMs, Math.max(c.minRtoMs, Math.ceil(this.srtt + Math.max(100, 4 * this.rttvar))))
    }

    // timers

    /** The timers due at `now` (tcp_write_timer, tcp_delack_timer, tcp_keepalive_timer). */
    tick(now: number): void {
        const c = this.table.cfg
        const st = this.table.stats
        if (this.ackAt !== 0 && now >= this.ackAt) {
            inc(st, TcpMib.DelayedACKs)
            this.sendAck(now)
        }
        const s = this.state
        if (this.rtxAt !== 0 && now >= this.rtxAt) {
            this.rtxAt = 0
            if (s === TcpState.TimeWait || s === TcpState.FinWait2) {
                this.done(TcpError.None)
                return
            }
            const persist = this.sndNxt === this.sndUna && this.txLen > 0 && this.sndWnd === 0
            const limit = s < TcpState.Established ? c.synRetries : c.retries
            if (this.retries >= limit) {
                this.done(TcpError.TimedOut)
                return
            }
            this.retries++
            // RFC 6298 §5.5: back off
            this.rto = Math.min(this.rto * 2, c.maxRtoMs)
            this.rttAt = 0
            if (persist) {
                // RFC 9293 §3.8.6.1: one byte past the zero window; SND.MAX covers it should it be taken
                inc(st, TcpMib.TCPWinProbe)
                this.xmit(this.sndUna, TcpFlag.Ack, 1, now)
                if (((this.sndUna + 1 - this.sndMax) | 0) > 0) this.sndMax = (this.sndUna + 1) >>> 0
                this.rtxAt = now + this.rto
            } else {
                inc(st, TcpMib.TCPTimeouts)
                if (s < TcpState.Established) {
                    inc(st, TcpMib.RetransSegs)
                    this.xmit(this.iss, s === TcpState.SynSent ? TcpFlag.Syn : TcpFlag.Syn | TcpFlag.Ack, 0, now)
                    this.rtxAt = now + this.rto
                } else {
                    // RFC 5681 §3.1 eqn. 4 and the loss window; go back to SND.UNA (RFC 6298 §5.4)
                    const m = this.mss
                    this.ssthresh = Math.max(((this.sndMax - this.sndUna) | 0) >> 1, 2 * m)
                    this.cwnd = m
                    this.inRecovery = false
                    this.recover = this.sndMax
                    this.dupAcks = 0
                    this.sndNxt = this.sndUna
                    this.push(now)
                    if (this.rtxAt === 0) this.rtxAt = now + this.rto
                }
            }
        }
        if (this.state === TcpState.Closed) return
        if (this.kaTimer !== null) this.kaTimer(this, now)
        // what the queue refused earlier
        if (this.txLen > ((this.sndNxt - this.sndUna) | 0) || this.finQueued) this.push(now)
    }
}

/**
 * SO_KEEPALIVE on `c` with `idleMs` of silence before the first probe (0: off); probes every
 * keepaliveIntervalMs after, keepaliveProbes unanswered end the connection (TimedOut).
 */
export function setKeepalive(c: TcpConn, idleMs: number): void {
    c.keepaliveMs = idleMs
    c.kaTimer = idleMs > 0 ? keepaliveTimer : null
}

/** tcp_keepalive_timer (RFC 1122 §4.2.3.6): an idle, synchronized connection with nothing in flight. */
function keepaliveTimer(c: TcpConn, now: number): void {
    const s = c.state
    if ((s !== TcpState.Established && s !== TcpState.CloseWait) || c.sndNxt !== c.sndUna) return
    const cfg = c.table.cfg
    // a segment since the last probe: the peer is there, start over
    if (c.lastRx >= c.kaProbeAt) c.kaProbes = 0
    if (now - Math.max(c.lastRx, c.kaProbeAt) < (c.kaProbes === 0 ? c.keepaliveMs : cfg.keepaliveIntervalMs)) return
    if (c.kaProbes >= cfg.keepaliveProbes) {
        c.done(TcpError.TimedOut)
        return
    }
    c.kaProbes++
    c.kaProbeAt = now
    inc(c.table.stats, TcpMib.TCPKeepAlive)
    // SEG.SEQ = SND.NXT - 1 and no data: the peer answers with an ACK
    c.xmit((c.sndNxt - 1) >>> 0, TcpFlag.Ack, 0, now)
}
