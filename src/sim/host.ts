// A scripted peer on the virtual LAN: a host with one MAC and one IPv4 address that answers ARP
// (RFC 826) and ICMP echo (RFC 792), records the UDP datagrams addressed to it, and can send a UDP
// datagram or a ping to the board. Replies go out synchronously from receiveFromWire().
//
// Memory is scarce in the simulator (64 KB heap shared with the stack and a chip model), so the
// host keeps only the first `keepBytes` of each payload plus the one's-complement sum of all of
// it, and checks fragmented datagrams (RFC 791 §3.2) without reassembling them: fragment offsets
// are multiples of 8, so the sums of the fragments add up to the sum of the datagram
// (RFC 1071 §2(A)), and the UDP checksum (RFC 768) is verified from those. Frames it sends are
// padded to 60 bytes as a MAC would. Recording allocates (test-only).

import { Segment, LanPort } from "./lan"
import { getU16 } from "../wire/bytes"
import { fold, onesSum, pseudoHeaderSum } from "../wire/checksum"
import { ethernetEmit, ethernetEtherType, EtherType, ETHERNET_HEADER_LEN, ETHERNET_MIN_FRAME } from "../wire/ethernet"
import { ArpOperation, ArpRepr, ARP_LEN } from "../wire/arp"
import {
    Ipv4Field,
    Ipv4Repr,
    ipv4Check,
    ipv4Dst,
    ipv4HeaderLen,
    ipv4Protocol,
    ipv4Src,
    ipv4TotalLength,
    IPV4_HEADER_LEN,
    IPV4_MF,
    IPV4_OFFSET_MASK,
} from "../wire/ipv4"
import { icmpCheck, icmpEchoEmit, icmpIdent, icmpSequence, icmpType, IcmpType, ICMP_HEADER_LEN } from "../wire/icmp"
import { udpCheck, udpDstPort, udpEmitHeader, udpLength, udpSrcPort, UDP_HEADER_LEN } from "../wire/udp"
import { WireError } from "../wire/error"

/** One UDP datagram the host received, its checksum verified. */
export class UdpRecord {
    constructor(
        readonly srcIp: number,
        readonly srcPort: number,
        readonly dstPort: number,
        /** Payload length (may exceed payload.length). */
        readonly len: number,
        /** The first `VirtualHost.keepBytes` of the payload. */
        readonly payload: Buffer,
        /** One's-complement sum of the whole payload (onesSum(payload, 0, len, 0)). */
        readonly sum: number,
        /** Number of IPv4 fragments it arrived in (1 = not fragmented). */
        readonly fragments: number
    ) {}
}

/** One IPv4 fragment seen (RFC 791: offset in bytes, MF flag, payload length). */
export class FragmentRecord {
    constructor(
        readonly ident: number,
        readonly offset: number,
        readonly more: boolean,
        readonly len: number
    ) {}
}

const BROADCAST = hex`ff ff ff ff ff ff`
const MIN_FRAME = ETHERNET_MIN_FRAME

export class VirtualHost implements LanPort {
    /** Never answer ARP (tests of unanswered resolution). */
    silent = false
    /** Answer ICMP echo requests. */
    answerPing = true
    /** How many records `udp` and `fragments` keep (oldest dropped). */
    keep = 4
    /** Payload bytes copied per UDP record (lower it to save heap). */
    keepBytes = 64

    // counters
    framesSeen = 0
    framesForUs = 0
    arpRequestsAnswered = 0
    arpRepliesReceived = 0
    echoRequestsAnswered = 0
    echoRepliesReceived = 0
    lastEchoSeq = -1
    udpReceived = 0
    udpBadChecksum = 0
    ipErrors = 0
    fragmentsReceived = 0
    reassemblyFailures = 0

    /** Called with each UDP datagram received (its checksum verified), e.g. a scripted server (services.ts). */
    onUdp: (src: number, srcPort: number, dstPort: number, buf: Buffer, off: number, len: number) => void = null

    /** The last `keep` datagrams, oldest first. */
    udp: UdpRecord[] = []
    /** The last `keep` fragments, oldest first. */
    fragments: FragmentRecord[] = []

    /** A one-entry ARP cache (the board); learnt from ARP and from received frames. */
    peerIp = 0
    readonly peerMac = Buffer.alloc(6)
    peerKnown = false

