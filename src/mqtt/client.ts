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
    getU16,
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
    Count,
}

export const MQTT_MIB_NAMES = [
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
]

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

/** A subscription: kept across reconnects and sent again when the broker has no session (3.2.2.2). */
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

/** PUBACKs owed for received QoS 1 messages (4.3.2); a full queue stops reading until it drains. */
const ACK_QUEUE = 8

export class MqttClient {
    readonly stats: number[] = []
    readonly opt: MQTTConnectOptions
    lastConnect = MqttConnectResult.None
    /** Called for a message no subscription's handler took. */
    onmessage: MQTTHandler = null
    /** Called with each outcome of a connection attempt (Accepted when connected). */
    onconnect: (r: MqttConnectResult) => void = null

    private readonly clientId: string
    private readonly keepAliveMs: number
    private readonly pingEveryMs: number
    private readonly pingTimeoutMs: number
    private readonly timeoutMs: number
    private readonly now: () => number
    private readonly sleep: (ms: number) => Promise<void>

    private stream: ByteStream = null
    private phase = Phase.Idle
    private running = false
    private fiber = false
    private nextPid = 0

    private readonly tx: Buffer
    private txOff = 0
    private txLen = 0
    private lastTx = 0
    private pingAt = 0

    private readonly rx: Buffer
    private rxLen = 0
    private rxSkip = 0

    private readonly acks: number[] = []
    private ackHead = 0
    private ackCount = 0

    readonly subs: MQTTSubscription[] = []
    private resubIdx = 0

    // the outbox: packets in `ob`; per message its offset, length, packet id and acked flag, in a ring
    // of `obCap` slots from `obHead`; the first `obSent` were handed to the stream on this connection
    private readonly ob: Buffer
    private readonly obCap: number
    private readonly obOff: number[] = []
    private readonly obLen: number[] = []
    private readonly obPid: number[] = []
    private readonly obAcked: boolean[] = []
    private obHead = 0
    private obCount = 0
    private obSent = 0

    constructor(opt: MQTTConnectOptions, readonly connector: MqttConnector) {
        this.opt = opt
        for (let i = 0; i < MqttMib.Count; i++) this.stats.push(0)
        this.clientId = opt.clientId !== undefined ? opt.clientId : "devs_" + ds.deviceIdentifier("self")
        const ka = opt.keepAlive !== undefined ? opt.keepAlive : 60
        this.keepAliveMs = ka * 1000
        this.pingEveryMs = opt.pingInterval || this.keepAliveMs
        this.pingTimeoutMs = opt.pingTimeout || Math.min(10000, this.keepAliveMs)
        this.timeoutMs = opt.timeout || 10000
        this.now = opt.clock || ds.millis
        this.sleep = opt.sleep || ds.sleep
        this.tx = Buffer.alloc(opt.txBytes || 512)
        this.rx = Buffer.alloc(opt.rxBytes || 512)
        // an outbox smaller than one packet could hold nothing
        this.ob = Buffer.alloc(Math.max(opt.outboxBytes || 2048, this.tx.length))
        this.obCap = opt.outboxMessages || 16
        for (let i = 0; i < this.obCap; i++) {
            this.obOff.push(0)
            this.obLen.push(0)
            this.obPid.push(0)
            this.obAcked.push(false)
        }
        for (let i = 0; i < ACK_QUEUE; i++) this.acks.push(0)
    }

    /** True between an accepted CONNACK and the end of that connection. */
    connected(): boolean {
        return this.phase === Phase.Connected
    }

    /** QoS 1 messages waiting for their PUBACK (sent or not). */
    outboxMessages(): number {
        return this.obCount
    }

