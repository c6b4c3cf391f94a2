// The security posture (README "Security posture"), checked on a TestDevice stack: what the board
// answers, what it learns, what it never lets a frame change, and what it drops before parsing.
// Complements test/ipv4/arp.test.ts (flood for other hosts, unsolicited reply, PERMANENT against
// reply/request/gratuitous, rate limit) and test/ipv4/input.test.ts (ping flood, broadcast echo).
import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, makeRig, arpFrame, arpReplyToBoard, BOARD_MAC, GATEWAY_MAC, COLLECTOR_MAC, macAt, Rig } from "../support/rig"
import { BOARD_IP, GATEWAY_IP, COLLECTOR_IP } from "../support/config"
import { be16, be32 } from "../support/ref"
import { ArpOperation } from "../../src/wire/arp"
import { NEIGH_ENTRY_LEN, neighCount, neighIp, NeighMib, neighState, NudState } from "../../src/neigh/neighbour"
import { pendingTotal } from "../../src/neigh/pending"
import { parseIpv4 } from "../../src/wire/addr"
import { ethernetEmit, EtherType } from "../../src/wire/ethernet"
import { Ipv4Repr } from "../../src/wire/ipv4"
import { icmpEchoEmit, IcmpType } from "../../src/wire/icmp"
import { LinkMib } from "../../src/dev/counters"
import { IpMib, IcmpMib } from "../../src/ipv4/mib"
import { ArpMib } from "../../src/ipv4/arp"

const PEER_MAC = hex`02 00 00 00 00 33`
const PEER_IP = parseIpv4("192.0.2.51")
const EVIL = hex`02 66 66 66 66 66`

/** An echo request from (srcMac, src) to (dstMac, dst). */
function echo(srcMac: Buffer, src: number, dstMac: Buffer, dst: number, seq: number): Buffer {
    const f = Buffer.alloc(14 + 20 + 8 + 16)
    ethernetEmit(f, 0, dstMac, 0, srcMac, EtherType.Ipv4)
    f.fillAt(42, 16, 0x61)
    icmpEchoEmit(f, 34, IcmpType.EchoRequest, 0x1234, seq, 16)
    const ip = new Ipv4Repr()
    ip.src = src
    ip.dst = dst
    ip.protocol = 1
    ip.ttl = 64
    ip.ident = seq
    ip.totalLength = 20 + 8 + 16
    ip.emit(f, 14)
    return f
}

function entries(rig: Rig): number {
    const t = rig.stack.neigh
    return t.capacity - neighCount(t, NudState.None)
}

