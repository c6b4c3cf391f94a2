// The soak: the board (stack + driver + chip model, all tasks running, real time) sends telemetry
// and a steady stream of UDP datagrams while the virtual LAN is hostile and the chip misbehaves:
//   - link flaps (the cable pulled for 20-300 ms)
//   - a silent peer (192.0.2.30 never answers ARP: its datagrams wait, then are dropped)
//   - ARP replies from the wrong MAC (a rogue answering for 192.0.2.40, for the silent peer while
//     the board resolves it, and for the PERMANENT gateway, which must not move)
//   - gratuitous ARP claiming the board's own address
//   - floods of ARP requests for other hosts (must not create entries or replies)
//   - unsolicited ARP replies (must not create entries)
//   - ping floods from a known host and from spoofed on-link sources (rate-limited replies)
//   - lost SENDOKs (W5500) / aborted transmissions (ENC28J60)
//   - chip resets under the driver (a brown-out: every register back to its reset value)
//   - RX overflows (bursts of full-size frames larger than the chip's RX buffer)
// Datagrams also go to a blackhole route, an unreachable route, off-link via the gateway, to the
// subnet broadcast, and some are too big for DF: every SendResult kind shows up.
//
// Accounting. Every datagram offered (sendTo by the steady sender and by the telemetry client)
// gets one SendResult. Accepted ones (Sent: in the qdisc; Queued: waiting for ARP) then end as
// exactly one of: taken by the driver (sent), dropped by the driver (link down / error), dropped
// while waiting for resolution or at the qdisc when released (unresolved_discards), or still
// queued at the end. The identity over every frame the stack tried to send (UDP + ICMP echo
// replies + ARP) is
//
//     U_acc + A_acc + I_acc = tx_packets + tx_dropped + unresolved_discards + qdisc + pending
//
// with U_acc = datagrams Sent + Queued, A_acc = ARP requests_sent + replies_sent, I_acc =
// Icmp.OutEchoReps, all from the stack's counters except U_acc (the SendResults, checked against
// Udp.OutDatagrams). A LedgerDevice splits the driver's answers by protocol, so the datagrams get
// their own line: offered = sent + drops by kind + in flight, where the UDP share of
// unresolved_discards is what is left after the ICMP share (accepted echo replies the driver never
// saw). "unaccounted" is what no counter explains; it must be 0.
//
// The neighbour table is checked after every fault: no entry for an address in the ARP flood, the
// unsolicited replies, our own address or 0.0.0.0; the gateway stays PERMANENT at its MAC.
// Liveness: once the faults stop, datagrams reach the collector again (the driver recovered).

import * as ds from "@devicescript/core"
import { Rng } from "../fuzz/rng"
import { LedgerDevice, Cls, CLS_NAMES } from "./ledger"
import { testConfig, BOARD_IP, GATEWAY_IP, COLLECTOR_IP } from "../support/config"
import { BOARD_MAC, GATEWAY_MAC, COLLECTOR_MAC } from "../support/rig"
import { StackConfig } from "../../src/config/types"
import { NetStack } from "../../src/stack"
import { NetDevice, XmitStatus } from "../../src/dev/netdev"
import { RECORD_HEADER, recordLen, recordTag } from "../../src/dev/ring"
import { QDISC_TAG } from "../../src/dev/qdisc"
import { SendResult, sendResultName } from "../../src/ipv4/output"
import { NEIGH_ENTRY_LEN, neighCount, neighIp, NeighMib, neighState, NudState } from "../../src/neigh/neighbour"
import { pendingTotal } from "../../src/neigh/pending"
import { UdpSocket, PmtuDisc } from "../../src/udp/socket"
import { Segment } from "../../src/sim/lan"
import { VirtualHost } from "../../src/sim/host"
import { HostilePeer, ChipFaults } from "../../src/sim/faults"
import { TelemetryClient } from "../../src/telemetry/client"
import { formatIpv4 } from "../../src/wire/addr"
import { formatLinkStats, formatQdiscStats, LinkMib, QdiscMib } from "../../src/dev/counters"
import { formatIpStats, formatIcmpStats, IcmpMib } from "../../src/ipv4/mib"
import { formatUdpStats, UdpMib } from "../../src/udp/mib"
import { ArpMib } from "../../src/ipv4/arp"
import { StatsdEncoder } from "../../src/telemetry/statsd"
import { formatDeviceStats } from "../../src/dev/netdev"

