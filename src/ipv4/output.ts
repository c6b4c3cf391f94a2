// The IPv4 output path, Linux's ip_queue_xmit -> ip_local_out (LOCAL_OUT) -> ip_output
// (POST_ROUTING) -> ip_finish_output (MTU check, ip_fragment) -> ip_finish_output2, which hands each
// frame to the neighbour layer (neigh/output.ts: the Ethernet header, the queue or the pending queue).
//
// Frames are built in place in the packet pool: the neighbour layer reserves the room and writes the
// Ethernet header, this file the IPv4 header, then the bytes of the IP payload cut from the
// transport header and the caller's buffer. Nothing is allocated per datagram.

import { carrierOk, TxDrain } from "../dev/drain"
import { qdiscHasRoom } from "../dev/qdisc"
import { neighGen, neighState, NeighTable, neighUseCached, NO_NEIGH, NudState } from "../neigh/neighbour"
import { neighFor, NEIGH_TABLE_FULL, reserveFrame, writeHeader } from "../neigh/output"
import { ETHERNET_HEADER_LEN } from "../wire/ethernet"
import { IPV4_DF, IPV4_HEADER_LEN, Ipv4Field, IPV4_MF, ipv4HeaderLenFor, ipv4OptionsForFragment } from "../wire/ipv4"
import { onesSum } from "../wire/checksum"
import { ipv4IsMulticast } from "../wire/addr"
import { Fib, fibGateway, fibTtl, fibType, NO_ROUTE, RouteType } from "./fib"
import { HookChain, Verdict } from "./hooks"
import { Csum, Kept, OutPacket } from "./packet"
import { IpStats, IpMib } from "./mib"
import { InDevice } from "./ifaddr"
import { inc } from "../util/mib"

// The IPv4 fields the fast path writes, as offsets in the frame (RFC 791 §3.1)
const FRAME_TOTAL_LENGTH = ETHERNET_HEADER_LEN + Ipv4Field.TotalLength
const FRAME_IDENT = ETHERNET_HEADER_LEN + Ipv4Field.Ident
const FRAME_CHECKSUM = ETHERNET_HEADER_LEN + Ipv4Field.Checksum

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
    /**
     * The interface has no address yet (DHCP still asking, src/dhcp): nothing sent, counted in
     * OutNoRoutes as Linux counts a send with no usable route. Only the limited broadcast goes out,
     * from 0.0.0.0 (RFC 2131 §4.1).
     */
    NoAddress = 12,
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
        case SendResult.NoAddress:
            return "no address yet"
    }
    return "unknown"
}

/**
 * pkt.route for the limited broadcast sent while the interface has no address (a DHCP client's
 * DISCOVER from 0.0.0.0): Linux's ip_route_output_key with the interface given routes
 * 255.255.255.255 there without the FIB (RTN_BROADCAST, make_route); no FIB entry, no gateway.
 */
export const LBCAST_ROUTE = -2

/** What IPv4 output is built with (devicescript.json's ip and tables.hookRules: a StackConfig). */
export interface Ipv4OutputParams {
    /** Entries per hook chain. */
    hookRuleCapacity: number
    defaultTtl: number
    /** Largest datagram accepted (the heap is 64 KB). */
    maxDatagram: number
}

/** @devsWhenUsed */
export class Ipv4Output {
    readonly localOut: HookChain
    readonly postRouting: HookChain
    /** The interface MTU; a DHCP lease's option 26 may lower it (src/dhcp). */
    mtu: number
    readonly defaultTtl: number
    readonly maxDatagram: number
    /** The IP group (the interface's: input writes it too). */
    readonly stats: IpStats
    /** Global IP ID counter (RFC 6864 §4.2: must not repeat quickly for fragmentable datagrams). */
    nextIdent = 1

    constructor(
        /** The interface address (source of what we send; RFC 919/922 directed broadcast). */
        readonly ifa: InDevice,
        readonly fib: Fib,
        readonly neigh: NeighTable,
        /** The device layer: carrier, and where queued frames go. */
        readonly drain: TxDrain,
        /** The device's MTU: the largest IPv4 packet a frame carries. */
        mtu: number,
        params: Ipv4OutputParams
    ) {
        this.stats = ifa.stats
        this.mtu = mtu
        this.defaultTtl = params.defaultTtl
        this.maxDatagram = params.maxDatagram
        this.localOut = new HookChain(params.hookRuleCapacity)
        this.postRouting = new HookChain(params.hookRuleCapacity)
    }

