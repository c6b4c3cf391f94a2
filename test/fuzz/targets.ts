// Fuzz targets and their oracles for everything that parses bytes from the wire:
//
//  wire   the check/parse functions of src/wire/ (Ethernet, ARP, IPv4 with options, UDP, ICMP)
//  stack  the whole receive path, NetStack.receive(frame, 0, len), on a TestDevice stack
//
// (the drivers' RX framing is in drivers.ts). An input is a mutated frame (mutate.ts); a case
// passes when every oracle holds, else the first broken oracle is the failure ("why").
//
// Oracles, wire:
//  W1  every check answers what the reference reading of the RFC answers (reference.ts)
//  W2  a check's answer does not depend on any byte outside the window (off, len) it was given:
//      the bytes around the window (margins, the frame's tail past the IPv4 total length) are
//      poisoned twice with different values and the answers compared
//  W3  the Repr parsers agree with the checks, take their fields from the right bytes, and leave
//      their fields untouched on an error
//  W4  a window past the end of the buffer is Truncated; nothing throws
// Oracles, stack (per frame):
//  S1  no exception escapes receive() or the transmit drain
//  S2  the frame is counted exactly once, by exactly one terminal counter (TERMINALS below), the
//      one an independent classification of the frame names; rx_packets +1, rx_bytes + len;
//      InReceives and InDelivers agree with the counters below them
//  S3  no amplification: at most one ARP reply and only to a request for our address from a
//      possible sender, at most one echo reply and only to an echo request to our unicast address
//      from a possible source; both within their rate limits over the run
//  S4  the neighbour table: the PERMANENT entry never changes; no entry for an address no host can
//      have; a new entry only for the sender of an ARP request for our address or for the next hop
//      of an echo reply; a learnt MAC only from an ARP packet whose sender is that neighbour, and
//      never a group (broadcast/multicast) MAC
//  S5  every frame transmitted: ARP from us, or IPv4 from us to a unicast MAC and a possible
//      destination, with valid header and ICMP checksums; at most 1 + (frames that were waiting
//      for ARP) frames go out per frame received
//  S6  the packet pool: count and bytes equal qdisc + pending, limits held, pending only on
//      INCOMPLETE entries

import * as ds from "@devicescript/core"
import { Rig } from "../support/rig"
import { testConfig } from "../support/config"
import { Mutator, PAD } from "./mutate"
import { Rng, caseSeed } from "./rng"
import { CORPUS } from "./corpus"
import { FuzzCounts, FailureSink, poolFault, fuzzTrace, printChunked } from "./common"
import {
    OK,
    TRUNCATED,
    refEthernet,
    refArp,
    refIpv4,
    refUdp,
    refIcmp,
    refOptions,
    refMartian,
    refOnLink,
    refChecksum,
    be16,
    be32,
} from "./reference"
import { NetStack } from "../../src/stack"
import { NEIGH_ENTRY_LEN, neighCount, neighIp, NeighMib, neighState, NudState } from "../../src/neigh/neighbour"
import { pendingTotal } from "../../src/neigh/pending"
import { ethernetCheck } from "../../src/wire/ethernet"
import { arpCheck, ArpRepr } from "../../src/wire/arp"
import { ipv4Check, ipv4OptionsCheck, Ipv4Repr } from "../../src/wire/ipv4"
import { udpCheck } from "../../src/wire/udp"
import { icmpCheck } from "../../src/wire/icmp"
import { onesSum } from "../../src/wire/checksum"
import { LinkMib } from "../../src/dev/counters"
import { IpMib, IcmpMib } from "../../src/ipv4/mib"
import { UdpMib } from "../../src/udp/mib"
import { ArpMib } from "../../src/ipv4/arp"