export const SILENT_IP = 0xc000021e // 192.0.2.30
export const CONTESTED_IP = 0xc0000228 // 192.0.2.40
const ROGUE_MAC = hex`02 66 66 66 66 66`
const OFFLINK_IP = 0xc6336407 // 198.51.100.7, via the gateway
const BLACKHOLE_IP = 0xcb007105 // 203.0.113.5
const UNREACHABLE_IP = 0xc6120001 // 198.18.0.1
const SUBNET_BCAST = 0xc00002ff
const FLOOD_SENDERS = 0xc0000264 // 192.0.2.100..149: ARP requests for others
const FLOOD_TARGETS = 0xc0000232 // 192.0.2.50..99 (targets of those requests)
const UNSOLICITED = 0xc0000296 // 192.0.2.150..199: replies nobody asked for
const SPOOFED = 0xc00002d2 // 192.0.2.210..219: spoofed ping sources
const PORT = 8125

/** The chip under the soak: its model on the segment, its driver, its faults. */
export interface SoakChip {
    readonly faults: ChipFaults
    readonly driver: NetDevice
    /**
     * Run the telemetry client too. The W5500 model backs its RX buffer with 512-byte pages: during
     * an RX overflow all 32 are live (16 KB), and with them the 64 KB heap has no room left for the
     * client's 1.5 KB datagram buffer; there the steady sender alone makes the traffic.
     */
    readonly telemetry: boolean
    /**
     * RX-overflow bursts yield every this many frames (0: never). The W5500 model stores a frame in
     * a few hundred steps: no yield, so the 1 ms poll task cannot drain the buffer mid-burst. The
     * ENC28J60 model computes a CRC-32 per frame (~18 k steps for 600 bytes): it must yield.
     */
    readonly burstYieldEvery: number
    /**
     * Heap the chip model holds in storage that grows with use (bytes): the simulated chip's own RAM,
     * not the board's. The W5500 model backs its 2 x 16 KB with 512-byte pages kept in a pool once
     * taken (each 524 B of heap); the ENC28J60 model's 8 KB is allocated once, at load.
     */
    modelHeapBytes(): number
}

export type SoakChipFactory = (seg: Segment, cfg: StackConfig) => SoakChip

export class SoakOptions {
    seconds = 10
    seed = 1
    /** Stop after the warm-up (the heap baseline run). */
    warmOnly = false
    /** A datagram from the steady sender every this many ms. */
    sendEveryMs = 2
    /** Mean time between faults. */
    faultEveryMs = 150
    /** Telemetry interval. */
    telemetryMs = 200
    /** Print a progress line every this many ms (0 = never). */
    progressMs = 5000
}

/** The soak's findings: everything the host and the tests check. */
export class SoakReport {
    chip = ""
    offered = 0
    results: number[] = []
    sent = 0
    linkDownAtDriver = 0
    driverErrors = 0
    unresolved = 0
    inFlight = 0
    unaccounted = 0
    /** The identity over every frame the stack tried to send (UDP, ICMP, ARP): must be 0. */
    frameResidual = 0
    /** ARP frames the driver never saw although accepted (ARP never waits for ARP): must be 0. */
    arpResidual = 0
    /** Cross-checks of the ledger against the stack's counters: must be empty. */
    mismatches = ""
    neighViolations = 0
    firstNeighViolation = ""
    faults = 0
    faultCounts: number[] = []
    recovered = false
    exceptions = 0
    lastException = ""
    seconds = 0
}