    /**
     * ip_queue_xmit: `pkt` carries the destination, protocol, transport header (checksum finished
     * here, once the addresses are final) and payload; pkt.route may hold a cached route.
     */
    queueXmit(pkt: OutPacket, now: number): SendResult {
        if (pkt.hdr !== null) pkt.hdr[Kept.Len] = 0
        let r: SendResult
        if (pkt.route === NO_ROUTE) {
            r = route(this, pkt)
            if (r !== SendResult.Sent) return r
        }
        if (!carrierOk(this.drain)) {
            inc(this.stats, IpMib.OutDiscards)
            return SendResult.LinkDown
        }
        const hlen = ipv4HeaderLenFor(pkt.optionsLen)
        const total = hlen + pkt.headLen + pkt.payloadLen
        // the configured maximum (the heap is 64 KB) and the 16-bit total length field
        if (pkt.payloadLen > this.maxDatagram || total > 0xffff) return SendResult.MessageTooBig
        pkt.src = this.ifa.address
        pkt.ttl = (pkt.route >= 0 ? fibTtl(this.fib, pkt.route) : 0) || pkt.ttl || this.defaultTtl
        this.stats[IpMib.OutRequests]++

        // LOCAL_OUT (ip_local_out -> nf_hook); a changed destination is routed again
        const lo = this.localOut
        if (lo.used > 0) {
            const dst = pkt.dst
            if (lo.walk(lo, pkt, total) === Verdict.Drop) {
                inc(this.stats, IpMib.OutDiscards)
                return SendResult.Filtered
            }
            if (pkt.dst !== dst) {
                r = route(this, pkt)
                if (r !== SendResult.Sent) return r
            }
        }
        // POST_ROUTING (ip_output)
        const pr = this.postRouting
        if (pr.used > 0 && pr.walk(pr, pkt, total) === Verdict.Drop) {
            inc(this.stats, IpMib.OutDiscards)
            return SendResult.Filtered
        }
        finishTransport(pkt)
        // ip_finish_output + ip_finish_output2: MTU check, fragmentation, neighbour, enqueue
        const mtu = this.mtu
        // ip_fragment: every fragment but the last carries a multiple of 8 bytes
        const fragData = (mtu - hlen) & ~7
        let frames = 1
        let frameBytes = ETHERNET_HEADER_LEN + total
        if (total > mtu) {
            if (pkt.dontFragment) {
                inc(this.stats, IpMib.FragFails)
                return SendResult.MessageTooBig
            }
            const dataLen = total - hlen
            frames = Math.ceil(dataLen / fragData)
            frameBytes = frames * (ETHERNET_HEADER_LEN + hlen) + dataLen
        }
        // RFC 6864 §4: an atomic datagram (DF, unfragmented) may carry any ID
        pkt.ident = pkt.dontFragment ? 0 : selectIdent(this)

        // ip_finish_output2: the neighbour of the next hop (none for a group address)
        const t = this.neigh
        const n = neighFor(t, nextHop(this, pkt.dst, pkt.route), pkt.neigh, now)
        if (n === NEIGH_TABLE_FULL) {
            inc(this.stats, IpMib.OutDiscards)
            return SendResult.NeighbourTableFull
        }
        if (n !== NO_NEIGH) pkt.neigh = n
        // resolved (its cached header), or a group address: to the qdisc; else parked for n
        const resolved = n !== NO_NEIGH && t.eventSend(n, now)
        const parkFor = n === NO_NEIGH || resolved ? NO_NEIGH : n
        pkt.hhNeigh = resolved ? n : NO_NEIGH
        pkt.fragNext = 0
        if (parkFor === NO_NEIGH && !pkt.partialOk && !qdiscHasRoom(t.qdisc, frames, frameBytes)) {
            t.qdisc.drop(frames)
            inc(this.stats, IpMib.OutDiscards)
            return SendResult.QueueFull
        }
        return emitFrames(this, pkt, parkFor, hlen, total - hlen, fragData, frames)
    }

