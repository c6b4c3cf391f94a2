import * as ds from "@devicescript/core"
import { describe, test, expect } from "@devicescript/test"
import { testConfig } from "../support/config"
import { w5500Board } from "../../src/sim/w5500-board"
import { VirtualServices, VIRTUAL_COLLECTOR } from "../../src/sim/services"
import { NetStack } from "../../src/stack"
import { DnsResolver } from "../../src/dns/resolver"
import { DnsOutcome } from "../../src/dns/message"
import { SntpClient, SntpOutcome } from "../../src/ntp/client"

// The resolver and the clock through the whole stack, the W5500 model and the virtual LAN, against
// the scripted name and time servers `npm start` uses for a collector given by name.

const NS = 0xc0000235 // 192.0.2.53
const BASE = 1765000000000

describe("virtual name and time servers", () => {
    test("A, NXDOMAIN and SNTP over the chip model and the virtual LAN", async () => {
        const c = testConfig()
        c.collector = VIRTUAL_COLLECTOR
        const board = w5500Board(c, { peers: true })
        const services = new VirtualServices(board.segment, "collector.lan", VIRTUAL_COLLECTOR, NS, NS, BASE)
        const stack = new NetStack(c, board.device)
        await stack.start()
        const dns = new DnsResolver(stack.udp, { servers: [NS], timeoutMs: 2000, attempts: 2 })
        const a = await dns.resolve("Collector.LAN")
        expect(a.outcome).toBe(DnsOutcome.Ok)
        expect(a.address).toBe(VIRTUAL_COLLECTOR)
        expect(a.ttlMs).toBe(60000)
        const nx = await dns.resolve("other.lan")
        expect(nx.outcome).toBe(DnsOutcome.NxDomain)
        expect(services.answered).toBe(1)
        expect(services.nxdomain).toBe(1)
        const clock = new SntpClient(stack.udp, { servers: [NS], timeoutMs: 2000 })
        expect(await clock.syncOnce()).toBe(SntpOutcome.Ok)
        expect(services.ntpRequests).toBe(1)
        // the server's clock is BASE + ds.millis(): the board's, read now, agrees within the round trip
        const d = clock.now() - (BASE + ds.millis())
        expect(Math.abs(d) <= clock.delayMs + 5).toBe(true)
        await stack.stop()
    })
})
