import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler } from "../support/rig"
import { DhcpRig, OFFERED, dhcpCounted, dhcpMutatedReply, dhcpOptionsOutside } from "./support"
import { DhcpMib } from "../../src/dhcp/client"

// Bad input (issue 13, "every new parser is total"): seeded mutations of server replies — lying
// option lengths, option 52 overload with garbage areas, missing END, truncation anywhere — handed
// to the client in every state it reaches. Oracles: nothing throws; each message is counted
// (errors, ignored, offers, acks or naks move); findOption never points outside the message. The
// mutation is support.ts's, which `npm run fuzz` (test/fuzz/proto-dhcp.ts) runs with its own seeds.

/** A 32-bit LCG (Numerical Recipes), seeded: the same inputs every run. */
function lcg(seed: number): () => number {
    let s = seed >>> 0
    return () => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0
        return s >>> 1
    }
}

describe("dhcp: mutated replies", () => {
    beforeEach(yieldToScheduler)

    test("3,000 seeded mutations: no exception, every message counted, option offsets inside the message", async () => {
        const d = new DhcpRig({ fallbackMs: 0 }, true)
        d.client.begin(d.now())
        const rnd = lcg(13)
        let outside = 0
        let uncounted = 0
        for (let k = 0; k < 3000; k++) {
            const lenOut = [0]
            const m = dhcpMutatedReply(rnd, lenOut)
            const len = lenOut[0]
            outside += dhcpOptionsOutside(rnd, m, len)
            await ds.sleep(0)
            const before = dhcpCounted(d)
            d.client.receive(m, 0, len, 67)
            if (dhcpCounted(d) === before) uncounted++
            if ((k & 15) === 15) {
                d.client.tick(d.now())
                await d.rig.flush()
                d.rig.take()
                d.rig.advance(500)
            }
        }
        expect(outside).toBe(0)
        expect(uncounted).toBe(0)
        const s = d.client.stats
        console.log("mutated replies: errors " + s[DhcpMib.errors] + " ignored " + s[DhcpMib.ignored] + " offers " + s[DhcpMib.offers] + " acks " + s[DhcpMib.acks] + " naks " + s[DhcpMib.naks])
        expect(s[DhcpMib.errors] > 0).toBe(true)
        expect(s[DhcpMib.ignored] > 0).toBe(true)
        // the address, if any, is one an ACK gave
        const a = d.rig.stack.ifa.address
        expect(a === 0 || a === OFFERED || a >>> 16 === 0xa9fe).toBe(true)
    })
})
