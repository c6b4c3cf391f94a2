// MQTT 3.1.1 client (OASIS Standard; section numbers below are the standard's) over any ByteStream
// (tcp/stream.ts) that a connector function opens, so MQTT does not depend on how TCP is built.
// The API follows @devicescript/net's startMQTTClient / publish / subscribe: code written for it
// runs here with the import changed.
//
// One fiber owns a connection at a time: it connects, sends CONNECT, waits for CONNACK, then moves
// bytes until the connection ends, and reconnects with exponential back-off and jitter. Every wait
// has a deadline. Buffers are allocated once, in the constructor:
//  - tx: the bytes on their way into the stream. Packets are encoded (or copied from the outbox)
//    whole into it and written out as the stream takes them, so packets never interleave however
//    many fibers publish.
//  - rx: received bytes until a packet is complete; a packet larger than rx is skipped (counted).
//  - the QoS 1 outbox: encoded PUBLISH packets in a byte ring with a message and a byte bound. A
//    full outbox drops its oldest message (counted). Entries leave it on PUBACK only; they survive
//    reconnects and go again with DUP set (3.3.1.1, 4.4).

import * as ds from "@devicescript/core"
import { ByteStream, StreamStatus } from "../tcp/stream"
import {
    ConnectWill,
    MqttType,
    PublishFlag,
    dataLength,
    decodeLength,
    lengthEnd,
    publishLength,
    serializeAck,
    serializeConnect,
    serializeEmpty,
    serializePublish,
    serializeSubscribe,
    serverPacketValid,
    topicMatches,
} from "./packet"
import { getU16 } from "../wire/bytes"
import { inc } from "../util/mib"

/** Opens a connection to the broker: a ByteStream (maybe still Connecting), or why not. */
export type MqttConnector = (host: string | number, port: number) => Promise<ByteStream | StreamStatus>

/** How the last connection attempt ended: 0..5 are CONNACK return codes (3.2.2.3). */
export const enum MqttConnectResult {
    Accepted = 0,
    UnacceptableProtocolVersion = 1,
    IdentifierRejected = 2,
    ServerUnavailable = 3,
    BadUserNameOrPassword = 4,
    NotAuthorized = 5,
    /** The connector gave no stream, or it never opened. */
    NoConnection = 16,
    /** No CONNACK before the timeout. */
    Timeout = 17,
    /** The broker broke the protocol before CONNACK (malformed or unexpected packet). */
    ProtocolError = 18,
    /** Not tried yet. */
    None = 255,
}

/** Counters, indexed in MqttClient.stats. */
export const enum MqttMib {
    /** CONNECT packets sent (connection attempts that got a stream). */
    ConnectAttempts = 0,
    /** Connector calls that gave no stream, or streams that never opened. */
    ConnectFailed,
    /** CONNACK with return code 0. */
    Connected,
    /** CONNACK with a non-zero return code. */
    ConnectRefused,
    /** Connections that ended after CONNACK (any reason). */
    Disconnects,
    /** QoS 0 PUBLISH packets handed to the stream. */
    Qos0Sent,
    /** QoS 0 messages not sent: no connection, or no room before the publish timeout. */
    Qos0Dropped,
    /** QoS 1 messages accepted into the outbox. */
    Qos1Queued,
    /** QoS 1 PUBLISH packets handed to the stream (first sends and redeliveries). */
    Qos1Sent,
    /** Of those, redeliveries with DUP set. */
    Qos1Redelivered,
    /** QoS 1 messages acknowledged (PUBACK) and removed from the outbox. */
    Qos1Acked,
    /** QoS 1 messages dropped from a full outbox (the oldest gives way). */
    OutboxDropped,
    /** Messages refused by publish(): larger than the tx buffer or the outbox. */
    TooBig,
    /** PUBACK/SUBACK/UNSUBACK for no packet we await. */
    UnknownAcks,
    /** PUBLISH packets received. */
    RxPublish,
    /** Received packets larger than the receive buffer, skipped. */
    RxOversize,
    /** Malformed or unexpected packets from the broker: the connection is closed (4.8). */
    RxMalformed,
    PingsSent,
    /** No PINGRESP in time: the connection is closed (3.1.2.10). */
    PingTimeouts,
    /** SUBACK return code 0x80. */
    SubscribeFailed,
    BytesOut,
    BytesIn,
    /** Handler exceptions (the message is still acknowledged). */
    HandlerErrors,
    /** publish() refused: an empty topic, or one with a wildcard (3.3.2.1, 4.7.3). */
    BadTopic,
    Count,
}

