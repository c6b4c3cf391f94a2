// Every frame the stack takes is accounted for by exactly one counter, and hostile traffic cannot
// starve the transmit path. Regressions found by the soak (test/robust/soak.ts), reproduced on a
// TestDevice stack with a controllable clock. The ledger identity the soak checks:
//
//   datagrams Sent + Queued + ARP requests_sent + replies_sent + Icmp.OutEchoReps
//     = tx_packets + tx_dropped + unresolved_discards + frames in the qdisc + frames pending
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, makeRig, arpReplyToBoard, COLLECTOR_MAC, Rig } from "../support/rig"
import { COLLECTOR_IP, BOARD_IP } from "../support/config"
import { SendResult } from "../../src/ipv4/output"
import { parseIpv4 } from "../../src/wire/addr"
import { ethernetEmit, EtherType } from "../../src/wire/ethernet"
import { Ipv4Repr } from "../../src/wire/ipv4"
import { icmpEchoEmit, IcmpType } from "../../src/wire/icmp"
import { LinkMib, QdiscMib } from "../../src/dev/counters"
import { IcmpMib } from "../../src/ipv4/mib"
import { UdpMib } from "../../src/udp/mib"
import { NeighMib } from "../../src/neigh/neighbour"
import { pendingTotal } from "../../src/neigh/pending"
import { ArpMib } from "../../src/ipv4/arp"

const SILENT_A = parseIpv4("192.0.2.30")
const SILENT_B = parseIpv4("192.0.2.31")
const SILENT_C = parseIpv4("192.0.2.32")

/** An echo request to the board from `src` (a spoofed address nobody answers ARP for), `data` bytes. */
function ping(src: number, data: number, seq: number): Buffer {
    const f = Buffer.alloc(14 + 20 + 8 + data)
    ethernetEmit(f, 0, hex`02 00 5e 10 00 0a`, 0, hex`02 66 66 66 66 66`, EtherType.Ipv4)
    f.fillAt(42, data, 0x5a)
    icmpEchoEmit(f, 34, IcmpType.EchoRequest, 0x6666, seq, data)
    const ip = new Ipv4Repr()
    ip.src = src
    ip.dst = BOARD_IP
    ip.protocol = 1
    ip.ttl = 64
    ip.ident = seq
    ip.totalLength = 20 + 8 + data
    ip.emit(f, 14)
    return f
}

/** The ledger's residual (must be 0); `udpAccepted` = datagrams whose sendTo answered Sent or Queued. */
function residual(rig: Rig, udpAccepted: number): number {
    const s = rig.stack
    const pending = pendingTotal(s.neigh.pending)
    const accepted = udpAccepted + s.arp.stats[ArpMib.requests_sent] + s.arp.stats[ArpMib.replies_sent] + s.input.icmp[IcmpMib.OutEchoReps]
    return accepted - (s.link[LinkMib.tx_packets] + s.link[LinkMib.tx_dropped] + s.neigh.stats[NeighMib.unresolved_discards] + s.qdisc.stats[QdiscMib.qlen] + pending)
}

