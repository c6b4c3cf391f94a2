// The IPv4 output path, Linux's ip_queue_xmit -> ip_local_out (LOCAL_OUT) -> ip_output
// (POST_ROUTING) -> ip_finish_output (MTU check, ip_fragment) -> ip_finish_output2 (neighbour) ->
// neigh_hh_output / neigh_resolve_output -> dev_queue_xmit (qdisc enqueue).
//
// Frames are built in place in the qdisc ring (or, while the neighbour resolves, in the pending
// queue): Ethernet header from the neighbour's hh cache, IPv4 header, then the bytes of the IP
// payload cut from the transport header and the caller's buffer. Nothing is allocated per datagram.

import { FifoQdisc } from "../dev/qdisc"
import { NetDevice } from "../dev/netdev"
import { LinkStats } from "../dev/counters"
import { NeighTable, Neighbour } from "../neigh/neighbour"
import { ETHERNET_HEADER_LEN, EtherType } from "../wire/ethernet"
import { IPV4_DF, IPV4_HEADER_LEN, IPV4_MF, ipv4OptionsForFragment, Ipv4Field } from "../wire/ipv4"
import { internetChecksum, onesSum, finish, pseudoHeaderSum, udpChecksumField } from "../wire/checksum"
import { setU16, setU32 } from "../wire/bytes"
import { ipv4IsMulticast, ipv4MulticastMac } from "../wire/addr"
import { Fib, Route, RouteType } from "./fib"
import { HookChain, Verdict } from "./hooks"
import { OutPacket } from "./packet"
import { IpStats } from "./mib"

/** What happened to a datagram handed to the output path. */
export const enum SendResult {
    /** Enqueued for the device (sendmsg returned success). */
    Sent = 0,
    /** Waiting in the neighbour's pending queue for ARP to resolve; sent when it does. */
    Queued = 1,
    /** No route matches the destination (ENETUNREACH, OutNoRoutes). */
    NoRoute = 2,
    /** An unreachable route matched (EHOSTUNREACH). */
    Unreachable = 3,
    /** A prohibit route matched (EACCES). */
    Prohibited = 4,
    /** DF set and larger than the MTU, or larger than the configured maximum datagram (EMSGSIZE). */
    MessageTooBig = 5,
    /** An output hook dropped it (EPERM). */
    Filtered = 6,
    /** The qdisc or the pending queue had no room (ENOBUFS). */
    QueueFull = 7,
    /** No carrier (ENETDOWN). */
    LinkDown = 8,
    /** A blackhole route matched: discarded by design. */
    Blackhole = 9,
    /** The neighbour table is full of entries that cannot be evicted. */
    NeighbourTableFull = 10,
    /** Blocking sends only: some fragments are enqueued, continueOutput() sends the rest. */
    InProgress = 11,
}

export function sendResultName(r: SendResult): string {
    switch (r) {
        case SendResult.Sent:
            return "sent"
        case SendResult.Queued:
            return "queued (resolving neighbour)"
        case SendResult.NoRoute:
            return "no route"
        case SendResult.Unreachable:
            return "unreachable"
        case SendResult.Prohibited:
            return "prohibited"
        case SendResult.MessageTooBig:
            return "message too big"
        case SendResult.Filtered:
            return "filtered"
        case SendResult.QueueFull:
            return "dropped (queue full)"
        case SendResult.LinkDown:
            return "link down"
        case SendResult.Blackhole:
            return "blackholed"
        case SendResult.NeighbourTableFull:
            return "neighbour table full"
        case SendResult.InProgress:
            return "in progress"
    }
    return "unknown"
}

const BROADCAST_MAC = hex`ff ff ff ff ff ff`

export class Ipv4Output {
    readonly stats = new IpStats()
    readonly localOut: HookChain
    readonly postRouting: HookChain
    /** Interface address and prefix (the connected route). */
    address = 0
    prefix = 0
    defaultTtl = 64
    maxDatagram = 16000
    /** Global IP ID counter (RFC 6864 §4.2: must not repeat quickly for fragmentable datagrams). */
    private nextIdent = 1
    /** Scratch for multicast destination MACs. */
    private readonly mcastHh = Buffer.alloc(ETHERNET_HEADER_LEN)