/**
 * The counters' names, by MqttMib index. A function, not a module-level array: DeviceScript runs
 * every imported module's top level at start-up, so an array here would be built (and its strings
 * linked) in every firmware that imports this file, even one that never starts a client.
 */
export function mqttMibNames(): string[] {
    return [
    "connect_attempts",
    "connect_failed",
    "connected",
    "connect_refused",
    "disconnects",
    "qos0_sent",
    "qos0_dropped",
    "qos1_queued",
    "qos1_sent",
    "qos1_redelivered",
    "qos1_acked",
    "outbox_dropped",
    "too_big",
    "unknown_acks",
    "rx_publish",
    "rx_oversize",
    "rx_malformed",
    "pings_sent",
    "ping_timeouts",
    "subscribe_failed",
    "bytes_out",
    "bytes_in",
    "handler_errors",
    "bad_topic",
    ]
}

/** A message received (the shape of @devicescript/net's MQTTMessage). */
export interface MQTTMessage {
    pid?: number
    topic: string
    content: Buffer
    qos: number
    retain: number
}

export type MQTTHandler = (msg: MQTTMessage) => void | Promise<void>

export interface MQTTConnectOptionsWill extends ConnectWill {}

/** @devicescript/net's MQTTConnectOptions, plus the bounds of this client. */
export interface MQTTConnectOptions {
    /** Broker address: a host name (for a connector that resolves it) or an IPv4 address as a number. */
    host: string | number
    /** Default 1883 (TLS is not supported: `proto` is ignored). */
    port?: number
    proto?: string
    clientId?: string
    username?: string
    password?: string | Buffer
    /** Seconds, default 60 (3.1.2.10); 0: no keep alive. */
    keepAlive?: number
    /** Send PINGREQ after this many ms without sending (default keepAlive). */
    pingInterval?: number
    /** Close the connection when PINGRESP takes longer (ms, default 10,000 or the keep alive if shorter). */
    pingTimeout?: number
    /** ms to wait for the stream to open and for CONNACK (default 10,000). */
    timeout?: number
    /** Default true (3.1.2.4). */
    cleanSession?: boolean
    will?: MQTTConnectOptionsWill
    /** QoS 1 outbox bound in messages (default 16) and bytes (default 2,048). */
    outboxMessages?: number
    outboxBytes?: number
    /** Largest packet sent (the tx buffer, default 512 bytes) and received (default 512). */
    txBytes?: number
    rxBytes?: number
    /** Reconnection back-off: first delay and cap (ms, defaults 1,000 and 60,000). */
    backoffMin?: number
    backoffMax?: number
    /** How long publish() (QoS 0) and subscribe() wait for room or an answer (ms, default 5,000). */
    publishTimeout?: number
    /** Clock and sleep (tests drive virtual time with these). */
    clock?: () => number
    sleep?: (ms: number) => Promise<void>
}

/**
 * A subscription: kept across reconnects and sent again when the broker has no session (3.2.2.2).
 * @devsWhenUsed
 */
export class MQTTSubscription {
    /** Granted QoS from SUBACK (3.9.3), 0x80 failure, -1 not yet answered. */
    granted = -1
    /** Packet identifier of the SUBSCRIBE awaiting its SUBACK (0: none). */
    pid = 0
    constructor(readonly topic: string, readonly qos: number, public handler: MQTTHandler) {}
    /** Observable-like: set the handler. */
    subscribe(h: MQTTHandler): void {
        this.handler = h
    }
}

const enum Phase {
    Idle = 0,
    AwaitConnack = 1,
    Connected = 2,
}

/** receive() outcomes besides 0..5 (a CONNACK's return code, 3.2.2.3). */
const enum Rx {
    More = -1,
    Accepted = 256,
    Malformed = 257,
}

