// The forwarding information base: Linux's main table (fib_table_lookup) scaled down to a
// fixed-capacity array with a linear longest-prefix-match scan (capacity is small, typically 8-32).
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

export class Route {
    inUse = false
    dest = 0
    prefix = 0
    mask = 0
    /** 0 = on-link (RTN_UNICAST with scope link). */
    gateway = 0
    type = RouteType.Unicast
    metric = 0
    /** TTL for packets on this route (RTAX_HOPLIMIT), 0 = default. */
    ttl = 0
    /** Derived from the interface address (proto kernel), not removable with delete(). */
    connected = false
}

export class Fib {
    readonly routes: Route[] = []
    /** Bumped on every change; cached routes compare it (rt_genid / __sk_dst_check). */
    genid = 1

    /** Route slots are allocated as routes are added and reused when deleted, never beyond `capacity`. */
    constructor(readonly capacity: number) {}

    /** Longest-prefix match; null when nothing matches (the caller reports "no route"). */
    lookup(dst: number): Route {
        let best: Route = null
        const rs = this.routes
        for (let i = 0; i < rs.length; i++) {
            const r = rs[i]
            if (!r.inUse || ((dst & r.mask) >>> 0) !== r.dest) continue
            if (best === null || r.prefix > best.prefix || (r.prefix === best.prefix && r.metric < best.metric))
                best = r
        }
        return best
    }

    /**
     * Add a route (ip route add). `onLink(gw)` tells whether a gateway is reachable directly; a
     * unicast gateway must be (fib_check_nh).
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
        if (gateway !== 0 && type === RouteType.Unicast && !connected && !this.onLink(gateway))
            return FibError.BadGateway
        let free: Route = null
        for (let i = 0; i < this.routes.length; i++) {
            const r = this.routes[i]
            if (!r.inUse) {
                if (free === null) free = r
            } else if (r.dest === dest >>> 0 && r.prefix === prefix && r.metric === metric) return FibError.Exists
        }
        if (free === null) {
            if (this.routes.length >= this.capacity) return FibError.Full
            free = new Route()
            this.routes.push(free)
        }
        free.inUse = true
        free.dest = dest >>> 0
        free.prefix = prefix
        free.mask = mask
        free.gateway = gateway >>> 0
        free.type = type
        free.metric = metric
        free.ttl = ttl
        free.connected = connected
        this.genid++
        return FibError.Ok
    }

    /** Delete the route with this destination, prefix and metric (ip route del). */
    delete(dest: number, prefix: number, metric: number): FibError {
        for (let i = 0; i < this.routes.length; i++) {
            const r = this.routes[i]
            if (r.inUse && !r.connected && r.dest === dest >>> 0 && r.prefix === prefix && r.metric === metric) {
                r.inUse = false
                this.genid++
                return FibError.Ok
            }
        }
        return FibError.NotFound
    }

    /** A gateway is usable when a connected route covers it. */
    onLink(addr: number): boolean {
        for (let i = 0; i < this.routes.length; i++) {
            const r = this.routes[i]
            if (r.inUse && r.connected && ((addr & r.mask) >>> 0) === r.dest) return true
        }
        return false
    }

    /** Routes in use. */
    size(): number {
        let n = 0
        for (let i = 0; i < this.routes.length; i++) if (this.routes[i].inUse) n++
        return n
    }
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
