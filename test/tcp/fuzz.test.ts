import { describe, test, expect, beforeEach } from "@devicescript/test"
import * as ds from "@devicescript/core"
import { yieldToScheduler, Rig } from "../support/rig"
import { TcpState } from "../../src/tcp/conn"
import { TcpMib } from "../../src/tcp/mib"
import { tcpRig, tcpOf } from "./peer"
import { tcpInto, tcpSegment, tcpRound, tcpData, TCP_STATES } from "./fuzzcase"

// Random and mutated segments against a connection in each state, in and out of the window: the
// input never throws, and the invariants hold after every segment (rings within bounds, SND.UNA <=
// SND.NXT <= SND.MAX, a state from the list, RCV.NXT never moving back). The case itself is
// fuzzcase.ts, which `npm run fuzz` (test/fuzz/proto-tcp.ts) runs with its own seeds.

let seed = 0x2545f491

function rnd(n: number): number {
    // xorshift32
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    // (DeviceScript's % works on int32: scale instead)
    return Math.floor(((seed >>> 0) / 4294967296) * n)
}

const ROUNDS = 40

describe("TCP input under random segments", () => {
    beforeEach(yieldToScheduler)

    test("every state, segments in and out of the window, random flags, options and lengths", async () => {
        const data = tcpData()
        let total = 0
        for (const st of TCP_STATES) {
            const rig = tcpRig()
            const t = tcpOf(rig)
            const c = await tcpInto(rig, t, st)
            expect(c.state).toBe(st)
            const r0 = st === TcpState.SynSent ? -1 : c.rcvNxt
            c.noDelay = true
            c.write(data, 0, 300)
            for (let k = 0; k < ROUNDS && c.state !== TcpState.Closed; k++) {
                const f = await tcpRound(rnd, rig, c, r0, tcpSegment(rnd, c, data), data)
                if (f !== null) {
                    console.log("state " + st + " round " + k + ": " + f)
                    expect(false).toBe(true)
                }
                await ds.sleep(0)
                total++
            }
            // what the peer sends to a connection that ended draws a RST (or nothing for a RST)
            expect(t.stats[TcpMib.InSegs] > 0).toBe(true)
        }
        console.log("fuzz: " + total + " segments")
        expect(total > TCP_STATES.length * 10).toBe(true)
    })
})
