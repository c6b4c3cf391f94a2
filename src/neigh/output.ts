// The neighbour side of output: Linux's ip_finish_output2 -> neigh_output, with neigh_hh_output (a
// resolved neighbour: its cached Ethernet header) and neigh_resolve_output (an unresolved one: the
// frame is parked in its pending queue and resolution starts), and the room-making rule of the
// shared packet pool: a frame that can go now takes the place of the oldest parked frame.
// IPv4 output asks here where a frame goes and writes the IP part of it in place.

import { qdiscHasRoom } from "../dev/qdisc"
import { ETHERNET_HEADER_LEN, EtherType } from "../wire/ethernet"
import { setU16 } from "../wire/bytes"
import { ipv4IsMulticast, ipv4MulticastMac } from "../wire/addr"
import { neighGiveWay, neighHolds, NeighMib, NeighTable, NEIGH_ENTRY_LEN, NO_NEIGH } from "./neighbour"

/** neighFor(): no entry could be made (every entry is PERMANENT or INCOMPLETE). */
export const NEIGH_TABLE_FULL = -2

/**
 * The entry frames to `nexthop` go through (`cached`: the one the socket used last, still valid
 * while it holds that address), created when missing; NO_NEIGH for a group address (nexthop 0),
 * NEIGH_TABLE_FULL when none can be made.
 */
export function neighFor(t: NeighTable, nexthop: number, cached: number, now: number): number {
    if (nexthop === 0) return NO_NEIGH
    let n = cached
    if (!neighHolds(t, n, nexthop)) n = t.lookup(nexthop)
    if (n === NO_NEIGH) {
        n = t.create(nexthop, now)
        if (n === NO_NEIGH) return NEIGH_TABLE_FULL
    }
    return n
}

/**
 * Room in the qdisc for a `len`-byte frame: when the pool is what refuses it (not the queue's
 * limits), parked frames give way, oldest first (neighGiveWay). Offset, or -1: counted as a
 * tail drop unless the caller will `wait` and try again (a blocking send).
 */
export function reserveQueued(t: NeighTable, len: number, wait: boolean): number {
    const q = t.qdisc
    let at = q.reserve(len)
    if (at >= 0) return at
    if (qdiscHasRoom(q, 1, len)) while (at < 0 && neighGiveWay(t)) at = q.reserve(len)
    if (at < 0 && !wait) q.drop(1)
    return at
}

/**
 * Room for one frame of a datagram, to be written before the caller yields: in the qdisc when
 * `parkFor` is NO_NEIGH, else parked in neighbour parkFor's pending queue (its oldest frames
 * dropped over its limits, counted).
 */
export function reserveFrame(t: NeighTable, parkFor: number, len: number, wait: boolean): number {
    if (parkFor === NO_NEIGH) return reserveQueued(t, len, wait)
    const at = t.pending.reserve(parkFor, len)
    t.stats[NeighMib.unresolved_discards] += t.pending.dropped
    return at
}

/**
 * The Ethernet header at `at` in `buf`: resolved neighbour `hh`'s cached header; else a parked
 * frame's (destination filled in on resolution) when `parked`; else the group address of `dst`:
 * RFC 1112 §6.4 for multicast (RFC 5771 224/4), the broadcast address otherwise.
 */
export function writeHeader(t: NeighTable, buf: Buffer, at: number, hh: number, parked: boolean, dst: number): void {
    if (hh !== NO_NEIGH) {
        buf.blitAt(at, t.buf, hh * NEIGH_ENTRY_LEN, ETHERNET_HEADER_LEN)
        return
    }
    if (parked) buf.fillAt(at, 6, 0)
    else if (ipv4IsMulticast(dst)) ipv4MulticastMac(dst, buf, at)
    else buf.fillAt(at, 6, 0xff)
    buf.blitAt(at + 6, t.ourMac, 0, 6)
    setU16(buf, at + 12, EtherType.Ipv4)
}
