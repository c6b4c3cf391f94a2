// devs-timeout: 180000
// The MQTT client against a scripted broker over an in-memory ByteStream on a virtual clock
// (test/support/mqtt-broker.ts): bytes on the wire, QoS 1 redelivery with DUP, the outbox bounds,
// keep-alive timing, back-off, subscriptions and malformed input. Section numbers: MQTT 3.1.1.
import { describe, test, expect, beforeEach } from "@devicescript/test"
import * as ds from "@devicescript/core"
import { MqttClient, MQTTClient, MqttMib, MqttConnectResult, MQTTConnectOptions, MQTTMessage, setMqttConnector, startMQTTClient, outboxBytes } from "../../src/mqtt/client"
import { ScriptedBroker, until } from "../support/mqtt-broker"

function options(b: ScriptedBroker): MQTTConnectOptions {
    const clock = b.clock
    return {
        host: "broker",
        clientId: "board",
        keepAlive: 10,
        backoffMin: 1000,
        backoffMax: 8000,
        clock: () => clock.t,
        sleep: async (ms: number) => {
            await clock.sleep(ms)
        },
    }
}

async function started(b: ScriptedBroker, mutate?: (o: MQTTConnectOptions) => void): Promise<MQTTClient> {
    const o = options(b)
    if (mutate) mutate(o)
    const c = new MQTTClient(o, b.connector())
    c.start()
    if (b.up && b.connackCode === 0) await until(() => c.connected())
    return c
}

function hexOf(b: Buffer): string {
    return b.toString("hex")
}

describe("connecting", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    test("CONNECT on the wire, CONNACK accepted", async () => {
        const b = new ScriptedBroker()
        const c = await started(b)
        expect(c.connected()).toBe(true)
        expect(c.lastConnect).toBe(MqttConnectResult.Accepted)
        // 3.1: remaining 10 + 2 + 5 = 17; flags clean session; keep alive 00 0a; client id 'board'
        expect(hexOf(b.packets[0].bytes)).toBe("101100044d5154540402000a0005626f617264")
        expect(c.stats[MqttMib.ConnectAttempts]).toBe(1)
        expect(c.stats[MqttMib.Connected]).toBe(1)
        await c.stop()
        // 3.14 DISCONNECT, then the stream closed in order
        expect(hexOf(b.packets[b.packets.length - 1].bytes)).toBe("e000")
        expect(b.conn.closedByClient).toBe(true)
    })
    test("startMQTTClient as in @devicescript/net: resolves connected, with the default connector", async () => {
        const b = new ScriptedBroker()
        setMqttConnector(b.connector())
        const c = await startMQTTClient(options(b))
        expect(c.connected()).toBe(true)
        expect(b.conns).toBe(1)
        await c.stop()
        // a broker that refuses: resolves after the first attempt, not connected
        const r = new ScriptedBroker()
        r.connackCode = 4
        const d = await startMQTTClient(options(r), r.connector())
        expect(d.connected()).toBe(false)
        expect(d.lastConnect).toBe(MqttConnectResult.BadUserNameOrPassword)
        await d.stop()
    })
    test("a refusing CONNACK is a typed outcome; retries back off exponentially with jitter", async () => {
        const b = new ScriptedBroker()
        b.connackCode = 5
        const c = await started(b)
        await until(() => b.of(1).length >= 6)
        await c.stop()
        expect(c.lastConnect).toBe(MqttConnectResult.NotAuthorized)
        expect(c.connected()).toBe(false)
        const t = b.of(1).map(p => p.t)
        // delays: d = min(8000, 1000 * 2^k), slept d/2 + random * d/2
        const lo = [500, 1000, 2000, 4000, 4000]
        const hi = [1000, 2000, 4000, 8000, 8000]
        for (let k = 0; k < 5; k++) {
            const gap = t[k + 1] - t[k]
            expect(gap >= lo[k] && gap <= hi[k]).toBe(true)
        }
        expect(c.stats[MqttMib.ConnectRefused] >= 6).toBe(true)
        expect(c.stats[MqttMib.Connected]).toBe(0)
    })
    test("no broker: the connector's outcome is counted, and it keeps trying", async () => {
        const b = new ScriptedBroker()
        b.up = false
        const c = await started(b)
        await until(() => c.stats[MqttMib.ConnectFailed] >= 3)
        expect(c.lastConnect).toBe(MqttConnectResult.NoConnection)
        b.up = true
        await until(() => c.connected())
        expect(c.connected()).toBe(true)
        await c.stop()
    })
    test("no CONNACK: timeout, then a new attempt", async () => {
        const b = new ScriptedBroker()
        // a broker that accepts the connection and never answers
        b.connackCode = -1
        const c = await started(b, o => {
            o.timeout = 3000
        })
        await until(() => b.conns === 2)
        expect(c.lastConnect).toBe(MqttConnectResult.Timeout)
        const t = b.of(1).map(p => p.t)
        // CONNECT, 3 s without CONNACK, then 0.5-1 s of back-off
        expect(t[1] - t[0] >= 3500 && t[1] - t[0] <= 4000).toBe(true)
        await c.stop()
    })
})