describe("posture: ARP is answered only for our address, once, and teaches only what it should", () => {
    beforeEach(yieldToScheduler)

    test("requests for any other address (a neighbour, the subnet broadcast, 0.0.0.0, the gateway) get no reply", async () => {
        const rig = makeRig()
        const targets = [PEER_IP, parseIpv4("192.0.2.255"), 0, GATEWAY_IP, parseIpv4("192.0.2.11"), 0xffffffff]
        for (let i = 0; i < targets.length; i++) rig.dev.inject(arpFrame(ArpOperation.Request, COLLECTOR_MAC, COLLECTOR_IP, targets[i]))
        await rig.flush()
        expect(rig.take().length).toBe(0)
        expect(rig.stack.arp.stats[ArpMib.not_for_us]).toBe(targets.length)
        expect(entries(rig)).toBe(0)
    })

    test("a request for our address: exactly one reply, unicast to the asker, from our MAC and address", async () => {
        const rig = makeRig()
        rig.dev.inject(arpFrame(ArpOperation.Request, PEER_MAC, PEER_IP, BOARD_IP))
        await rig.flush()
        const fs = rig.take()
        expect(fs.length).toBe(1)
        const r = fs[0]
        expect(macAt(r, 0)).toBe("02:00:00:00:00:33")
        expect(macAt(r, 6)).toBe("02:00:5e:10:00:0a")
        expect(be16(r, 20)).toBe(ArpOperation.Reply)
        expect(macAt(r, 22)).toBe("02:00:5e:10:00:0a")
        expect(be32(r, 28)).toBe(BOARD_IP)
        expect(be32(r, 38)).toBe(PEER_IP)
    })

    test("an RFC 5227 probe for our address (sender 0.0.0.0) is answered (we defend it) and learnt nowhere", async () => {
        const rig = makeRig()
        rig.dev.inject(arpFrame(ArpOperation.Request, PEER_MAC, 0, BOARD_IP))
        await rig.flush()
        const fs = rig.take()
        expect(fs.length).toBe(1)
        expect(macAt(fs[0], 0)).toBe("02:00:00:00:00:33")
        expect(entries(rig)).toBe(0)
        expect(rig.stack.neigh.stats[NeighMib.allocs]).toBe(0)
    })

    test("a sender no host can be (broadcast, multicast, loopback, class E, our subnet's broadcast, a group MAC): no reply, nothing learnt, counted", async () => {
        const rig = makeRig()
        const ips = [0xffffffff, parseIpv4("192.0.2.255"), parseIpv4("224.0.0.1"), parseIpv4("127.0.0.1"), parseIpv4("240.0.0.1"), parseIpv4("0.1.2.3")]
        for (let i = 0; i < ips.length; i++) rig.dev.inject(arpFrame(ArpOperation.Request, PEER_MAC, ips[i], BOARD_IP))
        // a real address, but from a broadcast or a multicast hardware address: a reply would go to everyone
        rig.dev.inject(arpFrame(ArpOperation.Request, hex`ff ff ff ff ff ff`, PEER_IP, BOARD_IP))
        rig.dev.inject(arpFrame(ArpOperation.Request, hex`01 00 5e 00 00 01`, PEER_IP, BOARD_IP))
        rig.dev.inject(arpFrame(ArpOperation.Reply, hex`33 33 00 00 00 01`, PEER_IP, BOARD_IP))
        await rig.flush()
        expect(rig.take().length).toBe(0)
        expect(entries(rig)).toBe(0)
        expect(rig.stack.arp.stats[ArpMib.martians]).toBe(ips.length + 3)
    })

    test("a frame with our own MAC as sender teaches nothing (a loop or a spoof)", async () => {
        const rig = makeRig()
        rig.dev.inject(arpFrame(ArpOperation.Request, BOARD_MAC, PEER_IP, BOARD_IP))
        rig.dev.inject(arpFrame(ArpOperation.Reply, BOARD_MAC, COLLECTOR_IP, BOARD_IP))
        await rig.flush()
        expect(rig.take().length).toBe(0)
        expect(entries(rig)).toBe(0)
    })

    test("someone claiming our address (gratuitous request or reply): a conflict, not learnt, not answered; we still answer for ourselves", async () => {
        const rig = makeRig()
        rig.dev.inject(arpFrame(ArpOperation.Request, EVIL, BOARD_IP, BOARD_IP))
        rig.dev.inject(arpFrame(ArpOperation.Reply, EVIL, BOARD_IP, BOARD_IP, hex`ff ff ff ff ff ff`))
        await rig.flush()
        expect(rig.take().length).toBe(0)
        expect(rig.stack.arp.stats[ArpMib.conflicts]).toBe(2)
        expect(entries(rig)).toBe(0)
        rig.t += 1000
        rig.dev.inject(arpFrame(ArpOperation.Request, PEER_MAC, PEER_IP, BOARD_IP))
        await rig.flush()
        expect(rig.take().length).toBe(1)
    })

    test("one reply per request at most, and at most icmpRatePerSec a second: 100 requests in a second get 10 replies", async () => {
        const rig = makeRig()
        // in bursts of 25 with a yield between (the step watchdog; a driver yields between SPI reads);
        // the rig's clock does not move, so all 100 arrive within the same second
        for (let i = 0; i < 100; i++) {
            rig.dev.inject(arpFrame(ArpOperation.Request, PEER_MAC, PEER_IP, BOARD_IP))
            if (i % 25 === 24) await ds.sleep(0)
        }
        await rig.flush()
        expect(rig.take().length).toBe(10)
        expect(rig.stack.arp.stats[ArpMib.rate_limited]).toBe(90)
        expect(rig.stack.arp.stats[ArpMib.replies_sent]).toBe(10)
    })
})

describe("posture: a PERMANENT entry never changes", () => {
    beforeEach(yieldToScheduler)

    test("not by ARP of any kind, IPv4 from another MAC, table pressure, or carrier loss", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: GATEWAY_IP, mac: GATEWAY_MAC }]
        })
        const n = rig.stack.neigh.lookup(GATEWAY_IP)
        rig.dev.inject(arpReplyToBoard(EVIL, GATEWAY_IP))
        rig.dev.inject(arpFrame(ArpOperation.Request, EVIL, GATEWAY_IP, BOARD_IP))
        rig.dev.inject(arpFrame(ArpOperation.Request, EVIL, GATEWAY_IP, GATEWAY_IP))
        rig.dev.inject(arpFrame(ArpOperation.Reply, EVIL, GATEWAY_IP, GATEWAY_IP, hex`ff ff ff ff ff ff`))
        rig.dev.inject(echo(EVIL, GATEWAY_IP, BOARD_MAC, BOARD_IP, 1))
        // table pressure: requests for our address from 20 neighbours (each learnt, LRU evicted)
        for (let i = 0; i < 20; i++) {
            const m = Buffer.alloc(6)
            m[0] = 2
            m[5] = i + 1
            rig.t += 200
            rig.dev.inject(arpFrame(ArpOperation.Request, m, parseIpv4("192.0.2.100") + i, BOARD_IP))
        }
        rig.dev.setCarrier(false)
        rig.dev.setCarrier(true)
        rig.advance(60000)
        await rig.flush()
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Permanent)
        expect(neighIp(rig.stack.neigh, n)).toBe(GATEWAY_IP)
        expect(macAt(rig.stack.neigh.buf, n * NEIGH_ENTRY_LEN)).toBe("02:00:5e:10:00:01")
        expect(rig.stack.neigh.lookup(GATEWAY_IP) === n).toBe(true)
    })
})