    constructor(
        readonly fib: Fib,
        readonly neigh: NeighTable,
        readonly qdisc: FifoQdisc,
        readonly dev: NetDevice,
        readonly link: LinkStats,
        hookCapacity: number
    ) {
        this.localOut = new HookChain("LOCAL_OUT", hookCapacity)
        this.postRouting = new HookChain("POST_ROUTING", hookCapacity)
    }

    /** ip_route_output for `pkt.dst`: sets pkt.route, or says why not. */
    route(pkt: OutPacket): SendResult {
        // the limited broadcast leaves through the interface's connected route (Linux: RTN_BROADCAST)
        const rt = this.fib.lookup(pkt.dst === 0xffffffff ? this.address : pkt.dst)
        pkt.route = rt
        if (rt === null) {
            this.stats.OutNoRoutes++
            return SendResult.NoRoute
        }
        return routeVerdict(rt, this.stats)
    }

    /**
     * ip_queue_xmit: `pkt` carries the destination, protocol, transport header (checksum filled in
     * here, once the addresses are final) and payload; pkt.route may hold a cached route.
     */
    queueXmit(pkt: OutPacket, now: number): SendResult {
        let r: SendResult
        if (pkt.route === null) {
            r = this.route(pkt)
            if (r !== SendResult.Sent) return r
        }
        if (!this.dev.carrier()) {
            this.stats.OutDiscards++
            this.link.tx_carrier_errors++
            return SendResult.LinkDown
        }
        const total = IPV4_HEADER_LEN + ((pkt.optionsLen + 3) & ~3) + pkt.ipPayloadLen()
        // the configured maximum (the heap is 64 KB) and the 16-bit total length field
        if (pkt.payloadLen > this.maxDatagram || total > 0xffff) return SendResult.MessageTooBig
        pkt.src = this.address
        pkt.ttl = pkt.route.ttl || pkt.ttl || this.defaultTtl
        this.stats.OutRequests++

        // LOCAL_OUT (ip_local_out -> nf_hook); a changed destination is routed again
        if (this.localOut.used > 0) {
            const dst = pkt.dst
            if (this.localOut.run(pkt, total) === Verdict.Drop) {
                this.stats.OutDiscards++
                return SendResult.Filtered
            }
            if (pkt.dst !== dst) {
                r = this.route(pkt)
                if (r !== SendResult.Sent) return r
            }
        }
        // POST_ROUTING (ip_output)
        if (this.postRouting.used > 0 && this.postRouting.run(pkt, total) === Verdict.Drop) {
            this.stats.OutDiscards++
            return SendResult.Filtered
        }
        finishTransport(pkt)
        return this.finishOutput(pkt, total, now)
    }