/** Bytes per outbox slot in `om`: offset u16, length u16, packet id u16, acked u8. */
const SLOT = 8

/** @devsWhenUsed */
export class MqttClient {
    readonly stats: number[] = []
    readonly opt: MQTTConnectOptions
    lastConnect = MqttConnectResult.None
    /** Connection attempts ended (connected and lost, refused, failed). */
    attempts = 0

    private readonly keepAliveMs: number
    private readonly pingEveryMs: number
    private readonly pingTimeoutMs: number
    protected readonly waitMs: number
    protected readonly now: () => number
    protected readonly sleep: (ms: number) => Promise<void>

    private stream: ByteStream = null
    protected phase = Phase.Idle
    private running = false
    private fiber = false
    protected nextPid = 0
    protected sessionPresent = false

    // the tx and rx state below is first set by session(), and used only while it runs
    protected readonly tx: Buffer
    private txOff: number
    protected txLen: number
    private lastTx: number
    private lastRx: number
    private pingAt: number

    protected readonly rx: Buffer
    private rxLen: number
    private rxSkip: number
    /** Packet id of a skipped (oversize) QoS 1 PUBLISH still to acknowledge, 0: none. */
    private ackPid: number

    // the outbox: packets in `ob`; per message a slot in `om`, a ring of `obCap` slots from
    // `obHead`; the first `obSent` messages were handed to the stream on this connection
    private readonly ob: Buffer
    /** @internal (outboxBytes) */
    readonly om: Buffer
    private readonly obCap: number
    private obHead = 0
    /** @internal (outboxBytes) */
    obCount = 0
    private obSent = 0

    constructor(opt: MQTTConnectOptions, readonly connector: MqttConnector) {
        this.opt = opt
        for (let i = 0; i < MqttMib.Count; i++) this.stats.push(0)
        // the options are CONNECT's fields (3.1.3), defaults filled in (as @devicescript/net does)
        if (opt.clientId === undefined) opt.clientId = "devs_" + ds.deviceIdentifier("self")
        if (opt.keepAlive === undefined) opt.keepAlive = 60
        const ka = opt.keepAlive * 1000
        this.keepAliveMs = ka
        this.pingEveryMs = opt.pingInterval || ka
        this.pingTimeoutMs = opt.pingTimeout || Math.min(10000, ka)
        this.waitMs = opt.publishTimeout || 5000
        this.now = opt.clock || ds.millis
        this.sleep = opt.sleep || ds.sleep
        this.tx = Buffer.alloc(opt.txBytes || 512)
        this.rx = Buffer.alloc(opt.rxBytes || 512)
        // an outbox smaller than one packet could hold nothing
        this.ob = Buffer.alloc(Math.max(opt.outboxBytes || 2048, this.tx.length))
        this.obCap = opt.outboxMessages || 16
        this.om = Buffer.alloc(this.obCap * SLOT)
    }

    /** True between an accepted CONNACK and the end of that connection. */
    connected(): boolean {
        return this.phase === Phase.Connected
    }

    /** QoS 1 messages waiting for their PUBACK (sent or not). */
    outboxMessages(): number {
        return this.obCount
    }

    /** Start connecting (and reconnecting) in a fiber of its own. */
    start(): void {
        this.running = true
        if (!this.fiber) {
            this.fiber = true
            this.run.start()
        }
    }

    /** Send DISCONNECT (3.14) if connected, close the connection and stop reconnecting. */
    async stop(): Promise<void> {
        const s = this.stream
        if (await this.room(2)) {
            this.txLen += serializeEmpty(this.tx, this.txLen, MqttType.Disconnect)
            this.flushTx()
        }
        this.running = false
        if (s !== null) s.close()
    }

