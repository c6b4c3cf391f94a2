// MQTT 3.1.1 packets byte for byte against values worked out here from the standard (section
// numbers are the OASIS standard's), independently of the encoder's own arithmetic.
import { describe, test, expect } from "@devicescript/test"
import {
    MqttType,
    decodeLength,
    lengthBytes,
    lengthEnd,
    putLength,
    serializeAck,
    serializeConnect,
    serializeEmpty,
    serializePublish,
    serializeSubscribe,
    serverPacketValid,
    topicMatches,
} from "../../src/mqtt/packet"

function enc(n: number): string {
    const b = Buffer.alloc(4)
    const e = putLength(b, 0, n)
    expect(e).toBe(lengthBytes(n))
    return b.slice(0, e).toString("hex")
}

function out(b: Buffer, n: number): string {
    return b.slice(0, n).toString("hex")
}

describe("remaining length (2.2.3)", () => {
    test("the boundaries of Table 2.4 encode to 1..4 bytes", () => {
        expect(enc(0)).toBe("00")
        expect(enc(127)).toBe("7f")
        expect(enc(128)).toBe("8001")
        expect(enc(16383)).toBe("ff7f")
        expect(enc(16384)).toBe("808001")
        expect(enc(2097151)).toBe("ffff7f")
        expect(enc(2097152)).toBe("80808001")
        expect(enc(268435455)).toBe("ffffff7f")
        // 321 = 2*128 + 65: 0xc1 (65 | 0x80), 0x02
        expect(enc(321)).toBe("c102")
    })
    test("decoding: values, the end offset, incomplete and malformed", () => {
        const b = hex`30 ff ff ff 7f 00`
        expect(decodeLength(b, 1, 6)).toBe(268435455)
        expect(lengthEnd()).toBe(5)
        expect(decodeLength(hex`30 c1 02`, 1, 3)).toBe(321)
        expect(lengthEnd()).toBe(3)
        // a continuation bit on the last byte there is: more needed
        expect(decodeLength(hex`30 80 80`, 1, 3)).toBe(-1)
        expect(decodeLength(hex`30`, 1, 1)).toBe(-1)
        // a fifth byte would be needed: malformed (1.5.3 allows four)
        expect(decodeLength(hex`30 ff ff ff ff 01`, 1, 6)).toBe(-2)
        expect(decodeLength(hex`30 80 80 80 80`, 1, 5)).toBe(-2)
    })
})

describe("CONNECT (3.1)", () => {
    test("client id, clean session, keep alive 60", () => {
        const b = Buffer.alloc(64)
        const n = serializeConnect(b, 0, { clientId: "dev1", cleanSession: true, keepAlive: 60 })
        // 10 bytes of variable header (3.1.2: 00 04 'MQTT', level 4, flags 0x02, keep alive 00 3c)
        // + client id 00 04 'dev1' = 16 = remaining length 0x10
        expect(n).toBe(18)
        expect(out(b, n)).toBe("101000044d5154540402003c000464657631")
    })
    test("will, user name and password, no clean session (3.1.2.3 flags 0xec)", () => {
        const b = Buffer.alloc(64)
        const n = serializeConnect(b, 0, {
            clientId: "c",
            cleanSession: false,
            keepAlive: 300,
            username: "u",
            password: "pw",
            will: { topic: "w", message: "bye", qos: 1, retain: true },
        })
        // flags: user 0x80 | password 0x40 | will retain 0x20 | will QoS 1 (bits 4-3) 0x08 | will 0x04
        // keep alive 300 = 01 2c; payload (3.1.3): 00 01 'c', 00 01 'w', 00 03 'bye', 00 01 'u', 00 02 'pw'
        // remaining = 10 + 3 + 3 + 5 + 3 + 4 = 28 = 0x1c
        expect(out(b, n)).toBe("101c00044d51545404ec012c000163000177000362796500017500027077")
    })
    test("a password without a user name is left out [MQTT-3.1.2-22]; a Buffer will message", () => {
        const b = Buffer.alloc(64)
        const n = serializeConnect(b, 0, { clientId: "", cleanSession: true, keepAlive: 0, password: "x", will: { topic: "t", message: hex`00 ff` } })
        // flags will 0x04 | clean 0x02; empty client id 00 00; will topic 00 01 't'; message 00 02 00 ff
        expect(out(b, n)).toBe("101300044d5154540406000000000001740002" + "00ff")
    })
    test("does not fit: 0, nothing promised", () => {
        expect(serializeConnect(Buffer.alloc(17), 0, { clientId: "dev1", cleanSession: true, keepAlive: 60 })).toBe(0)
    })
})

