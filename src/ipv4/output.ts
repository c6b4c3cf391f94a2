// The IPv4 output path, Linux's ip_queue_xmit -> ip_local_out (LOCAL_OUT) -> ip_output
// (POST_ROUTING) -> ip_finish_output (MTU check, ip_fragment) -> ip_finish_output2 (neighbour) ->
// neigh_hh_output / neigh_resolve_output -> dev_queue_xmit (qdisc enqueue).
//
// Frames are built in place in the qdisc ring (or, while the neighbour resolves, in the pending
// queue): Ethernet header from the neighbour's hh cache, IPv4 header, then the bytes of the IP
// payload cut from the transport header and the caller's buffer. Nothing is allocated per datagram.

import { FifoQdisc } from "../dev/qdisc"
import { NetDevice } from "../dev/netdev"
import { LinkMib, QdiscMib } from "../dev/counters"
import { NeighTable, NEIGH_ENTRY_LEN, NO_NEIGH, NudState } from "../neigh/neighbour"
import { ETHERNET_HEADER_LEN, EtherType } from "../wire/ethernet"
import { IPV4_DF, IPV4_HEADER_LEN, IPV4_MF, ipv4HeaderLenFor, ipv4OptionsForFragment } from "../wire/ipv4"
import { onesSum } from "../wire/checksum"
import { setU16 } from "../wire/bytes"
import { ipv4IsMulticast, ipv4MulticastMac } from "../wire/addr"
import { Fib, NO_ROUTE, RouteType } from "./fib"
import { HookChain, Verdict } from "./hooks"
import { OutPacket } from "./packet"
import { IpStats, IpMib } from "./mib"
import { InDevice } from "./ifaddr"

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

export class Ipv4Output {
    readonly localOut: HookChain
    readonly postRouting: HookChain
    defaultTtl = 64
    maxDatagram = 16000
    /** Global IP ID counter (RFC 6864 §4.2: must not repeat quickly for fragmentable datagrams). */
    private nextIdent = 1

    constructor(
        /** The interface address (source of what we send; RFC 919/922 directed broadcast). */
        readonly ifa: InDevice,
        readonly fib: Fib,
        readonly neigh: NeighTable,
        readonly qdisc: FifoQdisc,
        readonly dev: NetDevice,
        hookCapacity: number,
        /** The stack's counters (dev/counters.ts): the IP group, and the link group's carrier errors. */
        readonly stats: IpStats
    ) {
        this.localOut = new HookChain(hookCapacity)
        this.postRouting = new HookChain(hookCapacity)
    }

    /**
     * ip_finish_output2's next hop for `dst` on route `rt`: the route's gateway, or `dst` on-link;
     * 0 for a broadcast or multicast destination, which maps straight to a MAC (no neighbour).
     */
    nextHop(dst: number, rt: number): number {
        if (dst === 0xffffffff || dst === this.ifa.broadcast || ipv4IsMulticast(dst)) return 0
        const gw = this.fib.gateway(rt)
        return gw !== 0 ? gw : dst
    }

    /**
     * For a sender that waits (UdpSocket.sendToWait): the neighbour the datagram to `dst` will need,
     * its resolution started (neigh_event_send); NO_NEIGH when there is none to wait for (a group or
     * broadcast destination, no unicast route, a full table: the send itself then says why).
     */
    startResolution(dst: number, now: number): number {
        const rt = this.fib.lookup(dst === 0xffffffff ? this.ifa.address : dst)
        if (rt === NO_ROUTE || this.fib.type(rt) !== RouteType.Unicast) return NO_NEIGH
        const nh = this.nextHop(dst, rt)
        if (nh === 0) return NO_NEIGH
        const nt = this.neigh
        let n = nt.lookup(nh)
        if (n === NO_NEIGH) n = nt.create(nh, now)
        if (n !== NO_NEIGH && !nt.valid(n)) nt.eventSend(n, now)
        return n
    }

    /** Is the wait for neighbour `n` (from startResolution) over: resolved, or failed? */
    resolutionOver(n: number): boolean {
        return n === NO_NEIGH || this.neigh.valid(n) || this.neigh.state(n) === NudState.Failed
    }