    /**
     * Publish (3.3). QoS 0: sent now if connected, else dropped (false). QoS 1: queued in the outbox
     * (true), sent when connected and kept until its PUBACK. `message` as in @devicescript/net: a
     * string, a Buffer, or an object sent as JSON.
     */
    async publish(topic: string, message?: string | object | Buffer, qos = 0, retained = false): Promise<boolean> {
        const payload: any = message === undefined || message === null ? "" : typeof message === "string" || message instanceof Buffer ? message : JSON.stringify(message)
        const stats = this.stats
        // 3.3.2.1: no wildcard in a topic name, and 4.7.3: at least one character. A broker closes
        // the connection on it; a QoS 1 message would then poison the outbox, sent again on every
        // reconnect
        if (topic.length === 0 || topic.indexOf("+") >= 0 || topic.indexOf("#") >= 0) {
            inc(stats, MqttMib.BadTopic)
            return false
        }
        qos = qos > 0 ? 1 : 0
        const len = publishLength(topic.byteLength, dataLength(payload), qos)
        if (len > this.tx.length) {
            inc(stats, MqttMib.TooBig)
            return false
        }
        if (qos === 0) {
            if (!(await this.room(len))) {
                inc(stats, MqttMib.Qos0Dropped)
                return false
            }
            this.txLen += serializePublish(this.tx, this.txLen, false, 0, retained, 0, topic, payload)
            inc(stats, MqttMib.Qos0Sent)
            this.sent()
            return true
        }
        const off = this.obAlloc(len)
        const pid = this.newPid()
        serializePublish(this.ob, off, false, 1, retained, pid, topic, payload)
        const om = this.om
        const at = this.slot(this.obCount++)
        om.setAt(at, "u16", off)
        om.setAt(at + 2, "u16", len)
        om.setAt(at + 4, "u16", pid)
        om[at + 6] = 0
        inc(stats, MqttMib.Qos1Queued)
        this.pump()
        return true
    }

    // ---- sending -------------------------------------------------------------------------------

    /** 2.3.1: a non-zero packet identifier. */
    protected newPid(): number {
        return (this.nextPid = (this.nextPid % 65535) + 1)
    }

    /** Wait (up to the publish timeout) until `len` bytes fit in the tx buffer of a live connection. */
    protected async room(len: number): Promise<boolean> {
        const deadline = this.now() + this.waitMs
        while (this.phase === Phase.Connected) {
            this.flushTx()
            if (this.tx.length - this.txLen >= len) return true
            if (this.now() >= deadline) break
            await this.sleep(5)
        }
        return false
    }

    protected sent(): void {
        this.lastTx = this.now()
        this.flushTx()
    }

    /** Hand the tx buffer to the stream, as much as it takes. */
    private flushTx(): void {
        const n = this.stream.write(this.tx, this.txOff, this.txLen - this.txOff)
        this.stats[MqttMib.BytesOut] += n
        this.txOff += n
        if (this.txOff === this.txLen) this.txOff = this.txLen = 0
    }

    /**
     * Move what is owed into the tx buffer while it has room, in this order: subscriptions not yet
     * sent on this connection (MQTTClient), outbox messages not yet sent on it, PINGREQ when due.
     * No allocation.
     */
    protected pump(): void {
        if (this.phase !== Phase.Connected) return
        this.flushTx()
        const tx = this.tx
        const stats = this.stats
        this.resubscribe()
        const ob = this.ob
        while (this.obSent < this.obCount) {
            const at = this.slot(this.obSent)
            // acknowledged on an earlier connection behind one that was not: done, its packet
            // identifier free (2.3.1); 4.4 sends again only the unacknowledged
            if (this.om[at + 6]) {
                this.obSent++
                continue
            }
            const off = this.om.getAt(at, "u16")
            const len = this.om.getAt(at + 2, "u16")
            if (tx.length - this.txLen < len) break
            tx.blitAt(this.txLen, ob, off, len)
            this.txLen += len
            inc(stats, MqttMib.Qos1Sent)
            if (ob[off] & PublishFlag.Dup) inc(stats, MqttMib.Qos1Redelivered)
            // 3.3.1.1: any later sending of this message is a redelivery
            ob[off] |= PublishFlag.Dup
            this.obSent++
            this.sent()
        }
        const t = this.now()
        // as Paho does: a ping when nothing was sent, or nothing received, for the keep-alive period
        // (a broker gone without a RST is found even while the board keeps publishing)
        if (this.keepAliveMs > 0 && this.pingAt === 0 && t - Math.min(this.lastTx, this.lastRx) >= this.pingEveryMs && tx.length - this.txLen >= 2) {
            this.txLen += serializeEmpty(tx, this.txLen, MqttType.Pingreq)
            inc(stats, MqttMib.PingsSent)
            this.pingAt = t
            this.sent()
        }
    }