    /** ip_finish_output + ip_finish_output2: MTU check, fragmentation, neighbour, enqueue. */
    private finishOutput(pkt: OutPacket, total: number, now: number): SendResult {
        const mtu = this.dev.mtu
        const hlen = IPV4_HEADER_LEN + ((pkt.optionsLen + 3) & ~3)
        // ip_fragment: every fragment but the last carries a multiple of 8 bytes
        const fragData = (mtu - hlen) & ~7
        let frames = 1
        let frameBytes = ETHERNET_HEADER_LEN + total
        if (total > mtu) {
            if (pkt.dontFragment) {
                this.stats.FragFails++
                return SendResult.MessageTooBig
            }
            const dataLen = total - hlen
            frames = Math.ceil(dataLen / fragData)
            frameBytes = frames * (ETHERNET_HEADER_LEN + hlen) + dataLen
        }
        // RFC 6864 §4: an atomic datagram (DF, unfragmented) may carry any ID
        pkt.ident = pkt.dontFragment ? 0 : this.selectIdent()

        // ip_finish_output2: next hop, then the neighbour (or a direct mapping)
        const rt = pkt.route
        const dst = pkt.dst
        let hh: Buffer = null
        let n: Neighbour = null
        if (dst === 0xffffffff || this.isSubnetBroadcast(dst)) {
            hh = this.mcastHh
            hh.blitAt(0, BROADCAST_MAC, 0, 6)
        } else if (ipv4IsMulticast(dst)) {
            hh = this.mcastHh
            ipv4MulticastMac(dst, hh, 0)
        } else {
            const nexthop = rt.gateway !== 0 ? rt.gateway : dst
            n = this.neigh.lookup(nexthop)
            if (n === null) {
                n = this.neigh.create(nexthop, now)
                if (n === null) {
                    this.stats.OutDiscards++
                    return SendResult.NeighbourTableFull
                }
            }
            if (this.neigh.eventSend(n, now)) hh = n.hh
        }
        if (hh === this.mcastHh) {
            hh.blitAt(6, this.dev.mac, 0, 6)
            setU16(hh, 12, EtherType.Ipv4)
        }

        const q = this.qdisc
        pkt.hh = hh
        pkt.fragNext = 0
        if (hh !== null && !pkt.partialOk) {
            if (!q.hasRoom(frames, frameBytes)) {
                q.stats.drops += frames
                q.stats.overlimits++
                this.stats.OutDiscards++
                return SendResult.QueueFull
            }
        }
        if (hh === null) return this.emitFrames(pkt, n, hlen, total - hlen, fragData, frames)
        return this.emitFrames(pkt, null, hlen, total - hlen, fragData, frames)
    }

    /** Blocking sends: enqueue the fragments that fit now. Sent when the last one is in. */
    continueOutput(pkt: OutPacket): SendResult {
        const hlen = IPV4_HEADER_LEN + ((pkt.optionsLen + 3) & ~3)
        const dataLen = pkt.ipPayloadLen()
        const fragData = (this.dev.mtu - hlen) & ~7
        return this.emitFrames(pkt, null, hlen, dataLen, fragData, Math.ceil(dataLen / fragData))
    }

    /**
     * Build frames from pkt.fragNext on, in place, into the qdisc (pkt.hh set) or the pending queue
     * of `n`: one frame when the datagram fits the MTU, else the fragments (ip_fragment).
     */
    private emitFrames(pkt: OutPacket, n: Neighbour, hlen: number, dataLen: number, fragData: number, frames: number): SendResult {
        const q = this.qdisc
        const hh = pkt.hh
        let offset = pkt.fragNext
        while (offset < dataLen) {
            const last = frames === 1 || offset + fragData >= dataLen
            const len = last ? dataLen - offset : fragData
            const frameLen = ETHERNET_HEADER_LEN + hlen + len
            let at: number
            if (hh !== null) {
                if (pkt.partialOk && !q.hasRoom(1, frameLen)) {
                    pkt.fragNext = offset
                    return SendResult.InProgress
                }
                at = q.reserve(frameLen)
            } else at = this.neigh.pending.reserve(n, frameLen)
            const buf = q.pool.buf
            if (at < 0) {
                // the pool is shared: the pending queue, or a pool taken by pending frames, may refuse
                if (hh === null) this.neigh.stats.unresolved_discards++
                this.stats.OutDiscards++
                if (frames > 1) this.stats.FragFails++
                return SendResult.QueueFull
            }
            if (hh !== null) buf.blitAt(at, hh, 0, ETHERNET_HEADER_LEN)
            else {
                buf.fillAt(at, 6, 0)
                buf.blitAt(at + 6, this.dev.mac, 0, 6)
                setU16(buf, at + 12, EtherType.Ipv4)
            }
            this.emitFragment(buf, at + ETHERNET_HEADER_LEN, pkt, hlen, offset, len, !last && frames > 1)
            if (hh !== null) q.enqueue(frameLen)
            else this.neigh.pending.commit(n, frameLen)
            offset += len
        }
        pkt.fragNext = offset
        if (frames > 1) {
            this.stats.FragOKs++
            this.stats.FragCreates += frames
        }
        return hh !== null ? SendResult.Sent : SendResult.Queued
    }

