// devs-timeout: 180000
// The short fuzz run of `npm test` for the wire checks and the stack's receive path (a fixed seed,
// a few thousand inputs, seconds), and the replay of every saved failing input of those targets
// (regressions.ts). The drivers' RX framing: fuzz-w5500.test.ts, fuzz-enc28j60.test.ts. The long
// runs are `npm run fuzz` (host/fuzz/run.ts), without GC stress. Oracles: targets.ts.
import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { fuzzStackAndWire, replayStackAndWire } from "./targets"
import { REGRESSIONS } from "./regressions"
import { collect, firstFailures } from "./report"

/** The seed of the short run. */
export const SHORT_SEED = 20261121
/** Inputs in `npm test` (GC stress makes each ~25x slower than in `npm run fuzz`). */
const CASES = 1200

function regression(k: number) {
    const r = REGRESSIONS[k]
    test("regression " + r.target + " seed " + r.seed + " case " + r.index + ": " + r.why, async () => {
        const f = await replayStackAndWire(r.input)
        if (f !== null) console.log("still failing: " + f)
        expect(f === null ? "no finding" : f).toBe("no finding")
    })
}

describe("fuzz: saved failing inputs (stack, wire)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    for (let k = 0; k < REGRESSIONS.length; k++) if (REGRESSIONS[k].target === "stack" || REGRESSIONS[k].target === "wire") regression(k)
})

describe("fuzz: short run (stack, wire)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })

    test("wire checks and the stack's receive path: " + CASES + " mutated frames, no oracle broken", async () => {
        const fails: string[] = []
        const r = await fuzzStackAndWire(SHORT_SEED, 0, CASES, ds.millis() + 150000, collect(fails))
        console.log("fuzz stack+wire: " + r.cases + " frames, " + r.failures + " failures, " + r.exceptions + " exceptions")
        if (fails.length > 0) console.log(firstFailures(fails))
        expect(r.cases).toBe(CASES)
        expect(r.failures).toBe(0)
    })
})
