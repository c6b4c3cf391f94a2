// devs-timeout: 180000
// The short fuzz run of `npm test` for the enc28j60 driver's receive framing on its model, and the
// replay of its saved failing cases (regressions.ts). Oracles: driver.ts. One chip per program: a
// DeviceScript image holds at most 64 KB of code.
import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { fuzzDriver, replayDriverCase } from "./driver"
import { ENC28J60_CHIP } from "./enc28j60"
import { REGRESSIONS } from "./regressions"
import { collect, firstFailures } from "./report"
import { chipResetRecovers, ResetChipFactory } from "./reset"
import { ENC28J60_MODEL } from "./enc28j60"
import { Enc28j60Device } from "../../src/drivers/enc28j60/device"
import { SimSpiBus } from "../../src/sim/spi"

const RESET_CHIP: ResetChipFactory = (seg, cfg) => {
    const model = ENC28J60_MODEL
    model.defaults()
    model.powerOn()
    model.resetCounters()
    model.attach(seg)
    const dev = new Enc28j60Device(new SimSpiBus(model), cfg.mac, { pollMs: 0, linkPollMs: 0 })
    return { dev: dev, poll: async () => await dev.poll(), reset: () => model.powerOn() }
}

const SHORT_SEED = 20261121
/** Cases in `npm test` (each polls the chip model through SPI under GC stress). */
const CASES = 25

function regression(k: number) {
    const r = REGRESSIONS[k]
    test("regression seed " + r.seed + " case " + r.index + ": " + r.why, async () => {
        const f = await replayDriverCase(ENC28J60_CHIP, r.seed, r.index)
        if (f !== null) console.log("still failing: " + f)
        expect(f === null ? "no finding" : f).toBe("no finding")
    })
}

describe("fuzz: saved failing cases (enc28j60)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    for (let k = 0; k < REGRESSIONS.length; k++) if (REGRESSIONS[k].target === "enc28j60") regression(k)
})

describe("fuzz: short run (enc28j60)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })

    test("ENC28J60 (lying status vectors and next-packet pointers, ring bit flips, bad CRC, errata #14 unworked, overflow, hostile lengths): " + CASES + " cases, no oracle broken", async () => {
        const fails: string[] = []
        const r = await fuzzDriver(ENC28J60_CHIP, SHORT_SEED, 0, CASES, ds.millis() + 150000, collect(fails))
        console.log("fuzz enc28j60: " + r.cases + " cases, " + r.failures + " failures, " + r.exceptions + " exceptions")
        if (fails.length > 0) console.log(firstFailures(fails))
        expect(r.cases).toBe(CASES)
        expect(r.failures).toBe(0)
    })
})

describe("robustness: chip reset (enc28j60)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })

    test("the ENC28J60 resets under the driver (power-on reset): it is initialised again and traffic flows both ways", async () => {
        const f = await chipResetRecovers(RESET_CHIP)
        if (f !== null) console.log(f)
        expect(f === null ? "no finding" : f).toBe("no finding")
    })
})
