// MQTT 3.1.1 control packets (OASIS Standard, 29 October 2014), in the shape of Eclipse Paho
// embedded-C's MQTTPacket: one serialiser per packet type writing into a caller's buffer at an
// offset, nothing allocated; strings are copied straight from the string's UTF-8 bytes (blitAt).
// Section numbers below are the standard's.

/** 2.2.1 MQTT Control Packet types. */
export const enum MqttType {
    Connect = 1,
    Connack = 2,
    Publish = 3,
    Puback = 4,
    Pubrec = 5,
    Pubrel = 6,
    Pubcomp = 7,
    Subscribe = 8,
    Suback = 9,
    Unsubscribe = 10,
    Unsuback = 11,
    Pingreq = 12,
    Pingresp = 13,
    Disconnect = 14,
}

/** 3.1.2.3 Connect Flags. */
export const enum ConnectFlag {
    CleanSession = 0x02,
    Will = 0x04,
    WillRetain = 0x20,
    Password = 0x40,
    UserName = 0x80,
}

/** 3.3.1 PUBLISH fixed header flags. */
export const enum PublishFlag {
    Retain = 0x01,
    Qos1 = 0x02,
    Dup = 0x08,
}

/** 1.5.3: the largest Remaining Length four bytes encode (268,435,455). */
export const MAX_REMAINING_LENGTH = 268435455

/** 2.2.3: bytes the Remaining Length `n` takes (1..4). */
export function lengthBytes(n: number): number {
    return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4
}

/** 2.2.3: write the Remaining Length `n` at `off` (7 bits a byte, low first, bit 7 = more); returns the offset after it. */
export function putLength(b: Buffer, off: number, n: number): number {
    while (true) {
        const d = n & 0x7f
        n = n >>> 7
        if (n === 0) {
            b[off++] = d
            return off
        }
        b[off++] = d | 0x80
    }
}

/** Set by decodeLength: the offset just after the Remaining Length it decoded. */
let decodedEnd = 0

/** The offset after the last Remaining Length decodeLength() returned. */
export function lengthEnd(): number {
    return decodedEnd
}

/**
 * 2.2.3: the Remaining Length at `off`, reading no byte at or past `end`. -1: more bytes needed;
 * -2: malformed (a fifth byte would be needed: the standard allows four, 1.5.3 and the
 * decoding algorithm of 2.2.3).
 */
export function decodeLength(b: Buffer, off: number, end: number): number {
    let n = 0
    let mult = 1
    for (let i = 0; i < 4; i++) {
        if (off + i >= end) return -1
        const d = b[off + i]
        n += (d & 0x7f) * mult
        if ((d & 0x80) === 0) {
            decodedEnd = off + i + 1
            return n
        }
        mult *= 128
    }
    return -2
}

/** Length in bytes of a string or Buffer payload. */
export function dataLength(d: string | Buffer): number {
    return typeof d === "string" ? d.byteLength : d.length
}

/**
 * 1.5.3 UTF-8 encoded string, or binary data (will message, password: 3.1.3.3, 3.1.3.5): a two-byte
 * length then the bytes; returns the offset after it.
 */
export function putData(b: Buffer, off: number, d: string | Buffer): number {
    const n = dataLength(d)
    b[off] = n >> 8
    b[off + 1] = n
    if (n > 0) b.blitAt(off + 2, d, 0, n)
    return off + 2 + n
}

export interface ConnectWill {
    topic: string
    message: string | Buffer
    qos?: number
    retain?: boolean
}

export interface ConnectFields {
    clientId?: string
    /** Default true (3.1.2.4). */
    cleanSession?: boolean
    /** Seconds (3.1.2.10); 0 turns keep alive off. */
    keepAlive?: number
    username?: string
    password?: string | Buffer
    will?: ConnectWill
}

/** 3.1 CONNECT at `off`; returns the packet's length, or 0 when it does not fit in `b`. */
export function serializeConnect(b: Buffer, off: number, o: ConnectFields): number {
    const w = o.will
    // 3.1.2: protocol name (6), level (1), flags (1), keep alive (2); 3.1.3 payload
    let rem = 10 + 2 + o.clientId.byteLength
    if (w) rem += 4 + w.topic.byteLength + dataLength(w.message)
    if (o.username) {
        rem += 2 + o.username.byteLength
        if (o.password) rem += 2 + dataLength(o.password)
    }
    const total = 1 + lengthBytes(rem) + rem
    if (off + total > b.length) return 0
    b[off] = MqttType.Connect << 4
    let p = putLength(b, off + 1, rem)
    p = putData(b, p, "MQTT") // 3.1.2.1
    b[p++] = 4 // 3.1.2.2 protocol level 4 = 3.1.1
    let flags = o.cleanSession !== false ? ConnectFlag.CleanSession : 0
    if (w) {
        flags |= ConnectFlag.Will | ((w.qos ? w.qos & 3 : 0) << 3) // 3.1.2.6 will QoS in bits 4-3
        if (w.retain) flags |= ConnectFlag.WillRetain
    }
    // 3.1.2.9: no password without a user name [MQTT-3.1.2-22]
    if (o.username) {
        flags |= ConnectFlag.UserName
        if (o.password) flags |= ConnectFlag.Password
    }
    b[p++] = flags
    b[p++] = o.keepAlive >> 8
    b[p++] = o.keepAlive
    // 3.1.3 payload order: client id, will topic, will message, user name, password
    p = putData(b, p, o.clientId)
    if (w) {
        p = putData(b, p, w.topic)
        p = putData(b, p, w.message)
    }
    if (o.username) {
        p = putData(b, p, o.username)
        if (o.password) p = putData(b, p, o.password)
    }
    return total
}