    /**
     * The fast path of a connected socket: room in the queue for `ipPayloadLen` more bytes behind
     * the headers `pkt` kept, those headers written with the new length (and ID) and the checksum
     * updated (RFC 1624), counted as queueXmit counts: the frame is in the queue once the caller has
     * written the transport header and data there (before it yields). Returns where the transport
     * header goes, or -1 when the kept headers cannot be used (changed route or neighbour, a hook
     * rule, too big, no room now): then queueXmit() does the whole work and says why.
     * `pkt` has kept headers (hdr[Kept.Len] !== 0: the caller checks).
     */
    fastReserve(pkt: OutPacket, ipPayloadLen: number, now: number): number {
        const h = pkt.hdr
        const hdrLen = h[Kept.Len]
        const total = hdrLen - ETHERNET_HEADER_LEN + ipPayloadLen
        // a carrier change flushes the route cache (NetStack.carrierChanged): no carrier check here.
        // One test a statement, not ||: see UdpSocket.sendTo
        if (total > this.mtu) return -1
        if (h.getAt(Kept.Fib, "u32") !== this.fib.genid) return -1
        // any hook rule (a count)
        if (this.localOut.used + this.postRouting.used) return -1
        if (!neighUseCached(this.neigh, pkt.hhNeigh, h[Kept.Neigh], now)) return -1
        const q = this.neigh.qdisc
        const at = q.reserve(ETHERNET_HEADER_LEN + total)
        if (at < 0) return -1
        const buf = q.pool.buf
        buf.blitAt(at, h, 0, hdrLen)
        buf[at + FRAME_TOTAL_LENGTH] = total >> 8
        buf[at + (FRAME_TOTAL_LENGTH + 1)] = total
        let sum = h.getAt(Kept.Sum, "u32") + total
        if (!pkt.dontFragment) {
            const id = selectIdent(this)
            buf[at + FRAME_IDENT] = id >> 8
            buf[at + (FRAME_IDENT + 1)] = id
            sum += id
            sum = (sum & 0xffff) + (sum >>> 16)
        }
        sum = ~((sum & 0xffff) + (sum >>> 16))
        buf[at + FRAME_CHECKSUM] = sum >> 8
        buf[at + (FRAME_CHECKSUM + 1)] = sum
        this.stats[IpMib.OutRequests]++
        return at + hdrLen
    }

}

/**
 * Build frames from pkt.fragNext on, in place, into the qdisc (parkFor = NO_NEIGH: with the
 * header of pkt.hhNeigh, or to a group address) or the pending queue of `parkFor`: one frame
 * when the datagram fits the MTU, else the fragments (ip_fragment: offset in 8-byte units, MF,
 * options per their copy flag).
 */