// the fuzz stack is host B of the captures; A is its gateway; .3 is a static (PERMANENT) entry
export const FUZZ_MAC = hex`02 00 00 00 00 0b`
export const FUZZ_IP = 0xc0000202
export const FUZZ_GATEWAY = 0xc0000201
export const STATIC_IP = 0xc0000203
export const STATIC_MAC = hex`02 00 00 00 00 0c`
export const FUZZ_PREFIX = 24
export const UDP_PORT = 9

export const ADDRESSES = { mac: FUZZ_MAC, ip: FUZZ_IP, prefix: FUZZ_PREFIX, gateway: FUZZ_GATEWAY }

// ---------------------------------------------------------------------------------------------
// stack

/** The terminal counters: every received frame ends in exactly one of them. */
export const TERMINAL_NAMES = [
    "link.rx_errors",
    "link.rx_otherhost_dropped",
    "link.rx_dropped",
    "arp.errors",
    "arp.requests_received",
    "arp.replies_received",
    "Ip.InHdrErrors",
    "Ip.InAddrErrors",
    "Ip.ReasmFails",
    "Ip.InUnknownProtos",
    "Icmp.InMsgs",
    "Udp.InErrors",
    "Udp.NoPorts",
    "Udp.InDatagrams",
]
const T_RX_ERRORS = 0
const T_OTHERHOST = 1
const T_RX_DROPPED = 2
const T_ARP_ERRORS = 3
const T_ARP_REQUEST = 4
const T_ARP_REPLY = 5
const T_HDR_ERRORS = 6
const T_ADDR_ERRORS = 7
const T_REASM = 8
const T_UNKNOWN_PROTO = 9
const T_ICMP = 10
const T_UDP_ERRORS = 11
const T_NO_PORTS = 12
const T_UDP_DELIVERED = 13
const NT = 14

export function terminals(s: NetStack, out: number[]): void {
    const l = s.link
    const a = s.arp.stats
    const ip = s.ip.stats
    const u = s.udp.stats
    out[0] = l[LinkMib.rx_errors]
    out[1] = l[LinkMib.rx_otherhost_dropped]
    out[2] = l[LinkMib.rx_dropped]
    out[3] = a[ArpMib.errors]
    out[4] = a[ArpMib.requests_received]
    out[5] = a[ArpMib.replies_received]
    out[6] = ip[IpMib.InHdrErrors]
    out[7] = ip[IpMib.InAddrErrors]
    out[8] = ip[IpMib.ReasmFails]
    out[9] = ip[IpMib.InUnknownProtos]
    out[10] = s.input.icmp[IcmpMib.InMsgs]
    out[11] = u[UdpMib.InErrors]
    out[12] = u[UdpMib.NoPorts]
    out[13] = u[UdpMib.InDatagrams]
}

/** What the frame is, read independently of the stack (reference.ts). */
class Classified {
    terminal = 0
    arpRequestForUs = false
    arpSenderIp = 0
    isArp = false
    echoToUs = false
    ipSrc = 0
}

export function makeFuzzStack(): Rig {
    const c = testConfig()
    c.mac = FUZZ_MAC
    c.address = FUZZ_IP
    c.prefix = FUZZ_PREFIX
    c.gateway = FUZZ_GATEWAY
    c.arp = [{ ip: STATIC_IP, mac: STATIC_MAC }]
    const rig = new Rig(c)
    rig.dev.keepFrames = false
    return rig
}

export class StackTarget {
    readonly rig: Rig
    readonly counts = new FuzzCounts()
    private readonly before: number[] = []
    private readonly after: number[] = []
    private readonly cls = new Classified()
    private readonly nIp: number[] = []
    private readonly nState: number[] = []
    private readonly nMac = Buffer.alloc(8 * 6)
    private readonly t0: number
    /** First problem seen in a transmitted frame during the current case. */
    private txFault: string = null
    private txFrames = 0