export const FAULT_NAMES = ["link_flap", "wrong_mac", "claim", "arp_flood", "unsolicited", "ping_flood", "lost_sends", "chip_reset", "rx_overflow"]
const NF = 9

/** Everything the soak builds; kept referenced (module-level) until the heap probe at the end. */
class Soak {
    readonly seg = new Segment()
    readonly chip: SoakChip
    readonly ledger: LedgerDevice
    readonly stack: NetStack
    readonly collector: VirtualHost
    readonly rogue: HostilePeer
    /** Null when the heap has no room for it (the W5500, see SoakChip.telemetry). */
    readonly telemetry: TelemetryClient = null
    readonly sock: UdpSocket
    readonly bigSock: UdpSocket
    readonly payload = Buffer.alloc(1500)
    readonly rng: Rng
    readonly report = new SoakReport()
    sending = false
    faulting = false
    seq = 0
    /** Every frame handed to the stack by the driver before and after the soak (sanity). */
    cfg: StackConfig

    constructor(factory: SoakChipFactory, readonly o: SoakOptions) {
        const self = this
        this.rng = new Rng(o.seed)
        const c = testConfig()
        // the gateway is static: nothing received may move it
        c.arp = [{ ip: GATEWAY_IP, mac: GATEWAY_MAC }]
        c.routes = [
            { dest: 0xcb007100, prefix: 24, gateway: 0, kind: "blackhole", metric: 0, ttl: 0 },
            { dest: 0xc6120000, prefix: 15, gateway: 0, kind: "unreachable", metric: 0, ttl: 0 },
        ]
        // smaller queues than the board's (as in test/drivers/): the chip model, a W5500 RX buffer full
        // of 512-byte pages included (16 KB during an RX overflow), shares the 64 KB heap
        c.qdiscLimitBytes = 2048
        c.neighPendingBytes = 2048
        c.neighPendingPackets = 4
        this.cfg = c
        // the chip model first: its pages come and go, the stack's rings stay
        this.chip = factory(this.seg, c)
        this.ledger = new LedgerDevice(this.chip.driver)
        this.stack = new NetStack(c, this.ledger)
        // the collector: a small frame buffer, records without payload copies (their size would vary).
        // The gateway is static (nothing needs to answer for it), the silent peer is an address
        // nobody answers for, and 192.0.2.40 is one only the rogue answers for (from the wrong MAC):
        // none of them needs a host on the wire.
        this.collector = new VirtualHost(this.seg, COLLECTOR_MAC, COLLECTOR_IP, 128)
        this.collector.keepBytes = 0
        this.collector.keep = 2
        // 600-byte frames: 28 of them overflow the W5500's 16 KB RX buffer, 11 the ENC28J60's 6.5 KB
        this.rogue = new HostilePeer(this.seg, ROGUE_MAC, 600)
        this.sock = this.stack.udpSocket(40000)
        this.bigSock = this.stack.udpSocket(40001)
        this.bigSock.pmtudisc = PmtuDisc.Do
        for (let i = 0; i < this.payload.length; i++) this.payload[i] = (i * 7) & 0xff
        const r = this.report
        for (let i = 0; i < 12; i++) r.results.push(0)
        for (let i = 0; i < NF; i++) r.faultCounts.push(0)
        if (this.chip.telemetry) {
            this.telemetry = new TelemetryClient(this.stack, {
                collector: COLLECTOR_IP,
                port: PORT,
                encoder: new StatsdEncoder("soak"),
                intervalMs: o.telemetryMs,
            })
            // a few of the stack's metrics (addStackMetrics registers twelve: the heap is short here)
            const st = this.stack
            this.telemetry.add("link_up", () => (st.dev.carrier() ? 1 : 0))
            this.telemetry.addCounter("tx_packets", () => st.link[LinkMib.tx_packets])
            this.telemetry.addCounter("rx_packets", () => st.link[LinkMib.rx_packets])
            this.telemetry.add("qdisc_backlog", () => st.qdisc.stats[QdiscMib.backlog])
            this.telemetry.onDatagram = (buf, len, res) => {
                self.report.offered++
                self.report.results[res]++
            }
        }
    }

