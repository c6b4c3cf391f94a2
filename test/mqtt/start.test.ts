// devs-timeout: 120000
// The board firmware's start path with devicescript.json `telemetry.format: "mqtt"`
// (startMqttTelemetry in src/start.ts, what src/main.ts calls when MQTT is true): over this stack's
// real TCP on the virtual LAN, against a broker scripted segment by segment (test/tcp/peer.ts): the
// SYN to collector:1883, CONNECT with the configured client id and keep alive (MQTT 3.1.1 3.1),
// and after CONNACK the first round as one QoS 1 PUBLISH on <topicPrefix>/telemetry whose payload is
// the stack's metrics as JSON; PUBACK empties the outbox. Then the same path on the in-memory
// scripted broker (test/support/mqtt-broker.ts) with QoS 0, a user name and a password.
import { describe, test, expect, beforeEach } from "@devicescript/test"
import * as ds from "@devicescript/core"
import { startMqttTelemetry } from "../../src/start"
import { MqttTelemetryConfig, StackConfig } from "../../src/config/types"
import { COLLECTOR_IP, testConfig } from "../support/config"
import { ScriptedBroker, until } from "../support/mqtt-broker"
import { makeRig, yieldToScheduler } from "../support/rig"
import { tcpRig, sent, segment, Seg, SYN, ACK, PSH, PEER_ISS, add32 } from "../tcp/peer"
import { formatStack } from "../../src/stackformat"

/** The test configuration with telemetry.format "mqtt" and these settings (as the validator fills them). */
function mqttConfig(m: MqttTelemetryConfig): StackConfig {
    const c = testConfig()
    c.telemetryFormat = "mqtt"
    c.collectorPort = 1883
    c.telemetryIntervalMs = 60000
    c.mqtt = m
    return c
}

/** Poll the rig's device (real time, bounded) for frames the board sent. */
async function waitSent(rig: any, what: (s: Seg) => boolean): Promise<Seg> {
    for (let i = 0; i < 400; i++) {
        const segs = await sent(rig)
        for (const s of segs) if (what(s)) return s
        await ds.sleep(5)
    }
    return null
}

function dataOf(s: Seg): Buffer {
    const b = Buffer.alloc(s.dataLen())
    for (let i = 0; i < b.length; i++) b[i] = s.data(i)
    return b
}