describe("accounting: every frame the stack takes ends in one counter", () => {
    beforeEach(yieldToScheduler)

    test("frames a neighbour drops from its pending queue (over its limit) are counted, also once the entry is reused", async () => {
        const rig = makeRig(c => {
            c.neighPendingPackets = 2
        })
        const s = rig.stack.udpSocket(1)
        for (let i = 0; i < 4; i++) expect(s.sendTo(SILENT_A, 9, Buffer.from("x" + i))).toBe(SendResult.Queued)
        // two waiting, the two oldest dropped for the newer ones
        expect(rig.stack.neigh.stats[NeighMib.unresolved_discards]).toBe(2)
        // three requests a second apart, then FAILED: the two still waiting are dropped too
        for (let i = 0; i < 3; i++) rig.advance(1000)
        expect(rig.stack.neigh.stats[NeighMib.unresolved_discards]).toBe(4)
        await rig.flush()
        expect(residual(rig, 4)).toBe(0)
    })

    test("a datagram refused at send is counted once (QueueFull, SndbufErrors), not also as a discarded pending frame", async () => {
        const rig = makeRig(c => {
            c.neighPendingBytes = 1600
            c.qdiscLimitBytes = 1600
        })
        const s = rig.stack.udpSocket(1)
        const big = Buffer.alloc(700)
        // two neighbours' pending frames fill the shared pool (its size: one queue's limit and the
        // records' headers)
        expect(s.sendTo(SILENT_A, 9, big)).toBe(SendResult.Queued)
        expect(s.sendTo(SILENT_B, 9, big)).toBe(SendResult.Queued)
        const before = rig.stack.neigh.stats[NeighMib.unresolved_discards]
        expect(s.sendTo(SILENT_C, 9, big)).toBe(SendResult.QueueFull)
        expect(rig.stack.neigh.stats[NeighMib.unresolved_discards]).toBe(before)
        expect(rig.stack.udp.stats[UdpMib.SndbufErrors]).toBe(1)
        await rig.flush()
        expect(residual(rig, 2)).toBe(0)
    })

    test("a resolved frame the qdisc has no room for when released is counted as an unresolved discard", async () => {
        const rig = makeRig(c => {
            c.qdiscLimitPackets = 2
            c.neighPendingPackets = 4
        })
        const s = rig.stack.udpSocket(1)
        for (let i = 0; i < 4; i++) expect(s.sendTo(COLLECTOR_IP, 9, Buffer.from("p" + i))).toBe(SendResult.Queued)
        // the ARP request sits in the qdisc; the device takes nothing for now
        rig.dev.refuse = 100
        await rig.flush()
        rig.dev.inject(arpReplyToBoard(COLLECTOR_MAC, COLLECTOR_IP))
        // one slot left in the qdisc: one frame joins it, three are dropped and counted
        expect(rig.stack.qdisc.stats[QdiscMib.qlen]).toBe(2)
        expect(rig.stack.neigh.stats[NeighMib.unresolved_discards]).toBe(3)
        rig.dev.refuse = 0
        rig.stack.drain.wakeQueue()
        await rig.flush()
        expect(residual(rig, 4)).toBe(0)
    })

    test("echo replies: OutEchoReps counts replies handed to IP; one the output path refuses is counted in OutErrors", async () => {
        const rig = makeRig()
        rig.dev.inject(arpReplyToBoard(COLLECTOR_MAC, COLLECTOR_IP))
        rig.dev.setCarrier(false)
        rig.dev.inject(ping(COLLECTOR_IP, 8, 1))
        const i = rig.stack.input.icmp
        expect(i[IcmpMib.InEchos]).toBe(1)
        expect(i[IcmpMib.OutEchoReps]).toBe(0)
        expect(i[IcmpMib.OutErrors]).toBe(1)
        rig.dev.setCarrier(true)
        rig.dev.inject(ping(COLLECTOR_IP, 8, 2))
        expect(i[IcmpMib.OutEchoReps]).toBe(1)
        await rig.flush()
        expect(residual(rig, 0)).toBe(0)
    })
})

describe("hostile traffic cannot starve the transmit path", () => {
    beforeEach(yieldToScheduler)

    test("echo replies to a flood of spoofed sources (waiting for ARP) give way to datagrams for a resolved neighbour", async () => {
        const rig = makeRig()
        const s = rig.stack.udpSocket(1)
        expect(s.sendTo(COLLECTOR_IP, 9, Buffer.from("hello"))).toBe(SendResult.Queued)
        rig.dev.inject(arpReplyToBoard(COLLECTOR_MAC, COLLECTOR_IP))
        await rig.flush()
        rig.take()
        // spoofed sources: every reply waits for an ARP answer that never comes
        for (let k = 0; k < 6; k++) {
            rig.t += 200
            rig.dev.inject(ping(parseIpv4("192.0.2.200") + k, 1000, k))
            await yieldToScheduler()
        }
        await rig.flush()
        rig.take()
        // the device is busy for a moment: datagrams queue up behind it
        rig.dev.refuse = 100
        let sent = 0
        for (let i = 0; i < 3; i++) if (s.sendTo(COLLECTOR_IP, 9, Buffer.alloc(1000)) === SendResult.Sent) sent++
        expect(sent).toBe(3)
        rig.dev.refuse = 0
        rig.stack.drain.wakeQueue()
        await rig.flush()
        for (let i = 0; i < 4; i++) rig.advance(1000)
        await rig.flush()
        expect(residual(rig, 4)).toBe(0)
    })
})