    constructor() {
        this.rig = makeFuzzStack()
        this.t0 = this.rig.t
        for (let i = 0; i < NT; i++) {
            this.before.push(0)
            this.after.push(0)
        }
        for (let i = 0; i < this.rig.stack.neigh.capacity; i++) {
            this.nIp.push(0)
            this.nState.push(0)
        }
        const sock = this.rig.stack.udpSocket(UDP_PORT)
        sock.onMessage = (buf, off, len, src, srcPort) => {}
        const self = this
        this.rig.dev.onFrame = (f, off, len) => self.checkTx(f, off, len)
    }

    /** One input: move the clock, receive, drain, check. Returns the failure, or null. */
    async run(rng: Rng, w: Buffer, off: number, len: number): Promise<string> {
        const rig = this.rig
        const s = rig.stack
        this.counts.cases++
        // time passes: mostly a little, sometimes enough for ARP timers and the rate limits
        rig.t += rng.chance(20) ? rng.below(1500) : rng.below(40)
        try {
            s.tick()
            this.txFault = null
            await rig.flush()
        } catch (e) {
            this.counts.exceptions++
            return "exception in tick/drain before the frame: " + (e as Error).message
        }
        terminals(s, this.before)
        this.snapshotNeigh()
        const rxPackets = s.link[LinkMib.rx_packets]
        const rxBytes = s.link[LinkMib.rx_bytes]
        const inReceives = s.ip.stats[IpMib.InReceives]
        const inDelivers = s.ip.stats[IpMib.InDelivers]
        const arpSent = s.arp.stats[ArpMib.replies_sent] + s.arp.stats[ArpMib.rate_limited]
        const echoes = s.input.icmp[IcmpMib.OutEchoReps] + s.input.icmp[IcmpMib.OutRateLimited]
        const pendingBefore = pendingTotal(s.neigh.pending)
        const allocs = s.neigh.stats[NeighMib.allocs]
        try {
            s.receive(w, off, len)
        } catch (e) {
            this.counts.exceptions++
            return "exception in receive: " + (e as Error).message
        }
        this.txFault = null
        this.txFrames = 0
        try {
            await rig.flush()
        } catch (e) {
            this.counts.exceptions++
            return "exception in the drain after the frame: " + (e as Error).message
        }
        if (this.txFault !== null) return this.txFault
        await ds.sleep(0)

        // S2: one terminal counter, the expected one
        terminals(s, this.after)
        const c = this.cls
        this.classify(w, off, len, c)
        let sum = 0
        let which = -1
        for (let i = 0; i < NT; i++) {
            const d = this.after[i] - this.before[i]
            if (d < 0 || d > 1) return TERMINAL_NAMES[i] + " moved by " + d
            if (d === 1) which = i
            sum += d
        }
        if (sum !== 1) return "counted by " + sum + " terminal counters, expected exactly 1"
        if (which !== c.terminal) return "counted as " + TERMINAL_NAMES[which] + ", expected " + TERMINAL_NAMES[c.terminal]
        if (s.link[LinkMib.rx_packets] !== rxPackets + 1 || s.link[LinkMib.rx_bytes] !== rxBytes + len) return "rx_packets/rx_bytes not advanced by one frame"
        const ipd = s.ip.stats[IpMib.InReceives] - inReceives
        let ipSum = 0
        for (let i = T_HDR_ERRORS; i < NT; i++) ipSum += this.after[i] - this.before[i]
        if (ipd !== ipSum) return "InReceives moved by " + ipd + " but the IP terminals by " + ipSum
        let delSum = 0
        for (let i = T_ICMP; i < NT; i++) delSum += this.after[i] - this.before[i]
        if (s.ip.stats[IpMib.InDelivers] - inDelivers !== delSum) return "InDelivers does not match ICMP + UDP"

        // S3: no amplification, rate limits
        const arpD = s.arp.stats[ArpMib.replies_sent] + s.arp.stats[ArpMib.rate_limited] - arpSent
        if (arpD > 1) return "more than one ARP reply for one frame"
        if (arpD === 1 && !(c.arpRequestForUs && (c.arpSenderIp === 0 || !refMartian(c.arpSenderIp, FUZZ_IP, FUZZ_PREFIX))))
            return "ARP reply to something that is not a request for our address from a possible sender"
        const echoD = s.input.icmp[IcmpMib.OutEchoReps] + s.input.icmp[IcmpMib.OutRateLimited] - echoes
        if (echoD > 1) return "more than one echo reply for one frame"
        if (echoD === 1 && !(c.echoToUs && !refMartian(c.ipSrc, FUZZ_IP, FUZZ_PREFIX)))
            return "echo reply to something that is not an echo request to us from a possible source"
        const elapsed = (rig.t - this.t0) / 1000
        const rate = testConfig().icmpRatePerSec
        if (s.arp.stats[ArpMib.replies_sent] > rate + rate * elapsed + 1) return "ARP replies over the rate limit"
        if (s.input.icmp[IcmpMib.OutEchoReps] > rate + rate * elapsed + 1) return "echo replies over the rate limit"
        if (this.txFrames > 1 + pendingBefore) return this.txFrames + " frames sent for one frame received"

        // S4: the neighbour table
        const nf = this.checkNeigh(s, c, allocs)
        if (nf !== null) return nf
        // S6: the pool
        return poolFault(s)
    }

