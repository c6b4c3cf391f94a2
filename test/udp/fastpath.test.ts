import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, makeRig, arpReplyToBoard, COLLECTOR_MAC, macAt, Rig } from "../support/rig"
import { refChecksum, refUdpChecksumOk, be16, be32, pattern } from "../support/ref"
import { BOARD_IP, COLLECTOR_IP } from "../support/config"
import { SendResult } from "../../src/ipv4/output"
import { Kept } from "../../src/ipv4/packet"
import { PmtuDisc, setIpOptions, UdpSocket } from "../../src/udp/socket"
import { neighState, NudState } from "../../src/neigh/neighbour"
import { addRule, Verdict } from "../../src/ipv4/hooks"
import { fibDelete, RouteType } from "../../src/ipv4/fib"
import { IpMib } from "../../src/ipv4/mib"
import { UdpMib } from "../../src/udp/mib"
import { LinkMib } from "../../src/dev/counters"

// The connected-socket fast path (Ipv4Output.fastReserve, UdpSocket.sendTo): after a datagram the
// slow path sent whole to a resolved neighbour, the socket keeps its Ethernet and IPv4 headers and
// the next datagrams to the same place reuse them. Each test shows a datagram that took the kept
// headers is right byte for byte, and that each change they depend on is seen at the next send.

const ROUTER_IP = 0xc00002fe // 192.0.2.254
const ROUTER_MAC = hex`02 00 5e 10 00 fe`
const NEW_MAC = hex`02 00 5e 10 00 99`

function staticRig(): Rig {
    return makeRig(c => {
        c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
    })
}

/** Send `len` bytes to the collector's port 8125 and hand the frames to the device: the frame. */
async function sendOne(rig: Rig, s: UdpSocket, len: number, seed: number, expected: SendResult): Promise<Buffer> {
    expect(s.sendTo(COLLECTOR_IP, 8125, pattern(len, seed), 0, len)).toBe(expected)
    await rig.flush()
    const fs = rig.take()
    return fs.length > 0 ? fs[fs.length - 1] : null
}

/** Every header byte of a datagram from the board's port 40000 to the collector's 8125, worked out here. */
function checkFrame(f: Buffer, len: number, seed: number, dstMac: string, tos: number, ttl: number, df: boolean): void {
    expect(f.length).toBe(14 + 20 + 8 + len)
    expect(macAt(f, 0)).toBe(dstMac)
    expect(macAt(f, 6)).toBe("02:00:5e:10:00:0a")
    expect(be16(f, 12)).toBe(0x0800)
    expect(f[14]).toBe(0x45)
    expect(f[15]).toBe(tos)
    expect(be16(f, 16)).toBe(20 + 8 + len)
    expect(be16(f, 20)).toBe(df ? 0x4000 : 0)
    expect(f[22]).toBe(ttl)
    expect(f[23]).toBe(17)
    expect(be32(f, 26)).toBe(BOARD_IP)
    expect(be32(f, 30)).toBe(COLLECTOR_IP)
    expect(refChecksum(f, 14, 20)).toBe(0)
    expect(be16(f, 34)).toBe(40000)
    expect(be16(f, 36)).toBe(8125)
    expect(be16(f, 38)).toBe(8 + len)
    expect(refUdpChecksumOk(f, 34, 8 + len, BOARD_IP, COLLECTOR_IP)).toBe(true)
    const p = pattern(len, seed)
    let same = true
    for (let i = 0; i < len; i++) if (f[42 + i] !== p[i]) same = false
    expect(same).toBe(true)
}

function kept(s: UdpSocket): number {
    return s.pkt.hdr[Kept.Len]
}

