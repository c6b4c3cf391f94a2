// devs-timeout: 240000
// The client's parsing is total: random bytes and mutated packets from the broker (lying remaining
// lengths, topic lengths past the end, wrong flags, unknown types) never throw, never stop the
// client's fiber; it closes the connection on what is malformed (4.8) and connects again, and the
// outbox accounting holds throughout: queued = acked + dropped + still in the outbox. The inputs
// are fuzzcase.ts's, which `npm run fuzz` (test/fuzz/proto-mqtt.ts) runs with its own seeds.
import { describe, test, expect } from "@devicescript/test"
import { MqttMib } from "../../src/mqtt/client"
import { ScriptedBroker, until } from "../support/mqtt-broker"
import { mqttFuzzClient, mqttPacket, mqttPush, mqttReady, mqttAccounted } from "./fuzzcase"

let seed = 12345
function rnd(n: number): number {
    // xorshift32, deterministic
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    // (in DeviceScript `%` of a value past 2^31 comes out negative: keep 31 bits)
    return (seed & 0x7fffffff) % n
}

describe("malformed input, fuzzed", () => {
    test("300 rounds of random and mutated packets", async () => {
        const b = new ScriptedBroker()
        const c = mqttFuzzClient(b)
        let handled = 0
        c.onmessage = m => {
            handled++
        }
        c.start()
        await until(() => c.connected())
        let rounds = 0
        for (let round = 0; round < 300; round++, rounds++) {
            if (!(await mqttReady(b, c, 500))) break
            if (round % 10 === 0) await c.publish("t", "m" + round, 1)
            await mqttPush(b, mqttPacket(rnd))
            // a lying remaining length leaves the client skipping: resynchronise now and then
            if (round % 25 === 24) b.kill()
        }
        expect(rounds).toBe(300)
        expect(await until(() => c.connected(), 2000)).toBe(true)
        const s = c.stats
        console.log(`fuzz: ${s[MqttMib.RxMalformed]} malformed, ${s[MqttMib.RxOversize]} oversize, ${s[MqttMib.RxPublish]} publish, ${handled} handled, ${b.conns} connections`)
        expect(s[MqttMib.RxMalformed] > 10).toBe(true)
        expect(mqttAccounted(c)).toBe(true)
        // still working: a publish goes and is acknowledged
        b.ackPublishes = true
        b.kill()
        await until(() => c.outboxMessages() === 0, 3000)
        expect(c.outboxMessages()).toBe(0)
        await c.stop()
    })
})