    /** ip_route_output for `pkt.dst`: sets pkt.route, or says why not. */
    route(pkt: OutPacket): SendResult {
        // the limited broadcast leaves through the interface's connected route (Linux: RTN_BROADCAST)
        const rt = this.fib.lookup(pkt.dst === 0xffffffff ? this.ifa.address : pkt.dst)
        pkt.route = rt
        if (rt === NO_ROUTE) {
            this.stats[IpMib.OutNoRoutes]++
            return SendResult.NoRoute
        }
        return routeVerdict(this.fib.type(rt), this.stats)
    }

    /**
     * ip_queue_xmit: `pkt` carries the destination, protocol, transport header (checksum filled in
     * here, once the addresses are final) and payload; pkt.route may hold a cached route.
     */
    queueXmit(pkt: OutPacket, now: number): SendResult {
        let r: SendResult
        if (pkt.route === NO_ROUTE) {
            r = this.route(pkt)
            if (r !== SendResult.Sent) return r
        }
        if (!this.dev.carrier()) {
            this.stats[IpMib.OutDiscards]++
            this.stats[LinkMib.tx_carrier_errors]++
            return SendResult.LinkDown
        }
        const hlen = ipv4HeaderLenFor(pkt.optionsLen)
        const total = hlen + pkt.ipPayloadLen()
        // the configured maximum (the heap is 64 KB) and the 16-bit total length field
        if (pkt.payloadLen > this.maxDatagram || total > 0xffff) return SendResult.MessageTooBig
        pkt.src = this.ifa.address
        pkt.ttl = this.fib.ttl(pkt.route) || pkt.ttl || this.defaultTtl
        this.stats[IpMib.OutRequests]++

        // LOCAL_OUT (ip_local_out -> nf_hook); a changed destination is routed again
        if (this.localOut.used > 0) {
            const dst = pkt.dst
            if (this.localOut.run(pkt, total) === Verdict.Drop) {
                this.stats[IpMib.OutDiscards]++
                return SendResult.Filtered
            }
            if (pkt.dst !== dst) {
                r = this.route(pkt)
                if (r !== SendResult.Sent) return r
            }
        }
        // POST_ROUTING (ip_output)
        if (this.postRouting.used > 0 && this.postRouting.run(pkt, total) === Verdict.Drop) {
            this.stats[IpMib.OutDiscards]++
            return SendResult.Filtered
        }
        finishTransport(pkt)
        return this.finishOutput(pkt, hlen, total, now)
    }

    /** ip_finish_output + ip_finish_output2: MTU check, fragmentation, neighbour, enqueue. */
    private finishOutput(pkt: OutPacket, hlen: number, total: number, now: number): SendResult {
        const mtu = this.dev.mtu
        // ip_fragment: every fragment but the last carries a multiple of 8 bytes
        const fragData = (mtu - hlen) & ~7
        let frames = 1
        let frameBytes = ETHERNET_HEADER_LEN + total
        if (total > mtu) {
            if (pkt.dontFragment) {
                this.stats[IpMib.FragFails]++
                return SendResult.MessageTooBig
            }
            const dataLen = total - hlen
            frames = Math.ceil(dataLen / fragData)
            frameBytes = frames * (ETHERNET_HEADER_LEN + hlen) + dataLen
        }
        // RFC 6864 §4: an atomic datagram (DF, unfragmented) may carry any ID
        pkt.ident = pkt.dontFragment ? 0 : this.selectIdent()

        // ip_finish_output2: next hop, then the neighbour (a group address: emitFrames writes its MAC)
        let hh: Buffer = null
        let hhOff = 0
        let n = NO_NEIGH
        const nexthop = this.nextHop(pkt.dst, pkt.route)
        if (nexthop !== 0) {
            // the neighbour of the previous datagram, while it is still the entry for this next hop
            const t = this.neigh
            n = pkt.neigh
            if (!t.holds(n, nexthop)) n = t.lookup(nexthop)
            if (n === NO_NEIGH) {
                n = t.create(nexthop, now)
                if (n === NO_NEIGH) {
                    this.stats[IpMib.OutDiscards]++
                    return SendResult.NeighbourTableFull
                }
            }
            pkt.neigh = n
            if (t.eventSend(n, now)) {
                hh = t.buf
                hhOff = n * NEIGH_ENTRY_LEN
            }
        }
        // to the qdisc: resolved, or a group address; else to n's pending queue
        const toQdisc = hh !== null || n === NO_NEIGH
        const q = this.qdisc
        pkt.hh = hh
        pkt.hhOff = hhOff
        pkt.fragNext = 0
        if (toQdisc && !pkt.partialOk) {
            if (!q.hasRoom(frames, frameBytes)) {
                q.stats[QdiscMib.drops] += frames
                q.stats[QdiscMib.overlimits]++
                this.stats[IpMib.OutDiscards]++
                return SendResult.QueueFull
            }
        }
        return this.emitFrames(pkt, toQdisc ? NO_NEIGH : n, hlen, total - hlen, fragData, frames)
    }