describe("posture: IPv4 from an impossible source is dropped, never answered (no reflection)", () => {
    beforeEach(yieldToScheduler)

    test("echo requests from our own address, 0.0.0.0, broadcast, subnet broadcast, multicast, loopback: no reply, no entry, InAddrErrors", async () => {
        const rig = makeRig()
        const srcs = [BOARD_IP, 0, 0xffffffff, parseIpv4("192.0.2.255"), parseIpv4("224.0.0.5"), parseIpv4("127.0.0.1"), parseIpv4("250.1.2.3")]
        for (let i = 0; i < srcs.length; i++) rig.dev.inject(echo(EVIL, srcs[i], BOARD_MAC, BOARD_IP, i))
        await rig.flush()
        expect(rig.take().length).toBe(0)
        expect(entries(rig)).toBe(0)
        expect(rig.stack.ip.stats[IpMib.InAddrErrors]).toBe(srcs.length)
        expect(rig.stack.input.icmp[IcmpMib.InMsgs]).toBe(0)
    })

    test("an echo to the limited or the subnet broadcast is not answered (RFC 1122 §3.2.2.6)", async () => {
        const rig = makeRig()
        rig.dev.inject(arpReplyToBoard(COLLECTOR_MAC, COLLECTOR_IP))
        rig.dev.inject(echo(COLLECTOR_MAC, COLLECTOR_IP, hex`ff ff ff ff ff ff`, 0xffffffff, 1))
        rig.dev.inject(echo(COLLECTOR_MAC, COLLECTOR_IP, hex`ff ff ff ff ff ff`, parseIpv4("192.0.2.255"), 2))
        await rig.flush()
        expect(rig.take().length).toBe(0)
        expect(rig.stack.input.icmp[IcmpMib.InEchos]).toBe(2)
        expect(rig.stack.input.icmp[IcmpMib.OutEchoReps]).toBe(0)
        expect(rig.stack.input.icmp[IcmpMib.InErrors]).toBe(2)
    })
})

describe("posture: frames not addressed to us are dropped before parsing", () => {
    beforeEach(yieldToScheduler)

    test("a malformed IPv4 header to another MAC or to a group we did not join is never parsed", async () => {
        const rig = makeRig()
        const bad = echo(COLLECTOR_MAC, COLLECTOR_IP, hex`02 00 00 00 00 99`, BOARD_IP, 1)
        bad[14] = 0x4f // IHL 15 in a 20-byte header, and a wrong checksum: would be InHdrErrors if parsed
        rig.dev.inject(bad)
        const mc = echo(COLLECTOR_MAC, COLLECTOR_IP, hex`01 00 5e 00 00 fb`, parseIpv4("224.0.0.251"), 2)
        mc[14] = 0x4f
        rig.dev.inject(mc)
        const l = rig.stack.link
        expect(l[LinkMib.rx_otherhost_dropped]).toBe(2)
        expect(rig.stack.ip.stats[IpMib.InReceives]).toBe(0)
        expect(rig.stack.ip.stats[IpMib.InHdrErrors]).toBe(0)
    })

    test("VLAN-tagged, IPv6 and runt frames: counted, not parsed", async () => {
        const rig = makeRig()
        const v = echo(COLLECTOR_MAC, COLLECTOR_IP, BOARD_MAC, BOARD_IP, 1)
        v[12] = 0x81
        v[13] = 0x00
        rig.dev.inject(v)
        const six = echo(COLLECTOR_MAC, COLLECTOR_IP, BOARD_MAC, BOARD_IP, 2)
        six[12] = 0x86
        six[13] = 0xdd
        rig.dev.inject(six)
        rig.dev.inject(Buffer.alloc(13))
        const l = rig.stack.link
        expect(l[LinkMib.rx_dropped]).toBe(2)
        expect(l[LinkMib.rx_errors]).toBe(1)
        expect(rig.stack.ip.stats[IpMib.InReceives]).toBe(0)
        expect(rig.stack.arp.stats[ArpMib.requests_received] + rig.stack.arp.stats[ArpMib.replies_received]).toBe(0)
    })
})
