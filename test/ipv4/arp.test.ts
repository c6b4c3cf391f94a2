import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, makeRig, arpFrame, arpReplyToBoard, GATEWAY_MAC, BOARD_MAC, macAt } from "../support/rig"
import { BOARD_IP, GATEWAY_IP } from "../support/config"
import { be16, be32 } from "../support/ref"
import { ArpOperation } from "../../src/wire/arp"
import { NEIGH_ENTRY_LEN, NeighMib, neighState, NO_NEIGH, NudState } from "../../src/neigh/neighbour"
import { parseIpv4 } from "../../src/wire/addr"
import { LinkMib } from "../../src/dev/counters"
import { ArpMib } from "../../src/ipv4/arp"

const PEER_MAC = hex`02 00 00 00 00 33`
const PEER_IP = parseIpv4("192.0.2.51")

describe("arp receive (arp_process)", () => {
    beforeEach(yieldToScheduler)

    test("a request for our address: one unicast reply, and the asker is learnt as STALE", async () => {
        const rig = makeRig()
        rig.dev.inject(arpFrame(ArpOperation.Request, PEER_MAC, PEER_IP, BOARD_IP))
        await rig.flush()
        const fs = rig.take()
        expect(fs.length).toBe(1)
        const r = fs[0]
        expect(macAt(r, 0)).toBe("02:00:00:00:00:33")
        expect(be16(r, 20)).toBe(2)
        expect(macAt(r, 22)).toBe("02:00:5e:10:00:0a")
        expect(be32(r, 28)).toBe(BOARD_IP)
        expect(macAt(r, 32)).toBe("02:00:00:00:00:33")
        expect(be32(r, 38)).toBe(PEER_IP)
        expect(neighState(rig.stack.neigh, rig.stack.neigh.lookup(PEER_IP))).toBe(NudState.Stale)
        expect(rig.stack.arp.stats[ArpMib.replies_sent]).toBe(1)
    })

    test("requests for other hosts are not answered and create no entries (an ARP flood)", async () => {
        const rig = makeRig()
        for (let i = 0; i < 20; i++) {
            const mac = Buffer.alloc(6)
            mac[0] = 2
            mac[5] = i
            rig.dev.inject(arpFrame(ArpOperation.Request, mac, parseIpv4("192.0.2.100") + i, parseIpv4("192.0.2.200")))
        }
        await rig.flush()
        expect(rig.take().length).toBe(0)
        expect(rig.stack.neigh.stats[NeighMib.allocs]).toBe(0)
        expect(rig.stack.arp.stats[ArpMib.not_for_us]).toBe(20)
    })

    test("an unsolicited reply does not create an entry (arp_accept=0)", () => {
        const rig = makeRig()
        rig.dev.inject(arpReplyToBoard(PEER_MAC, PEER_IP))
        expect(rig.stack.neigh.lookup(PEER_IP) === NO_NEIGH).toBe(true)
        expect(rig.stack.arp.stats[ArpMib.unsolicited_ignored]).toBe(1)
    })

    test("nothing received changes a PERMANENT entry", () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: GATEWAY_IP, mac: GATEWAY_MAC }]
        })
        const evil = hex`02 66 66 66 66 66`
        rig.dev.inject(arpReplyToBoard(evil, GATEWAY_IP))
        rig.dev.inject(arpFrame(ArpOperation.Request, evil, GATEWAY_IP, BOARD_IP))
        rig.dev.inject(arpFrame(ArpOperation.Request, evil, GATEWAY_IP, GATEWAY_IP))
        const n = rig.stack.neigh.lookup(GATEWAY_IP)
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Permanent)
        expect(macAt(rig.stack.neigh.buf, n * NEIGH_ENTRY_LEN)).toBe("02:00:5e:10:00:01")
    })

    test("a gratuitous ARP updates an existing entry to the new address, STALE", () => {
        const rig = makeRig()
        rig.dev.inject(arpFrame(ArpOperation.Request, PEER_MAC, PEER_IP, BOARD_IP))
        const n = rig.stack.neigh.lookup(PEER_IP)
        const moved = hex`02 00 00 00 00 44`
        rig.dev.inject(arpFrame(ArpOperation.Request, moved, PEER_IP, PEER_IP))
        expect(macAt(rig.stack.neigh.buf, n * NEIGH_ENTRY_LEN)).toBe("02:00:00:00:00:44")
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Stale)
    })

    test("someone claiming our address is counted as a conflict and learnt nowhere", () => {
        const rig = makeRig()
        rig.dev.inject(arpFrame(ArpOperation.Request, PEER_MAC, BOARD_IP, BOARD_IP))
        expect(rig.stack.arp.stats[ArpMib.conflicts]).toBe(1)
        expect(rig.stack.neigh.lookup(BOARD_IP) === NO_NEIGH).toBe(true)
    })

    test("replies are rate-limited: at most icmpRatePerSec a second, the rest counted", async () => {
        const rig = makeRig()
        for (let i = 0; i < 30; i++) rig.dev.inject(arpFrame(ArpOperation.Request, PEER_MAC, PEER_IP, BOARD_IP))
        await rig.flush()
        expect(rig.take().length).toBe(10)
        expect(rig.stack.arp.stats[ArpMib.rate_limited]).toBe(20)
        rig.t += 1000
        rig.dev.inject(arpFrame(ArpOperation.Request, PEER_MAC, PEER_IP, BOARD_IP))
        await rig.flush()
        expect(rig.take().length).toBe(1)
    })

    test("malformed ARP is counted, not parsed further", () => {
        const rig = makeRig()
        const f = arpFrame(ArpOperation.Request, PEER_MAC, PEER_IP, BOARD_IP)
        f[21] = 9
        rig.dev.inject(f)
        rig.dev.inject(f.slice(0, 30))
        expect(rig.stack.arp.stats[ArpMib.errors]).toBe(2)
        expect(rig.stack.neigh.stats[NeighMib.allocs]).toBe(0)
    })
})

describe("frames not for us are dropped before parsing", () => {
    beforeEach(yieldToScheduler)
    test("unicast to another MAC, multicast, runts, unknown EtherType: counted", () => {
        const rig = makeRig()
        const other = arpFrame(ArpOperation.Request, PEER_MAC, PEER_IP, BOARD_IP, hex`02 00 00 00 00 99`)
        rig.dev.inject(other)
        const mc = arpFrame(ArpOperation.Request, PEER_MAC, PEER_IP, BOARD_IP, hex`01 00 5e 00 00 01`)
        rig.dev.inject(mc)
        rig.dev.inject(Buffer.alloc(10))
        const v6 = arpFrame(ArpOperation.Request, PEER_MAC, PEER_IP, BOARD_IP, BOARD_MAC)
        v6[12] = 0x86
        v6[13] = 0xdd
        rig.dev.inject(v6)
        const l = rig.stack.link
        expect(l[LinkMib.rx_packets]).toBe(4)
        expect(l[LinkMib.rx_otherhost_dropped]).toBe(2)
        expect(l[LinkMib.rx_errors]).toBe(1)
        expect(l[LinkMib.rx_dropped]).toBe(1)
        expect(rig.stack.arp.stats[ArpMib.requests_received]).toBe(0)
    })
})
