// devs-timeout: 180000
// The short fuzz run of `npm test` for the DHCP client's replies, the DNS reply parser and the SNTP
// reply check (test/fuzz/proto-dhcp.ts, proto-dns.ts, proto-ntp.ts), and the replay of their saved
// failing cases (regressions.ts: each replays case `index` of `seed` on a fresh target). The long
// runs are `npm run fuzz`. TCP and MQTT: fuzz-tcp.test.ts, fuzz-mqtt.test.ts (one program each: a
// DeviceScript image holds at most 64 KB of code).
import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { fuzzDhcp, replayDhcp } from "./proto-dhcp"
import { fuzzDns, replayDns } from "./proto-dns"
import { fuzzNtp, replayNtp } from "./proto-ntp"
import { REGRESSIONS } from "./regressions"
import { collect, firstFailures } from "./report"
import { FailureSink, FuzzCounts } from "./common"

const SHORT_SEED = 20261121

type Fuzz = (seed: number, first: number, count: number, deadlineMs: number, sink: FailureSink) => Promise<FuzzCounts>
type Replay = (seed: number, index: number) => Promise<string>

function regression(k: number, replay: Replay) {
    const r = REGRESSIONS[k]
    test("regression " + r.target + " seed " + r.seed + " case " + r.index + ": " + r.why, async () => {
        const f = await replay(r.seed, r.index)
        if (f !== null) console.log("still failing: " + f)
        expect(f === null ? "no finding" : f).toBe("no finding")
    })
}

function short(name: string, what: string, fuzz: Fuzz, cases: number) {
    test(name + " (" + what + "): " + cases + " cases, no oracle broken", async () => {
        const fails: string[] = []
        const r = await fuzz(SHORT_SEED, 0, cases, ds.millis() + 120000, collect(fails))
        console.log("fuzz " + name + ": " + r.cases + " cases, " + r.frames + " inputs, " + r.failures + " failures, " + r.exceptions + " exceptions; " + r.detail)
        if (fails.length > 0) console.log(firstFailures(fails))
        expect(r.cases).toBe(cases)
        expect(r.failures).toBe(0)
    })
}

describe("fuzz: saved failing cases (dhcp, dns, ntp)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    for (let k = 0; k < REGRESSIONS.length; k++) {
        const t = REGRESSIONS[k].target
        if (t === "dhcp") regression(k, replayDhcp)
        else if (t === "dns") regression(k, replayDns)
        else if (t === "ntp") regression(k, replayNtp)
    }
})

describe("fuzz: short run (dhcp, dns, ntp)", () => {
    beforeEach(async () => {
        await ds.sleep(0)
    })
    short("dhcp", "mutated server replies to the client", fuzzDhcp, 60)
    short("dns", "mutated replies to parseReply", fuzzDns, 400)
    short("ntp", "mutated replies to the SNTP check", fuzzNtp, 400)
})