    /** Blocking sends: enqueue the fragments that fit now. Sent when the last one is in. */
    continueOutput(pkt: OutPacket): SendResult {
        const hlen = ipv4HeaderLenFor(pkt.optionsLen)
        const dataLen = pkt.ipPayloadLen()
        const fragData = (this.dev.mtu - hlen) & ~7
        // as finishOutput: one frame when the datagram fits the MTU (fragData may be below it)
        const frames = hlen + dataLen > this.dev.mtu ? Math.ceil(dataLen / fragData) : 1
        return this.emitFrames(pkt, NO_NEIGH, hlen, dataLen, fragData, frames)
    }

    /**
     * Build frames from pkt.fragNext on, in place, into the qdisc (n = NO_NEIGH: with the header at
     * pkt.hh, or to a group address when pkt.hh is null) or the pending queue of `n`: one frame when
     * the datagram fits the MTU, else the fragments (ip_fragment).
     */
    private emitFrames(pkt: OutPacket, n: number, hlen: number, dataLen: number, fragData: number, frames: number): SendResult {
        const q = this.qdisc
        const hh = pkt.hh
        let offset = pkt.fragNext
        while (offset < dataLen) {
            const last = frames === 1 || offset + fragData >= dataLen
            const len = last ? dataLen - offset : fragData
            const frameLen = ETHERNET_HEADER_LEN + hlen + len
            let at: number
            if (n !== NO_NEIGH) at = this.neigh.reservePending(n, frameLen)
            else if (!pkt.partialOk) at = q.reserve(frameLen)
            else {
                // a blocking send waits for the drain: for the queue's limits, and for the pool when
                // the space left at its end is too short for this frame (ring.ts: records never wrap)
                at = q.reserve(frameLen, true)
                if (at < 0) {
                    pkt.fragNext = offset
                    return SendResult.InProgress
                }
            }
            const buf = q.pool.buf
            if (at < 0) {
                // the pool is shared: the pending queue, or a pool taken by pending frames, may refuse
                // (a send-time failure, counted here and by the caller: the frame never waited)
                this.stats[IpMib.OutDiscards]++
                if (frames > 1) this.stats[IpMib.FragFails]++
                return SendResult.QueueFull
            }
            if (hh !== null) buf.blitAt(at, hh, pkt.hhOff, ETHERNET_HEADER_LEN)
            else {
                // pending: the destination is filled in on resolution; a group address: RFC 1112 §6.4
                // (multicast, RFC 5771 224/4) or the broadcast address
                if (n !== NO_NEIGH) buf.fillAt(at, 6, 0)
                else if (ipv4IsMulticast(pkt.dst)) ipv4MulticastMac(pkt.dst, buf, at)
                else buf.fillAt(at, 6, 0xff)
                buf.blitAt(at + 6, this.dev.mac, 0, 6)
                setU16(buf, at + 12, EtherType.Ipv4)
            }
            this.emitFragment(buf, at + ETHERNET_HEADER_LEN, pkt, hlen, offset, len, !last && frames > 1)
            if (n === NO_NEIGH) q.enqueue(frameLen)
            else this.neigh.commitPending(n, frameLen)
            offset += len
        }
        pkt.fragNext = offset
        if (frames > 1) {
            this.stats[IpMib.FragOKs]++
            this.stats[IpMib.FragCreates] += frames
        }
        return n === NO_NEIGH ? SendResult.Sent : SendResult.Queued
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
        // fields written byte by byte and the checksum summed from the values (RFC 1071 §2: a sum
        // of the header's 16-bit words): no helper calls on the per-packet path
        const total = hlen + len
        const vihlTos = ((0x40 | (hlen >> 2)) << 8) | pkt.tos
        const flags = (pkt.dontFragment ? IPV4_DF : 0) | (mf ? IPV4_MF : 0) | (offset >> 3)
        const ttlProto = (pkt.ttl << 8) | pkt.protocol
        const id = pkt.ident
        const src = pkt.src
        const dst = pkt.dst
        buf[off] = vihlTos >> 8
        buf[off + 1] = vihlTos
        buf[off + 2] = total >> 8
        buf[off + 3] = total
        buf[off + 4] = id >> 8
        buf[off + 5] = id
        buf[off + 6] = flags >> 8
        buf[off + 7] = flags
        buf[off + 8] = pkt.ttl
        buf[off + 9] = pkt.protocol
        buf[off + 12] = src >>> 24
        buf[off + 13] = src >>> 16
        buf[off + 14] = src >>> 8
        buf[off + 15] = src
        buf[off + 16] = dst >>> 24
        buf[off + 17] = dst >>> 16
        buf[off + 18] = dst >>> 8
        buf[off + 19] = dst
        let sum = vihlTos + total + id + flags + ttlProto + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff)
        if (hlen > IPV4_HEADER_LEN) {
            const olen = hlen - IPV4_HEADER_LEN
            buf.fillAt(off + IPV4_HEADER_LEN, olen, 0)
            buf.blitAt(off + IPV4_HEADER_LEN, pkt.options, 0, pkt.optionsLen)
            // RFC 791 §3.2: later fragments keep only options with the copy flag
            if (offset > 0) ipv4OptionsForFragment(buf, off + IPV4_HEADER_LEN, olen)
            sum += onesSum(buf, off + IPV4_HEADER_LEN, olen, 0)
        }
        // nine words and the options: at most two end-around carries
        sum = (sum & 0xffff) + (sum >>> 16)
        sum = (sum & 0xffff) + (sum >>> 16)
        const c = ~sum & 0xffff
        buf[off + 10] = c >> 8
        buf[off + 11] = c
        // payload bytes [offset, offset+len) of head ++ payload
        let at = off + hlen
        let from = offset
        let left = len
        if (from < pkt.headLen) {
            const n = Math.min(left, pkt.headLen - from)
            buf.blitAt(at, pkt.head, from, n)
            at += n
            from += n
            left -= n
        }
        if (left > 0) buf.blitAt(at, pkt.payload, pkt.payloadOff + from - pkt.headLen, left)
    }

}