    private snapshotNeigh(): void {
        const t = this.rig.stack.neigh
        for (let i = 0; i < t.capacity; i++) {
            this.nIp[i] = neighIp(t, i)
            this.nState[i] = neighState(t, i)
            this.nMac.blitAt(i * 6, t.buf, i * NEIGH_ENTRY_LEN, 6)
        }
    }

    private checkNeigh(s: NetStack, c: Classified, allocs: number): string {
        const t = s.neigh
        const b = t.buf
        let permanent = 0
        for (let i = 0; i < t.capacity; i++) {
            const state = neighState(t, i)
            const ip = neighIp(t, i)
            const mac = i * NEIGH_ENTRY_LEN
            if (state === NudState.None) continue
            if (state === NudState.Permanent) {
                permanent++
                if (ip !== STATIC_IP || b.getAt(mac, "u32") !== STATIC_MAC.getAt(0, "u32") || b.getAt(mac + 4, "u16") !== STATIC_MAC.getAt(4, "u16"))
                    return "the PERMANENT entry changed"
                continue
            }
            if (refMartian(ip, FUZZ_IP, FUZZ_PREFIX)) return "a neighbour entry for an impossible address " + ip
            if (state !== NudState.Incomplete && state !== NudState.Failed && (b[mac] & 1) !== 0)
                return "neighbour " + ip + " learnt a group (broadcast/multicast) MAC"
            const fresh = this.nState[i] === NudState.None || this.nIp[i] !== ip
            if (fresh) {
                const byArp = c.arpRequestForUs && c.arpSenderIp === ip
                const nexthop = refOnLink(c.ipSrc, FUZZ_IP, FUZZ_PREFIX) ? c.ipSrc : FUZZ_GATEWAY
                const byEcho = c.echoToUs && ip === nexthop
                if (!byArp && !byEcho) return "a neighbour entry for " + ip + " created by a frame that should not create one"
                continue
            }
            const wasValid = this.nState[i] >= NudState.Reachable && this.nState[i] <= NudState.Probe
            const isValid = state >= NudState.Reachable && state <= NudState.Probe
            const macChanged = b.getAt(mac, "u32") !== this.nMac.getAt(i * 6, "u32") || b.getAt(mac + 4, "u16") !== this.nMac.getAt(i * 6 + 4, "u16")
            if ((isValid && !wasValid) || (isValid && macChanged)) {
                if (!c.isArp || c.arpSenderIp !== ip) return "neighbour " + ip + " learnt a MAC from a frame that is not ARP from it"
            }
        }
        if (permanent !== 1) return "the PERMANENT entry is gone"
        if (s.neigh.stats[NeighMib.allocs] < allocs) return "allocs went backwards"
        return null
    }

