// A scripted peer on the virtual LAN: a host with one MAC and one IPv4 address that answers ARP
// (RFC 826) and ICMP echo (RFC 792), records the UDP datagrams addressed to it (reassembling
// fragments, RFC 791 §3.2, one datagram at a time), and can send a UDP datagram or a ping to the
// board. Replies go out synchronously from receiveFromWire(). Test-only: recording allocates.

import { Segment, LanPort } from "./lan"
import { getU16 } from "../wire/bytes"
import { onesSum } from "../wire/checksum"
import { ethernetEmit, ethernetEtherType, EtherType, ETHERNET_HEADER_LEN } from "../wire/ethernet"
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
import { udpCheck, udpDstPort, udpEmitHeader, udpSrcPort, UDP_HEADER_LEN } from "../wire/udp"
import { WireError } from "../wire/error"

/** One UDP datagram the host received (payload copied, at most `VirtualHost.keepBytes`). */
export class UdpRecord {
    constructor(
        readonly srcIp: number,
        readonly srcPort: number,
        readonly dstPort: number,
        /** Payload length on the wire (may exceed payload.length). */
        readonly len: number,
        readonly payload: Buffer,
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

export class VirtualHost implements LanPort {
    /** Never answer ARP (tests of unanswered resolution). */
    silent = false
    /** Answer ICMP echo requests. */
    answerPing = true
    /** How many records `udp` and `fragments` keep (oldest dropped). */
    keep = 4
    /** Payload bytes copied per UDP record. */
    keepBytes = 1472
    /** Largest datagram the reassembler accepts (IP payload bytes). */
    reassemblyLimit = 8192

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

    /** The last `keep` datagrams, oldest first. */
    udp: UdpRecord[] = []
    /** The last `keep` fragments, oldest first. */
    fragments: FragmentRecord[] = []

    /** A one-entry ARP cache (the board); learnt from ARP and from received frames. */
    peerIp = 0
    readonly peerMac = Buffer.alloc(6)
    peerKnown = false

    private readonly out = Buffer.alloc(ETHERNET_HEADER_LEN + 1500)
    private readonly arp = new ArpRepr()
    private readonly ip = new Ipv4Repr()
    private ident = 0x100
    // reassembly of one datagram at a time
    private reasm: Buffer = null
    private reasmIdent = -1
    private reasmSrc = 0
    private reasmHave = 0
    private reasmTotal = -1
    private reasmCount = 0

    constructor(
        readonly segment: Segment,
        readonly mac: Buffer,
        readonly address: number
    ) {
        segment.attach(this)
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
        this.segment.transmit(this, o, 0, ETHERNET_HEADER_LEN + ARP_LEN)
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
        else if (proto === 17) this.udpInput(buf, off + hlen, plen, src, 1)
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
        if (t !== IcmpType.EchoRequest || !this.answerPing || len > 1480) return
        const o = this.out
        const at = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN
        o.blitAt(at + ICMP_HEADER_LEN, buf, off + ICMP_HEADER_LEN, len - ICMP_HEADER_LEN)
        icmpEchoEmit(o, at, IcmpType.EchoReply, icmpIdent(buf, off), icmpSequence(buf, off), len - ICMP_HEADER_LEN)
        this.echoRequestsAnswered++
        this.emitIp(buf, eth + 6, src, 1, len)
    }

    private udpInput(buf: Buffer, off: number, len: number, src: number, frags: number): void {
        if (udpCheck(buf, off, len, src, this.address) !== WireError.Ok) {
            this.udpBadChecksum++
            return
        }
        const ulen = getU16(buf, off + 4) - UDP_HEADER_LEN
        const n = Math.min(ulen, this.keepBytes)
        const copy = Buffer.alloc(n)
        copy.blitAt(0, buf, off + UDP_HEADER_LEN, n)
        this.udpReceived++
        this.udp.push(new UdpRecord(src, udpSrcPort(buf, off), udpDstPort(buf, off), ulen, copy, frags))
        while (this.udp.length > this.keep) this.udp.shift()
    }

    /** RFC 791 §3.2 reassembly of one datagram at a time; overlaps are not expected (the board never sends them). */
    private fragmentInput(buf: Buffer, off: number, hlen: number, plen: number, ff: number, src: number): void {
        this.fragmentsReceived++
        const ident = getU16(buf, off + Ipv4Field.Ident)
        const foff = (ff & IPV4_OFFSET_MASK) * 8
        const more = (ff & IPV4_MF) !== 0
        this.fragments.push(new FragmentRecord(ident, foff, more, plen))
        while (this.fragments.length > this.keep) this.fragments.shift()
        if (ident !== this.reasmIdent || src !== this.reasmSrc) {
            if (this.reasmIdent >= 0 && this.reasmTotal !== this.reasmHave) this.reassemblyFailures++
            if (this.reasm === null) this.reasm = Buffer.alloc(this.reassemblyLimit)
            this.reasmIdent = ident
            this.reasmSrc = src
            this.reasmHave = 0
            this.reasmTotal = -1
            this.reasmCount = 0
        }
        if (foff + plen > this.reassemblyLimit) {
            this.reassemblyFailures++
            this.reasmIdent = -1
            return
        }
        this.reasm.blitAt(foff, buf, off + hlen, plen)
        this.reasmHave += plen
        this.reasmCount++
        if (!more) this.reasmTotal = foff + plen
        if (this.reasmTotal === this.reasmHave) {
            this.reasmIdent = -1
            this.udpInput(this.reasm, 0, this.reasmTotal, src, this.reasmCount)
        }
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
        this.segment.transmit(this, o, 0, ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + plen)
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
        this.segment.transmit(this, o, 0, ETHERNET_HEADER_LEN + ARP_LEN)
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
        this.sendUdpTo(this.peerMac, dst, srcPort, dstPort, payload, off, len)
        return true
    }

    /** Send a UDP datagram to an explicit MAC (no resolution). */
    sendUdpTo(dstMac: Buffer, dst: number, srcPort: number, dstPort: number, payload: Buffer, off: number, len: number): void {
        const o = this.out
        const at = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN
        o.blitAt(at + UDP_HEADER_LEN, payload, off, len)
        const sum = onesSum(o, at + UDP_HEADER_LEN, len, 0)
        udpEmitHeader(o, at, srcPort, dstPort, len, sum, this.address, dst)
        this.emitIp(dstMac, 0, dst, 17, UDP_HEADER_LEN + len)
    }

    /** Send an ICMP echo request with `dataLen` bytes of pattern data; false (and an ARP request) when unresolved. */
    ping(dst: number, ident: number, seq: number, dataLen: number): boolean {
        if (!this.peerKnown || this.peerIp !== dst) {
            this.arpRequest(dst)
            return false
        }
        const o = this.out
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
