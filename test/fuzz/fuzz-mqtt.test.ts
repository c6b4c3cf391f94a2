// devs-timeout: 180000
// The short fuzz run of `npm test` for the MQTT client's input (test/fuzz/proto-mqtt.ts) and the
// replay of its saved failing cases (regressions.ts). The long runs are `npm run fuzz`.
import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { fuzzMqtt, replayMqtt } from "./proto-mqtt"
import { REGRESSIONS } from "./regressions"
import { collect, firstFailures } from "./report"

const SHORT_SEED = 20261121
const CASES = 10

function regression(k: number) {
    const r = REGRESSIONS[k]
    test("regression seed " + r.seed + " case " + r.index + ": " + r.why, async () => {
        const f = await replayMqtt(r.seed, r.index)
        if (f !== null) console.log("still failing: " + f)
        expect(f === null ? "no finding" : f).toBe("no finding")
    })
}

describe("fuzz: saved failing cases (mqtt)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    for (let k = 0; k < REGRESSIONS.length; k++) if (REGRESSIONS[k].target === "mqtt") regression(k)
})

describe("fuzz: short run (mqtt)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })

    test("MQTT (random and mutated broker packets): " + CASES + " cases, no oracle broken", async () => {
        const fails: string[] = []
        const r = await fuzzMqtt(SHORT_SEED, 0, CASES, ds.millis() + 150000, collect(fails))
        console.log("fuzz mqtt: " + r.cases + " cases, " + r.frames + " packets, " + r.failures + " failures, " + r.exceptions + " exceptions; " + r.detail)
        if (fails.length > 0) console.log(firstFailures(fails))
        expect(r.cases).toBe(CASES)
        expect(r.failures).toBe(0)
    })
})
