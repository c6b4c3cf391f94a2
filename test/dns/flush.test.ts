// DnsResolver.flush() empties the cache so that the next resolve() asks the server again, and the
// cache fills again after it. Regression: flush() set each array's length to 0, and in
// DeviceScript 2.16's VM a push onto an array shortened that way corrupts the heap (the VM aborts
// with "devs_is_map(proto)" or a GC assertion a few pushes later; found by `npm run soak -- --part lan`).
import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, makeRig } from "../support/rig"
import { NS1_IP, NS1_MAC, udpToBoard, payloadOf, withId } from "./peer"
import { DnsResolver, DnsResult, DnsMib } from "../../src/dns/resolver"
import { DnsOutcome } from "../../src/dns/message"

// collector.lan A 192.0.2.20, TTL 300 (the ID copied from the query)
const REPLY_A = hex`00 00 81 80 00 01 00 01 00 00 00 00
09 63 6f 6c 6c 65 63 74 6f 72 03 6c 61 6e 00 00 01 00 01
c0 0c 00 01 00 01 00 00 01 2c 00 04 c0 00 02 14`

class Pending {
    result: DnsResult = null
}

function start(r: DnsResolver): Pending {
    const p = new Pending()
    const run = async () => {
        p.result = await r.resolve("collector.lan")
    }
    run.start()
    return p
}

describe("dns: flush", () => {
    beforeEach(yieldToScheduler)

    test("every flush makes the next resolve() ask the server again; 30 rounds of fill and flush", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: NS1_IP, mac: NS1_MAC }]
        })
        const r = new DnsResolver(rig.stack.udp, { servers: [NS1_IP] })
        for (let round = 0; round < 30; round++) {
            const p = start(r)
            await ds.sleep(20)
            await rig.flush()
            const q = rig.take()
            expect(q.length).toBe(1)
            const sport = (q[0][34] << 8) | q[0][35]
            rig.dev.inject(udpToBoard(NS1_MAC, NS1_IP, 53, sport, withId(REPLY_A, payloadOf(q[0]))))
            for (let i = 0; i < 100 && p.result === null; i++) await ds.sleep(5)
            expect(p.result.outcome).toBe(DnsOutcome.Ok)
            expect(p.result.address).toBe(0xc0000214)
            // a second resolve is a cache hit: nothing sent
            expect((await r.resolve("collector.lan")).address).toBe(0xc0000214)
            await rig.flush()
            expect(rig.take().length).toBe(0)
            r.flush()
        }
        expect(r.stats[DnsMib.OutQueries]).toBe(30)
        expect(r.stats[DnsMib.CacheHits]).toBe(30)
    })
})