    /** One datagram from the steady sender, to a destination and of a size from the PRNG. */
    sendOne(): void {
        const rng = this.rng
        const k = rng.below(100)
        let dst = COLLECTOR_IP
        let s = this.sock
        let len = rng.chance(70) ? rng.range(1, 200) : rng.chance(80) ? rng.range(200, 1000) : rng.range(1000, 1472)
        if (k < 55) dst = COLLECTOR_IP
        else if (k < 65) dst = CONTESTED_IP
        else if (k < 73) dst = SILENT_IP
        else if (k < 85) dst = OFFLINK_IP
        else if (k < 88) dst = BLACKHOLE_IP
        else if (k < 91) dst = UNREACHABLE_IP
        else if (k < 94) dst = SUBNET_BCAST
        else if (k < 96) {
            s = this.bigSock
            len = rng.range(1473, 1500)
        }
        const seq = this.seq++
        this.payload.setAt(0, "u32", seq)
        const res = s.sendTo(dst, PORT, this.payload, 0, len)
        this.report.offered++
        this.report.results[res]++
    }

    async sender(): Promise<void> {
        while (this.sending) {
            try {
                this.sendOne()
            } catch (e) {
                this.report.exceptions++
                this.report.lastException = (e as Error).message
            }
            await ds.sleep(this.o.sendEveryMs)
        }
    }

    /** One fault; `kind` < 0 picks one from the PRNG. Returns the kind. */
    async fault(kind: number): Promise<number> {
        const rng = this.rng
        const f = this.chip.faults
        const r = this.rogue
        if (kind < 0) {
            const w = rng.below(100)
            kind = w < 10 ? 0 : w < 22 ? 1 : w < 28 ? 2 : w < 40 ? 3 : w < 50 ? 4 : w < 65 ? 5 : w < 77 ? 6 : w < 82 ? 7 : 8
        }
        this.report.faults++
        this.report.faultCounts[kind]++
        switch (kind) {
            case 0:
                f.setLink(false)
                await ds.sleep(rng.range(20, 300))
                f.setLink(true)
                break
            case 1: {
                const v = rng.below(3)
                r.wrongMac(v === 0 ? CONTESTED_IP : v === 1 ? SILENT_IP : GATEWAY_IP, BOARD_MAC, BOARD_IP)
                break
            }
            case 2:
                r.claim(BOARD_IP)
                break
            case 3:
                await r.arpFlood(rng.range(20, 50), FLOOD_SENDERS, FLOOD_TARGETS)
                break
            case 4:
                await r.unsolicited(rng.range(10, 40), UNSOLICITED, BOARD_MAC, BOARD_IP)
                break
            case 5: {
                const src = rng.chance(40) ? COLLECTOR_IP : SPOOFED + rng.below(10)
                await r.pingFlood(rng.range(10, 40), src, BOARD_MAC, BOARD_IP, rng.range(0, 200))
                break
            }
            case 6:
                f.loseSends(rng.range(1, 3))
                break
            case 7:
                f.reset()
                break
            case 8:
                // more than the chip's RX buffer holds (W5500 16 KB, ENC28J60 6.5 KB), back to back
                await r.burst(rng.range(12, 32), BOARD_MAC, this.chip.burstYieldEvery)
                break
        }
        this.checkNeigh()
        return kind
    }

    async faulter(): Promise<void> {
        while (this.faulting) {
            await ds.sleep(this.rng.range(this.o.faultEveryMs / 2, (this.o.faultEveryMs * 3) / 2))
            if (!this.faulting) break
            try {
                await this.fault(-1)
            } catch (e) {
                this.report.exceptions++
                this.report.lastException = (e as Error).message
            }
        }
    }