/** A route's type as an outcome (Sent = usable unicast), counting what Linux counts. */
export function routeVerdict(type: RouteType, stats: IpStats): SendResult {
    switch (type) {
        case RouteType.Unicast:
            return SendResult.Sent
        case RouteType.Unreachable:
            stats[IpMib.OutNoRoutes]++
            return SendResult.Unreachable
        case RouteType.Prohibit:
            stats[IpMib.OutNoRoutes]++
            return SendResult.Prohibited
    }
    stats[IpMib.OutDiscards]++
    return SendResult.Blackhole
}

/**
 * The transport checksum, now that the addresses are final (udp_send_skb / icmp_push_reply): the
 * payload's sum (taken from the caller's buffer) plus the header and pseudo-header words.
 */
function finishTransport(pkt: OutPacket): void {
    const h = pkt.head
    const data = onesSum(pkt.payload, pkt.payloadOff, pkt.payloadLen, 0)
    let sum: number
    if (pkt.protocol === 17) {
        const ulen = pkt.ipPayloadLen()
        const src = pkt.src
        const dst = pkt.dst
        h[4] = ulen >> 8
        h[5] = ulen
        // RFC 768: source port, destination port, length (in the header and the pseudo-header),
        // protocol, addresses, data
        sum = data + ((h[0] << 8) | h[1]) + ((h[2] << 8) | h[3]) + ulen + ulen + 17 +
            (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff)
        sum = (sum & 0xffff) + (sum >>> 16)
        sum = (sum & 0xffff) + (sum >>> 16)
        let c = ~sum & 0xffff
        if (c === 0) c = 0xffff // RFC 768: zero is sent as all ones
        h[6] = c >> 8
        h[7] = c
    } else if (pkt.protocol === 1) {
        h[2] = 0
        h[3] = 0
        sum = onesSum(h, 0, pkt.headLen, data)
        const c = ~sum & 0xffff
        h[2] = c >> 8
        h[3] = c
    }
}
