// Random and mutated broker input for the MQTT client (shared by test/mqtt/fuzz.test.ts and the
// `npm run fuzz` target test/fuzz/proto-mqtt.ts): `rnd(n)` is the caller's seeded generator, an
// integer in [0, n).
import { MQTTClient, MqttMib } from "../../src/mqtt/client"
import { ScriptedBroker, until } from "../support/mqtt-broker"

export type Rnd = (n: number) => number

/** Well-formed server packets: PUBLISH QoS 1 and 0, PUBACK, SUBACK, UNSUBACK, PINGRESP, CONNACK. */
export const MQTT_VALID = [
    hex`32 0d 00 07 63 6d 64 2f 6c 65 64 01 02 6f 6e`,
    hex`30 05 00 01 78 68 69`,
    hex`40 02 00 01`,
    hex`90 03 00 01 01`,
    hex`b0 02 00 02`,
    hex`d0 00`,
    hex`20 02 00 00`,
]

/** A client on `b`'s virtual clock: small receive buffer (64 bytes) and outbox (8), fast back-off. */
export function mqttFuzzClient(b: ScriptedBroker): MQTTClient {
    b.ackPublishes = false
    b.maxRecorded = 0
    const clock = b.clock
    return new MQTTClient(
        {
            host: "broker",
            clientId: "board",
            keepAlive: 30,
            backoffMin: 100,
            backoffMax: 400,
            rxBytes: 64,
            outboxMessages: 8,
            clock: () => clock.t,
            sleep: async (ms: number) => {
                await clock.sleep(ms)
            },
        },
        b.connector()
    )
}

/** Random bytes (a third of the time) or a valid packet with up to two bytes changed. */
export function mqttPacket(rnd: Rnd): Buffer {
    let pkt: Buffer
    if (rnd(3) === 0) {
        pkt = Buffer.alloc(1 + rnd(40))
        for (let i = 0; i < pkt.length; i++) pkt[i] = rnd(256)
    } else {
        pkt = MQTT_VALID[rnd(MQTT_VALID.length)].slice(0)
        const flips = rnd(3)
        for (let k = 0; k < flips; k++) pkt[rnd(pkt.length)] = rnd(256)
    }
    return pkt
}

/** Push `pkt` on the open connection and wait until it is read, or the connection closed on it. */
export async function mqttPush(b: ScriptedBroker, pkt: Buffer): Promise<void> {
    b.conn.push(pkt)
    await until(() => b.conn === null || b.conn.readable() === 0 || b.conn.status() !== 1, 200)
}

/** Wait (at most `iters` polls) until the client is connected on an open connection. */
export async function mqttReady(b: ScriptedBroker, c: MQTTClient, iters: number): Promise<boolean> {
    return await until(() => c.connected() && b.conn !== null && b.conn.status() === 1, iters)
}

/** The outbox accounting: queued = acked + dropped + still in the outbox. */
export function mqttAccounted(c: MQTTClient): boolean {
    const s = c.stats
    return s[MqttMib.Qos1Queued] === s[MqttMib.Qos1Acked] + s[MqttMib.OutboxDropped] + c.outboxMessages()
}