    /** The neighbour table holds nothing it should not (after every fault and at the end). */
    checkNeigh(): void {
        const t = this.stack.neigh
        const b = t.buf
        let gw = 0
        for (let i = 0; i < t.capacity; i++) {
            const state = neighState(t, i)
            if (state === NudState.None) continue
            let bad = ""
            const ip = neighIp(t, i)
            const mac = i * NEIGH_ENTRY_LEN
            if (ip === GATEWAY_IP) {
                gw++
                if (state !== NudState.Permanent || b.getAt(mac, "u32") !== GATEWAY_MAC.getAt(0, "u32") || b.getAt(mac + 4, "u16") !== GATEWAY_MAC.getAt(4, "u16"))
                    bad = "the PERMANENT gateway entry changed"
            } else if (ip >= FLOOD_SENDERS && ip < FLOOD_SENDERS + 50) bad = "an entry for an ARP-flood sender " + formatIpv4(ip)
            else if (ip >= UNSOLICITED && ip < UNSOLICITED + 50) bad = "an entry from an unsolicited reply " + formatIpv4(ip)
            else if (ip >= FLOOD_TARGETS && ip < FLOOD_TARGETS + 50) bad = "an entry for a target of the ARP flood " + formatIpv4(ip)
            else if (ip === BOARD_IP || ip === 0 || ip === SUBNET_BCAST) bad = "an entry for " + formatIpv4(ip)
            else if (ip !== COLLECTOR_IP && ip !== SILENT_IP && ip !== CONTESTED_IP && !(ip >= SPOOFED && ip < SPOOFED + 10))
                bad = "an entry nothing asked for: " + formatIpv4(ip)
            if (bad.length > 0) {
                this.report.neighViolations++
                if (this.report.firstNeighViolation.length === 0) this.report.firstNeighViolation = bad
            }
        }
        if (gw !== 1) {
            this.report.neighViolations++
            if (this.report.firstNeighViolation.length === 0) this.report.firstNeighViolation = "the PERMANENT gateway entry is gone"
        }
    }

    /** Frames of `cls` still in the pool (queued or waiting for ARP). */
    inPool(cls: number): number {
        const p = this.stack.qdisc.pool
        let n = 0
        for (let rec = p.oldest(); rec >= 0; rec = p.next(rec)) {
            if (recordTag(p, rec) === 0xffff) continue
            const f = p.buf
            const at = rec + RECORD_HEADER
            const len = recordLen(p, rec)
            const type = (f[at + 12] << 8) | f[at + 13]
            const c = type === 0x0806 ? Cls.Arp : type !== 0x0800 ? Cls.Other : f[at + 23] === 17 ? Cls.Udp : f[at + 23] === 1 ? Cls.Icmp : Cls.Other
            if (c === cls && len > 0) n++
        }
        return n
    }

    /** Stop the faults and the senders, and let the queues empty (bounded). */
    async quiesce(): Promise<void> {
        this.sending = false
        this.faulting = false
        if (this.telemetry !== null) this.telemetry.stop()
        await ds.sleep(Math.max(50, this.o.sendEveryMs * 2))
        this.chip.faults.clear()
        const s = this.stack
        // carrier back (the driver polls the PHY), then every resolution ends (3 probes, 1 s apart)
        for (let i = 0; i < 60 && !s.dev.carrier(); i++) await ds.sleep(50)
        for (let i = 0; i < 120; i++) {
            let busy = s.qdisc.stats[QdiscMib.qlen] > 0
            if (neighCount(s.neigh, NudState.Incomplete) > 0 || pendingTotal(s.neigh.pending) > 0) busy = true
            if (!busy) break
            await ds.sleep(50)
        }
    }