    /** Every frame the stack transmits (TestDevice.onFrame). */
    private checkTx(f: Buffer, off: number, len: number): void {
        this.txFrames++
        if (this.txFault !== null) return
        this.txFault = txFault(f, off, len, FUZZ_MAC, FUZZ_IP, FUZZ_PREFIX)
    }

    /** The independent classification of an input (which terminal counter it must end in). */
    classify(w: Buffer, off: number, len: number, c: Classified): void {
        c.arpRequestForUs = false
        c.isArp = false
        c.echoToUs = false
        c.arpSenderIp = -1
        c.ipSrc = 0
        if (len < 14) {
            c.terminal = T_RX_ERRORS
            return
        }
        const bcast = w.getAt(off, "u32") === 0xffffffff && w.getAt(off + 4, "u16") === 0xffff
        const ours = w.getAt(off, "u32") === FUZZ_MAC.getAt(0, "u32") && w.getAt(off + 4, "u16") === FUZZ_MAC.getAt(4, "u16")
        if (!bcast && !ours) {
            c.terminal = T_OTHERHOST
            return
        }
        const type = be16(w, off + 12)
        const p = off + 14
        const plen = len - 14
        if (type === 0x0806) {
            const e = refArp(w, p, plen)
            if (e !== OK) {
                c.terminal = T_ARP_ERRORS
                return
            }
            const op = be16(w, p + 6)
            c.terminal = op === 1 ? T_ARP_REQUEST : T_ARP_REPLY
            c.isArp = true
            c.arpSenderIp = be32(w, p + 14)
            const tpa = be32(w, p + 24)
            const sha0 = w.getAt(p + 8, "u32") === FUZZ_MAC.getAt(0, "u32") && w.getAt(p + 12, "u16") === FUZZ_MAC.getAt(4, "u16")
            c.arpRequestForUs = op === 1 && tpa === FUZZ_IP && !sha0 && c.arpSenderIp !== FUZZ_IP && (w[p + 8] & 1) === 0
            return
        }
        if (type !== 0x0800) {
            c.terminal = T_RX_DROPPED
            return
        }
        if (refIpv4(w, p, plen) !== OK) {
            c.terminal = T_HDR_ERRORS
            return
        }
        const dst = be32(w, p + 16)
        const src = be32(w, p + 12)
        c.ipSrc = src
        const subnetBcast = (FUZZ_IP | 0xff) >>> 0
        if (dst !== FUZZ_IP && dst !== 0xffffffff && dst !== subnetBcast) {
            c.terminal = T_ADDR_ERRORS
            return
        }
        // RFC 1122 §3.2.1.3: a host MUST silently discard a datagram with an impossible source
        if (refMartian(src, FUZZ_IP, FUZZ_PREFIX)) {
            c.terminal = T_ADDR_ERRORS
            return
        }
        if ((be16(w, p + 6) & 0x3fff) !== 0) {
            c.terminal = T_REASM
            return
        }
        const hl = (w[p] & 15) * 4
        const tlen = be16(w, p + 2) - hl
        const proto = w[p + 9]
        if (proto === 1) {
            c.terminal = T_ICMP
            c.echoToUs = dst === FUZZ_IP && refIcmp(w, p + hl, tlen) === OK && w[p + hl] === 8
            return
        }
        if (proto !== 17) {
            c.terminal = T_UNKNOWN_PROTO
            return
        }
        if (refUdp(w, p + hl, tlen, src, dst) !== OK) {
            c.terminal = T_UDP_ERRORS
            return
        }
        c.terminal = be16(w, p + hl + 2) === UDP_PORT ? T_UDP_DELIVERED : T_NO_PORTS
    }
}