describe("connected-socket fast path", () => {
    beforeEach(yieldToScheduler)

    test("the second datagram reuses the kept headers: every byte, the counters the slow path keeps", async () => {
        const rig = staticRig()
        const s = rig.stack.udpSocket(40000)
        expect(kept(s)).toBe(0)
        checkFrame(await sendOne(rig, s, 17, 1, SendResult.Sent), 17, 1, "02:00:5e:10:00:14", 0, 64, true)
        // Ethernet 14 + IPv4 20 bytes kept
        expect(kept(s)).toBe(34)
        // another length and payload: total length, the IPv4 checksum (RFC 1624) and UDP checksum follow
        for (let k = 0; k < 3; k++) checkFrame(await sendOne(rig, s, 100 + 301 * k, 2 + k, SendResult.Sent), 100 + 301 * k, 2 + k, "02:00:5e:10:00:14", 0, 64, true)
        expect(kept(s)).toBe(34)
        expect(rig.stack.ip.stats[IpMib.OutRequests]).toBe(4)
        expect(rig.stack.udp.stats[UdpMib.OutDatagrams]).toBe(4)
        expect(rig.stack.link[LinkMib.tx_packets]).toBe(4)
    })

    test("a datagram that may be fragmented (PMTU discovery off) gets a new ID each time, checksum updated", async () => {
        const rig = staticRig()
        const s = rig.stack.udpSocket(40000)
        s.pmtudisc = PmtuDisc.Dont
        const f1 = await sendOne(rig, s, 40, 1, SendResult.Sent)
        const f2 = await sendOne(rig, s, 40, 2, SendResult.Sent)
        const f3 = await sendOne(rig, s, 41, 3, SendResult.Sent)
        checkFrame(f2, 40, 2, "02:00:5e:10:00:14", 0, 64, false)
        checkFrame(f3, 41, 3, "02:00:5e:10:00:14", 0, 64, false)
        expect(be16(f2, 18)).toBe(be16(f1, 18) + 1)
        expect(be16(f3, 18)).toBe(be16(f1, 18) + 2)
    })

    test("socket options: TOS, TTL, PMTU discovery and IP options are seen at the next send", async () => {
        const rig = staticRig()
        const s = rig.stack.udpSocket(40000)
        await sendOne(rig, s, 20, 1, SendResult.Sent)
        s.tos = 0x10
        checkFrame(await sendOne(rig, s, 20, 2, SendResult.Sent), 20, 2, "02:00:5e:10:00:14", 0x10, 64, true)
        s.ttl = 5
        checkFrame(await sendOne(rig, s, 20, 3, SendResult.Sent), 20, 3, "02:00:5e:10:00:14", 0x10, 5, true)
        s.pmtudisc = PmtuDisc.Dont
        checkFrame(await sendOne(rig, s, 20, 4, SendResult.Sent), 20, 4, "02:00:5e:10:00:14", 0x10, 5, false)
        // a record-route option (RFC 791): a 24-byte header from then on
        expect(setIpOptions(s, hex`07 03 04 00`, 0, 4)).toBe(true)
        const f = await sendOne(rig, s, 20, 5, SendResult.Sent)
        expect(f[14]).toBe(0x46)
        expect(refChecksum(f, 14, 24)).toBe(0)
        const g = await sendOne(rig, s, 21, 6, SendResult.Sent)
        expect(g.length).toBe(14 + 24 + 8 + 21)
        expect(g[14]).toBe(0x46)
        expect(be16(g, 16)).toBe(24 + 8 + 21)
        expect(refChecksum(g, 14, 24)).toBe(0)
        expect(refUdpChecksumOk(g, 38, 8 + 21, BOARD_IP, COLLECTOR_IP)).toBe(true)
    })

    test("a route change (FIB generation) sends the next datagram the new way", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }, { ip: ROUTER_IP, mac: ROUTER_MAC }]
        })
        const s = rig.stack.udpSocket(40000)
        await sendOne(rig, s, 20, 1, SendResult.Sent)
        await sendOne(rig, s, 20, 2, SendResult.Sent)
        // a host route to the collector through 192.0.2.254 (longer prefix than the connected /24)
        expect(rig.stack.fib.add(COLLECTOR_IP, 32, ROUTER_IP, RouteType.Unicast, 0, 0, false)).toBe(0)
        checkFrame(await sendOne(rig, s, 20, 3, SendResult.Sent), 20, 3, "02:00:5e:10:00:fe", 0, 64, true)
        checkFrame(await sendOne(rig, s, 20, 4, SendResult.Sent), 20, 4, "02:00:5e:10:00:fe", 0, 64, true)
        // the route replaced by a blackhole: the kept headers must not get past it
        expect(fibDelete(rig.stack.fib, COLLECTOR_IP, 32, 0)).toBe(0)
        expect(rig.stack.fib.add(COLLECTOR_IP, 32, 0, RouteType.Blackhole, 0, 0, false)).toBe(0)
        expect(await sendOne(rig, s, 20, 5, SendResult.Blackhole)).toBe(null)
    })

    test("the neighbour's MAC changing, and its state ageing to STALE, are seen at the next send", async () => {
        const rig = makeRig()
        const s = rig.stack.udpSocket(40000)
        // resolution: queued (the ARP request goes out), then the reply makes it REACHABLE and the frame goes
        expect(be16(await sendOne(rig, s, 20, 1, SendResult.Queued), 12)).toBe(0x0806)
        rig.dev.inject(arpReplyToBoard(COLLECTOR_MAC, COLLECTOR_IP))
        await rig.flush()
        rig.take()
        await sendOne(rig, s, 20, 2, SendResult.Sent)
        expect(kept(s)).toBe(34)
        const n = rig.stack.neigh.lookup(COLLECTOR_IP)
        // the collector answers again from another MAC (a solicited reply: REACHABLE, new address)
        rig.dev.inject(arpReplyToBoard(NEW_MAC, COLLECTOR_IP))
        checkFrame(await sendOne(rig, s, 20, 3, SendResult.Sent), 20, 3, "02:00:5e:10:00:99", 0, 64, true)
        // REACHABLE -> STALE after the reachable time: the next send moves it to DELAY as the slow path does
        rig.advance(31000)
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Stale)
        checkFrame(await sendOne(rig, s, 20, 4, SendResult.Sent), 20, 4, "02:00:5e:10:00:99", 0, 64, true)
        expect(neighState(rig.stack.neigh, n)).toBe(NudState.Delay)
    })

    test("a hook rule added after the headers were kept still filters", async () => {
        const rig = staticRig()
        const s = rig.stack.udpSocket(40000)
        await sendOne(rig, s, 20, 1, SendResult.Sent)
        await sendOne(rig, s, 20, 2, SendResult.Sent)
        const rule = addRule(rig.stack.ip.localOut, { protocol: 17, dstPort: 8125, verdict: Verdict.Drop })
        expect(await sendOne(rig, s, 20, 3, SendResult.Filtered)).toBe(null)
        expect(rule.packets).toBe(1)
        expect(rig.stack.ip.stats[IpMib.OutDiscards]).toBe(1)
    })

    test("the carrier going and coming back: LinkDown while down, the kept headers used again after", async () => {
        const rig = staticRig()
        const s = rig.stack.udpSocket(40000)
        await sendOne(rig, s, 20, 1, SendResult.Sent)
        await sendOne(rig, s, 20, 2, SendResult.Sent)
        rig.dev.setCarrier(false)
        expect(await sendOne(rig, s, 20, 3, SendResult.LinkDown)).toBe(null)
        expect(rig.stack.link[LinkMib.tx_carrier_errors]).toBe(1)
        rig.dev.setCarrier(true)
        await rig.flush()
        rig.take()
        checkFrame(await sendOne(rig, s, 20, 4, SendResult.Sent), 20, 4, "02:00:5e:10:00:14", 0, 64, true)
        expect(kept(s)).toBe(34)
    })

    test("a full queue is refused as the slow path refuses it (QueueFull, counted), kept headers or not", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
            c.qdiscLimitPackets = 2
        })
        const s = rig.stack.udpSocket(40000)
        await sendOne(rig, s, 20, 1, SendResult.Sent)
        expect(s.sendTo(COLLECTOR_IP, 8125, pattern(20, 2), 0, 20)).toBe(SendResult.Sent)
        expect(s.sendTo(COLLECTOR_IP, 8125, pattern(20, 3), 0, 20)).toBe(SendResult.Sent)
        expect(s.sendTo(COLLECTOR_IP, 8125, pattern(20, 4), 0, 20)).toBe(SendResult.QueueFull)
        expect(rig.stack.udp.stats[UdpMib.SndbufErrors]).toBe(1)
        expect(await rig.flush()).toBe(2)
    })
})
