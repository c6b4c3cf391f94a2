// devs-timeout: 180000
// The short fuzz run of `npm test` for the w5500 driver's receive framing on its model, and the
// replay of its saved failing cases (regressions.ts). Oracles: driver.ts. One chip per program: a
// DeviceScript image holds at most 64 KB of code.
import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { fuzzDriver, replayDriverCase } from "./driver"
import { W5500_CHIP } from "./w5500"
import { REGRESSIONS } from "./regressions"
import { collect, firstFailures } from "./report"
import { chipResetRecovers, ResetChipFactory } from "./reset"
import { W5500Model } from "../../src/sim/w5500"
import { W5500Device } from "../../src/drivers/w5500/device"
import { SimSpiBus } from "../../src/sim/spi"

const RESET_CHIP: ResetChipFactory = (seg, cfg) => {
    const model = new W5500Model(seg)
    const dev = new W5500Device(new SimSpiBus(model), cfg.mac, { task: false, linkPollMs: 0 })
    return { dev: dev, poll: async () => await dev.poll(), reset: () => model.reset() }
}

const SHORT_SEED = 20261121
/** Cases in `npm test` (each polls the chip model through SPI under GC stress). */
const CASES = 25

function regression(k: number) {
    const r = REGRESSIONS[k]
    test("regression seed " + r.seed + " case " + r.index + ": " + r.why, async () => {
        const f = await replayDriverCase(W5500_CHIP, r.seed, r.index)
        if (f !== null) console.log("still failing: " + f)
        expect(f === null ? "no finding" : f).toBe("no finding")
    })
}

describe("fuzz: saved failing cases (w5500)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    for (let k = 0; k < REGRESSIONS.length; k++) if (REGRESSIONS[k].target === "w5500") regression(k)
})

describe("fuzz: short run (w5500)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })

    test("W5500 (lying 2-byte length headers, ring bit flips, overflow, hostile lengths): " + CASES + " cases, no oracle broken", async () => {
        const fails: string[] = []
        const r = await fuzzDriver(W5500_CHIP, SHORT_SEED, 0, CASES, ds.millis() + 150000, collect(fails))
        console.log("fuzz w5500: " + r.cases + " cases, " + r.failures + " failures, " + r.exceptions + " exceptions")
        if (fails.length > 0) console.log(firstFailures(fails))
        expect(r.cases).toBe(CASES)
        expect(r.failures).toBe(0)
    })
})

describe("robustness: chip reset (w5500)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })

    test("the W5500 resets under the driver (brown-out): it is initialised again and traffic flows both ways", async () => {
        const f = await chipResetRecovers(RESET_CHIP)
        if (f !== null) console.log(f)
        expect(f === null ? "no finding" : f).toBe("no finding")
    })
})