/** S5 for one transmitted frame; null when it is fine. */
export function txFault(f: Buffer, off: number, len: number, mac: Buffer, ip: number, prefix: number): string {
    if (len < 14 || len > 1514) return "transmitted a frame of " + len + " bytes"
    const fromUs = f.getAt(off + 6, "u32") === mac.getAt(0, "u32") && f.getAt(off + 10, "u16") === mac.getAt(4, "u16")
    if (!fromUs) return "transmitted a frame whose source MAC is not ours"
    const type = be16(f, off + 12)
    if (type === 0x0806) {
        if (refArp(f, off + 14, len - 14) !== OK) return "transmitted a malformed ARP packet"
        if (be32(f, off + 28) !== ip) return "transmitted ARP with a sender address not ours"
        return null
    }
    if (type !== 0x0800) return "transmitted EtherType " + type
    if ((f[off] & 1) !== 0) return "transmitted IPv4 to a group MAC (a reply to a broadcast or multicast source?)"
    if (refIpv4(f, off + 14, len - 14) !== OK) return "transmitted an IPv4 header that does not check"
    const hl = (f[off + 14] & 15) * 4
    const total = be16(f, off + 16)
    if (total + 14 !== len) return "transmitted a frame whose length is not the IPv4 total length"
    if (be32(f, off + 26) !== ip) return "transmitted IPv4 from another source address"
    const dst = be32(f, off + 30)
    if (refMartian(dst, ip, prefix)) return "transmitted IPv4 to an impossible destination " + dst
    // (the drain sends several frames without yielding: the fast sum here, not the byte-wise reference)
    if (f[off + 23] === 1 && (total < hl + 8 || onesSum(f, off + 14 + hl, total - hl, 0) !== 0xffff)) return "transmitted ICMP with a bad checksum"
    return null
}

// ---------------------------------------------------------------------------------------------
// wire

/** Margin poisons: the two passes of W2. */
const POISON_A = 0x00
const POISON_B = 0xa5

export class WireTarget {
    readonly counts = new FuzzCounts()
    private readonly arp = new ArpRepr()
    private readonly ip = new Ipv4Repr()
    private readonly r1: number[] = [0, 0, 0, 0, 0, 0]
    private readonly r2: number[] = [0, 0, 0, 0, 0, 0]

    async run(rng: Rng, w: Buffer, off: number, len: number): Promise<string> {
        this.counts.cases++
        try {
            return await this.check(rng, w, off, len)
        } catch (e) {
            this.counts.exceptions++
            return "exception in a wire check: " + (e as Error).message
        }
    }

    private async check(rng: Rng, w: Buffer, off: number, len: number): Promise<string> {
        const end = off + len
        // pass 1: everything outside the frame poisoned with A
        w.fillAt(0, off, POISON_A)
        w.fillAt(end, w.length - end, POISON_A)
        const f = this.all(w, off, len, this.r1)
        if (f !== null) return f
        // (the reference checksums walk bytes one by one: a full frame costs ~20 k steps per pass)
        await ds.sleep(0)
        // pass 2: poisoned with B; the answers must not change (W2)
        w.fillAt(0, off, POISON_B)
        w.fillAt(end, w.length - end, POISON_B)
        this.all(w, off, len, this.r2)
        for (let i = 0; i < 4; i++) if (this.r1[i] !== this.r2[i]) return "a wire check read outside its window (" + WIRE_NAMES[i] + ")"
        // the transport checks' window ends at the IPv4 total length: poison what follows (padding)
        if (this.r1[2] === OK && len >= 34) {
            const ip = off + 14
            const hl = (w[ip] & 15) * 4
            const total = be16(w, ip + 2)
            const tEnd = ip + total
            if (tEnd < end) {
                await ds.sleep(0)
                w.fillAt(tEnd, end - tEnd, rng.byte())
                const tf = this.transport(w, ip, hl, total, this.r2)
                if (tf !== null) return tf
                if (this.r1[3] !== this.r2[3]) return "the UDP/ICMP check read past the IPv4 total length"
            }
        }
        // W4: a window that runs past the end of the buffer
        const wo = rng.below(w.length)
        const wl = w.length - wo + 1 + rng.below(64)
        if (ethernetCheck(w, wo, wl) !== TRUNCATED || ipv4Check(w, wo, wl) !== TRUNCATED)
            return "a window past the end of the buffer is not Truncated"
        // arpCheck only ever reads its 28 bytes: it may answer from them when they are in the buffer
        const ra = arpCheck(w, wo, wl)
        if (ra !== TRUNCATED && (wo + 28 > w.length || ra !== refArp(w, wo, 28))) return "arpCheck read past the end of the buffer"
        if (udpCheck(w, wo, wl, 0, 0) !== TRUNCATED || icmpCheck(w, wo, wl) !== TRUNCATED) return "a window past the end of the buffer is not Truncated (UDP/ICMP)"
        // options walked on a random in-bounds window
        const oo = off + rng.below(len + 1)
        const ol = rng.below(Math.min(41, end - oo + 1))
        if (ipv4OptionsCheck(w, oo, ol) !== refOptions(w, oo, ol)) return "ipv4OptionsCheck disagrees with RFC 791 on a random window"
        return null
    }