    /** Frames this host sends are built here; its size bounds what it can send or echo. */
    private readonly out: Buffer
    private readonly arp = new ArpRepr()
    private readonly ip = new Ipv4Repr()
    private ident = 0x100
    // the datagram being received in fragments (one at a time)
    private fragIdent = -1
    private fragSrc = 0
    private fragHave = 0
    private fragTotal = -1
    private fragCount = 0
    private fragSum = 0
    private fragHeaderSum = 0
    private fragFirst: Buffer = null
    private fragSrcPort = 0
    private fragDstPort = 0

    /** `frameBytes`: largest frame the host can send (default 1514; small saves heap). */
    constructor(
        readonly segment: Segment,
        readonly mac: Buffer,
        readonly address: number,
        frameBytes?: number
    ) {
        this.out = Buffer.alloc(Math.max(frameBytes || ETHERNET_HEADER_LEN + 1500, MIN_FRAME))
        segment.attach(this)
    }

    /** Put `len` bytes of `out` on the wire, padded to the 60-byte minimum as a MAC does. */
    private transmit(len: number): void {
        if (len < MIN_FRAME) {
            this.out.fillAt(len, MIN_FRAME - len, 0)
            len = MIN_FRAME
        }
        this.segment.transmit(this, this.out, 0, len)
    }

    receiveFromWire(frame: Buffer, off: number, len: number): void {
        this.framesSeen++
        if (len < ETHERNET_HEADER_LEN) return
        const bcast = frame[off] === 0xff && frame.getAt(off, "u32") === 0xffffffff && frame.getAt(off + 4, "u16") === 0xffff
        const ours = frame.getAt(off, "u32") === this.mac.getAt(0, "u32") && frame.getAt(off + 4, "u16") === this.mac.getAt(4, "u16")
        if (!bcast && !ours) return
        const type = ethernetEtherType(frame, off)
        const p = off + ETHERNET_HEADER_LEN
        const plen = len - ETHERNET_HEADER_LEN
        if (type === EtherType.Arp) this.arpInput(frame, p, plen)
        else if (type === EtherType.Ipv4 && ours) this.ipInput(frame, off, p, plen)
    }

    private learn(ip: number, mac: Buffer, macOff: number): void {
        this.peerIp = ip
        this.peerMac.blitAt(0, mac, macOff, 6)
        this.peerKnown = true
    }

    private arpInput(buf: Buffer, off: number, len: number): void {
        const a = this.arp
        if (a.parse(buf, off, len) !== WireError.Ok) return
        if (a.targetIp !== this.address) return
        this.framesForUs++
        if (a.operation === ArpOperation.Reply) {
            this.arpRepliesReceived++
            this.learn(a.senderIp, a.senderMac, 0)
            return
        }
        if (this.silent) return
        this.learn(a.senderIp, a.senderMac, 0)
        const o = this.out
        const reqMac = a.senderMac
        const reqIp = a.senderIp
        a.operation = ArpOperation.Reply
        a.targetMac.blitAt(0, reqMac, 0, 6)
        a.targetIp = reqIp
        a.senderMac.blitAt(0, this.mac, 0, 6)
        a.senderIp = this.address
        ethernetEmit(o, 0, a.targetMac, 0, this.mac, EtherType.Arp)
        a.emit(o, ETHERNET_HEADER_LEN)
        this.arpRequestsAnswered++
        this.transmit(ETHERNET_HEADER_LEN + ARP_LEN)
    }

    private ipInput(buf: Buffer, eth: number, off: number, len: number): void {
        if (ipv4Check(buf, off, len) !== WireError.Ok || ipv4Dst(buf, off) !== this.address) {
            this.ipErrors++
            return
        }
        this.framesForUs++
        const src = ipv4Src(buf, off)
        this.learn(src, buf, eth + 6)
        const hlen = ipv4HeaderLen(buf, off)
        const plen = ipv4TotalLength(buf, off) - hlen
        const proto = ipv4Protocol(buf, off)
        const ff = getU16(buf, off + Ipv4Field.FlagsFragment)
        if ((ff & (IPV4_MF | IPV4_OFFSET_MASK)) !== 0) {
            if (proto === 17) this.fragmentInput(buf, off, hlen, plen, ff, src)
            return
        }
        if (proto === 1) this.icmpInput(buf, eth, off + hlen, plen, src)
        else if (proto === 17) this.udpInput(buf, off + hlen, plen, src)
    }