    /** Bytes the outbox holds. */
    outboxBytes(): number {
        let n = 0
        for (let i = 0; i < this.obCount; i++) n += this.obLen[(this.obHead + i) % this.obCap]
        return n
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
        this.running = false
        const s = this.stream
        if (s !== null && this.phase === Phase.Connected) {
            const deadline = this.now() + this.timeoutMs
            if (await this.room(2, deadline)) {
                this.txLen += serializeEmpty(this.tx, this.txLen, MqttType.Disconnect)
                this.flushTx()
            }
        }
        if (s !== null) s.close()
    }

    /**
     * Publish (3.3). QoS 0: sent now if connected, else dropped (false). QoS 1: queued in the outbox
     * (true), sent when connected and kept until its PUBACK. `message` as in @devicescript/net: a
     * string, a Buffer, or an object sent as JSON.
     */
    async publish(topic: string, message?: string | object | Buffer, qos = 0, retained = false): Promise<boolean> {
        const payload: string | Buffer =
            message === undefined || message === null ? "" : typeof message === "string" || message instanceof Buffer ? (message as string | Buffer) : JSON.stringify(message)
        qos = qos > 0 ? 1 : 0
        const len = publishLength(topic.byteLength, dataLength(payload), qos)
        if (len > this.tx.length) {
            this.stats[MqttMib.TooBig]++
            return false
        }
        if (qos === 0) {
            if (!(await this.room(len, this.now() + (this.opt.publishTimeout || 5000)))) {
                this.stats[MqttMib.Qos0Dropped]++
                return false
            }
            this.txLen += serializePublish(this.tx, this.txLen, false, 0, retained, 0, topic, payload)
            this.stats[MqttMib.Qos0Sent]++
            this.sent()
            return true
        }
        const off = this.obAlloc(len)
        const pid = this.newPid()
        serializePublish(this.ob, off, false, 1, retained, pid, topic, payload)
        const slot = (this.obHead + this.obCount) % this.obCap
        this.obOff[slot] = off
        this.obLen[slot] = len
        this.obPid[slot] = pid
        this.obAcked[slot] = false
        this.obCount++
        this.stats[MqttMib.Qos1Queued]++
        this.pump()
        return true
    }

