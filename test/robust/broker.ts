// The MQTT soak's broker (soak-mqtt.ts), a port on the virtual LAN: just enough of a TCP server
// (RFC 9293) at one address and port 1883 for one client, and just enough MQTT 3.1.1 behind it.
// TCP: SYN -> SYN-ACK with MSS 1460 (§3.5), data taken only in order (anything else is answered
// with a duplicate ACK, so the board retransmits), an ACK for every segment, its own bytes kept
// until acknowledged and sent again from SND.UNA every 250 ms (go-back-N), a RST for a segment
// that matches no connection (§3.10.7.1), a FIN answered with FIN-ACK and the connection forgotten.
// MQTT: CONNECT -> CONNACK 0, PUBLISH QoS 1 -> PUBACK, PINGREQ -> PINGRESP. Every PUBLISH's first
// four payload bytes are the soak's message number (little-endian, as Buffer.setAt writes it): the broker keeps one bit per number
// (delivered), counts duplicates, and numbers it never saw published (unknown).
// It sends through a VirtualHost at its address (which also answers ARP and ping). Faults:
// `lossPercent` of the frames each way lost; restart() (the connection and session forgotten,
// every segment refused with RST while down); reset() (a RST to the client now).
// Allocates nothing per segment.

import { LanPort, Segment } from "../../src/sim/lan"
import { Rng } from "../fuzz/rng"
import { packetLength, headerLength } from "../support/mqtt-broker"
import { onesSum, pseudoHeaderSum, finish } from "../../src/wire/checksum"
import { VirtualHost } from "../../src/sim/host"
import { EtherType, ETHERNET_HEADER_LEN } from "../../src/wire/ethernet"
import { IPV4_HEADER_LEN } from "../../src/wire/ipv4"
import { tcpCheck, tcpHeaderLen, TcpField, TcpFlag, TCP_HEADER_LEN } from "../../src/tcp/wire"
import { getU16, setU16, getU32, setU32 } from "../../src/wire/bytes"

const PORT = 1883
const WINDOW = 2048
const OUT_CAP = 1024
const RTO_MS = 250
/** Retransmissions of one segment before the connection is given up (as tcp_retries2). */
const MAX_RETRIES = 40

export class SoakBroker implements LanPort {
    lossPercent = 0
    // what happened
    framesIn = 0
    framesLost = 0
    connections = 0
    restarts = 0
    resetsSent = 0
    resetsReceived = 0
    refused = 0
    retransmits = 0
    giveUps = 0
    outOfOrder = 0
    stalled = 0
    publishes = 0
    delivered = 0
    duplicates = 0
    unknown = 0
    pings = 0
    /** One bit per message number, set when delivered. */
    readonly seen: Buffer

    private down = false
    private upAt = 0
    // the connection: none when port is 0
    private port = 0
    private iss = 0
    private synAcked = false
    private rcvNxt = 0
    private sndNxt = 0
    /** Sequence number of out[0] (SND.UNA once the SYN is acknowledged). */
    private outBase = 0
    private readonly out = Buffer.alloc(OUT_CAP)
    private outLen = 0
    private lastSend = 0
    private retries = 0
    private readonly acc = Buffer.alloc(2048)
    private accLen = 0
    /** The segment being sent; the host puts it in a frame (and answers ARP and ping). */
    private readonly seg = Buffer.alloc(TCP_HEADER_LEN + 4 + OUT_CAP)
    private readonly host: VirtualHost

    constructor(
        readonly segment: Segment,
        readonly mac: Buffer,
        readonly address: number,
        readonly boardMac: Buffer,
        readonly boardIp: number,
        /** Message numbers 0 .. maxMessages - 1. */
        readonly maxMessages: number,
        readonly rng: Rng,
        readonly now: () => number
    ) {
        this.seen = Buffer.alloc(maxMessages >> 3)
        this.host = new VirtualHost(segment, mac, address, ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + TCP_HEADER_LEN + 4 + OUT_CAP)
        segment.attach(this)
    }

    private lose(): boolean {
        return this.lossPercent > 0 && this.rng.below(100) < this.lossPercent
    }

    /** Down for `ms`: the connection and the session are gone. */
    restart(ms: number): void {
        this.restarts++
        this.port = 0
        this.down = true
        this.upAt = this.now() + ms
    }