describe("publishing", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    test("QoS 0 and QoS 1 on the wire; PUBACK empties the outbox", async () => {
        const b = new ScriptedBroker()
        const c = await started(b)
        expect(await c.publish("t", "x")).toBe(true)
        expect(await c.publish("t", "x", 1)).toBe(true)
        expect(await c.publish("t", { a: 1 }, 1, true)).toBe(true)
        await until(() => c.outboxMessages() === 0)
        const p = b.of(3)
        expect(hexOf(p[0].bytes)).toBe("30040001" + "7478")
        // QoS 1 packet id 1: 0x32, remaining 2 + 1 + 2 + 1 = 6
        expect(hexOf(p[1].bytes)).toBe("320600017400017" + "8")
        // an object goes as JSON: {"a":1} (7 bytes), retained: 0x33, packet id 2
        expect(hexOf(p[2].bytes)).toBe("330c0001740002" + "7b2261223a317d")
        expect(c.stats[MqttMib.Qos0Sent]).toBe(1)
        expect(c.stats[MqttMib.Qos1Queued]).toBe(2)
        expect(c.stats[MqttMib.Qos1Acked]).toBe(2)
        expect(outboxBytes(c)).toBe(0)
        await c.stop()
    })
    test("QoS 0 without a connection is dropped and counted; too big and bad topics are refused", async () => {
        const b = new ScriptedBroker()
        b.up = false
        const c = await started(b, o => {
            o.txBytes = 32
            o.outboxBytes = 32
        })
        expect(await c.publish("t", "x")).toBe(false)
        expect(c.stats[MqttMib.Qos0Dropped]).toBe(1)
        // 2 + 1 + 2 + 30 + 2 bytes of header: 37 > 32
        const big = Buffer.alloc(30)
        expect(await c.publish("t", big, 1)).toBe(false)
        expect(c.stats[MqttMib.TooBig]).toBe(1)
        // 3.3.2.1: wildcards are for filters, not topic names; 4.7.3: not empty
        expect(await c.publish("a/+", "x", 1)).toBe(false)
        expect(await c.publish("a/#", "x", 1)).toBe(false)
        expect(await c.publish("", "x", 1)).toBe(false)
        expect(c.stats[MqttMib.BadTopic]).toBe(3)
        expect(c.outboxMessages()).toBe(0)
        await c.stop()
    })
    test("unacknowledged QoS 1 messages go again after a reconnect, with DUP (3.3.1.1, 4.4)", async () => {
        const b = new ScriptedBroker()
        b.ackPublishes = false
        const c = await started(b)
        for (let i = 1; i <= 3; i++) await c.publish("t", "m" + i, 1)
        await until(() => b.of(3).length === 3)
        expect(c.outboxMessages()).toBe(3)
        b.ackPublishes = true
        b.kill()
        await until(() => c.outboxMessages() === 0 && b.conns === 2)
        const p = b.of(3)
        expect(p.length).toBe(6)
        for (let i = 0; i < 3; i++) {
            // first send: 0x32 (DUP 0); again on the second connection: 0x3a (DUP 1), same id and payload
            expect(hexOf(p[i].bytes)).toBe("3207000174000" + (i + 1) + "6d3" + (i + 1))
            expect(hexOf(p[i + 3].bytes)).toBe("3a07000174000" + (i + 1) + "6d3" + (i + 1))
            expect(p[i + 3].conn).toBe(2)
        }
        expect(c.stats[MqttMib.Qos1Sent]).toBe(6)
        expect(c.stats[MqttMib.Qos1Redelivered]).toBe(3)
        expect(c.stats[MqttMib.Qos1Acked]).toBe(3)
        expect(c.stats[MqttMib.Disconnects]).toBe(1)
        await c.stop()
    })
    test("a message acknowledged behind an unacknowledged one is not sent again after a reconnect (4.4)", async () => {
        const b = new ScriptedBroker()
        b.ackPublishes = false
        const c = await started(b)
        for (let i = 1; i <= 3; i++) await c.publish("t", "m" + i, 1)
        await until(() => b.of(3).length === 3)
        // the broker acknowledges m2 (packet id 2) only: it stays in the outbox behind m1
        b.conn.push(Buffer.from([0x40, 2, 0, 2]))
        await until(() => c.stats[MqttMib.Qos1Acked] === 1)
        expect(c.outboxMessages()).toBe(3)
        b.ackPublishes = true
        b.kill()
        await until(() => c.outboxMessages() === 0 && b.conns === 2)
        // m1 and m3 again with DUP; m2 was acknowledged: its packet id is free (2.3.1), never re-sent
        const p = b.of(3)
        expect(p.map(x => hexOf(x.bytes)).join()).toBe(["32070001740001" + "6d31", "32070001740002" + "6d32", "32070001740003" + "6d33", "3a070001740001" + "6d31", "3a070001740003" + "6d33"].join())
        expect(c.stats[MqttMib.Qos1Acked]).toBe(3)
        expect(c.stats[MqttMib.UnknownAcks]).toBe(0)
        await c.stop()
    })
    test("published while the broker is down: queued, sent once it is back (DUP 0)", async () => {
        const b = new ScriptedBroker()
        b.up = false
        const c = await started(b)
        for (let i = 1; i <= 3; i++) expect(await c.publish("t", "m" + i, 1)).toBe(true)
        b.up = true
        await until(() => c.outboxMessages() === 0)
        const p = b.of(3)
        expect(p.length).toBe(3)
        for (let i = 0; i < 3; i++) expect(hexOf(p[i].bytes)).toBe("3207000174000" + (i + 1) + "6d3" + (i + 1))
        await c.stop()
    })
    test("a full outbox (messages) drops the oldest, counted", async () => {
        const b = new ScriptedBroker()
        b.up = false
        const c = await started(b, o => {
            o.outboxMessages = 4
        })
        for (let i = 1; i <= 6; i++) await c.publish("t", "m" + i, 1)
        expect(c.outboxMessages()).toBe(4)
        expect(outboxBytes(c)).toBe(36)
        expect(c.stats[MqttMib.OutboxDropped]).toBe(2)
        b.up = true
        await until(() => c.outboxMessages() === 0)
        const p = b.of(3)
        expect(p.length).toBe(4)
        // m3..m6 with their own packet ids 3..6
        for (let i = 0; i < 4; i++) expect(hexOf(p[i].bytes)).toBe("3207000174000" + (i + 3) + "6d3" + (i + 3))
        // every message published is delivered or counted as dropped
        expect(c.stats[MqttMib.Qos1Acked] + c.stats[MqttMib.OutboxDropped]).toBe(c.stats[MqttMib.Qos1Queued])
        await c.stop()
    })
    test("a full outbox (bytes): the ring wraps, the oldest give way", async () => {
        const b = new ScriptedBroker()
        b.up = false
        const c = await started(b, o => {
            o.txBytes = 32
            o.outboxBytes = 32
        })
        // 9 bytes each: three fit in 32
        for (let i = 1; i <= 5; i++) await c.publish("t", "m" + i, 1)
        expect(c.outboxMessages()).toBe(3)
        expect(outboxBytes(c)).toBe(27)
        expect(c.stats[MqttMib.OutboxDropped]).toBe(2)
        b.up = true
        await until(() => c.outboxMessages() === 0)
        const p = b.of(3)
        expect(p.length).toBe(3)
        for (let i = 0; i < 3; i++) expect(hexOf(p[i].bytes)).toBe("3207000174000" + (i + 3) + "6d3" + (i + 3))
        await c.stop()
    })
})