function emitFrames(out: Ipv4Output, pkt: OutPacket, parkFor: number, hlen: number, dataLen: number, fragData: number, frames: number): SendResult {
    const t = out.neigh
    const buf = t.qdisc.pool.buf
    const wait = pkt.partialOk && parkFor === NO_NEIGH
    let offset = pkt.fragNext
    while (offset < dataLen) {
        const last = frames === 1 || offset + fragData >= dataLen
        const len = last ? dataLen - offset : fragData
        // a blocking send waits for the drain: for the queue's limits, and for the pool when the
        // space left at its end is too short for this frame (ring.ts: records never wrap)
        const at = reserveFrame(t, parkFor, ETHERNET_HEADER_LEN + hlen + len, wait)
        if (at < 0) {
            if (wait) {
                pkt.fragNext = offset
                return SendResult.InProgress
            }
            // the pool is shared: the pending queue, or a pool taken by pending frames, may refuse
            // (a send-time failure, counted here and by the caller: the frame never waited)
            inc(out.stats, IpMib.OutDiscards)
            if (frames > 1) inc(out.stats, IpMib.FragFails)
            return SendResult.QueueFull
        }
        writeHeader(t, buf, at, pkt.hhNeigh, parkFor !== NO_NEIGH, pkt.dst)
        // the IPv4 header: fields written byte by byte and the checksum summed from the values
        // (RFC 1071 §2: a sum of the header's 16-bit words): no helper calls on the per-packet path
        const ip = at + ETHERNET_HEADER_LEN
        const total = hlen + len
        const vihlTos = ((0x40 | (hlen >> 2)) << 8) | pkt.tos
        const flags = (pkt.dontFragment ? IPV4_DF : 0) | (last ? 0 : IPV4_MF) | (offset >> 3)
        const ttlProto = (pkt.ttl << 8) | pkt.protocol
        const id = pkt.ident
        const src = pkt.src
        const dst = pkt.dst
        buf[ip] = vihlTos >> 8
        buf[ip + 1] = vihlTos
        buf[ip + 2] = total >> 8
        buf[ip + 3] = total
        buf[ip + 4] = id >> 8
        buf[ip + 5] = id
        buf[ip + 6] = flags >> 8
        buf[ip + 7] = flags
        buf[ip + 8] = pkt.ttl
        buf[ip + 9] = pkt.protocol
        buf[ip + 12] = src >>> 24
        buf[ip + 13] = src >>> 16
        buf[ip + 14] = src >>> 8
        buf[ip + 15] = src
        buf[ip + 16] = dst >>> 24
        buf[ip + 17] = dst >>> 16
        buf[ip + 18] = dst >>> 8
        buf[ip + 19] = dst
        let sum = vihlTos + total + id + flags + ttlProto + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff)
        if (hlen > IPV4_HEADER_LEN) {
            const olen = hlen - IPV4_HEADER_LEN
            buf.fillAt(ip + IPV4_HEADER_LEN, olen, 0)
            buf.blitAt(ip + IPV4_HEADER_LEN, pkt.options, 0, pkt.optionsLen)
            // RFC 791 §3.2: later fragments keep only options with the copy flag
            if (offset > 0) ipv4OptionsForFragment(buf, ip + IPV4_HEADER_LEN, olen)
            sum += onesSum(buf, ip + IPV4_HEADER_LEN, olen, 0)
        }
        // nine words and the options: at most two end-around carries
        sum = (sum & 0xffff) + (sum >>> 16)
        sum = (sum & 0xffff) + (sum >>> 16)
        const c = ~sum & 0xffff
        buf[ip + 10] = c >> 8
        buf[ip + 11] = c
        // payload bytes [offset, offset+len) of head ++ payload
        let to = ip + hlen
        let from = offset
        let left = len
        if (from < pkt.headLen) {
            const n = Math.min(left, pkt.headLen - from)
            buf.blitAt(to, pkt.head, from, n)
            to += n
            from += n
            left -= n
        }
        if (left > 0) buf.blitAt(to, pkt.payload, pkt.payloadOff + from - pkt.headLen, left)
        // a whole datagram to a resolved neighbour: its Ethernet and IPv4 headers kept for the fast
        // path while nothing they depend on changes (the hooks are checked at each send)
        const h = pkt.hdr
        if (frames === 1) if (h !== null && pkt.hhNeigh !== NO_NEIGH && !pkt.partialOk && out.localOut.used + out.postRouting.used === 0) {
            const hdrLen = ETHERNET_HEADER_LEN + hlen
            h.blitAt(0, buf, at, hdrLen)
            // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for the fields that change: total length, and
            // the ID of a datagram that may be fragmented (an atomic one keeps ID 0, RFC 6864 §4);
            // folded once: two parts fit 16 bits, and a new length alone then needs one fold at each send
            let kept = (c ^ 0xffff) + (total ^ 0xffff)
            if (!pkt.dontFragment) kept += id ^ 0xffff
            h.setAt(Kept.Sum, "u32", (kept & 0xffff) + (kept >>> 16))
            h.setAt(Kept.Fib, "u32", out.fib.genid)
            h[Kept.Neigh] = neighGen(t, pkt.hhNeigh)
            h[Kept.Len] = hdrLen
        }
        offset += len
    }
    pkt.fragNext = offset
    if (frames > 1) {
        out.stats[IpMib.FragOKs]++
        out.stats[IpMib.FragCreates] += frames
    }
    return parkFor === NO_NEIGH ? SendResult.Sent : SendResult.Queued
}

// Blocking sends (udp/socket.ts sendToWait) are functions, not methods: a firmware that does not
// use them links none of this.

/**
 * For a sender that waits: the neighbour the datagram to `dst` will need, its resolution started
 * (neigh_event_send); NO_NEIGH when there is none to wait for (a group or broadcast destination, no
 * unicast route, a full table: the send itself then says why).
 */
export function startResolution(out: Ipv4Output, dst: number, now: number): number {
    const rt = out.fib.lookup(dst === 0xffffffff ? out.ifa.address : dst)
    if (rt === NO_ROUTE || fibType(out.fib, rt) !== RouteType.Unicast) return NO_NEIGH
    const n = neighFor(out.neigh, nextHop(out, dst, rt), NO_NEIGH, now)
    if (n < 0) return NO_NEIGH
    if (!out.neigh.valid(n)) out.neigh.eventSend(n, now)
    return n
}

/** Is the wait for neighbour `n` (from startResolution) over: resolved, or failed? */
export function resolutionOver(out: Ipv4Output, n: number): boolean {
    return n === NO_NEIGH || out.neigh.valid(n) || neighState(out.neigh, n) === NudState.Failed
}