    /** A RST to the client on the connection, which is forgotten. */
    reset(): void {
        if (this.port === 0) return
        this.resetsSent++
        this.send(this.port, this.sndNxt, this.rcvNxt, TcpFlag.Rst | TcpFlag.Ack, 0, 0)
        this.port = 0
    }

    connected(): boolean {
        return this.port !== 0 && this.synAcked
    }

    receiveFromWire(f: Buffer, off: number, len: number): void {
        if (len < ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + TCP_HEADER_LEN || f.getAt(off, "u32") !== this.mac.getAt(0, "u32") || getU16(f, off + 12) !== EtherType.Ipv4) return
        const ip = off + ETHERNET_HEADER_LEN
        const hl = (f[ip] & 15) * 4
        const total = getU16(f, ip + 2)
        if (f[ip + 9] !== 6 || getU32(f, ip + 16) !== this.address || total > len - ETHERNET_HEADER_LEN) return
        const t = ip + hl
        const tl = total - hl
        if (tcpCheck(f, t, tl, this.boardIp, this.address) !== 0 || getU16(f, t + 2) !== PORT) return
        this.framesIn++
        if (this.lose()) {
            this.framesLost++
            return
        }
        if (this.down && this.now() >= this.upAt) this.down = false
        const sport = getU16(f, t)
        const flags = f[t + 13]
        const seq = getU32(f, t + TcpField.Seq)
        const ack = getU32(f, t + TcpField.Ack)
        const doff = tcpHeaderLen(f, t)
        const dlen = tl - doff
        if (flags & TcpFlag.Syn && !(flags & TcpFlag.Ack) && !this.down) {
            if (this.port !== sport || ((seq + 1) >>> 0) !== this.rcvNxt) {
                // a new connection (one client: it replaces the old one, as a new session)
                this.connections++
                this.port = sport
                this.iss = this.rng.next()
                this.rcvNxt = (seq + 1) >>> 0
                this.sndNxt = (this.iss + 1) >>> 0
                this.outBase = this.sndNxt
                this.outLen = 0
                this.accLen = 0
                this.synAcked = false
                this.retries = 0
            }
            this.synAck()
            return
        }
        if (this.down || this.port === 0 || sport !== this.port) {
            // §3.10.7.1: no connection: a RST answers anything but a RST
            if (flags & TcpFlag.Rst) return
            this.refused++
            if (flags & TcpFlag.Ack) this.send(sport, ack, 0, TcpFlag.Rst, 0, 0)
            else this.send(sport, 0, (seq + dlen + (flags & TcpFlag.Syn ? 1 : 0) + (flags & TcpFlag.Fin ? 1 : 0)) >>> 0, TcpFlag.Rst | TcpFlag.Ack, 0, 0)
            return
        }
        if (flags & TcpFlag.Rst) {
            if (seq === this.rcvNxt) {
                this.resetsReceived++
                this.port = 0
            }
            return
        }
        if (flags & TcpFlag.Ack) {
            if (!this.synAcked && ack === ((this.iss + 1) >>> 0)) this.synAcked = true
            const n = (ack - this.outBase) | 0
            if (this.synAcked && n > 0 && n <= this.outLen) {
                this.out.blitAt(0, this.out, n, this.outLen - n)
                this.outLen -= n
                this.outBase = ack
                this.retries = 0
                this.lastSend = this.now()
            }
        }
        if (!this.synAcked) return
        const fin = (flags & TcpFlag.Fin) !== 0
        if (dlen === 0 && !fin) return
        if (seq !== this.rcvNxt) {
            this.outOfOrder++
            this.send(this.port, this.sndNxt, this.rcvNxt, TcpFlag.Ack, 0, 0)
            return
        }
        // in order: taken when the answers fit (an MQTT answer is never longer than its request)
        if (OUT_CAP - this.outLen < dlen || this.acc.length - this.accLen < dlen) {
            this.stalled++
            this.send(this.port, this.sndNxt, this.rcvNxt, TcpFlag.Ack, 0, 0)
            return
        }
        this.acc.blitAt(this.accLen, f, t + doff, dlen)
        this.accLen += dlen
        this.rcvNxt = (this.rcvNxt + dlen) >>> 0
        if (!this.mqtt()) {
            this.reset()
            return
        }
        if (fin) {
            this.rcvNxt = (this.rcvNxt + 1) >>> 0
            this.send(this.port, this.sndNxt, this.rcvNxt, TcpFlag.Fin | TcpFlag.Ack, 0, 0)
            this.port = 0
            return
        }
        this.flush()
    }

