// devs-timeout: 240000
// The client's parsing is total: random bytes and mutated packets from the broker (lying remaining
// lengths, topic lengths past the end, wrong flags, unknown types) never throw, never stop the
// client's fiber; it closes the connection on what is malformed (4.8) and connects again, and the
// outbox accounting holds throughout: queued = acked + dropped + still in the outbox.
import { describe, test, expect } from "@devicescript/test"
import { MQTTClient, MqttMib } from "../../src/mqtt/client"
import { ScriptedBroker, until } from "../support/mqtt-broker"

let seed = 12345
function rnd(n: number): number {
    // xorshift32, deterministic
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    // (in DeviceScript `%` of a value past 2^31 comes out negative: keep 31 bits)
    return (seed & 0x7fffffff) % n
}

const VALID = [
    hex`32 0d 00 07 63 6d 64 2f 6c 65 64 01 02 6f 6e`,
    hex`30 05 00 01 78 68 69`,
    hex`40 02 00 01`,
    hex`90 03 00 01 01`,
    hex`b0 02 00 02`,
    hex`d0 00`,
    hex`20 02 00 00`,
]

describe("malformed input, fuzzed", () => {
    test("300 rounds of random and mutated packets", async () => {
        const b = new ScriptedBroker()
        b.ackPublishes = false
        b.maxRecorded = 0
        const clock = b.clock
        const c = new MQTTClient(
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
        let handled = 0
        c.onmessage = m => {
            handled++
        }
        c.start()
        await until(() => c.connected())
        let rounds = 0
        for (let round = 0; round < 300; round++, rounds++) {
            if (!(await until(() => c.connected() && b.conn !== null && b.conn.status() === 1, 500))) break
            if (round % 10 === 0) await c.publish("t", "m" + round, 1)
            let pkt: Buffer
            if (rnd(3) === 0) {
                pkt = Buffer.alloc(1 + rnd(40))
                for (let i = 0; i < pkt.length; i++) pkt[i] = rnd(256)
            } else {
                pkt = VALID[rnd(VALID.length)].slice(0)
                const flips = rnd(3)
                for (let k = 0; k < flips; k++) pkt[rnd(pkt.length)] = rnd(256)
            }
            b.conn.push(pkt)
            // processed: read, or the connection closed on it
            await until(() => b.conn === null || b.conn.readable() === 0 || b.conn.status() !== 1, 200)
            // a lying remaining length leaves the client skipping: resynchronise now and then
            if (round % 25 === 24) b.kill()
        }
        expect(rounds).toBe(300)
        expect(await until(() => c.connected(), 2000)).toBe(true)
        const s = c.stats
        console.log(`fuzz: ${s[MqttMib.RxMalformed]} malformed, ${s[MqttMib.RxOversize]} oversize, ${s[MqttMib.RxPublish]} publish, ${handled} handled, ${b.conns} connections`)
        expect(s[MqttMib.RxMalformed] > 10).toBe(true)
        expect(s[MqttMib.Qos1Queued]).toBe(s[MqttMib.Qos1Acked] + s[MqttMib.OutboxDropped] + c.outboxMessages())
        // still working: a publish goes and is acknowledged
        b.ackPublishes = true
        b.kill()
        await until(() => c.outboxMessages() === 0, 3000)
        expect(c.outboxMessages()).toBe(0)
        await c.stop()
    })
})