    /** The directed broadcast address of the connected subnet (RFC 919, RFC 922). */
    private isSubnetBroadcast(addr: number): boolean {
        if (this.prefix >= 31) return false
        const hostMask = (0xffffffff >>> this.prefix) >>> 0
        return (addr | hostMask) >>> 0 === (this.address | hostMask) >>> 0 && ((addr & hostMask) >>> 0) === hostMask
    }

    /** ip_select_ident: a global counter, wrapping at 16 bits and skipping 0. */
    private selectIdent(): number {
        const id = this.nextIdent
        this.nextIdent = id >= 0xffff ? 1 : id + 1
        return id
    }

    /**
     * One IPv4 header + `len` bytes of the IP payload starting at `offset`, at `off` in `buf`
     * (ip_fragment's per-fragment work: offset in 8-byte units, MF, options per their copy flag).
     */
    private emitFragment(buf: Buffer, off: number, pkt: OutPacket, hlen: number, offset: number, len: number, mf: boolean): void {
        buf[off] = 0x40 | (hlen >> 2)
        buf[off + Ipv4Field.Tos] = pkt.tos
        setU16(buf, off + Ipv4Field.TotalLength, hlen + len)
        setU16(buf, off + Ipv4Field.Ident, pkt.ident)
        setU16(buf, off + Ipv4Field.FlagsFragment, (pkt.dontFragment ? IPV4_DF : 0) | (mf ? IPV4_MF : 0) | (offset >> 3))
        buf[off + Ipv4Field.Ttl] = pkt.ttl
        buf[off + Ipv4Field.Protocol] = pkt.protocol
        buf[off + Ipv4Field.Checksum] = 0
        buf[off + Ipv4Field.Checksum + 1] = 0
        setU32(buf, off + Ipv4Field.Src, pkt.src)
        setU32(buf, off + Ipv4Field.Dst, pkt.dst)
        if (hlen > IPV4_HEADER_LEN) {
            const olen = hlen - IPV4_HEADER_LEN
            buf.fillAt(off + IPV4_HEADER_LEN, olen, 0)
            buf.blitAt(off + IPV4_HEADER_LEN, pkt.options, pkt.optionsOff, pkt.optionsLen)
            // RFC 791 §3.2: later fragments keep only options with the copy flag
            if (offset > 0) ipv4OptionsForFragment(buf, off + IPV4_HEADER_LEN, olen)
        }
        setU16(buf, off + Ipv4Field.Checksum, internetChecksum(buf, off, hlen))
        // payload bytes [offset, offset+len) of head ++ payload
        let dst = off + hlen
        let from = offset
        let left = len
        if (from < pkt.headLen) {
            const n = Math.min(left, pkt.headLen - from)
            buf.blitAt(dst, pkt.head, from, n)
            dst += n
            from += n
            left -= n
        }
        if (left > 0) buf.blitAt(dst, pkt.payload, pkt.payloadOff + from - pkt.headLen, left)
    }
}

/** The route's type as an outcome (Sent = usable unicast), counting what Linux counts. */
export function routeVerdict(rt: Route, stats: IpStats): SendResult {
    switch (rt.type) {
        case RouteType.Unicast:
            return SendResult.Sent
        case RouteType.Unreachable:
            stats.OutNoRoutes++
            return SendResult.Unreachable
        case RouteType.Prohibit:
            stats.OutNoRoutes++
            return SendResult.Prohibited
    }
    stats.OutDiscards++
    return SendResult.Blackhole
}

/** The transport checksum, now that the addresses are final (udp_send_skb / icmp_push_reply). */
function finishTransport(pkt: OutPacket): void {
    const h = pkt.head
    if (pkt.protocol === 17) {
        const ulen = pkt.ipPayloadLen()
        setU16(h, 4, ulen)
        h[6] = 0
        h[7] = 0
        const sum = onesSum(h, 0, 8, pkt.payloadSum + pseudoHeaderSum(pkt.src, pkt.dst, 17, ulen))
        setU16(h, 6, udpChecksumField(sum))
    } else if (pkt.protocol === 1) {
        h[2] = 0
        h[3] = 0
        setU16(h, 2, finish(onesSum(h, 0, pkt.headLen, pkt.payloadSum)))
    }
}