describe("keep alive (3.1.2.10)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    test("PINGREQ after keep-alive seconds of silence, exactly", async () => {
        const b = new ScriptedBroker()
        const c = await started(b)
        await until(() => b.of(12).length >= 3)
        const t0 = b.packets[0].t
        const pings = b.of(12)
        expect(hexOf(pings[0].bytes)).toBe("c000")
        expect(pings[0].t - t0).toBe(10000)
        expect(pings[1].t - t0).toBe(20000)
        expect(pings[2].t - t0).toBe(30000)
        await c.stop()
    })
    test("traffic both ways (a QoS 1 publish and its PUBACK) resets the keep-alive timer", async () => {
        const b = new ScriptedBroker()
        const c = new MQTTClient(options(b), b.connector())
        // the first CONNECT goes at once: t0 is now; 4 s later (run by the virtual clock while the
        // client waits) a publish, which runs to its end without suspending
        const t0 = b.clock.t
        b.clock.at(t0 + 4000, async () => {
            await c.publish("t", "x", 1)
        })
        c.start()
        await until(() => b.of(12).length >= 2)
        expect(b.of(3)[0].t - t0).toBe(4000)
        expect(b.of(12)[0].t - t0).toBe(14000)
        expect(b.of(12)[1].t - t0).toBe(24000)
        await c.stop()
    })
    test("sending alone does not put the ping off: a broker that stays silent is probed", async () => {
        const b = new ScriptedBroker()
        b.ackPublishes = false
        const c = new MQTTClient(options(b), b.connector())
        const t0 = b.clock.t
        // QoS 0 every 3 s: the board keeps sending, the broker never sends anything
        for (let k = 1; k <= 5; k++)
            b.clock.at(t0 + 3000 * k, async () => {
                await c.publish("t", "x")
            })
        c.start()
        await until(() => b.of(12).length >= 1)
        // 10 s after the last thing received (CONNACK at t0), not after the last publish
        expect(b.of(12)[0].t - t0).toBe(10000)
        await c.stop()
    })
    test("no PINGRESP: the connection is closed after the ping timeout, and made again", async () => {
        const b = new ScriptedBroker()
        b.answerPings = false
        const c = await started(b, o => {
            o.pingTimeout = 3000
        })
        const first = b.conn
        await until(() => b.conns === 2 && c.connected())
        expect(c.stats[MqttMib.PingTimeouts]).toBe(1)
        expect(first.abortedByClient).toBe(true)
        const ping = b.of(12)[0]
        const again = b.of(1)[1]
        // closed 3 s after the ping, reconnected after 0.5-1 s of back-off
        expect(again.t - ping.t >= 3500 && again.t - ping.t <= 4000).toBe(true)
        await c.stop()
    })
})

