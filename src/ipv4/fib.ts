// The forwarding information base: Linux's main table (fib_table_lookup) scaled down to a
// fixed-capacity table in one buffer with a linear longest-prefix-match scan (capacity is small,
// typically 8-32).
// Route types follow RTN_UNICAST / RTN_BLACKHOLE / RTN_UNREACHABLE / RTN_PROHIBIT. Among routes of
// equal prefix length the lowest metric wins (fib_select_path's priority order).

import { prefixMask } from "../wire/addr"

export const enum RouteType {
    Unicast = 0,
    Blackhole = 1,
    Unreachable = 2,
    Prohibit = 3,
}

export const enum FibError {
    Ok = 0,
    /** Every slot is in use (the capacity comes from devicescript.json tables.fib). */
    Full = 1,
    /** A route for the same destination, prefix and metric exists (RTM_NEWROUTE with NLM_F_EXCL). */
    Exists = 2,
    NotFound = 3,
    /** Prefix over 32, or host bits set in the destination. */
    BadPrefix = 4,
    /** A unicast gateway that is not on-link. */
    BadGateway = 5,
}

/** No route (lookup). A route is an index into the table. */
export const NO_ROUTE = -1

// One route of the table's buffer (u32 fields as getAt reads them; addresses are host-order numbers)
const R_DEST = 0 // u32
const R_MASK = 4 // u32
/** 0 = on-link (RTN_UNICAST with scope link). */
const R_GATEWAY = 8 // u32
const R_METRIC = 12 // u32
const R_PREFIX = 16 // u8
const R_TYPE = 17 // u8 RouteType
/** TTL for packets on this route (RTAX_HOPLIMIT), 0 = default. */
const R_TTL = 18 // u8
const R_FLAGS = 19 // u8
const ROUTE_LEN = 20
const IN_USE = 1
/** Derived from the interface address (proto kernel), not removable with delete(). */
const CONNECTED = 2

/** @devsWhenUsed */
export class Fib {
    /** Every route slot, ROUTE_LEN bytes each (read and written here only). */
    readonly buf: Buffer
    /**
     * Bumped on every change; cached routes compare it (rt_genid / __sk_dst_check). Bumping it is
     * rt_cache_flush: every cached route is checked again (on a carrier change, as Linux's
     * fib_netdev_event).
     */
    genid = 1

    constructor(readonly capacity: number) {
        this.buf = Buffer.alloc(capacity * ROUTE_LEN)
    }

    /** Longest-prefix match; NO_ROUTE when nothing matches (the caller reports "no route"). */
    lookup(dst: number): number {
        const b = this.buf
        let best = NO_ROUTE
        let bestPrefix = -1
        let bestMetric = 0
        for (let r = 0; r < this.capacity; r++) {
            const at = r * ROUTE_LEN
            if ((b[at + R_FLAGS] & IN_USE) === 0 || ((dst & b.getAt(at + R_MASK, "u32")) >>> 0) !== b.getAt(at + R_DEST, "u32")) continue
            const prefix = b[at + R_PREFIX]
            const metric = b.getAt(at + R_METRIC, "u32")
            if (prefix > bestPrefix || (prefix === bestPrefix && metric < bestMetric)) {
                best = r
                bestPrefix = prefix
                bestMetric = metric
            }
        }
        return best
    }