    /**
     * Subscribe (3.8) to a topic filter; `handler` gets the matching messages. Waits for the SUBACK
     * when connected (up to the publish timeout); the subscription is sent again after a reconnect
     * without session. Returns the subscription (its `granted` QoS, -1 if not answered yet).
     */
    async subscribe(topic: string, handler?: MQTTHandler, qos = 0): Promise<MQTTSubscription> {
        const sub = new MQTTSubscription(topic, qos > 0 ? 1 : 0, handler || null)
        // pump() sends the subscriptions not yet sent on this connection
        this.subs.push(sub)
        this.pump()
        const deadline = this.now() + (this.opt.publishTimeout || 5000)
        while (sub.granted < 0 && this.phase === Phase.Connected && this.now() < deadline) {
            await this.sleep(5)
            this.pump()
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
        if (this.phase !== Phase.Connected || !(await this.room(5 + 2 + topic.byteLength, this.now() + (this.opt.publishTimeout || 5000)))) return false
        this.txLen += serializeSubscribe(this.tx, this.txLen, this.newPid(), topic, -1)
        this.sent()
        return found
    }

    // ---- sending -------------------------------------------------------------------------------

    /** 2.3.1: a non-zero packet identifier. */
    private newPid(): number {
        this.nextPid = (this.nextPid % 65535) + 1
        return this.nextPid
    }

    /** Wait until `len` bytes fit in the tx buffer of a live connection, or the deadline. */
    private async room(len: number, deadline: number): Promise<boolean> {
        while (true) {
            if (this.stream === null || this.phase !== Phase.Connected) return false
            this.flushTx()
            if (this.txOff === this.txLen) this.txOff = this.txLen = 0
            if (this.tx.length - this.txLen >= len) return true
            if (this.now() >= deadline) return false
            await this.sleep(5)
        }
    }

    private sent(): void {
        this.lastTx = this.now()
        this.flushTx()
    }

    /** Hand the tx buffer to the stream, as much as it takes. */
    private flushTx(): void {
        const s = this.stream
        if (s === null || this.txOff === this.txLen) return
        const n = s.write(this.tx, this.txOff, this.txLen - this.txOff)
        if (n > 0) {
            this.txOff += n
            this.stats[MqttMib.BytesOut] += n
        }
        if (this.txOff === this.txLen) this.txOff = this.txLen = 0
    }

    private sendSubscribe(sub: MQTTSubscription): void {
        sub.pid = this.newPid()
        sub.granted = -1
        this.txLen += serializeSubscribe(this.tx, this.txLen, sub.pid, sub.topic, sub.qos)
        this.sent()
    }

    /**
     * Move what is owed into the tx buffer while it has room, in this order: PUBACKs, subscriptions
     * to renew, outbox messages not yet sent on this connection, PINGREQ when due. No allocation.
     */
    private pump(): void {
        if (this.phase !== Phase.Connected) return
        this.flushTx()
        const tx = this.tx
        while (this.ackCount > 0 && tx.length - this.txLen >= 4) {
            this.txLen += serializeAck(tx, this.txLen, MqttType.Puback, this.acks[this.ackHead])
            this.ackHead = (this.ackHead + 1) % ACK_QUEUE
            this.ackCount--
            this.sent()
        }
        while (this.resubIdx < this.subs.length) {
            const sub = this.subs[this.resubIdx]
            if (tx.length - this.txLen < 5 + 2 + sub.topic.byteLength + 1) break
            this.resubIdx++
            this.sendSubscribe(sub)
        }
        while (this.obSent < this.obCount) {
            const slot = (this.obHead + this.obSent) % this.obCap
            const len = this.obLen[slot]
            if (tx.length - this.txLen < len) break
            const off = this.obOff[slot]
            const ob = this.ob
            tx.blitAt(this.txLen, ob, off, len)
            this.txLen += len
            this.stats[MqttMib.Qos1Sent]++
            if (ob[off] & PublishFlag.Dup) this.stats[MqttMib.Qos1Redelivered]++
            // 3.3.1.1: any later sending of this message is a redelivery
            ob[off] |= PublishFlag.Dup
            this.obSent++
            this.sent()
        }
        const t = this.now()
        if (this.keepAliveMs > 0 && this.pingAt === 0 && t - this.lastTx >= this.pingEveryMs && tx.length - this.txLen >= 2) {
            this.txLen += serializeEmpty(tx, this.txLen, MqttType.Pingreq)
            this.stats[MqttMib.PingsSent]++
            this.pingAt = t
            this.sent()
        }
    }

    // ---- the outbox ----------------------------------------------------------------------------

    /** Room for `len` bytes in the outbox ring (entries never wrap), dropping the oldest as needed. */
    private obAlloc(len: number): number {
        while (true) {
            if (this.obCount === 0) return 0
            if (this.obCount < this.obCap) {
                const first = this.obOff[this.obHead]
                const lastSlot = (this.obHead + this.obCount - 1) % this.obCap
                const end = this.obOff[lastSlot] + this.obLen[lastSlot]
                if (end > first) {
                    // not wrapped: room after the last entry, else at the start before the first
                    if (this.ob.length - end >= len) return end
                    if (first >= len) return 0
                } else if (first - end >= len) return end
            }
            this.obDropHead(true)
        }
    }

    private obDropHead(dropped: boolean): void {
        if (dropped && !this.obAcked[this.obHead]) this.stats[MqttMib.OutboxDropped]++
        this.obHead = (this.obHead + 1) % this.obCap
        this.obCount--
        if (this.obSent > 0) this.obSent--
    }

    /** 3.4 PUBACK: the message leaves the outbox (acked ones at the head are released in order). */
    private onPuback(pid: number): void {
        for (let i = 0; i < this.obSent; i++) {
            const slot = (this.obHead + i) % this.obCap
            if (this.obPid[slot] === pid && !this.obAcked[slot]) {
                this.obAcked[slot] = true
                this.stats[MqttMib.Qos1Acked]++
                while (this.obCount > 0 && this.obAcked[this.obHead]) this.obDropHead(false)
                return
            }
        }
        this.stats[MqttMib.UnknownAcks]++
    }

    // ---- the connection ------------------------------------------------------------------------

    private async run(): Promise<void> {
        let attempt = 0
        while (this.running) {
            const o = this.opt
            const r = await this.connector(o.host, o.port || 1883)
            let ok = false
            if (typeof r === "number") {
                this.stats[MqttMib.ConnectFailed]++
                this.lastConnect = MqttConnectResult.NoConnection
            } else ok = await this.session(r)
            if (ok) attempt = 0
            else if (this.onconnect !== null) this.onconnect(this.lastConnect)
            if (!this.running) break
            // exponential back-off, capped, with jitter: half the delay fixed, half random
            const max = o.backoffMax || 60000
            const d = Math.min(max, (o.backoffMin || 1000) * (1 << Math.min(attempt, 20)))
            attempt++
            await this.sleep(Math.floor(d / 2 + (Math.random() * d) / 2))
        }
        this.fiber = false
    }

    /** One connection: CONNECT, CONNACK, traffic until it ends. True if CONNACK accepted it. */
    private async session(s: ByteStream): Promise<boolean> {
        this.stream = s
        this.txOff = this.txLen = this.rxLen = this.rxSkip = 0
        this.ackCount = 0
        this.obSent = 0
        this.pingAt = 0
        let accepted = false
        let delivered = 0
        let deadline = this.now() + this.timeoutMs
        // wait for the stream to open
        while (s.status() === StreamStatus.Connecting && this.now() < deadline && this.running) await s.wait(deadline - this.now())
        if (s.status() !== StreamStatus.Open) {
            this.stats[MqttMib.ConnectFailed]++
            this.lastConnect = MqttConnectResult.NoConnection
            return this.endSession(s, false)
        }
        const o = this.opt
        this.stats[MqttMib.ConnectAttempts]++
        this.txLen = serializeConnect(this.tx, 0, {
            clientId: this.clientId,
            cleanSession: o.cleanSession !== false,
            keepAlive: this.keepAliveMs / 1000,
            username: o.username,
            password: o.password,
            will: o.will,
        })
        if (this.txLen === 0) {
            // CONNECT larger than the tx buffer: a configuration error, counted as too big
            this.stats[MqttMib.TooBig]++
            this.lastConnect = MqttConnectResult.ProtocolError
            return this.endSession(s, false)
        }
        this.phase = Phase.AwaitConnack
        this.lastTx = this.now()
        while (this.running) {
            this.flushTx()
            const r = this.receive()
            if (r > 0) {
                if (this.phase === Phase.AwaitConnack) {
                    // 3.2.2.3 return code, or our own outcome
                    this.lastConnect = r === 256 ? MqttConnectResult.Accepted : r < 256 ? r : MqttConnectResult.ProtocolError
                    if (r === 256) {
                        accepted = true
                        this.phase = Phase.Connected
                        this.stats[MqttMib.Connected]++
                        // 3.2.2.2: without a session on the broker, subscribe again
                        this.resubIdx = this.sessionPresent ? this.subs.length : 0
                        if (this.onconnect !== null) this.onconnect(MqttConnectResult.Accepted)
                    } else {
                        if (r < 256) this.stats[MqttMib.ConnectRefused]++
                        break
                    }
                } else break // malformed input: 4.8 close the connection
            }
            if (this.pendingPublish) {
                await this.deliver()
                this.pump()
                // a burst of messages: yield now and then (the step watchdog, other fibers)
                if ((++delivered & 7) === 0) await this.sleep(0)
                continue
            }
            this.pump()
            const st = s.status()
            if (st !== StreamStatus.Open && s.readable() === 0) break
            const t = this.now()
            if (this.phase === Phase.AwaitConnack) {
                if (t >= deadline) {
                    this.lastConnect = MqttConnectResult.Timeout
                    break
                }
            } else {
                if (this.pingAt !== 0 && t - this.pingAt >= this.pingTimeoutMs) {
                    // 3.1.2.10: no PINGRESP in a reasonable time: close the network connection
                    this.stats[MqttMib.PingTimeouts]++
                    break
                }
                deadline = this.pingAt !== 0 ? this.pingAt + this.pingTimeoutMs : this.keepAliveMs > 0 ? this.lastTx + this.pingEveryMs : t + 60000
            }
            if (s.readable() > 0 && this.ackCount < ACK_QUEUE && this.rxLen < this.rx.length) continue
            await s.wait(Math.max(1, Math.min(deadline - t, 60000)))
        }
        return this.endSession(s, accepted)
    }

    private endSession(s: ByteStream, accepted: boolean): boolean {
        if (this.phase === Phase.Connected) this.stats[MqttMib.Disconnects]++
        this.phase = Phase.Idle
        this.stream = null
        this.txOff = this.txLen = 0
        if (this.running) s.abort()
        // what was sent on this connection and not acknowledged goes again, with DUP (4.4)
        this.obSent = 0
        return accepted
    }

    // ---- receiving -----------------------------------------------------------------------------

    private sessionPresent = false
    /** A complete PUBLISH sits at the start of rx, waiting for deliver(). */
    private pendingPublish = false

    /**
     * Read what the stream has and handle every complete packet but PUBLISH (which deliver() hands
     * to the handlers). Returns 0 to go on; 1..5 a refusing CONNACK's code, 256 an accepting one
     * (while awaiting CONNACK); 257 malformed or unexpected input.
     */
    private receive(): number {
        const s = this.stream
        const rx = this.rx
        while (true) {
            if (this.pendingPublish) return 0
            // read
            if (this.rxSkip > 0) {
                const n = s.read(rx, 0, Math.min(this.rxSkip, rx.length))
                this.stats[MqttMib.BytesIn] += n
                this.rxSkip -= n
                if (this.rxSkip > 0) return 0
                continue
            }
            if (this.rxLen < rx.length) {
                const n = s.read(rx, this.rxLen, rx.length - this.rxLen)
                this.stats[MqttMib.BytesIn] += n
                this.rxLen += n
            }
            if (this.rxLen < 2) return 0
            const rem = decodeLength(rx, 1, this.rxLen)
            if (rem === -1) return 0
            const first = rx[0]
            if (rem === -2 || !serverPacketValid(first, rem)) {
                this.stats[MqttMib.RxMalformed]++
                return 257
            }
            const hdr = lengthEnd()
            const total = hdr + rem
            const type = first >> 4
            // 3.2.0: the first packet from the server is CONNACK [MQTT-3.2.0-1], and only that one
            if ((this.phase === Phase.AwaitConnack) !== (type === MqttType.Connack)) {
                this.stats[MqttMib.RxMalformed]++
                return 257
            }
            if (total > rx.length) {
                // larger than we can hold: skip it; a QoS 1 PUBLISH is still acknowledged (the
                // broker would otherwise send it again) when its packet id is in what we hold
                if (this.rxLen < rx.length || this.ackCount >= ACK_QUEUE) return 0
                this.stats[MqttMib.RxOversize]++
                if (type === MqttType.Publish && (first & 6) !== 0) {
                    const at = hdr + 2 + getU16(rx, hdr)
                    if (at + 2 <= rx.length) this.owe(getU16(rx, at))
                }
                this.rxSkip = total - this.rxLen
                this.rxLen = 0
                continue
            }
            if (this.rxLen < total) return 0
            let r = 0
            if (type === MqttType.Publish) {
                if (this.ackCount >= ACK_QUEUE && (first & 6) !== 0) return 0
                // 3.3.2.1 the topic name must lie inside the packet; 3.3.2.2 then the packet id
                if (2 + getU16(rx, hdr) + ((first & 6) !== 0 ? 2 : 0) > rem) {
                    this.stats[MqttMib.RxMalformed]++
                    return 257
                }
                this.pendingPublish = true
                return 0
            } else if (type === MqttType.Connack) {
                // 3.2.2.3: return code; 3.2.2.2 session present
                const code = rx[hdr + 1]
                this.sessionPresent = (rx[hdr] & 1) === 1
                r = code === 0 ? 256 : code <= 5 ? code : 257
                if (r === 257) this.stats[MqttMib.RxMalformed]++
            } else if (type === MqttType.Puback) this.onPuback(getU16(rx, hdr))
            else if (type === MqttType.Suback) {
                const pid = getU16(rx, hdr)
                let found = false
                for (let i = 0; i < this.subs.length; i++) {
                    const sub = this.subs[i]
                    if (sub.pid === pid) {
                        sub.granted = rx[hdr + 2]
                        sub.pid = 0
                        found = true
                        if (sub.granted === 0x80) this.stats[MqttMib.SubscribeFailed]++
                    }
                }
                if (!found) this.stats[MqttMib.UnknownAcks]++
            } else if (type === MqttType.Pingresp) this.pingAt = 0
            // UNSUBACK: nothing waits for it
            this.consume(total)
            if (r !== 0) return r
        }
    }

    private consume(total: number): void {
        const rx = this.rx
        if (this.rxLen > total) rx.blitAt(0, rx, total, this.rxLen - total)
        this.rxLen -= total
    }

    private owe(pid: number): void {
        this.acks[(this.ackHead + this.ackCount) % ACK_QUEUE] = pid
        this.ackCount++
    }

    /** Hand the PUBLISH at the start of rx to the matching handlers, then owe its PUBACK (4.3.2). */
    private async deliver(): Promise<void> {
        const rx = this.rx
        const first = rx[0]
        const rem = decodeLength(rx, 1, this.rxLen)
        const hdr = lengthEnd()
        const total = hdr + rem
        const tlen = getU16(rx, hdr)
        const qos = (first >> 1) & 3
        let p = hdr + 2 + tlen
        const msg: MQTTMessage = { topic: rx.slice(hdr + 2, p).toString(), content: null, qos, retain: first & 1 }
        if (qos > 0) {
            msg.pid = getU16(rx, p)
            p += 2
        }
        msg.content = rx.slice(p, total)
        this.consume(total)
        this.pendingPublish = false
        this.stats[MqttMib.RxPublish]++
        let handled = false
        for (let i = 0; i < this.subs.length; i++) {
            const sub = this.subs[i]
            if (sub.handler !== null && topicMatches(sub.topic, msg.topic)) {
                handled = true
                await this.call(sub.handler, msg)
            }
        }
        if (!handled && this.onmessage !== null) await this.call(this.onmessage, msg)
        // 4.3.2: PUBACK once the message is ours (the handlers have run); QoS 2 is never granted
        if (qos > 0) this.owe(msg.pid)
    }

    private async call(h: MQTTHandler, msg: MQTTMessage): Promise<void> {
        try {
            await h(msg)
        } catch (e) {
            this.stats[MqttMib.HandlerErrors]++
        }
    }
}

/** Create a client and start it; resolves once the first attempt ends (connected or not). */
export async function startMQTTClient(options: MQTTConnectOptions, connector: MqttConnector): Promise<MqttClient> {
    const c = new MqttClient(options, connector)
    let done = false
    c.onconnect = () => {
        done = true
    }
    c.start()
    const now = options.clock || ds.millis
    const sleep = options.sleep || ds.sleep
    const deadline = now() + 2 * (options.timeout || 10000)
    while (!done && now() < deadline) await sleep(10)
    c.onconnect = null
    return c
}
