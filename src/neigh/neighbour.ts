// The neighbour table and its state machine: Linux net/core/neighbour.c (neigh_lookup,
// __neigh_create, __neigh_event_send, neigh_update, neigh_timer_handler) with the NUD states of
// RFC 1122 §2.3.2.1 / RFC 4861 §7.3.2, over a fixed array.
//
// Eviction when full (neigh_forced_gc): a FAILED entry first, then the least recently used STALE,
// then the least recently used REACHABLE/DELAY/PROBE entry. PERMANENT entries and INCOMPLETE entries
// (they hold queued frames) are never evicted; when nothing can go, creation fails with a typed
// error and the datagram is dropped and counted (table_fulls).

import { FifoQdisc, QDISC_TAG } from "../dev/qdisc"
import { PendingQueue, PendingSink } from "./pending"
import { RECORD_HEADER } from "../dev/ring"
import { ETHERNET_HEADER_LEN, EtherType } from "../wire/ethernet"
import { setU16 } from "../wire/bytes"

export const enum NudState {
    None = 0,
    Incomplete = 1,
    Reachable = 2,
    Stale = 3,
    Delay = 4,
    Probe = 5,
    Failed = 6,
    Permanent = 7,
}

export function nudStateName(s: NudState): string {
    switch (s) {
        case NudState.None:
            return "NONE"
        case NudState.Incomplete:
            return "INCOMPLETE"
        case NudState.Reachable:
            return "REACHABLE"
        case NudState.Stale:
            return "STALE"
        case NudState.Delay:
            return "DELAY"
        case NudState.Probe:
            return "PROBE"
        case NudState.Failed:
            return "FAILED"
        case NudState.Permanent:
            return "PERMANENT"
    }
    return "?"
}

/** Linux delay_first_probe_time: how long a STALE entry in use waits for confirmation before probing. */
export const DELAY_FIRST_PROBE_MS = 5000

export const enum NeighError {
    Ok = 0,
    /** Every entry is PERMANENT or INCOMPLETE: nothing can be evicted. */
    TableFull = 1,
    /** A static entry for this address already exists. */
    Exists = 2,
}

/** Counters as `ip -s ntable show` prints them for arp_cache. */
export class NeighStats {
    allocs = 0
    destroys = 0
    lookups = 0
    hits = 0
    res_failed = 0
    unresolved_discards = 0
    table_fulls = 0
    forced_gc_runs = 0
}

export class Neighbour {
    index = 0
    state = NudState.None
    ip = 0
    readonly mac = Buffer.alloc(6)
    /** The cached Ethernet header for this neighbour (hh_cache): dst, our MAC, EtherType IPv4. */
    readonly hh = Buffer.alloc(ETHERNET_HEADER_LEN)
    /** Requests sent in the current INCOMPLETE or PROBE phase. */
    probes = 0
    /** When the state's timer fires (ms), 0 = no timer. */
    timer = 0
    /** Last positive confirmation of reachability (reply, or request from it). */
    confirmed = 0
    /** Last time the output path used the entry. */
    used = 0
    pendingPackets = 0
    pendingBytes = 0
    /** Frames this entry dropped from its pending queue (over its limits or on failure). */
    pendingDropped = 0

    /** True when frames may be sent with the cached header (NUD_VALID). */
    valid(): boolean {
        const s = this.state
        return s === NudState.Reachable || s === NudState.Stale || s === NudState.Delay ||
            s === NudState.Probe || s === NudState.Permanent
    }
}

/** Sends the ARP requests the state machine asks for (arp_solicit). */
export interface Solicitor {
    /** Ask for `n.ip`: broadcast, or unicast to the cached MAC when `unicast` (PROBE state). */
    solicit(n: Neighbour, unicast: boolean): void
}

export interface NeighParams {
    capacity: number
    retransMs: number
    probes: number
    reachableMs: number
    pendingPackets: number
    pendingBytes: number
}

export class NeighTable implements PendingSink {
    readonly entries: Neighbour[] = []
    readonly stats = new NeighStats()
    readonly pending: PendingQueue
    solicitor: Solicitor = null

    constructor(
        readonly params: NeighParams,
        readonly ourMac: Buffer,
        readonly qdisc: FifoQdisc
    ) {
        for (let i = 0; i < params.capacity; i++) {
            const n = new Neighbour()
            n.index = i
            this.entries.push(n)
        }
        this.pending = new PendingQueue(qdisc.pool, params.pendingPackets, params.pendingBytes)
        this.pending.stats = this.stats
        const self = this
        qdisc.makeRoom = () => self.giveWay()
    }

