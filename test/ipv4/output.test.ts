import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, makeRig, arpReplyToBoard, GATEWAY_MAC, COLLECTOR_MAC, macAt } from "../support/rig"
import { refChecksum, refUdpChecksumOk, be16, be32, pattern } from "../support/ref"
import { BOARD_IP, GATEWAY_IP, COLLECTOR_IP } from "../support/config"
import { SendResult } from "../../src/ipv4/output"
import { PmtuDisc } from "../../src/udp/socket"
import { NeighMib, neighState, NO_NEIGH, NudState } from "../../src/neigh/neighbour"
import { fibDelete, RouteType } from "../../src/ipv4/fib"
import { addCallback, addRule, Verdict } from "../../src/ipv4/hooks"
import { parseIpv4 } from "../../src/wire/addr"
import { LinkMib, QdiscMib } from "../../src/dev/counters"
import { ringLiveCount } from "../../src/dev/ring"
import { IpMib } from "../../src/ipv4/mib"
import { UdpMib } from "../../src/udp/mib"
import { ArpMib } from "../../src/ipv4/arp"

const REMOTE = parseIpv4("198.51.100.7")


describe("udp output, resolved neighbour", () => {
    beforeEach(yieldToScheduler)

    test("a datagram to an on-link host with a static ARP entry: every header byte", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        const s = rig.stack.udpSocket(40000)
        const payload = Buffer.from("board.uptime:42|g")
        expect(s.sendTo(COLLECTOR_IP, 8125, payload)).toBe(SendResult.Sent)
        expect(await rig.flush()).toBe(1)
        const f = rig.take()[0]
        expect(f.length).toBe(14 + 20 + 8 + 17)
        expect(macAt(f, 0)).toBe("02:00:5e:10:00:14")
        expect(macAt(f, 6)).toBe("02:00:5e:10:00:0a")
        expect(be16(f, 12)).toBe(0x0800)
        // IPv4: version 4, IHL 5, TOS 0, total 45, DF (fits the MTU, PMTU "want"), ID 0 (RFC 6864 atomic)
        expect(f[14]).toBe(0x45)
        expect(f[15]).toBe(0)
        expect(be16(f, 16)).toBe(45)
        expect(be16(f, 18)).toBe(0)
        expect(be16(f, 20)).toBe(0x4000)
        expect(f[22]).toBe(64)
        expect(f[23]).toBe(17)
        expect(be32(f, 26)).toBe(BOARD_IP)
        expect(be32(f, 30)).toBe(COLLECTOR_IP)
        expect(refChecksum(f, 14, 20)).toBe(0)
        // UDP
        expect(be16(f, 34)).toBe(40000)
        expect(be16(f, 36)).toBe(8125)
        expect(be16(f, 38)).toBe(25)
        expect(refUdpChecksumOk(f, 34, 25, BOARD_IP, COLLECTOR_IP)).toBe(true)
        expect(f.slice(42).toString()).toBe("board.uptime:42|g")
        expect(rig.stack.ip.stats[IpMib.OutRequests]).toBe(1)
        expect(rig.stack.udp.stats[UdpMib.OutDatagrams]).toBe(1)
        expect(rig.stack.qdisc.stats[QdiscMib.packets]).toBe(1)
        expect(rig.stack.link[LinkMib.tx_bytes]).toBe(59)
    })

    test("off-link destination goes to the gateway's MAC; TTL override per route", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: GATEWAY_IP, mac: GATEWAY_MAC }]
            c.routes = [{ dest: parseIpv4("198.51.100.0"), prefix: 24, gateway: GATEWAY_IP, kind: "unicast", metric: 0, ttl: 9 }]
        })
        const s = rig.stack.udpSocket(1234)
        expect(s.sendTo(REMOTE, 53, Buffer.from("x"))).toBe(SendResult.Sent)
        expect(s.sendTo(parseIpv4("203.0.113.9"), 53, Buffer.from("y"))).toBe(SendResult.Sent)
        await rig.flush()
        const fs = rig.take()
        expect(macAt(fs[0], 0)).toBe("02:00:5e:10:00:01")
        expect(fs[0][22]).toBe(9)
        expect(be32(fs[0], 30)).toBe(REMOTE)
        expect(macAt(fs[1], 0)).toBe("02:00:5e:10:00:01")
        expect(fs[1][22]).toBe(64)
    })

    test("PMTU discovery policy: DF clear with IP_PMTUDISC_DONT, and a counter ID", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        const s = rig.stack.udpSocket(1000)
        s.pmtudisc = PmtuDisc.Dont
        s.sendTo(COLLECTOR_IP, 9, Buffer.from("a"))
        s.sendTo(COLLECTOR_IP, 9, Buffer.from("b"))
        await rig.flush()
        const fs = rig.take()
        expect(be16(fs[0], 20)).toBe(0)
        const id0 = be16(fs[0], 18)
        expect(id0 === 0).toBe(false)
        expect(be16(fs[1], 18)).toBe(id0 + 1)
    })

    test("broadcast and multicast map straight to a MAC without ARP", async () => {
        const rig = makeRig()
        const s = rig.stack.udpSocket(68)
        s.pmtudisc = PmtuDisc.Dont
        expect(s.sendTo(0xffffffff, 67, Buffer.from("bcast"))).toBe(SendResult.Sent)
        expect(s.sendTo(parseIpv4("192.0.2.255"), 67, Buffer.from("subnet"))).toBe(SendResult.Sent)
        expect(s.sendTo(parseIpv4("239.129.2.3"), 5000, Buffer.from("mc"))).toBe(SendResult.Sent)
        await rig.flush()
        const fs = rig.take()
        expect(fs.length).toBe(3)
        expect(macAt(fs[0], 0)).toBe("ff:ff:ff:ff:ff:ff")
        expect(macAt(fs[1], 0)).toBe("ff:ff:ff:ff:ff:ff")
        expect(macAt(fs[2], 0)).toBe("01:00:5e:01:02:03")
        expect(rig.stack.arp.stats[ArpMib.requests_sent]).toBe(0)
    })
})