    /** Liveness: datagrams reach the collector again (up to 3 tries, 1 s each). */
    async recovered(): Promise<boolean> {
        const before = this.collector.udpReceived
        for (let k = 0; k < 3; k++) {
            const res = this.sock.sendTo(COLLECTOR_IP, PORT, this.payload, 0, 32)
            this.report.offered++
            this.report.results[res]++
            for (let i = 0; i < 20; i++) {
                await ds.sleep(50)
                if (this.collector.udpReceived > before) return true
            }
        }
        return false
    }

    /** The ledger (see the header comment). */
    account(): void {
        const r = this.report
        const s = this.stack
        const L = this.ledger
        r.chip = this.chip.faults.name
        r.sent = L.count(Cls.Udp, XmitStatus.Ok)
        r.linkDownAtDriver = L.count(Cls.Udp, XmitStatus.LinkDown)
        r.driverErrors = L.count(Cls.Udp, XmitStatus.Error)
        const pending = pendingTotal(s.neigh.pending)
        const uAcc = r.results[SendResult.Sent] + r.results[SendResult.Queued]
        const aAcc = s.arp.stats[ArpMib.requests_sent] + s.arp.stats[ArpMib.replies_sent]
        const iAcc = s.input.icmp[IcmpMib.OutEchoReps]
        const unres = s.neigh.stats[NeighMib.unresolved_discards]
        r.frameResidual = uAcc + aAcc + iAcc - (s.link[LinkMib.tx_packets] + s.link[LinkMib.tx_dropped] + unres + s.qdisc.stats[QdiscMib.qlen] + pending)
        r.arpResidual = aAcc - L.fates(Cls.Arp) - this.inPool(Cls.Arp)
        const icmpUnres = iAcc - L.fates(Cls.Icmp) - this.inPool(Cls.Icmp)
        r.unresolved = unres - icmpUnres
        r.inFlight = this.inPool(Cls.Udp)
        let sendTimeDrops = 0
        for (let k = 0; k < r.results.length; k++) if (k !== SendResult.Sent && k !== SendResult.Queued) sendTimeDrops += r.results[k]
        r.unaccounted = r.offered - r.sent - sendTimeDrops - r.linkDownAtDriver - r.driverErrors - r.unresolved - r.inFlight
        // the ledger against the stack's own counters
        let m = ""
        let ok = 0
        let dropped = 0
        for (let c = 0; c < 4; c++) {
            ok += L.count(c, XmitStatus.Ok)
            dropped += L.count(c, XmitStatus.LinkDown) + L.count(c, XmitStatus.Error)
        }
        if (ok !== s.link[LinkMib.tx_packets]) m += " tx_packets " + s.link[LinkMib.tx_packets] + " != driver took " + ok + ";"
        if (dropped !== s.link[LinkMib.tx_dropped]) m += " tx_dropped " + s.link[LinkMib.tx_dropped] + " != driver dropped " + dropped + ";"
        if (s.udp.stats[UdpMib.OutDatagrams] !== uAcc) m += " Udp.OutDatagrams " + s.udp.stats[UdpMib.OutDatagrams] + " != Sent+Queued " + uAcc + ";"
        if (s.udp.stats[UdpMib.SndbufErrors] !== r.results[SendResult.QueueFull]) m += " Udp.SndbufErrors != QueueFull;"
        if (L.fates(Cls.Other) + this.inPool(Cls.Other) !== 0) m += " frames of an unknown kind were sent;"
        r.mismatches = m
    }