    /** 3.4 PUBACK for a received QoS 1 message, once it is ours (4.3.2). */
    protected async ack(pid: number): Promise<void> {
        if (await this.room(4)) {
            this.txLen += serializeAck(this.tx, this.txLen, MqttType.Puback, pid)
            this.sent()
        }
    }

    // ---- the outbox ----------------------------------------------------------------------------

    /** Offset in `om` of the `i`-th message from the head. */
    /** @internal (outboxBytes) */
    slot(i: number): number {
        return ((this.obHead + i) % this.obCap) * SLOT
    }

    /** Room for `len` bytes in the outbox ring (entries never wrap), dropping the oldest as needed. */
    private obAlloc(len: number): number {
        const om = this.om
        while (this.obCount > 0) {
            if (this.obCount < this.obCap) {
                const first = om.getAt(this.slot(0), "u16")
                const last = this.slot(this.obCount - 1)
                const end = om.getAt(last, "u16") + om.getAt(last + 2, "u16")
                if (end > first) {
                    // not wrapped: room after the last entry, else at the start before the first
                    if (this.ob.length - end >= len) return end
                    if (first >= len) return 0
                } else if (first - end >= len) return end
            }
            if (!om[this.slot(0) + 6]) inc(this.stats, MqttMib.OutboxDropped)
            this.obPop()
        }
        return 0
    }

    private obPop(): void {
        this.obHead = (this.obHead + 1) % this.obCap
        this.obCount--
        if (this.obSent > 0) this.obSent--
    }

    /** 3.4 PUBACK: the message leaves the outbox (acked ones at the head are released in order). */
    private onPuback(pid: number): void {
        const om = this.om
        for (let i = 0; i < this.obSent; i++) {
            const at = this.slot(i)
            if (om.getAt(at + 4, "u16") === pid && !om[at + 6]) {
                om[at + 6] = 1
                inc(this.stats, MqttMib.Qos1Acked)
                while (this.obCount > 0 && om[this.slot(0) + 6]) this.obPop()
                return
            }
        }
        inc(this.stats, MqttMib.UnknownAcks)
    }

    // ---- the connection ------------------------------------------------------------------------

    private async run(): Promise<void> {
        let attempt = 0
        const o = this.opt
        while (this.running) {
            const r = await this.connector(o.host, o.port || 1883)
            if (typeof r === "number") {
                inc(this.stats, MqttMib.ConnectFailed)
                this.lastConnect = MqttConnectResult.NoConnection
            } else if (await this.session(r)) attempt = 0
            this.attempts++
            if (!this.running) break
            // exponential back-off, capped, with jitter: half the delay fixed, half random
            const d = Math.min(o.backoffMax || 60000, (o.backoffMin || 1000) * (1 << Math.min(attempt++, 20)))
            await this.sleep(Math.floor(d / 2 + (Math.random() * d) / 2))
        }
        this.fiber = false
    }

