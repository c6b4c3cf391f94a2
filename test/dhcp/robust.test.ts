import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler } from "../support/rig"
import { DhcpRig, OFFERED, SERVER_IP, BOARD_MAC } from "./support"
import { DhcpMib, findOption } from "../../src/dhcp/client"
import { setU32 } from "../../src/wire/bytes"

// Bad input (issue 13, "every new parser is total"): seeded mutations of server replies — lying
// option lengths, option 52 overload with garbage areas, missing END, truncation anywhere — handed
// to the client in every state it reaches. Oracles: nothing throws; each message is counted
// (errors, ignored, offers, acks or naks move); findOption never points outside the message.

/** A 32-bit LCG (Numerical Recipes), seeded: the same inputs every run. */
function lcg(seed: number): () => number {
    let s = seed >>> 0
    return () => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0
        return s >>> 1
    }
}

function reply(type: number, xid: number): Buffer {
    const m = Buffer.alloc(300)
    m[0] = 2
    m[1] = 1
    m[2] = 6
    setU32(m, 4, xid)
    setU32(m, 16, OFFERED)
    m.blitAt(28, BOARD_MAC, 0, 6)
    setU32(m, 236, 0x63825363)
    const opts = hex`35 01 00 36 04 c0 00 02 01 33 04 00 00 02 58 01 04 ff ff ff 00 03 04 c0 00 02 01 06 08 c0 00 02 02 c0 00 02 03 0f 03 6c 61 6e ff`
    m.blitAt(240, opts, 0, opts.length)
    m[242] = type
    return m
}

function counted(d: DhcpRig): number {
    const s = d.client.stats
    return s[DhcpMib.errors] + s[DhcpMib.ignored] + s[DhcpMib.offers] + s[DhcpMib.acks] + s[DhcpMib.naks]
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
            const type = [2, 5, 6][rnd() % 3]
            const m = reply(type, (rnd() & 1) === 0 ? 0x80000000 : 0x80000000 ^ (1 << rnd() % 32))
            // a few random bytes in the options, sometimes in sname/file, sometimes an overload option
            const n = 1 + (rnd() % 6)
            for (let i = 0; i < n; i++) m[240 + (rnd() % 60)] = rnd() & 0xff
            if (rnd() % 4 === 0) {
                m[240 + (rnd() % 40)] = 52
                for (let i = 0; i < 8; i++) m[44 + (rnd() % 192)] = rnd() & 0xff
            }
            const len = rnd() % 5 === 0 ? rnd() % 301 : 300
            for (let code = 0; code < 257; code += 1 + (rnd() % 40)) {
                const at = findOption(m, 0, len, code)
                if (at >= 0 && (at < 2 || at + m[at - 1] > len)) outside++
            }
            await ds.sleep(0)
            const before = counted(d)
            d.client.receive(m, 0, len, 67)
            if (counted(d) === before) uncounted++
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