    /**
     * The shared pool is full and a frame that can go now needs room (FifoQdisc.makeRoom): the oldest
     * frame waiting for ARP gives way, if it is the oldest record of the pool (only then is its space
     * free at once). Dropped and counted. Without this, frames waiting for neighbours that never
     * answer (a silent peer, echo replies to spoofed sources) could fill the pool and stop all
     * transmission until their resolution fails.
     */
    giveWay(): boolean {
        const p = this.qdisc.pool
        const rec = p.oldest()
        if (rec < 0) return false
        const tag = p.tag(rec)
        if (tag === QDISC_TAG || tag >= this.entries.length) return false
        const n = this.entries[tag]
        n.pendingPackets--
        n.pendingBytes -= p.frameLen(rec)
        n.pendingDropped++
        p.release(rec)
        this.stats.unresolved_discards++
        return true
    }

    /** __ipv4_neigh_lookup_noref: the entry for `ip`, or null. */
    lookup(ip: number): Neighbour {
        this.stats.lookups++
        const es = this.entries
        for (let i = 0; i < es.length; i++) {
            const n = es[i]
            if (n.state !== NudState.None && n.ip === ip) {
                this.stats.hits++
                return n
            }
        }
        return null
    }

    /** __neigh_create: a fresh NONE entry for `ip`, evicting by the policy above; null when full. */
    create(ip: number, now: number): Neighbour {
        let victim: Neighbour = null
        let rank = 99
        const es = this.entries
        for (let i = 0; i < es.length; i++) {
            const n = es[i]
            let r = 99
            if (n.state === NudState.None) r = 0
            else if (n.state === NudState.Failed) r = 1
            else if (n.state === NudState.Stale) r = 2
            else if (n.state === NudState.Reachable || n.state === NudState.Delay || n.state === NudState.Probe) r = 3
            if (r === 99) continue
            if (r < rank || (r === rank && r >= 2 && n.used < victim.used)) {
                victim = n
                rank = r
            }
        }
        if (victim === null) {
            this.stats.table_fulls++
            return null
        }
        if (victim.state !== NudState.None) {
            this.stats.forced_gc_runs++
            this.destroy(victim)
        }
        victim.ip = ip
        victim.state = NudState.None
        victim.probes = 0
        victim.timer = 0
        victim.confirmed = 0
        victim.used = now
        victim.pendingDropped = 0
        this.stats.allocs++
        return victim
    }

    /** A static entry from configuration (ip neigh add ... nud permanent). */
    addPermanent(ip: number, mac: Buffer, now: number): NeighError {
        let n = this.lookup(ip)
        if (n !== null && n.state === NudState.Permanent) return NeighError.Exists
        if (n === null) n = this.create(ip, now)
        if (n === null) return NeighError.TableFull
        this.setMac(n, mac, 0)
        n.state = NudState.Permanent
        n.timer = 0
        this.flush(n)
        return NeighError.Ok
    }

    private destroy(n: Neighbour): void {
        const dropped = this.pending.drain(n, null)
        this.stats.unresolved_discards += dropped
        n.state = NudState.None
        n.timer = 0
        this.stats.destroys++
    }

    private setMac(n: Neighbour, mac: Buffer, macOff: number): void {
        n.mac.blitAt(0, mac, macOff, 6)
        n.hh.blitAt(0, mac, macOff, 6)
        n.hh.blitAt(6, this.ourMac, 0, 6)
        setU16(n.hh, 12, EtherType.Ipv4)
    }

    /**
     * __neigh_event_send: the output path is about to use `n`. Returns true when the frame can go
     * now with `n.hh`; false when it must wait in the pending queue (resolution started or running).
     */
    eventSend(n: Neighbour, now: number): boolean {
        n.used = now
        switch (n.state) {
            case NudState.Reachable:
            case NudState.Permanent:
            case NudState.Delay:
            case NudState.Probe:
                return true
            case NudState.Stale:
                n.state = NudState.Delay
                n.timer = now + DELAY_FIRST_PROBE_MS
                return true
            case NudState.Incomplete:
                return false
        }
        // NONE or FAILED: start resolving (first request now, then every retransMs)
        n.state = NudState.Incomplete
        n.probes = 1
        n.timer = now + this.params.retransMs
        if (this.solicitor) this.solicitor.solicit(n, false)
        return false
    }

