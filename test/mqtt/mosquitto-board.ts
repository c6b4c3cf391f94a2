// The board side of test/host/mqtt-mosquitto.spec.ts and test/interop/mqtt.interop.ts (which
// generate the entry that calls it): the MQTT client to a real Mosquitto, over the simulator's own
// TCP socket (test/support/socket-stream.ts) or over this stack's TCP (the interop entry's connector). It reports on the console, one line per event, for the spec to check:
//   CONNECTED / SUBACK <granted> / READY / RX <topic> <qos> <hex> / PUB <seq> / ACKED ... / END
// Not a *.test.ts file: npm test does not run it on its own.

import * as ds from "@devicescript/core"
import { MQTTClient, MqttMib, MqttConnector } from "../../src/mqtt/client"

async function until(cond: () => boolean, ms: number): Promise<boolean> {
    const end = ds.millis() + ms
    while (!cond() && ds.millis() < end) await ds.sleep(20)
    return cond()
}

function stats(c: MQTTClient): string {
    const s = c.stats
    return `queued=${s[MqttMib.Qos1Queued]} acked=${s[MqttMib.Qos1Acked]} dropped=${s[MqttMib.OutboxDropped]} sent=${s[MqttMib.Qos1Sent]} redelivered=${s[MqttMib.Qos1Redelivered]} connected=${s[MqttMib.Connected]} qos0=${s[MqttMib.Qos0Sent]}`
}

/** Payload `i` of phase 1: 1 + 13 i bytes, byte k = (7 i + k) & 0xff (every byte value, binary). */
export function payloadOf(i: number): Buffer {
    const b = Buffer.alloc(1 + 13 * i)
    for (let k = 0; k < b.length; k++) b[k] = (7 * i + k) & 0xff
    return b
}

/**
 * `lossBurst` > 0: a third phase, after the spec's go (a third message on ds/in/#), publishes that
 * many QoS 1 messages `loss <n>` (the interop spec drops TCP frames meanwhile), then DRAINED2.
 */
export async function runMosquittoBoard(host: string, port: number, burst: number, connector: MqttConnector, lossBurst = 0): Promise<void> {
    const c = new MQTTClient(
        {
            host,
            port,
            clientId: "dsboard",
            keepAlive: 5,
            backoffMin: 250,
            backoffMax: 2000,
            outboxMessages: 64,
            outboxBytes: 4096,
            will: { topic: "ds/will", message: "gone", qos: 1 },
        },
        connector
    )
    c.start()
    if (!(await until(() => c.connected(), 15000))) {
        console.log(`FAIL no connection: ${c.lastConnect}`)
        return
    }
    console.log("CONNECTED")
    let rx = 0
    const sub = await c.subscribe(
        "ds/in/#",
        async m => {
            rx++
            console.log(`RX ${m.topic} ${m.qos} ${m.content.toString("hex")}`)
        },
        1
    )
    console.log(`SUBACK ${sub.granted}`)
    // phase 1: QoS 0 and QoS 1, binary payloads up to 118 bytes
    for (let i = 0; i < 10; i++) {
        await c.publish("ds/out/q0", payloadOf(i), 0)
        await c.publish("ds/out/q1", payloadOf(i), 1)
    }
    await until(() => c.outboxMessages() === 0, 10000)
    console.log(`ACKED ${stats(c)}`)
    console.log("READY")
    // the spec publishes to ds/in/x with mosquitto_pub now
    await until(() => rx >= 2, 15000)
    // phase 2: a QoS 1 message every 100 ms while the spec stops and restarts the broker
    for (let seq = 0; seq < burst; seq++) {
        await c.publish("ds/out/seq", "seq " + seq, 1)
        console.log(`PUB ${seq} ${c.connected() ? 1 : 0}`)
        await ds.sleep(100)
    }
    await until(() => c.outboxMessages() === 0, 30000)
    console.log(`DRAINED ${stats(c)} outbox=${c.outboxMessages()}`)
    if (lossBurst > 0) {
        console.log("PHASE3")
        await until(() => rx >= 3, 30000)
        for (let seq = 0; seq < lossBurst; seq++) {
            await c.publish("ds/out/seq", "loss " + seq, 1)
            await ds.sleep(100)
        }
        await until(() => c.outboxMessages() === 0, 60000)
        console.log(`DRAINED2 ${stats(c)} outbox=${c.outboxMessages()}`)
    }
    await c.stop()
    console.log("END")
}