    private icmpInput(buf: Buffer, eth: number, off: number, len: number, src: number): void {
        if (icmpCheck(buf, off, len) !== WireError.Ok) {
            this.ipErrors++
            return
        }
        const t = icmpType(buf, off)
        if (t === IcmpType.EchoReply) {
            this.echoRepliesReceived++
            this.lastEchoSeq = icmpSequence(buf, off)
            return
        }
        if (t !== IcmpType.EchoRequest || !this.answerPing || ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + len > this.out.length) return
        const o = this.out
        const at = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN
        o.blitAt(at + ICMP_HEADER_LEN, buf, off + ICMP_HEADER_LEN, len - ICMP_HEADER_LEN)
        icmpEchoEmit(o, at, IcmpType.EchoReply, icmpIdent(buf, off), icmpSequence(buf, off), len - ICMP_HEADER_LEN)
        this.echoRequestsAnswered++
        this.emitIp(buf, eth + 6, src, 1, len)
    }

    private udpInput(buf: Buffer, off: number, len: number, src: number): void {
        if (udpCheck(buf, off, len, src, this.address) !== WireError.Ok) {
            this.udpBadChecksum++
            return
        }
        const plen = udpLength(buf, off) - UDP_HEADER_LEN
        const sum = onesSum(buf, off + UDP_HEADER_LEN, plen, 0)
        this.record(src, udpSrcPort(buf, off), udpDstPort(buf, off), plen, buf, off + UDP_HEADER_LEN, sum, 1)
        if (this.onUdp !== null) this.onUdp(src, udpSrcPort(buf, off), udpDstPort(buf, off), buf, off + UDP_HEADER_LEN, plen)
    }

    private record(src: number, sport: number, dport: number, plen: number, buf: Buffer, off: number, sum: number, frags: number): void {
        const n = Math.min(plen, this.keepBytes)
        const copy = Buffer.alloc(n)
        if (buf) copy.blitAt(0, buf, off, n)
        this.udpReceived++
        this.udp.push(new UdpRecord(src, sport, dport, plen, copy, sum, frags))
        while (this.udp.length > this.keep) this.udp.shift()
    }

    /**
     * A fragment of a UDP datagram. The host keeps the sums of the fragments (and the first
     * fragment's header and leading payload); when all bytes are in, the UDP checksum is checked
     * and the datagram recorded. Overlapping fragments are not expected (the board never sends them).
     */
    private fragmentInput(buf: Buffer, off: number, hlen: number, plen: number, ff: number, src: number): void {
        this.fragmentsReceived++
        const ident = getU16(buf, off + Ipv4Field.Ident)
        const foff = (ff & IPV4_OFFSET_MASK) * 8
        const more = (ff & IPV4_MF) !== 0
        this.fragments.push(new FragmentRecord(ident, foff, more, plen))
        while (this.fragments.length > this.keep) this.fragments.shift()
        if (ident !== this.fragIdent || src !== this.fragSrc) {
            if (this.fragIdent >= 0) this.reassemblyFailures++
            this.fragIdent = ident
            this.fragSrc = src
            this.fragHave = 0
            this.fragTotal = -1
            this.fragCount = 0
            this.fragSum = 0
            this.fragHeaderSum = 0
            this.fragFirst = null
        }
        const p = off + hlen
        if (foff === 0) {
            if (plen < UDP_HEADER_LEN) {
                this.reassemblyFailures++
                this.fragIdent = -1
                return
            }
            this.fragHeaderSum = onesSum(buf, p, UDP_HEADER_LEN, 0)
            this.fragSrcPort = udpSrcPort(buf, p)
            this.fragDstPort = udpDstPort(buf, p)
            const n = Math.min(plen - UDP_HEADER_LEN, this.keepBytes)
            this.fragFirst = Buffer.alloc(n)
            this.fragFirst.blitAt(0, buf, p + UDP_HEADER_LEN, n)
            this.fragSum = onesSum(buf, p + UDP_HEADER_LEN, plen - UDP_HEADER_LEN, this.fragSum)
        } else this.fragSum = onesSum(buf, p, plen, this.fragSum)
        this.fragHave += plen
        this.fragCount++
        if (!more) this.fragTotal = foff + plen
        if (this.fragTotal !== this.fragHave) return
        this.fragIdent = -1
        const total = this.fragTotal
        // RFC 768: header + data + pseudo-header sum to 0xffff (a zero checksum field means none)
        const ok = fold(this.fragHeaderSum + this.fragSum + pseudoHeaderSum(src, this.address, 17, total)) === 0xffff
        if (!ok || this.fragFirst === null) {
            this.udpBadChecksum++
            return
        }
        this.record(src, this.fragSrcPort, this.fragDstPort, total - UDP_HEADER_LEN, this.fragFirst, 0, this.fragSum, this.fragCount)
    }