    /** The report as "@@soak" lines (the host parses them; a person reads them). */
    print(): void {
        const r = this.report
        const s = this.stack
        let kinds = ""
        for (let k = 0; k < r.results.length; k++)
            if (k !== SendResult.Sent && k !== SendResult.Queued && r.results[k] > 0) kinds += " " + kindName(k) + "=" + r.results[k]
        console.log("@@soak chip " + r.chip + " seconds " + r.seconds + " seed " + this.o.seed)
        console.log("@@soak results sent " + r.results[SendResult.Sent] + " queued " + r.results[SendResult.Queued] + kinds)
        let line = "@@soak udp offered " + r.offered + " sent " + r.sent + " link_down_at_driver " + r.linkDownAtDriver
        line += " driver_error " + r.driverErrors + " unresolved " + r.unresolved + " in_flight " + r.inFlight
        console.log(line + " unaccounted " + r.unaccounted)
        let frames = "@@soak frames residual " + r.frameResidual + " arp_residual " + r.arpResidual + " tx_packets " + s.link[LinkMib.tx_packets]
        frames += " tx_dropped " + s.link[LinkMib.tx_dropped] + " unresolved_discards " + s.neigh.stats[NeighMib.unresolved_discards]
        console.log(frames + " qdisc " + s.qdisc.stats[QdiscMib.qlen] + " echo_replies " + s.input.icmp[IcmpMib.OutEchoReps])
        let dev = "@@soak device"
        for (let c = 0; c < 4; c++) dev += " " + CLS_NAMES[c] + " " + this.ledger.count(c, 0) + "/" + this.ledger.count(c, 1) + "/" + this.ledger.count(c, 2) + "/" + this.ledger.count(c, 3)
        console.log(dev + " (ok/busy/link_down/error)")
        let fl = "@@soak faults " + r.faults
        for (let k = 0; k < NF; k++) fl += " " + FAULT_NAMES[k] + "=" + r.faultCounts[k]
        console.log(fl)
        console.log("@@soak checks mismatches [" + r.mismatches + " ] neigh_violations " + r.neighViolations + " recovered " + (r.recovered ? 1 : 0) + " exceptions " + r.exceptions)
        if (r.firstNeighViolation.length > 0) console.log("@@soak first_neigh_violation " + r.firstNeighViolation)
        if (r.lastException.length > 0) console.log("@@soak last_exception " + r.lastException)
        if (this.telemetry !== null) {
            const t = this.telemetry.stats
            console.log("@@soak telemetry rounds " + t.rounds + " datagrams_sent " + t.datagrams_sent + " datagrams_dropped " + t.datagrams_dropped)
        } else console.log("@@soak telemetry off (no heap for it beside this chip model)")
        console.log("@@soak peers collector_udp " + this.collector.udpReceived + " rogue pings " + this.rogue.pings + " floods " + this.rogue.arpFloodRequests + " burst " + this.rogue.burstFrames)
        console.log("@@soak model " + this.chip.faults.summary())
        console.log("@@soak model_heap bytes " + this.chip.modelHeapBytes())
        // line by line (one long string needs one long free block: the heap is fragmented by now)
        console.log("@@soak stat " + formatLinkStats(s.link))
        console.log("@@soak stat " + formatQdiscStats(s.qdisc.stats))
        console.log("@@soak stat " + formatIpStats(s.ip.stats))
        console.log("@@soak stat " + formatIcmpStats(s.input.icmp))
        console.log("@@soak stat " + formatUdpStats(s.udp.stats))
        const n = s.neigh.stats
        let nl = "@@soak stat arp_cache: allocs " + n[NeighMib.allocs] + " destroys " + n[NeighMib.destroys] + " res_failed " + n[NeighMib.res_failed]
        console.log(nl + " unresolved_discards " + n[NeighMib.unresolved_discards] + " table_fulls " + n[NeighMib.table_fulls] + " forced_gc_runs " + n[NeighMib.forced_gc_runs])
        const a = s.arp.stats
        let al = "@@soak stat Arp: requests_sent " + a[ArpMib.requests_sent] + " replies_sent " + a[ArpMib.replies_sent] + " requests_received " + a[ArpMib.requests_received]
        al += " replies_received " + a[ArpMib.replies_received] + " conflicts " + a[ArpMib.conflicts] + " unsolicited_ignored " + a[ArpMib.unsolicited_ignored]
        console.log(al + " not_for_us " + a[ArpMib.not_for_us] + " rate_limited " + a[ArpMib.rate_limited] + " martians " + a[ArpMib.martians] + " tx_dropped " + a[ArpMib.tx_dropped])
        console.log("@@soak stat " + formatDeviceStats(s.dev))
    }
}