describe("route outcomes", () => {
    beforeEach(yieldToScheduler)

    test("no route, unreachable, prohibit, blackhole: typed results and counters", () => {
        const rig = makeRig(c => {
            c.gateway = 0
            c.routes = [
                { dest: parseIpv4("198.51.100.0"), prefix: 24, gateway: 0, kind: "unreachable", metric: 0, ttl: 0 },
                { dest: parseIpv4("203.0.113.0"), prefix: 25, gateway: 0, kind: "prohibit", metric: 0, ttl: 0 },
                { dest: parseIpv4("203.0.113.128"), prefix: 25, gateway: 0, kind: "blackhole", metric: 0, ttl: 0 },
            ]
        })
        const s = rig.stack.udpSocket(1)
        const b = Buffer.from("z")
        expect(s.sendTo(parseIpv4("8.8.8.8"), 53, b)).toBe(SendResult.NoRoute)
        expect(s.sendTo(REMOTE, 53, b)).toBe(SendResult.Unreachable)
        expect(s.sendTo(parseIpv4("203.0.113.1"), 53, b)).toBe(SendResult.Prohibited)
        expect(s.sendTo(parseIpv4("203.0.113.200"), 53, b)).toBe(SendResult.Blackhole)
        const st = rig.stack.ip.stats
        expect(st[IpMib.OutNoRoutes]).toBe(3)
        expect(st[IpMib.OutDiscards]).toBe(1)
        expect(st[IpMib.OutRequests]).toBe(0)
        expect(rig.stack.qdisc.stats[QdiscMib.qlen]).toBe(0)
    })

    test("the socket's cached route is re-validated when the FIB changes", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: GATEWAY_IP, mac: GATEWAY_MAC }]
        })
        const s = rig.stack.udpSocket(7)
        s.connect(REMOTE, 9)
        expect(s.send(Buffer.from("1"))).toBe(SendResult.Sent)
        const lookups = rig.stack.fib.genid
        // more specific blackhole route: the cached default route must not be used any more
        rig.stack.fib.add(parseIpv4("198.51.100.0"), 24, 0, RouteType.Blackhole, 0, 0, false)
        expect(rig.stack.fib.genid).toBe(lookups + 1)
        expect(s.send(Buffer.from("2"))).toBe(SendResult.Blackhole)
        fibDelete(rig.stack.fib, parseIpv4("198.51.100.0"), 24, 0)
        expect(s.send(Buffer.from("3"))).toBe(SendResult.Sent)
        await rig.flush()
        expect(rig.take().length).toBe(2)
    })

    test("link down: LinkDown, counted, nothing queued", () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        rig.dev.setCarrier(false)
        const s = rig.stack.udpSocket(7)
        expect(s.sendTo(COLLECTOR_IP, 9, Buffer.from("x"))).toBe(SendResult.LinkDown)
        expect(rig.stack.link[LinkMib.tx_carrier_errors]).toBe(1)
        expect(rig.stack.ip.stats[IpMib.OutDiscards]).toBe(1)
        expect(rig.stack.link[LinkMib.carrier_changes]).toBe(1)
    })
})