describe("subscriptions", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    test("SUBSCRIBE on the wire, SUBACK granted; a QoS 1 message reaches the handler and is acknowledged", async () => {
        const b = new ScriptedBroker()
        const c = await started(b)
        const got: MQTTMessage[] = []
        const sub = await c.subscribe("cmd/#", async m => {
            got.push(m)
        }, 1)
        expect(sub.granted).toBe(1)
        // 3.8: 0x82, remaining 2 + 2 + 5 + 1 = 10, packet id 1, 'cmd/#', QoS 1
        expect(hexOf(b.of(8)[0].bytes)).toBe("820a00010005636d642f2301")
        // broker -> client: QoS 1 'cmd/led' = 'on', packet id 0x0102
        b.conn.push(hex`32 0d 00 07 63 6d 64 2f 6c 65 64 01 02 6f 6e`)
        await until(() => b.of(4).length === 1)
        expect(got.length).toBe(1)
        expect(got[0].topic).toBe("cmd/led")
        expect(got[0].content.toString()).toBe("on")
        expect(got[0].qos).toBe(1)
        expect(got[0].pid).toBe(0x0102)
        // 3.4 PUBACK with its packet id
        expect(hexOf(b.of(4)[0].bytes)).toBe("40020102")
        // a message no filter matches goes to onmessage
        let other = ""
        c.onmessage = m => {
            other = m.topic
        }
        b.conn.push(hex`30 05 00 01 78 68 69`)
        await until(() => other === "x")
        expect(other).toBe("x")
        expect(got.length).toBe(1)
        expect(c.stats[MqttMib.RxPublish]).toBe(2)
        await c.stop()
    })
    test("a burst of 400 QoS 1 messages: every one handled and acknowledged, in order", async () => {
        const b = new ScriptedBroker()
        const c = await started(b)
        let n = 0
        let inOrder = true
        await c.subscribe("b/#", m => {
            if (m.pid !== n + 1) inOrder = false
            n++
        }, 1)
        const chunk = Buffer.alloc(9 * 100)
        let want = 0
        for (let k = 0; k < 4; k++) {
            // 100 PUBLISH packets 32 07 00 01 62 <pid> 78 78 at once
            for (let i = 0; i < 100; i++) {
                const pid = k * 100 + i + 1
                chunk.blitAt(i * 9, hex`32 07 00 01 62 00 00 78 78`, 0, 9)
                chunk[i * 9 + 5] = pid >> 8
                chunk[i * 9 + 6] = pid & 0xff
            }
            b.conn.push(chunk)
            want += 100
            await until(() => n === want)
        }
        await until(() => b.typeCount[4] === 400)
        expect(b.typeCount[4]).toBe(400)
        expect(n).toBe(400)
        expect(inOrder).toBe(true)
        expect(c.stats[MqttMib.RxPublish]).toBe(400)
        expect(c.connected()).toBe(true)
        await c.stop()
    })
    test("subscriptions are made again after a reconnect without session; a refused one is counted", async () => {
        const b = new ScriptedBroker()
        const c = await started(b)
        await c.subscribe("a")
        b.subackCode = 0x80
        b.kill()
        await until(() => b.of(8).length === 2 && c.subs[0].granted === 0x80)
        expect(b.of(8)[1].conn).toBe(2)
        expect(hexOf(b.of(8)[1].bytes)).toBe("820600020001" + "6100")
        expect(c.stats[MqttMib.SubscribeFailed]).toBe(1)
        expect(await c.unsubscribe("a")).toBe(true)
        await until(() => b.of(10).length === 1)
        expect(hexOf(b.of(10)[0].bytes)).toBe("a2050003000161")
        await c.stop()
    })
})