function kindName(k: number): string {
    // sendResultName with the spaces out, for "name=count" pairs
    const n = sendResultName(k)
    let s = ""
    for (let i = 0; i < n.length; i++) {
        const c = n.charAt(i)
        if (c === " ") s += "_"
        else if (c !== "(" && c !== ")") s += c
    }
    return s
}

/** The soak objects stay referenced here until the end of the program (the heap probe). */
export const keep: Soak[] = []

/**
 * Build, warm up (every fault once), soak for o.seconds (unless warmOnly), quiesce, account,
 * print. Returns the report; the objects stay alive in `keep`.
 */
export async function runSoak(factory: SoakChipFactory, o: SoakOptions): Promise<SoakReport> {
    const k = new Soak(factory, o)
    keep.push(k)
    const r = k.report
    const t0 = ds.millis()
    await k.stack.start()
    if (k.telemetry !== null) k.telemetry.start()
    k.sending = true
    k.sender.start()
    // warm-up: every fault once, so whatever is allocated on first use exists in both runs
    for (let f = 0; f < NF; f++) {
        await ds.sleep(100)
        await k.fault(f)
    }
    await ds.sleep(200)
    if (!o.warmOnly) {
        k.faulting = true
        k.faulter.start()
        const end = ds.millis() + o.seconds * 1000
        let nextProgress = ds.millis() + o.progressMs
        while (ds.millis() < end) {
            await ds.sleep(100)
            k.checkNeigh()
            if (o.progressMs > 0 && ds.millis() >= nextProgress) {
                nextProgress += o.progressMs
                const st = k.stack
                let pl = "@@soak progress " + Math.round((ds.millis() - t0) / 1000) + " s offered " + r.offered + " faults " + r.faults
                pl += " tx_packets " + st.link[LinkMib.tx_packets] + " qdisc " + st.qdisc.stats[QdiscMib.qlen] + (st.drain.stopped ? " (queue stopped)" : "")
                console.log(pl + " carrier " + (st.dev.carrier() ? 1 : 0))
            }
        }
    }
    await k.quiesce()
    r.recovered = await k.recovered()
    await k.quiesce()
    k.checkNeigh()
    r.seconds = Math.round((ds.millis() - t0) / 1000)
    k.account()
    k.print()
    // stop every fiber (the faulter may be in a 300 ms link flap, the timer task sleeps 100 ms):
    // what remains is what the board holds between two sends
    await k.stack.stop()
    await ds.sleep(1500)
    // "the last error seen" fields keep one message each, whose length depends on its numbers
    // ("SEND of 1234 bytes"): cleared in both runs, so the heap comparison sees growth, not that
    k.chip.faults.clearDiagnostics()
    return r
}

/** The report's verdict: null when every check holds. */
export function soakFault(r: SoakReport): string {
    if (r.unaccounted !== 0) return r.unaccounted + " datagrams unaccounted"
    if (r.frameResidual !== 0) return "the frame identity is off by " + r.frameResidual
    if (r.arpResidual !== 0) return r.arpResidual + " ARP frames unaccounted"
    if (r.mismatches.length > 0) return "the ledger disagrees with the stack's counters:" + r.mismatches
    if (r.neighViolations > 0) return r.neighViolations + " neighbour-table violations, first: " + r.firstNeighViolation
    if (r.exceptions > 0) return r.exceptions + " exceptions, last: " + r.lastException
    if (!r.recovered) return "no datagram reached the collector after the faults stopped"
    return null
}