describe("PUBLISH (3.3)", () => {
    test("QoS 0: no packet identifier", () => {
        const b = Buffer.alloc(32)
        const n = serializePublish(b, 0, false, 0, false, 0, "a/b", "hi")
        // 0x30; remaining 2 + 3 + 2 = 7; topic 00 03 'a/b'; payload 'hi'
        expect(out(b, n)).toBe("30070003612f626869")
    })
    test("QoS 1 retained, packet id 10 (the variable header of 3.3.2.3's example), then with DUP", () => {
        const b = Buffer.alloc(32)
        let n = serializePublish(b, 0, false, 1, true, 10, "a/b", hex`68 69`)
        // 0x30 | QoS 1 (0x02) | RETAIN (0x01) = 0x33; remaining 2 + 3 + 2 + 2 = 9
        expect(out(b, n)).toBe("33090003612f62000a6869")
        n = serializePublish(b, 0, true, 1, false, 0x1234, "a/b", "")
        // DUP 0x08 | QoS 1: 0x3a; remaining 7
        expect(out(b, n)).toBe("3a070003612f621234")
    })
    test("a two-byte remaining length; a UTF-8 topic counted in bytes (1.5.3)", () => {
        const b = Buffer.alloc(256)
        const p = Buffer.alloc(200)
        p.fillAt(0, 200, 0x41)
        const n = serializePublish(b, 0, false, 0, false, 0, "t", p)
        // remaining 2 + 1 + 200 = 203 = 0x4b | 0x80, 0x01
        expect(n).toBe(206)
        expect(out(b, 6)).toBe("30cb01000174")
        expect(b[205]).toBe(0x41)
        // "é" is c3 a9 in UTF-8: a topic length of 2
        const m = serializePublish(b, 0, false, 0, false, 0, "\u00e9", "")
        expect(out(b, m)).toBe("30040002c3a9")
    })
    test("at an offset; does not fit: 0", () => {
        const b = Buffer.alloc(12)
        expect(serializePublish(b, 3, false, 0, false, 0, "a/b", "hi")).toBe(9)
        expect(out(b, 12)).toBe("00000030070003612f626869")
        expect(serializePublish(b, 4, false, 0, false, 0, "a/b", "hi")).toBe(0)
    })
})

describe("SUBSCRIBE, UNSUBSCRIBE, PUBACK, PINGREQ, DISCONNECT", () => {
    test("SUBSCRIBE flags 0010 (3.8.1), id, filter, requested QoS", () => {
        const b = Buffer.alloc(32)
        const n = serializeSubscribe(b, 0, 1, "a/#", 1)
        // 0x82; remaining 2 + 2 + 3 + 1 = 8
        expect(out(b, n)).toBe("820800010003612f2301")
    })
    test("UNSUBSCRIBE flags 0010 (3.10.1)", () => {
        const b = Buffer.alloc(32)
        const n = serializeSubscribe(b, 0, 2, "a/#", -1)
        expect(out(b, n)).toBe("a20700020003612f23")
    })
    test("PUBACK (3.4), PINGREQ (3.12), DISCONNECT (3.14)", () => {
        const b = Buffer.alloc(8)
        expect(serializeAck(b, 0, MqttType.Puback, 0x1234)).toBe(4)
        expect(out(b, 4)).toBe("40021234")
        expect(serializeEmpty(b, 0, MqttType.Pingreq)).toBe(2)
        expect(out(b, 2)).toBe("c000")
        serializeEmpty(b, 0, MqttType.Disconnect)
        expect(out(b, 2)).toBe("e000")
    })
})