    /** One connection: CONNECT, CONNACK, traffic until it ends. True if CONNACK accepted it. */
    private async session(s: ByteStream): Promise<boolean> {
        const stats = this.stats
        this.stream = s
        this.txOff = this.txLen = this.rxLen = this.rxSkip = this.ackPid = this.pingAt = 0
        let delivered = 0
        let deadline = this.now() + (this.opt.timeout || 10000)
        // wait for the stream to open
        while (s.status() === StreamStatus.Connecting && this.now() < deadline) await s.waitEvent(deadline - this.now())
        this.lastConnect = MqttConnectResult.NoConnection
        if (s.status() === StreamStatus.Open) {
            this.txLen = serializeConnect(this.tx, 0, this.opt)
            inc(stats, MqttMib.ConnectAttempts)
            // CONNECT larger than the tx buffer: a configuration error, counted as too big
            if (this.txLen === 0) inc(stats, MqttMib.TooBig)
            this.phase = Phase.AwaitConnack
            this.lastConnect = MqttConnectResult.Timeout
            this.sent()
            this.lastRx = this.lastTx
        } else inc(stats, MqttMib.ConnectFailed)
        while (this.running && this.phase !== Phase.Idle) {
            const r = this.receive()
            if (r === Rx.Accepted) {
                this.lastConnect = MqttConnectResult.Accepted
                this.phase = Phase.Connected
                inc(stats, MqttMib.Connected)
                this.onConnected()
            } else if (r >= 0) {
                // a refusing CONNACK, or malformed input (4.8: close the connection)
                if (this.phase === Phase.AwaitConnack) {
                    this.lastConnect = r < 256 ? r : MqttConnectResult.ProtocolError
                    if (r < 256) inc(stats, MqttMib.ConnectRefused)
                }
                break
            }
            if (this.ackPid !== 0) {
                await this.ack(this.ackPid)
                this.ackPid = 0
            }
            if (this.pendingPublish) {
                await this.deliver()
                // a burst of messages: yield now and then (the step watchdog, other fibers)
                if ((++delivered & 7) === 0) await this.sleep(0)
                continue
            }
            this.pump()
            if (s.status() !== StreamStatus.Open && s.readable() === 0) {
                if (this.phase === Phase.AwaitConnack) this.lastConnect = MqttConnectResult.NoConnection
                break
            }
            const t = this.now()
            if (this.phase === Phase.Connected) {
                if (this.pingAt !== 0 && t - this.pingAt >= this.pingTimeoutMs) {
                    // 3.1.2.10: no PINGRESP in a reasonable time: close the network connection
                    inc(stats, MqttMib.PingTimeouts)
                    break
                }
                deadline = this.pingAt !== 0 ? this.pingAt + this.pingTimeoutMs : this.keepAliveMs > 0 ? Math.min(this.lastTx, this.lastRx) + this.pingEveryMs : t + 60000
            } else if (t >= deadline) break // no CONNACK in time
            if (s.readable() > 0 && this.rxLen < this.rx.length) {
                // more to read at once: yield now and then all the same (the step watchdog)
                if ((++delivered & 7) === 0) await this.sleep(0)
                continue
            }
            await s.waitEvent(Math.max(1, Math.min(deadline - t, 60000)))
        }
        if (this.phase === Phase.Connected) inc(stats, MqttMib.Disconnects)
        this.phase = Phase.Idle
        this.stream = null
        if (this.running) s.abort()
        // what was sent on this connection and not acknowledged goes again, with DUP (4.4)
        this.obSent = 0
        return this.lastConnect === MqttConnectResult.Accepted
    }

    // ---- receiving -----------------------------------------------------------------------------

    /** A complete PUBLISH sits at the start of rx, waiting for deliver(). */
    private pendingPublish = false