    /** IPv4 header (and Ethernet) in front of `plen` bytes already at out[34..]; send. */
    private emitIp(dstMac: Buffer, dstMacOff: number, dst: number, proto: number, plen: number): void {
        const o = this.out
        const ip = this.ip
        ip.src = this.address
        ip.dst = dst
        ip.protocol = proto
        ip.ttl = 64
        ip.ident = this.ident++ & 0xffff
        ip.totalLength = IPV4_HEADER_LEN + plen
        ip.dontFragment = false
        ip.moreFragments = false
        ip.fragmentOffset = 0
        ip.optionsLen = 0
        ip.emit(o, ETHERNET_HEADER_LEN)
        ethernetEmit(o, 0, dstMac, dstMacOff, this.mac, EtherType.Ipv4)
        this.transmit(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + plen)
    }

    /** Broadcast an ARP request for `ip` (who-has). */
    arpRequest(ip: number): void {
        const a = this.arp
        const o = this.out
        a.operation = ArpOperation.Request
        a.senderMac.blitAt(0, this.mac, 0, 6)
        a.senderIp = this.address
        a.targetMac.fillAt(0, 6, 0)
        a.targetIp = ip
        ethernetEmit(o, 0, BROADCAST, 0, this.mac, EtherType.Arp)
        a.emit(o, ETHERNET_HEADER_LEN)
        this.transmit(ETHERNET_HEADER_LEN + ARP_LEN)
    }

    /**
     * Send a UDP datagram (at most 1472 bytes, never fragmented) to `dst`. When the destination's
     * MAC is not known yet, an ARP request goes out instead and the answer is false: retry after
     * the board has answered.
     */
    sendUdp(dst: number, srcPort: number, dstPort: number, payload: Buffer, off: number, len: number): boolean {
        if (!this.peerKnown || this.peerIp !== dst) {
            this.arpRequest(dst)
            return false
        }
        return this.sendUdpTo(this.peerMac, dst, srcPort, dstPort, payload, off, len)
    }

    /** Send a UDP datagram to an explicit MAC (no resolution); false when it does not fit the host's frame buffer. */
    sendUdpTo(dstMac: Buffer, dst: number, srcPort: number, dstPort: number, payload: Buffer, off: number, len: number): boolean {
        const o = this.out
        if (ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN + len > o.length) return false
        const at = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN
        o.blitAt(at + UDP_HEADER_LEN, payload, off, len)
        const sum = onesSum(o, at + UDP_HEADER_LEN, len, 0)
        udpEmitHeader(o, at, srcPort, dstPort, len, sum, this.address, dst)
        this.emitIp(dstMac, 0, dst, 17, UDP_HEADER_LEN + len)
        return true
    }

    /** Send `len` bytes of `payload` (a transport header and data, checksum done) in an IPv4 packet of `proto` to `dst` at `dstMac`; false when it does not fit. */
    sendIpTo(dstMac: Buffer, dst: number, proto: number, payload: Buffer, off: number, len: number): boolean {
        if (ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + len > this.out.length) return false
        this.out.blitAt(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN, payload, off, len)
        this.emitIp(dstMac, 0, dst, proto, len)
        return true
    }

    /** Send an ICMP echo request with `dataLen` bytes of pattern data; false (and an ARP request) when unresolved. */
    ping(dst: number, ident: number, seq: number, dataLen: number): boolean {
        if (!this.peerKnown || this.peerIp !== dst) {
            this.arpRequest(dst)
            return false
        }
        const o = this.out
        if (ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + ICMP_HEADER_LEN + dataLen > o.length) return false
        const at = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN
        for (let i = 0; i < dataLen; i++) o[at + ICMP_HEADER_LEN + i] = i
        icmpEchoEmit(o, at, IcmpType.EchoRequest, ident, seq, dataLen)
        this.emitIp(this.peerMac, 0, dst, 1, ICMP_HEADER_LEN + dataLen)
        return true
    }

    /** Forget records and counters' history (not the ARP entry). */
    clearRecords(): void {
        this.udp = []
        this.fragments = []
    }
}