    /**
     * neigh_update from a received ARP packet: `mac` (at macOff) for `n`. `solicited` is a reply
     * addressed to us (REACHABLE); anything else makes the entry STALE, unless the address is
     * unchanged and the entry already confirmed. PERMANENT entries are never changed by the wire.
     */
    update(n: Neighbour, mac: Buffer, macOff: number, solicited: boolean, now: number): void {
        if (n.state === NudState.Permanent) return
        const wasValid = n.valid()
        const same = wasValid && n.mac.getAt(0, "u32") === mac.getAt(macOff, "u32") &&
            n.mac.getAt(4, "u16") === mac.getAt(macOff + 4, "u16")
        if (!same) this.setMac(n, mac, macOff)
        if (solicited) {
            n.state = NudState.Reachable
            n.confirmed = now
            n.timer = 0
        } else if (!same) {
            // a new or changed address is not yet confirmed
            n.state = NudState.Stale
            n.timer = 0
        }
        if (!wasValid) this.flush(n)
    }

    /** A frame from `n` proves it is there (neigh_confirm). */
    confirm(n: Neighbour, now: number): void {
        if (n.state === NudState.Delay || n.state === NudState.Probe || n.state === NudState.Stale) {
            n.state = NudState.Reachable
            n.timer = 0
        }
        if (n.state === NudState.Reachable) n.confirmed = now
    }

    /** Send every frame waiting on `n`, now resolved, through the qdisc. */
    private flush(n: Neighbour): void {
        if (n.pendingPackets === 0) return
        this.flushing = n
        this.pending.drain(n, this)
        this.flushing = null
    }

    /** PendingSink: a resolved frame gets the neighbour's header and joins the qdisc in place. */
    private flushing: Neighbour = null
    take(rec: number): void {
        const q = this.qdisc
        q.pool.buf.blitAt(rec + RECORD_HEADER, this.flushing.hh, 0, ETHERNET_HEADER_LEN)
        // no room in the queue (a qdisc drop): it waited for resolution and is lost, count it here too
        if (!q.adopt(rec)) this.stats.unresolved_discards++
    }

    /**
     * neigh_timer_handler for every entry: retransmissions, giving up (FAILED, pending dropped),
     * REACHABLE -> STALE after the reachable time, DELAY -> PROBE.
     */
    tick(now: number): void {
        const es = this.entries
        const p = this.params
        for (let i = 0; i < es.length; i++) {
            const n = es[i]
            switch (n.state) {
                case NudState.Reachable:
                    if (now - n.confirmed >= p.reachableMs) n.state = NudState.Stale
                    break
                case NudState.Delay:
                    if (now >= n.timer) {
                        if (n.confirmed >= n.timer - DELAY_FIRST_PROBE_MS) {
                            n.state = NudState.Reachable
                            n.timer = 0
                        } else {
                            n.state = NudState.Probe
                            n.probes = 1
                            n.timer = now + p.retransMs
                            if (this.solicitor) this.solicitor.solicit(n, true)
                        }
                    }
                    break
                case NudState.Incomplete:
                case NudState.Probe:
                    if (now >= n.timer) {
                        if (n.probes >= p.probes) this.fail(n)
                        else {
                            n.probes++
                            n.timer = now + p.retransMs
                            if (this.solicitor) this.solicitor.solicit(n, n.state === NudState.Probe)
                        }
                    }
                    break
            }
        }
    }

    /** Resolution failed: FAILED, every waiting frame dropped and counted (neigh_invalidate). */
    private fail(n: Neighbour): void {
        n.state = NudState.Failed
        n.timer = 0
        this.stats.res_failed++
        const dropped = this.pending.drain(n, null)
        n.pendingDropped += dropped
        this.stats.unresolved_discards += dropped
    }

    /** Carrier lost: forget what was learnt (neigh_ifdown), keep PERMANENT entries. */
    flushDynamic(): void {
        const es = this.entries
        for (let i = 0; i < es.length; i++) {
            const n = es[i]
            if (n.state !== NudState.None && n.state !== NudState.Permanent) this.destroy(n)
        }
    }

    /** Entries in `state`. */
    count(state: NudState): number {
        let c = 0
        for (let i = 0; i < this.entries.length; i++) if (this.entries[i].state === state) c++
        return c
    }
}