    /** Every complete MQTT packet in acc; false on a protocol error (the connection is reset). */
    private mqtt(): boolean {
        const a = this.acc
        while (this.accLen >= 2) {
            const total = packetLength(a, this.accLen)
            if (total === -1) return true
            if (total < 0 || total > a.length) return false
            if (this.accLen < total) return true
            const i = headerLength()
            const type = a[0] >> 4
            if (type === 1) this.answer(0x20, 2, 0)
            else if (type === 3) {
                this.publishes++
                const at = i + 2 + getU16(a, i)
                const qos = (a[0] >> 1) & 3
                const p = at + (qos > 0 ? 2 : 0)
                const n = total - p >= 4 ? a.getAt(p, "u32") : -1
                if (n < 0 || n >= this.maxMessages) this.unknown++
                else if (this.seen[n >> 3] & (1 << (n & 7))) this.duplicates++
                else {
                    this.seen[n >> 3] |= 1 << (n & 7)
                    this.delivered++
                }
                if (qos > 0) this.answer(0x40, 2, getU16(a, at))
            } else if (type === 12) {
                this.pings++
                this.answer(0xd0, 0, -1)
            }
            a.blitAt(0, a, total, this.accLen - total)
            this.accLen -= total
        }
        return true
    }

    /** A packet with a 2-byte body (`v`) or none (v < 0) into the bytes to send. */
    private answer(first: number, rem: number, v: number): void {
        const o = this.out
        o[this.outLen] = first
        o[this.outLen + 1] = rem
        if (v >= 0) setU16(o, this.outLen + 2, v)
        this.outLen += 2 + rem
    }

    /** What is not sent yet (or a bare ACK). */
    private flush(): void {
        const from = (this.sndNxt - this.outBase) | 0
        const n = this.outLen - from
        this.send(this.port, this.sndNxt, this.rcvNxt, n > 0 ? TcpFlag.Ack | TcpFlag.Psh : TcpFlag.Ack, from, n)
        this.sndNxt = (this.sndNxt + n) >>> 0
        this.lastSend = this.now()
    }

    private synAck(): void {
        this.send(this.port, this.iss, this.rcvNxt, TcpFlag.Syn | TcpFlag.Ack, -1, 0)
        this.lastSend = this.now()
    }

    /** The retransmission timer: SYN-ACK, or every unacknowledged byte from SND.UNA. */
    tick(): void {
        if (this.down && this.now() >= this.upAt) this.down = false
        if (this.port === 0 || this.now() - this.lastSend < RTO_MS) return
        if (!this.synAcked) {
            if (++this.retries > MAX_RETRIES) {
                this.giveUps++
                this.port = 0
                return
            }
            this.retransmits++
            this.synAck()
            return
        }
        if (this.outLen === 0) return
        if (++this.retries > MAX_RETRIES) {
            this.giveUps++
            this.reset()
            return
        }
        this.retransmits++
        this.send(this.port, this.outBase, this.rcvNxt, TcpFlag.Ack | TcpFlag.Psh, 0, this.outLen)
        this.sndNxt = (this.outBase + this.outLen) >>> 0
        this.lastSend = this.now()
    }

    /** A segment to the board's `port`: `n` bytes of out from `from` (-1: the SYN's MSS option). */
    private send(port: number, seq: number, ack: number, flags: number, from: number, n: number): void {
        if (this.lose()) {
            this.framesLost++
            return
        }
        const f = this.seg
        const hl = from < 0 ? TCP_HEADER_LEN + 4 : TCP_HEADER_LEN
        // §3.1: ports, sequence and acknowledgment numbers, data offset, flags, window, checksum 0
        setU16(f, 0, PORT)
        setU16(f, 2, port)
        setU32(f, 4, seq)
        setU32(f, 8, ack)
        f[12] = hl << 2
        f[13] = flags
        setU16(f, 14, WINDOW)
        f.fillAt(16, 4, 0)
        if (from < 0) f.blitAt(TCP_HEADER_LEN, hex`02 04 05 b4`, 0, 4)
        else if (n > 0) f.blitAt(hl, this.out, from, n)
        const tl = hl + n
        setU16(f, 16, finish(onesSum(f, 0, tl, pseudoHeaderSum(this.address, this.boardIp, 6, tl))))
        this.host.sendIpTo(this.boardMac, this.boardIp, 6, f, 0, tl)
    }
}