describe("hooks", () => {
    beforeEach(yieldToScheduler)

    test("a LOCAL_OUT drop rule filters by port and counts; other traffic passes", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        const rule = addRule(rig.stack.ip.localOut, { protocol: 17, dstPort: 9999, verdict: Verdict.Drop })
        const s = rig.stack.udpSocket(7)
        expect(s.sendTo(COLLECTOR_IP, 9999, Buffer.from("abc"))).toBe(SendResult.Filtered)
        expect(s.sendTo(COLLECTOR_IP, 9998, Buffer.from("abc"))).toBe(SendResult.Sent)
        expect(rule.packets).toBe(1)
        expect(rule.bytes).toBe(20 + 8 + 3)
        expect(rig.stack.ip.stats[IpMib.OutDiscards]).toBe(1)
        await rig.flush()
        expect(rig.take().length).toBe(1)
    })

    test("POST_ROUTING drop by destination prefix", () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: GATEWAY_IP, mac: GATEWAY_MAC }]
        })
        const r = addRule(rig.stack.ip.postRouting, { dst: parseIpv4("198.51.100.0"), dstPrefix: 24, verdict: Verdict.Drop })
        const s = rig.stack.udpSocket(7)
        expect(s.sendTo(REMOTE, 1, Buffer.from("q"))).toBe(SendResult.Filtered)
        expect(s.sendTo(parseIpv4("203.0.113.1"), 1, Buffer.from("q"))).toBe(SendResult.Sent)
        expect(r.packets).toBe(1)
    })

    test("a callback that rewrites the destination makes the packet route again", async () => {
        const rig = makeRig(c => {
            c.arp = [
                { ip: GATEWAY_IP, mac: GATEWAY_MAC },
                { ip: COLLECTOR_IP, mac: COLLECTOR_MAC },
            ]
        })
        addCallback(rig.stack.ip.localOut, p => {
            if (p.dst === REMOTE) p.dst = COLLECTOR_IP
            return Verdict.Accept
        })
        const s = rig.stack.udpSocket(7)
        expect(s.sendTo(REMOTE, 5, Buffer.from("redirect"))).toBe(SendResult.Sent)
        await rig.flush()
        const f = rig.take()[0]
        // routed again: on-link collector, not the gateway; checksum over the new address
        expect(macAt(f, 0)).toBe("02:00:5e:10:00:14")
        expect(be32(f, 30)).toBe(COLLECTOR_IP)
        expect(refUdpChecksumOk(f, 34, 16, BOARD_IP, COLLECTOR_IP)).toBe(true)
    })

    test("a full chain refuses a new rule", () => {
        const rig = makeRig(c => {
            c.hookRuleCapacity = 2
        })
        const added = () => (addRule(rig.stack.ip.localOut, { verdict: Verdict.Accept }) === null ? "refused" : "added")
        expect(added()).toBe("added")
        expect(added()).toBe("added")
        expect(added()).toBe("refused")
    })
})