    /**
     * Add a route (ip route add). A unicast gateway must be on-link: covered by a connected route
     * (fib_check_nh).
     */
    add(
        dest: number,
        prefix: number,
        gateway: number,
        type: RouteType,
        metric: number,
        ttl: number,
        connected: boolean
    ): FibError {
        if (prefix < 0 || prefix > 32) return FibError.BadPrefix
        const mask = prefixMask(prefix)
        if (((dest & mask) >>> 0) !== dest >>> 0) return FibError.BadPrefix
        const b = this.buf
        if (gateway !== 0 && type === RouteType.Unicast && !connected) {
            // fib_check_nh: a unicast gateway must be covered by a connected route
            let onLink = false
            for (let at = 0; at < this.capacity * ROUTE_LEN; at += ROUTE_LEN)
                if (b[at + R_FLAGS] === (IN_USE | CONNECTED) && ((gateway & b.getAt(at + R_MASK, "u32")) >>> 0) === b.getAt(at + R_DEST, "u32")) onLink = true
            if (!onLink) return FibError.BadGateway
        }
        let free = NO_ROUTE
        for (let r = 0; r < this.capacity; r++) {
            const at = r * ROUTE_LEN
            if ((b[at + R_FLAGS] & IN_USE) === 0) {
                if (free === NO_ROUTE) free = r
            } else if (b.getAt(at + R_DEST, "u32") === dest >>> 0 && b[at + R_PREFIX] === prefix && b.getAt(at + R_METRIC, "u32") === metric)
                return FibError.Exists
        }
        if (free === NO_ROUTE) return FibError.Full
        const at = free * ROUTE_LEN
        b.setAt(at + R_DEST, "u32", dest >>> 0)
        b.setAt(at + R_MASK, "u32", mask)
        b.setAt(at + R_GATEWAY, "u32", gateway >>> 0)
        b.setAt(at + R_METRIC, "u32", metric)
        b[at + R_PREFIX] = prefix
        b[at + R_TYPE] = type
        b[at + R_TTL] = ttl
        b[at + R_FLAGS] = IN_USE | (connected ? CONNECTED : 0)
        this.genid++
        return FibError.Ok
    }
}

// A route's fields (functions, not methods: no prototype entries)

/** Route `r`'s next hop, 0 when the destination is on-link. */
export function fibGateway(fib: Fib, r: number): number {
    return fib.buf.getAt(r * ROUTE_LEN + R_GATEWAY, "u32")
}

export function fibType(fib: Fib, r: number): RouteType {
    return fib.buf[r * ROUTE_LEN + R_TYPE]
}

/** Route `r`'s TTL, 0 = the interface default. */
export function fibTtl(fib: Fib, r: number): number {
    return fib.buf[r * ROUTE_LEN + R_TTL]
}

export function fibErrorName(e: FibError): string {
    switch (e) {
        case FibError.Ok:
            return "ok"
        case FibError.Full:
            return "table full"
        case FibError.Exists:
            return "route exists"
        case FibError.NotFound:
            return "no such route"
        case FibError.BadPrefix:
            return "bad prefix"
        case FibError.BadGateway:
            return "gateway not on-link"
    }
    return "unknown"
}

/** The route of `fib` whose flags are `flags` with this destination, prefix and metric removed. */
function deleteRoute(fib: Fib, flags: number, dest: number, prefix: number, metric: number): FibError {
    const b = fib.buf
    for (let r = 0; r < fib.capacity; r++) {
        const at = r * ROUTE_LEN
        if (b[at + R_FLAGS] === flags && b.getAt(at + R_DEST, "u32") === dest >>> 0 && b[at + R_PREFIX] === prefix &&
            b.getAt(at + R_METRIC, "u32") === metric) {
            b[at + R_FLAGS] = 0
            fib.genid++
            return FibError.Ok
        }
    }
    return FibError.NotFound
}

/**
 * Delete the route of `fib` with this destination, prefix and metric (ip route del). A function:
 * a firmware that never deletes routes links none of it.
 */
export function fibDelete(fib: Fib, dest: number, prefix: number, metric: number): FibError {
    return deleteRoute(fib, IN_USE, dest, prefix, metric)
}

/**
 * Delete the connected route `dest`/`prefix` (the kernel's own route of an address that goes away:
 * ip addr del; connected routes have metric 0). A function, linked only by code that removes
 * addresses (src/dhcp).
 */
export function fibDeleteConnected(fib: Fib, dest: number, prefix: number): FibError {
    return deleteRoute(fib, IN_USE | CONNECTED, dest, prefix, 0)
}