    /** W1 + W3 for every layer; results in r: eth, arp, ipv4, transport. */
    private all(w: Buffer, off: number, len: number, r: number[]): string {
        r[0] = ethernetCheck(w, off, len)
        if (r[0] !== refEthernet(len)) return "ethernetCheck says " + r[0] + ", RFC 894 says " + refEthernet(len)
        r[1] = -1
        r[2] = -1
        r[3] = -1
        if (len < 14) return null
        const p = off + 14
        const pl = len - 14
        r[1] = arpCheck(w, p, pl)
        const ea = refArp(w, p, pl)
        if (r[1] !== ea) return "arpCheck says " + r[1] + ", RFC 826 says " + ea
        const a = this.arp
        a.operation = 0x1234
        a.senderIp = 0x5a5a5a5a
        const pa = a.parse(w, p, pl)
        if (pa !== r[1]) return "ArpRepr.parse disagrees with arpCheck"
        if (pa === OK) {
            if (a.operation !== be16(w, p + 6) || a.senderIp !== be32(w, p + 14) || a.targetIp !== be32(w, p + 24)) return "ArpRepr fields are not the packet's"
            if (a.senderMac.getAt(0, "u32") !== w.getAt(p + 8, "u32") || a.targetMac.getAt(4, "u16") !== w.getAt(p + 22, "u16")) return "ArpRepr MACs are not the packet's"
        } else if (a.operation !== 0x1234 || a.senderIp !== 0x5a5a5a5a) return "ArpRepr changed its fields on an error"
        r[2] = ipv4Check(w, p, pl)
        const ei = refIpv4(w, p, pl)
        if (r[2] !== ei) return "ipv4Check says " + r[2] + ", RFC 791 says " + ei
        const ip = this.ip
        ip.ttl = 0x77
        ip.src = 0x5a5a5a5a
        const pi = ip.parse(w, p, pl)
        if (pi !== r[2]) return "Ipv4Repr.parse disagrees with ipv4Check"
        if (pi !== OK) {
            if (ip.ttl !== 0x77 || ip.src !== 0x5a5a5a5a) return "Ipv4Repr changed its fields on an error"
            return null
        }
        const hl = (w[p] & 15) * 4
        const total = be16(w, p + 2)
        const ff = be16(w, p + 6)
        if (ip.src !== be32(w, p + 12) || ip.dst !== be32(w, p + 16) || ip.protocol !== w[p + 9] || ip.ttl !== w[p + 8]) return "Ipv4Repr addresses/protocol/ttl are not the header's"
        if (ip.totalLength !== total || ip.ident !== be16(w, p + 4) || ip.optionsLen !== hl - 20 || ip.optionsOff !== p + 20) return "Ipv4Repr lengths are not the header's"
        if (ip.fragmentOffset !== (ff & 0x1fff) * 8 || ip.moreFragments !== ((ff & 0x2000) !== 0) || ip.dontFragment !== ((ff & 0x4000) !== 0)) return "Ipv4Repr fragment fields are not the header's"
        if (ip.headerLength() !== ((hl - 20 + 3) & ~3) + 20) return "Ipv4Repr.headerLength() is not the header's"
        return this.transport(w, p, hl, total, r)
    }