/** A blocking send: enqueue the fragments of `pkt` that fit now. Sent when the last one is in. */
export function continueOutput(out: Ipv4Output, pkt: OutPacket): SendResult {
    const hlen = ipv4HeaderLenFor(pkt.optionsLen)
    const dataLen = pkt.headLen + pkt.payloadLen
    const fragData = (out.mtu - hlen) & ~7
    // as finishOutput: one frame when the datagram fits the MTU (fragData may be below it)
    const frames = hlen + dataLen > out.mtu ? Math.ceil(dataLen / fragData) : 1
    return emitFrames(out, pkt, NO_NEIGH, hlen, dataLen, fragData, frames)
}

/** A blocking send gives up on `pkt` with fragments left (its deadline passed): a failed fragmentation. */
export function abandonOutput(out: Ipv4Output, pkt: OutPacket): void {
    pkt.fragNext = 0
    inc(out.stats, IpMib.OutDiscards)
    inc(out.stats, IpMib.FragFails)
}

/** ip_route_output for `pkt.dst`: sets pkt.route, or says why not. */
function route(out: Ipv4Output, pkt: OutPacket): SendResult {
    // the limited broadcast leaves through the interface's connected route (Linux: RTN_BROADCAST)
    const rt = out.fib.lookup(pkt.dst === 0xffffffff ? out.ifa.address : pkt.dst)
    pkt.route = rt
    if (out.ifa.address === 0) {
        // no address yet: only the limited broadcast leaves (from 0.0.0.0, RFC 2131 §4.1)
        if (pkt.dst === 0xffffffff) {
            pkt.route = LBCAST_ROUTE
            return SendResult.Sent
        }
        inc(out.stats, IpMib.OutNoRoutes)
        return SendResult.NoAddress
    }
    if (rt === NO_ROUTE) {
        inc(out.stats, IpMib.OutNoRoutes)
        return SendResult.NoRoute
    }
    // a route's type as an outcome (Sent = usable unicast), counting what Linux counts
    switch (fibType(out.fib, rt)) {
        case RouteType.Unicast:
            return SendResult.Sent
        case RouteType.Unreachable:
            inc(out.stats, IpMib.OutNoRoutes)
            return SendResult.Unreachable
        case RouteType.Prohibit:
            inc(out.stats, IpMib.OutNoRoutes)
            return SendResult.Prohibited
    }
    inc(out.stats, IpMib.OutDiscards)
    return SendResult.Blackhole
}

/**
 * ip_finish_output2's next hop for `dst` on route `rt`: the route's gateway, or `dst` on-link;
 * 0 for a broadcast or multicast destination, which maps straight to a MAC (no neighbour).
 */
function nextHop(out: Ipv4Output, dst: number, rt: number): number {
    if (dst === 0xffffffff || dst === out.ifa.broadcast || ipv4IsMulticast(dst)) return 0
    const gw = fibGateway(out.fib, rt)
    return gw !== 0 ? gw : dst
}

/** ip_select_ident: a global counter, wrapping at 16 bits and skipping 0. */
function selectIdent(out: Ipv4Output): number {
    const id = out.nextIdent
    out.nextIdent = id >= 0xffff ? 1 : id + 1
    return id
}

/**
 * The transport checksum, now that the addresses are final (CHECKSUM_PARTIAL finished in software):
 * the payload's sum (taken from the caller's buffer), the transport header's, and the pseudo-header
 * when the protocol's checksum covers it, into head[csumOff..].
 */
function finishTransport(pkt: OutPacket): void {
    const off = pkt.csumOff
    if (off < 0) return
    const h = pkt.head
    h[off] = 0
    h[off + 1] = 0
    // the transport header's 16-bit words (RFC 1071 §1), and the pseudo-header's when it counts
    let sum = 0
    for (let k = 0; k < pkt.headLen; k += 2) sum += (h[k] << 8) | h[k + 1]
    const flags = pkt.csumFlags
    if (flags & Csum.Pseudo) {
        const src = pkt.src
        const dst = pkt.dst
        sum += pkt.headLen + pkt.payloadLen + pkt.protocol + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff)
    }
    let c = ~onesSum(pkt.payload, pkt.payloadOff, pkt.payloadLen, (sum & 0xffff) + (sum >>> 16)) & 0xffff
    if (c === 0 && flags & Csum.ZeroAsOnes) c = 0xffff
    h[off] = c >> 8
    h[off + 1] = c
}