describe("telemetry.format mqtt: the firmware's start path", () => {
    beforeEach(yieldToScheduler)

    test("over TCP on the virtual LAN: SYN to :1883, CONNECT, CONNACK, the round as QoS 1 PUBLISH, PUBACK", async () => {
        const rig = tcpRig()
        const cfg = mqttConfig({
            clientId: "ds-02005e10000a",
            topic: "site/lab/telemetry",
            qos: 1,
            keepAlive: 60,
            perMetric: false,
            username: "",
            password: "",
        })
        const t = startMqttTelemetry(rig.stack, cfg)
        const syn = await waitSent(rig, s => s.flags() === SYN)
        expect(syn !== null).toBe(true)
        expect(syn.dport()).toBe(1883)
        expect(syn.f[30] * 16777216 + ((syn.f[31] << 16) | (syn.f[32] << 8) | syn.f[33])).toBe(COLLECTOR_IP)
        const lport = syn.sport()
        let bseq = add32(syn.seq(), 1)
        rig.dev.inject(segment(1883, lport, PEER_ISS, bseq, SYN | ACK, 8192, hex`02 04 05 b4`, null))
        let pseq = add32(PEER_ISS, 1)

        // CONNECT (3.1): 10 len | 00 04 "MQTT" | 04 | flags 02 (clean session) | keep alive 00 3c | client id
        const conn = await waitSent(rig, s => s.dataLen() > 0)
        expect(conn !== null).toBe(true)
        const cid = "ds-02005e10000a"
        const vh = hex`00 04 4d 51 54 54 04 02 00 3c`
        const d = dataOf(conn)
        expect(d[0]).toBe(0x10)
        expect(d[1]).toBe(vh.length + 2 + cid.length)
        expect(d.length).toBe(2 + d[1])
        expect(d.slice(2, 12).toString("hex")).toBe(vh.toString("hex"))
        expect((d[12] << 8) | d[13]).toBe(cid.length)
        expect(d.slice(14).toString()).toBe(cid)
        bseq = add32(conn.seq(), d.length)

        // CONNACK accepted; the first round, queued in the outbox at start, goes out
        rig.dev.inject(segment(1883, lport, pseq, bseq, ACK | PSH, 8192, null, hex`20 02 00 00`))
        pseq = add32(pseq, 4)
        const pub = await waitSent(rig, s => s.dataLen() > 0 && s.data(0) === 0x32)
        expect(pub !== null).toBe(true)
        const p = dataOf(pub)
        // 0x32: PUBLISH, QoS 1; remaining length in one or two bytes
        const hdr = p[1] & 0x80 ? 3 : 2
        const rem = hdr === 3 ? (p[1] & 0x7f) + p[2] * 128 : p[1]
        expect(p.length).toBe(hdr + rem)
        const tl = (p[hdr] << 8) | p[hdr + 1]
        expect(p.slice(hdr + 2, hdr + 2 + tl).toString()).toBe("site/lab/telemetry")
        const pid = (p[hdr + 2 + tl] << 8) | p[hdr + 3 + tl]
        expect(pid > 0).toBe(true)
        const o = JSON.parse(p.slice(hdr + 4 + tl).toString())
        expect(o.link_up).toBe(1)
        expect(o.uptime_s).toBe(0)
        expect(o.mqtt_outbox).toBe(0)
        expect(typeof o.tx_packets).toBe("number")
        expect(t.stats.published).toBe(1)
        expect(t.client.outboxMessages()).toBe(1)

        // PUBACK with that packet id: the outbox is empty
        rig.dev.inject(segment(1883, lport, pseq, add32(pub.seq(), p.length), ACK | PSH, 8192, null, Buffer.from([0x40, 2, pid >> 8, pid & 0xff])))
        expect(await until(() => t.client.outboxMessages() === 0)).toBe(true)
        expect(t.client.connected()).toBe(true)
        expect(formatStack(rig.stack).indexOf("mqtt: connected, outbox 0") >= 0).toBe(true)
        t.stop()
        await t.client.stop()
    })

    test("on the in-memory scripted broker: QoS 0, user name and password in CONNECT, one JSON object a round", async () => {
        const rig = makeRig()
        const cfg = mqttConfig({
            clientId: "lab-7",
            topic: "site/lab/telemetry",
            qos: 0,
            keepAlive: 30,
            perMetric: false,
            username: "u",
            password: "pw",
        })
        const b = new ScriptedBroker()
        const t = startMqttTelemetry(rig.stack, cfg, null, b.connector())
        expect(await until(() => t.client.connected())).toBe(true)
        const c = b.of(1)[0].bytes
        // flags: user name (0x80), password (0x40), clean session (0x02); keep alive 30
        expect(c.slice(2, 12).toString("hex")).toBe("00044d51545404c2001e")
        // payload: client id, user name, password (3.1.3), each with its 2-byte length
        expect(c.slice(12).toString("hex")).toBe("00056c61622d37" + "000175" + "00027077")
        await t.sampleOnce()
        expect(await until(() => b.of(3).length >= 1)).toBe(true)
        const p = b.of(3)[b.of(3).length - 1].bytes
        expect(p[0]).toBe(0x30)
        const hdr = p[1] & 0x80 ? 3 : 2
        const tl = (p[hdr] << 8) | p[hdr + 1]
        expect(p.slice(hdr + 2, hdr + 2 + tl).toString()).toBe("site/lab/telemetry")
        const o = JSON.parse(p.slice(hdr + 2 + tl).toString())
        expect(o.mqtt_connected).toBe(1)
        t.stop()
        await t.client.stop()
    })
})