    private transport(w: Buffer, ip: number, hl: number, total: number, r: number[]): string {
        const t = ip + hl
        const tl = total - hl
        const proto = w[ip + 9]
        const src = be32(w, ip + 12)
        const dst = be32(w, ip + 16)
        if (proto === 17) {
            r[3] = udpCheck(w, t, tl, src, dst)
            const e = refUdp(w, t, tl, src, dst)
            if (r[3] !== e) return "udpCheck says " + r[3] + ", RFC 768 says " + e
        } else if (proto === 1) {
            r[3] = icmpCheck(w, t, tl)
            const e = refIcmp(w, t, tl)
            if (r[3] !== e) return "icmpCheck says " + r[3] + ", RFC 792 says " + e
        } else r[3] = -1
        return null
    }
}

const WIRE_NAMES = ["ethernet", "arp", "ipv4", "udp/icmp"]

// ---------------------------------------------------------------------------------------------
// the loop

/**
 * Fuzz the wire checks and the stack's receive path with cases first..first+count-1 of `seed`:
 * each case is one input, built from its own generator (caseSeed), given to both targets.
 * Yields between cases (the step watchdog); stops early after `deadlineMs` of ds.millis().
 */
export async function fuzzStackAndWire(
    seed: number,
    first: number,
    count: number,
    deadlineMs: number,
    sink: FailureSink
): Promise<FuzzCounts> {
    const m = new Mutator(CORPUS, ADDRESSES)
    let stack = new StackTarget()
    const wire = new WireTarget()
    let stackExceptions = 0
    const rng = new Rng(1)
    const total = new FuzzCounts()
    for (let i = first; i < first + count; i++) {
        if (ds.millis() > deadlineMs) break
        if (fuzzTrace.trace) console.log("@@at " + i)
        rng.reseed(caseSeed(seed, i))
        await m.generate(rng)
        if (fuzzTrace.dump) printChunked("@@input", m.hex())
        total.cases++
        total.frames++
        const sf = await stack.run(rng, m.work, PAD, m.len)
        if (sf !== null) {
            total.failures++
            sink("stack", i, sf, m.hex(), m.origin, m.ops)
            // the stack's state may be what is broken now: every later case would fail with it
            stackExceptions += stack.counts.exceptions
            stack = null
            await ds.sleep(0)
            stack = new StackTarget()
            await ds.sleep(0)
        }
        // the wire target poisons around the frame: it runs after the stack has seen it
        await ds.sleep(0)
        const wf = await wire.run(rng, m.work, PAD, m.len)
        if (wf !== null) {
            total.failures++
            sink("wire", i, wf, m.hex(), m.origin, m.ops)
        }
        await ds.sleep(0)
    }
    total.exceptions = stackExceptions + stack.counts.exceptions + wire.counts.exceptions
    return total
}

/** A saved input replayed: on a fresh stack, then through the wire checks. Returns the failure or null. */
export async function replayStackAndWire(input: Buffer): Promise<string> {
    const stack = new StackTarget()
    const wire = new WireTarget()
    const rng = new Rng(7)
    const m = new Mutator(CORPUS, ADDRESSES)
    m.len = input.length
    m.work.blitAt(PAD, input, 0, input.length)
    const sf = await stack.run(rng, m.work, PAD, m.len)
    if (sf !== null) return "stack: " + sf
    const wf = await wire.run(rng, m.work, PAD, m.len)
    return wf === null ? null : "wire: " + wf
}

export { refChecksum }