    /**
     * Read what the stream has and handle every complete packet but PUBLISH (which deliver() hands
     * to the handlers). Returns Rx.More to go on, a refusing CONNACK's code (1..5), Rx.Accepted
     * for an accepting one, Rx.Malformed for malformed or unexpected input (counted).
     */
    private receive(): number {
        const s = this.stream
        const rx = this.rx
        const stats = this.stats
        while (!this.pendingPublish && this.ackPid === 0) {
            if (this.rxSkip > 0) {
                const n = s.read(rx, 0, Math.min(this.rxSkip, rx.length))
                stats[MqttMib.BytesIn] += n
                this.rxSkip -= n
                if (this.rxSkip > 0) break
                continue
            }
            const n = s.read(rx, this.rxLen, rx.length - this.rxLen)
            stats[MqttMib.BytesIn] += n
            if (n > 0) this.lastRx = this.now()
            this.rxLen += n
            if (this.rxLen < 2) break
            const rem = decodeLength(rx, 1, this.rxLen)
            if (rem === -1) break
            const first = rx[0]
            const type = first >> 4
            const hdr = lengthEnd()
            const total = hdr + rem
            // 2.2.2, and 3.2.0: the first packet from the server is CONNACK, and only that one
            if (rem === -2 || !serverPacketValid(first, rem) || (this.phase === Phase.AwaitConnack) !== (type === MqttType.Connack)) {
                inc(stats, MqttMib.RxMalformed)
                return Rx.Malformed
            }
            if (total > rx.length) {
                // larger than we can hold: skip it; a QoS 1 PUBLISH is still acknowledged (the
                // broker would otherwise hold it in flight) when its packet id is in what we hold
                if (this.rxLen < rx.length) break
                inc(stats, MqttMib.RxOversize)
                const at = hdr + 2 + getU16(rx, hdr)
                if (first & 2 && at + 2 <= rx.length) this.ackPid = getU16(rx, at)
                this.rxSkip = total - this.rxLen
                this.rxLen = 0
                continue
            }
            if (this.rxLen < total) break
            if (type === MqttType.Publish) {
                // 3.3.2.1 the topic name lies inside the packet; 3.3.2.2 then the packet id
                if (2 + getU16(rx, hdr) + (first & 2) > rem) {
                    inc(stats, MqttMib.RxMalformed)
                    return Rx.Malformed
                }
                this.pendingPublish = true
                break
            }
            const pid = getU16(rx, hdr)
            // SUBACK 3.9.3: the granted QoS or 0x80 failure, after the id
            const granted = rx[hdr + 2]
            this.rxLen -= total
            rx.blitAt(0, rx, total, this.rxLen)
            if (type === MqttType.Connack) {
                // 3.2.2.2 session present; 3.2.2.3 return code (pid holds both bytes)
                this.sessionPresent = (pid & 0x100) !== 0
                const code = pid & 0xff
                if (code > 5) {
                    inc(stats, MqttMib.RxMalformed)
                    return Rx.Malformed
                }
                return code === 0 ? Rx.Accepted : code
            } else if (type === MqttType.Puback) this.onPuback(pid)
            else if (type === MqttType.Suback) this.onSuback(pid, granted)
            else if (type === MqttType.Pingresp) this.pingAt = 0
            // UNSUBACK: nothing waits for it
        }
        return Rx.More
    }

    /** The PUBLISH at the start of rx: to dispatch(), then acknowledged (4.3.2) and consumed. */
    private async deliver(): Promise<void> {
        const rx = this.rx
        const first = rx[0]
        const rem = decodeLength(rx, 1, this.rxLen)
        const hdr = lengthEnd()
        const total = hdr + rem
        const at = hdr + 2 + getU16(rx, hdr)
        // QoS 2 is never granted (3.8.4): QoS 0 or 1 here
        const pid = first & 2 ? getU16(rx, at) : 0
        inc(this.stats, MqttMib.RxPublish)
        await this.dispatch(first, hdr, at + (first & 2), total, pid)
        this.rxLen -= total
        rx.blitAt(0, rx, total, this.rxLen)
        this.pendingPublish = false
        // 4.3.2: PUBACK once the message is ours (the handlers have run)
        if (pid) await this.ack(pid)
    }

    // ---- what MQTTClient (subscriptions) adds; a client that only publishes links none of it ----

    /** A received PUBLISH (fixed header byte, topic length at `hdr`, payload `at`..`total`). */
    protected async dispatch(first: number, hdr: number, at: number, total: number, pid: number): Promise<void> {}
    /** CONNACK accepted. */
    protected onConnected(): void {}
    /** Subscriptions to send. */
    protected resubscribe(): void {}
    /** SUBACK (3.9). */
    protected onSuback(pid: number, code: number): void {
        inc(this.stats, MqttMib.UnknownAcks)
    }
}

/**
 * The client with subscriptions, as @devicescript/net's MQTTClient: subscribe (3.8) with a handler,
 * unsubscribe (3.10), incoming messages to the handlers whose filter matches (4.7) or `onmessage`.
 * @devsWhenUsed
 */
export class MQTTClient extends MqttClient {
    /** Called for a message no subscription's handler took. */
    onmessage: MQTTHandler = null
    readonly subs: MQTTSubscription[] = []
    /** Subscriptions sent on this connection (the rest go from pump()). */
    private resubIdx = 0

    /**
     * Subscribe (3.8) to a topic filter; `handler` gets the matching messages. Waits for the SUBACK
     * when connected (up to the publish timeout); the subscription is sent again after a reconnect
     * without session. Returns the subscription (its `granted` QoS, -1 if not answered yet).
     */
    async subscribe(topic: string, handler?: MQTTHandler, qos = 0): Promise<MQTTSubscription> {
        const sub = new MQTTSubscription(topic, qos > 0 ? 1 : 0, handler || null)
        // pump() sends the subscriptions not yet sent on this connection
        this.subs.push(sub)
        const deadline = this.now() + this.waitMs
        while (sub.granted < 0 && this.phase === Phase.Connected && this.now() < deadline) {
            this.pump()
            await this.sleep(5)
        }
        return sub
    }