describe("the publish-only client (MqttClient: no subscriptions linked)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    test("an incoming QoS 1 PUBLISH is acknowledged and dropped; a SUBACK is an unknown ack", async () => {
        const b = new ScriptedBroker()
        const c = new MqttClient(options(b), b.connector())
        c.start()
        await until(() => c.connected())
        b.conn.push(hex`32 07 00 01 74 00 09 6f 6b`)
        b.conn.push(hex`90 03 00 05 00`)
        await until(() => b.of(4).length === 1 && c.stats[MqttMib.UnknownAcks] === 1)
        expect(hexOf(b.of(4)[0].bytes)).toBe("40020009")
        expect(c.stats[MqttMib.RxPublish]).toBe(1)
        expect(c.stats[MqttMib.UnknownAcks]).toBe(1)
        expect(await c.publish("t", "x", 1)).toBe(true)
        await until(() => c.outboxMessages() === 0)
        expect(c.stats[MqttMib.Qos1Acked]).toBe(1)
        await c.stop()
    })
})

describe("malformed broker input (4.8)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    test("a remaining length of five bytes closes the connection; the client reconnects", async () => {
        const b = new ScriptedBroker()
        const c = await started(b)
        const first = b.conn
        first.push(hex`30 ff ff ff ff 01`)
        await until(() => b.conns === 2 && c.connected())
        expect(c.stats[MqttMib.RxMalformed]).toBe(1)
        expect(first.abortedByClient).toBe(true)
        await c.stop()
    })
    test("a topic length past the end of the packet; a packet type a server never sends", async () => {
        const b = new ScriptedBroker()
        const c = await started(b)
        b.conn.push(hex`30 03 00 05 61`)
        await until(() => b.conns === 2 && c.connected())
        b.conn.push(hex`82 02 00 01`)
        await until(() => b.conns === 3 && c.connected())
        expect(c.stats[MqttMib.RxMalformed]).toBe(2)
        expect(c.stats[MqttMib.RxPublish]).toBe(0)
        await c.stop()
    })
    test("a PUBLISH larger than the receive buffer is skipped (and acknowledged); the next one arrives", async () => {
        const b = new ScriptedBroker()
        const c = await started(b, o => {
            o.rxBytes = 32
        })
        const got: string[] = []
        c.onmessage = m => {
            got.push(m.content.toString())
        }
        // QoS 1, topic 't', packet id 7, 40 bytes of payload: remaining 45 = 0x2d
        const big = Buffer.alloc(47)
        big.blitAt(0, hex`32 2d 00 01 74 00 07`, 0, 7)
        big.fillAt(7, 40, 0x41)
        b.conn.push(big)
        b.conn.push(hex`30 05 00 01 74 6f 6b`)
        await until(() => got.length === 1)
        expect(got[0]).toBe("ok")
        expect(c.stats[MqttMib.RxOversize]).toBe(1)
        expect(c.stats[MqttMib.RxMalformed]).toBe(0)
        expect(hexOf(b.of(4)[0].bytes)).toBe("40020007")
        expect(c.connected()).toBe(true)
        await c.stop()
    })
})
