// Fuzz target "mqtt": the MQTT client's input (src/mqtt/client.ts over src/mqtt/packet.ts) and the
// Remaining Length decoder. A case: a client connected to a scripted broker on a virtual clock
// (test/mqtt/fuzzcase.ts, as test/mqtt/fuzz.test.ts sets it up), then 1-12 packets from the broker
// (random bytes, or a valid packet with bytes changed), QoS 1 publishes and broker resets between.
// Oracles:
//  Q1  nothing throws; the client's fiber survives: after the packets (and a reset of the
//      connection) it is connected again
//  Q2  the outbox accounting: queued = acked + dropped + still in the outbox, after every packet
//  Q3  decodeLength on every offset of every packet answers what 2.2.3 says (a reference decoder:
//      -1 more bytes needed, -2 a fifth byte, else the value and the offset after it)

import { Rng } from "./rng"
import { ProtoTarget, fuzzProto, replayProto, noteInput, pairs } from "./proto"
import { FailureSink } from "./common"
import { ScriptedBroker, until } from "../support/mqtt-broker"
import { mqttFuzzClient, mqttPacket, mqttPush, mqttReady, mqttAccounted } from "../mqtt/fuzzcase"
import { MqttMib } from "../../src/mqtt/client"
import { decodeLength, lengthEnd } from "../../src/mqtt/packet"

/** 2.2.3 read independently: the value, -1 (runs past `end`) or -2 (more than four bytes); `endOut[0]` the offset after it. */
function refLength(b: Buffer, off: number, end: number, endOut: number[]): number {
    let v = 0
    for (let i = 0; i < 4; i++) {
        if (off + i >= end) return -1
        v += (b[off + i] & 127) * Math.pow(128, i)
        if (b[off + i] < 128) {
            endOut[0] = off + i + 1
            return v
        }
    }
    return -2
}

/** Malformed, oversize, publish counters and connections over the run (kept across fresh targets). */
const SUMS = [0, 0, 0, 0]

class MqttTarget implements ProtoTarget {
    frames = 0
    input = ""
    private readonly endOut = [0]

    async run(rng: Rng): Promise<string> {
        const rnd = (n: number) => rng.below(n)
        const b = new ScriptedBroker()
        const c = mqttFuzzClient(b)
        c.onmessage = m => {}
        c.start()
        try {
            if (!(await mqttReady(b, c, 2000))) return "the client did not connect to a well-behaved broker"
            const n = 1 + rng.below(12)
            for (let k = 0; k < n; k++) {
                if (!(await mqttReady(b, c, 500))) return "the client did not connect again after packet " + (k - 1)
                if (rng.chance(20)) await c.publish("t", "m" + k, 1)
                const pkt = mqttPacket(rnd)
                noteInput(this, pkt, 0, pkt.length)
                // Q3 on every offset of the packet
                for (let o = 0; o < pkt.length; o++) {
                    const want = refLength(pkt, o, pkt.length, this.endOut)
                    const got = decodeLength(pkt, o, pkt.length)
                    if (got !== want) return "decodeLength at " + o + " gave " + got + ", 2.2.3 says " + want
                    if (got >= 0 && lengthEnd() !== this.endOut[0]) return "decodeLength's end at " + o + " is " + lengthEnd() + ", 2.2.3 says " + this.endOut[0]
                }
                await mqttPush(b, pkt)
                if (!mqttAccounted(c)) return "outbox accounting broken after packet " + k
                if (rng.chance(10)) b.kill()
            }
            // Q1: a reset, and the client is back
            b.kill()
            if (!(await until(() => c.connected(), 2000))) return "the client did not connect again at the end of the case"
            if (!mqttAccounted(c)) return "outbox accounting broken at the end of the case"
            const s = c.stats
            SUMS[0] += s[MqttMib.RxMalformed]
            SUMS[1] += s[MqttMib.RxOversize]
            SUMS[2] += s[MqttMib.RxPublish]
            SUMS[3] += b.conns
            return null
        } finally {
            await c.stop()
        }
    }

    detail(): string {
        return pairs("malformed oversize publish connections", SUMS)
    }
}

function make(): ProtoTarget {
    return new MqttTarget()
}

export async function fuzzMqtt(seed: number, first: number, count: number, deadlineMs: number, sink: FailureSink) {
    return await fuzzProto("mqtt", make, seed, first, count, deadlineMs, sink)
}

export async function replayMqtt(seed: number, index: number): Promise<string> {
    return await replayProto(make, seed, index)
}