/** 3.3 PUBLISH: the packet's length for a topic and payload of these byte lengths. */
export function publishLength(topicBytes: number, payloadBytes: number, qos: number): number {
    const rem = 2 + topicBytes + (qos > 0 ? 2 : 0) + payloadBytes
    return 1 + lengthBytes(rem) + rem
}

/**
 * 3.3 PUBLISH at `off`: fixed header (DUP 3.3.1.1, QoS 3.3.1.2, RETAIN 3.3.1.3), topic name,
 * packet identifier when QoS > 0 (3.3.2.2), payload. Returns the length, 0 when it does not fit.
 */
export function serializePublish(
    b: Buffer,
    off: number,
    dup: boolean,
    qos: number,
    retain: boolean,
    pid: number,
    topic: string,
    payload: string | Buffer
): number {
    const tn = topic.byteLength
    const pn = dataLength(payload)
    const total = publishLength(tn, pn, qos)
    if (off + total > b.length) return 0
    b[off] = (MqttType.Publish << 4) | (dup ? PublishFlag.Dup : 0) | (qos << 1) | (retain ? PublishFlag.Retain : 0)
    let p = putLength(b, off + 1, 2 + tn + (qos > 0 ? 2 : 0) + pn)
    p = putData(b, p, topic)
    if (qos > 0) {
        b[p++] = pid >> 8
        b[p++] = pid
    }
    if (pn > 0) b.blitAt(p, payload, 0, pn)
    return total
}

/** A two-byte packet with a packet identifier: PUBACK (3.4), and the like. Returns 4. */
export function serializeAck(b: Buffer, off: number, type: MqttType, pid: number): number {
    b[off] = type << 4
    b[off + 1] = 2
    b[off + 2] = pid >> 8
    b[off + 3] = pid
    return 4
}

/** PINGREQ (3.12) or DISCONNECT (3.14): a fixed header alone. Returns 2. */
export function serializeEmpty(b: Buffer, off: number, type: MqttType): number {
    b[off] = type << 4
    b[off + 1] = 0
    return 2
}

/**
 * 3.8 SUBSCRIBE with one topic filter (fixed header flags 0010, 3.8.1), or 3.10 UNSUBSCRIBE
 * (flags 0010, 3.10.1) when `qos` < 0. Returns the length, 0 when it does not fit.
 */
export function serializeSubscribe(b: Buffer, off: number, pid: number, filter: string, qos: number): number {
    const rem = 2 + 2 + filter.byteLength + (qos >= 0 ? 1 : 0)
    const total = 1 + lengthBytes(rem) + rem
    if (off + total > b.length) return 0
    b[off] = ((qos >= 0 ? MqttType.Subscribe : MqttType.Unsubscribe) << 4) | 0x02
    let p = putLength(b, off + 1, rem)
    b[p++] = pid >> 8
    b[p++] = pid
    p = putData(b, p, filter)
    if (qos >= 0) b[p] = qos // 3.8.3: requested QoS, upper six bits reserved 0
    return total
}

/**
 * Check the fixed header of a packet a server sends a QoS 0/1 client (2.2.2 flags; lengths of 3.2, 3.4, 3.9, 3.11,
 * 3.13): true if it is one a client may receive and is well formed. `rem` is its Remaining Length.
 */
export function serverPacketValid(first: number, rem: number): boolean {
    // per type: the Remaining Length (0..2), 0xfd at least 3 (SUBACK), 0xfe PUBLISH, 0xff never
    // sent to a client (CONNECT, SUBSCRIBE, ...) or QoS 2 flow (PUBREC, PUBREL, PUBCOMP)
    const want = hex`ff ff 02 fe 02 ff ff ff ff fd ff 02 ff 00 ff ff`[first >> 4]
    // [MQTT-3.3.1-4]: QoS 3 is malformed; a client that never asks for QoS 2 (3.8.3) never gets it
    // (3.8.4: the server sends at most the granted QoS), so QoS 2 is a protocol error here too
    if (want === 0xfe) return (first & 4) === 0 && rem >= 2
    // 2.2.2: the other packets' flags are 0
    return (first & 15) === 0 && (want === 0xfd ? rem >= 3 : want === rem)
}

/**
 * 4.7 topic matching: `filter` may hold '+' (one level) and '#' (this level and all below, last);
 * topics starting with '$' are not matched by a filter starting with a wildcard (4.7.2).
 */
export function topicMatches(filter: string, topic: string): boolean {
    const fl = filter.length
    const tl = topic.length
    if (tl > 0 && topic.charCodeAt(0) === 36 && fl > 0) {
        const c = filter.charCodeAt(0)
        if (c === 43 || c === 35) return false
    }
    let i = 0
    let j = 0
    while (i < fl) {
        const c = filter.charCodeAt(i)
        if (c === 35) return true // '#' matches the parent level too ("a/#" matches "a")
        if (c === 43) {
            // '+': skip one level of the topic
            while (j < tl && topic.charCodeAt(j) !== 47) j++
            i++
        } else {
            if (j >= tl) {
                // topic ended: "a/#" still matches "a"
                return c === 47 && i + 2 === fl && filter.charCodeAt(i + 1) === 35
            }
            if (topic.charCodeAt(j) !== c) return false
            i++
            j++
        }
    }
    return j === tl
}