describe("neighbour resolution", () => {
    beforeEach(yieldToScheduler)

    test("the first datagram to an unresolved neighbour is queued, then sent after the reply", async () => {
        const rig = makeRig()
        const s = rig.stack.udpSocket(40000)
        expect(s.sendTo(COLLECTOR_IP, 8125, Buffer.from("first"))).toBe(SendResult.Queued)
        await rig.flush()
        const req = rig.take()
        expect(req.length).toBe(1)
        // ARP request: broadcast, who-has 192.0.2.20 tell 192.0.2.10
        expect(macAt(req[0], 0)).toBe("ff:ff:ff:ff:ff:ff")
        expect(be16(req[0], 12)).toBe(0x0806)
        expect(be16(req[0], 20)).toBe(1)
        expect(be32(req[0], 28)).toBe(BOARD_IP)
        expect(be32(req[0], 38)).toBe(COLLECTOR_IP)
        const n = rig.stack.neigh.lookup(COLLECTOR_IP)
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Incomplete)
        rig.dev.inject(arpReplyToBoard(COLLECTOR_MAC, COLLECTOR_IP))
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Reachable)
        await rig.flush()
        const out = rig.take()
        expect(out.length).toBe(1)
        expect(macAt(out[0], 0)).toBe("02:00:5e:10:00:14")
        expect(out[0].slice(42).toString()).toBe("first")
        expect(s.sendTo(COLLECTOR_IP, 8125, Buffer.from("second"))).toBe(SendResult.Sent)
    })

    test("an unanswered neighbour: 3 requests 1 s apart, then FAILED and its queue dropped with counters", async () => {
        const rig = makeRig()
        const s = rig.stack.udpSocket(1)
        expect(s.sendTo(COLLECTOR_IP, 9, Buffer.from("a"))).toBe(SendResult.Queued)
        expect(s.sendTo(COLLECTOR_IP, 9, Buffer.from("b"))).toBe(SendResult.Queued)
        rig.advance(999)
        await rig.flush()
        expect(rig.take().length).toBe(1)
        rig.advance(1)
        rig.advance(1000)
        await rig.flush()
        expect(rig.take().length).toBe(2)
        const n = rig.stack.neigh.lookup(COLLECTOR_IP)
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Incomplete)
        rig.advance(1000)
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Failed)
        const ns = rig.stack.neigh.stats
        expect(ns[NeighMib.res_failed]).toBe(1)
        expect(ns[NeighMib.unresolved_discards]).toBe(2)
        expect(rig.stack.arp.stats[ArpMib.requests_sent]).toBe(3)
        expect(ringLiveCount(rig.stack.qdisc.pool)).toBe(0)
        // the next datagram starts a new resolution
        expect(s.sendTo(COLLECTOR_IP, 9, Buffer.from("c"))).toBe(SendResult.Queued)
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Incomplete)
    })

    test("the fragments of a 4,000-byte datagram fit the pending queue and all go out on the reply", async () => {
        const rig = makeRig()
        const s = rig.stack.udpSocket(40001)
        expect(s.sendTo(COLLECTOR_IP, 9000, pattern(4000, 1))).toBe(SendResult.Queued)
        rig.dev.inject(arpReplyToBoard(COLLECTOR_MAC, COLLECTOR_IP))
        await rig.flush()
        const fs = rig.take()
        expect(fs.length).toBe(4)
        expect(be16(fs[0], 12)).toBe(0x0806)
        for (let i = 1; i < 4; i++) expect(macAt(fs[i], 0)).toBe("02:00:5e:10:00:14")
        expect(rig.stack.neigh.stats[NeighMib.unresolved_discards]).toBe(0)
    })

    test("REACHABLE -> STALE after the reachable time, DELAY on use, PROBE with unicast requests", async () => {
        const rig = makeRig()
        const s = rig.stack.udpSocket(1)
        s.sendTo(COLLECTOR_IP, 9, Buffer.from("a"))
        rig.dev.inject(arpReplyToBoard(COLLECTOR_MAC, COLLECTOR_IP))
        await rig.flush()
        rig.take()
        const n = rig.stack.neigh.lookup(COLLECTOR_IP)
        rig.advance(30000)
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Stale)
        expect(s.sendTo(COLLECTOR_IP, 9, Buffer.from("b"))).toBe(SendResult.Sent)
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Delay)
        rig.advance(5000)
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Probe)
        await rig.flush()
        const fs = rig.take()
        // the datagram (sent with the cached address) and a unicast probe
        expect(fs.length).toBe(2)
        expect(be16(fs[1], 12)).toBe(0x0806)
        expect(macAt(fs[1], 0)).toBe("02:00:5e:10:00:14")
        rig.dev.inject(arpReplyToBoard(COLLECTOR_MAC, COLLECTOR_IP))
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Reachable)
    })

    test("a table full of PERMANENT entries gives a typed error, not a crash", () => {
        const rig = makeRig(c => {
            c.neighCapacity = 2
            c.arp = [
                { ip: GATEWAY_IP, mac: GATEWAY_MAC },
                { ip: COLLECTOR_IP, mac: COLLECTOR_MAC },
            ]
        })
        const s = rig.stack.udpSocket(1)
        expect(s.sendTo(parseIpv4("192.0.2.99"), 9, Buffer.from("a"))).toBe(SendResult.NeighbourTableFull)
        expect(rig.stack.neigh.stats[NeighMib.table_fulls]).toBe(1)
        expect(rig.stack.ip.stats[IpMib.OutDiscards]).toBe(1)
    })

    test("eviction takes the least recently used idle entry, never PERMANENT", () => {
        const rig = makeRig(c => {
            c.neighCapacity = 3
            c.arp = [{ ip: GATEWAY_IP, mac: GATEWAY_MAC }]
        })
        const s = rig.stack.udpSocket(1)
        const a = parseIpv4("192.0.2.30")
        const b = parseIpv4("192.0.2.31")
        s.sendTo(a, 9, Buffer.from("a"))
        rig.dev.inject(arpReplyToBoard(hex`02 00 00 00 00 1e`, a))
        rig.t += 10
        s.sendTo(b, 9, Buffer.from("b"))
        rig.dev.inject(arpReplyToBoard(hex`02 00 00 00 00 1f`, b))
        rig.t += 10
        s.sendTo(a, 9, Buffer.from("a again"))
        rig.t += 10
        s.sendTo(parseIpv4("192.0.2.32"), 9, Buffer.from("c"))
        expect(rig.stack.neigh.lookup(b) === NO_NEIGH).toBe(true)
        expect(rig.stack.neigh.lookup(a) === NO_NEIGH).toBe(false)
        expect(neighState(rig.stack.neigh, rig.stack.neigh.lookup(GATEWAY_IP))).toBe(NudState.Permanent)
    })
})