    /** Unsubscribe (3.10): forget the filter's subscriptions, and tell the broker if connected. */
    async unsubscribe(topic: string): Promise<boolean> {
        const subs = this.subs
        let n = 0
        let sent = 0
        for (let i = 0; i < subs.length; i++)
            if (subs[i].topic !== topic) {
                if (i < this.resubIdx) sent++
                subs[n++] = subs[i]
            }
        const found = n < subs.length
        while (subs.length > n) subs.pop()
        this.resubIdx = sent
        if (!(await this.room(5 + 2 + topic.byteLength))) return false
        this.txLen += serializeSubscribe(this.tx, this.txLen, this.newPid(), topic, -1)
        this.sent()
        return found
    }

    protected override onConnected(): void {
        // 3.2.2.2: without a session on the broker, subscribe again
        this.resubIdx = this.sessionPresent ? this.subs.length : 0
    }

    protected override resubscribe(): void {
        while (this.resubIdx < this.subs.length) {
            const sub = this.subs[this.resubIdx]
            const n = serializeSubscribe(this.tx, this.txLen, (sub.pid = this.newPid()), sub.topic, sub.qos)
            if (n === 0) break
            this.txLen += n
            sub.granted = -1
            this.resubIdx++
            this.sent()
        }
    }

    protected override onSuback(pid: number, code: number): void {
        let found = false
        for (let i = 0; i < this.subs.length; i++) {
            const sub = this.subs[i]
            if (sub.pid === pid) {
                // 3.9.3 granted QoS, or 0x80 failure
                sub.granted = code
                sub.pid = 0
                found = true
                if (code === 0x80) inc(this.stats, MqttMib.SubscribeFailed)
            }
        }
        if (!found) inc(this.stats, MqttMib.UnknownAcks)
    }

    protected override async dispatch(first: number, hdr: number, at: number, total: number, pid: number): Promise<void> {
        const rx = this.rx
        const msg: MQTTMessage = { topic: rx.slice(hdr + 2, hdr + 2 + getU16(rx, hdr)).toString(), content: rx.slice(at, total), qos: (first >> 1) & 1, retain: first & 1 }
        if (pid) msg.pid = pid
        let handled = false
        for (let i = 0; i < this.subs.length; i++) {
            const sub = this.subs[i]
            if (sub.handler !== null && topicMatches(sub.topic, msg.topic)) {
                handled = true
                await this.call(sub.handler, msg)
            }
        }
        if (!handled && this.onmessage !== null) await this.call(this.onmessage, msg)
    }

    private async call(h: MQTTHandler, msg: MQTTMessage): Promise<void> {
        try {
            await h(msg)
        } catch (e) {
            inc(this.stats, MqttMib.HandlerErrors)
        }
    }
}

/** Bytes `c`'s outbox holds (a function, not a method: a firmware links it only if it calls it). */
export function outboxBytes(c: MqttClient): number {
    let n = 0
    for (let i = 0; i < c.obCount; i++) n += c.om.getAt(c.slot(i) + 2, "u16")
    return n
}

let defaultConnector: MqttConnector = null

/**
 * The connector startMQTTClient uses when given none (set once at start-up, e.g. to this stack's
 * TCP), so that @devicescript/net code runs with only its import changed.
 */
export function setMqttConnector(c: MqttConnector): void {
    defaultConnector = c
}

/** Create a client and start it; resolves once the first attempt ends (connected or not). */
export async function startMQTTClient(options: MQTTConnectOptions, connector?: MqttConnector): Promise<MQTTClient> {
    const c = new MQTTClient(options, connector || defaultConnector)
    c.start()
    const sleep = options.sleep || ds.sleep
    // every attempt ends within the connect timeout
    for (let i = 0; i < 400 && !c.connected() && c.attempts === 0; i++) await sleep(50)
    return c
}