describe("what a server may send (2.2.2)", () => {
    test("valid headers", () => {
        expect(serverPacketValid(0x20, 2)).toBe(true) // CONNACK
        expect(serverPacketValid(0x40, 2)).toBe(true) // PUBACK
        expect(serverPacketValid(0x90, 3)).toBe(true) // SUBACK
        expect(serverPacketValid(0xb0, 2)).toBe(true) // UNSUBACK
        expect(serverPacketValid(0xd0, 0)).toBe(true) // PINGRESP
        expect(serverPacketValid(0x3b, 5)).toBe(true) // PUBLISH DUP QoS 1 retained
    })
    test("wrong flags, lengths, types, QoS 2 and 3", () => {
        expect(serverPacketValid(0x21, 2)).toBe(false)
        expect(serverPacketValid(0x20, 3)).toBe(false)
        expect(serverPacketValid(0x40, 3)).toBe(false)
        expect(serverPacketValid(0x90, 2)).toBe(false)
        expect(serverPacketValid(0xd0, 1)).toBe(false)
        expect(serverPacketValid(0x36, 5)).toBe(false) // QoS 3 [MQTT-3.3.1-4]
        expect(serverPacketValid(0x34, 5)).toBe(false) // QoS 2: never granted to this client
        expect(serverPacketValid(0x30, 1)).toBe(false) // no room for the topic length
        expect(serverPacketValid(0x10, 10)).toBe(false) // CONNECT
        expect(serverPacketValid(0x82, 8)).toBe(false) // SUBSCRIBE
        expect(serverPacketValid(0x50, 2)).toBe(false) // PUBREC
        expect(serverPacketValid(0x00, 0)).toBe(false) // reserved
        expect(serverPacketValid(0xf0, 0)).toBe(false) // reserved
    })
})

describe("topic filters (4.7)", () => {
    test("multi-level wildcard (4.7.1.2)", () => {
        expect(topicMatches("sport/tennis/player1/#", "sport/tennis/player1")).toBe(true)
        expect(topicMatches("sport/tennis/player1/#", "sport/tennis/player1/ranking")).toBe(true)
        expect(topicMatches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon")).toBe(true)
        expect(topicMatches("sport/#", "sport")).toBe(true)
        expect(topicMatches("#", "a/b/c")).toBe(true)
        expect(topicMatches("sport/tennis/#", "sport/tennisX")).toBe(false)
    })
    test("single-level wildcard (4.7.1.3)", () => {
        expect(topicMatches("sport/tennis/+", "sport/tennis/player1")).toBe(true)
        expect(topicMatches("sport/tennis/+", "sport/tennis/player1/ranking")).toBe(false)
        expect(topicMatches("sport/+", "sport")).toBe(false)
        expect(topicMatches("sport/+", "sport/")).toBe(true)
        expect(topicMatches("+/+", "/finance")).toBe(true)
        expect(topicMatches("/+", "/finance")).toBe(true)
        expect(topicMatches("+", "/finance")).toBe(false)
        expect(topicMatches("+/tennis/#", "sport/tennis/x")).toBe(true)
    })
    test("exact names and $ topics (4.7.2)", () => {
        expect(topicMatches("a/b", "a/b")).toBe(true)
        expect(topicMatches("a/b", "a/bc")).toBe(false)
        expect(topicMatches("a/bc", "a/b")).toBe(false)
        expect(topicMatches("#", "$SYS/x")).toBe(false)
        expect(topicMatches("+/monitor/Clients", "$SYS/monitor/Clients")).toBe(false)
        expect(topicMatches("$SYS/#", "$SYS/monitor/Clients")).toBe(true)
    })
})
