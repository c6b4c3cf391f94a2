// The neighbour table and its state machine: Linux net/core/neighbour.c (neigh_lookup,
// __neigh_create, __neigh_event_send, neigh_update, neigh_timer_handler) with the NUD states of
// RFC 1122 §2.3.2.1 / RFC 4861 §7.3.2, over a fixed array.
//
// Eviction when full (neigh_forced_gc): a FAILED entry first, then the least recently used STALE,
// then the least recently used REACHABLE/DELAY/PROBE entry. PERMANENT entries and INCOMPLETE entries
// (they hold queued frames) are never evicted; when nothing can go, creation fails with a typed
// error and the datagram is dropped and counted (table_fulls).

import { formatCounters, newMib } from "../dev/counters"
import { FifoQdisc, QDISC_TAG, qdiscAdopt } from "../dev/qdisc"
import { PendingQueue, pendingPackets, PendingSink } from "./pending"
import { RECORD_HEADER, recordTag } from "../dev/ring"
import { ETHERNET_HEADER_LEN, EtherType } from "../wire/ethernet"
import { setU16 } from "../wire/bytes"
import { macEqual } from "../wire/addr"
import { inc } from "../util/mib"

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

/** Counters as `ip -s ntable show` prints them for arp_cache: indices of NeighStats. */
export const enum NeighMib {
    allocs,
    destroys,
    lookups,
    hits,
    res_failed,
    unresolved_discards,
    table_fulls,
    forced_gc_runs,
    Count,
}

/** The neighbour table's counter group, indexed by NeighMib. */
export type NeighStats = number[]

export function formatNeighStats(s: NeighStats): string {
    return formatCounters("arp_cache", "allocs destroys lookups hits res_failed unresolved_discards table_fulls forced_gc_runs", s)
}

/** No entry (lookup and create). A neighbour is an index into the table. */
export const NO_NEIGH = -1

// One entry of the table's buffer: the cached Ethernet header first (hh_cache: the neighbour's MAC,
// ours, EtherType IPv4), so its offset is the entry's; then the state and its timers. The times
// are ds.millis() values (f64: they do not wrap).
const E_STATE = 14 // u8 NudState
const E_PROBES = 15 // u8: requests sent in the current INCOMPLETE or PROBE phase
const E_IP = 16 // u32
/** When the state's timer fires (ms), 0 = no timer. */
const E_TIMER = 20 // f64
/** Last positive confirmation of reachability (a reply, or a request from it). */
const E_CONFIRMED = 28 // f64
/** Last time the output path used the entry (eviction order). */
const E_USED = 36 // f64
/** Bumped on every change of state or MAC (u8, wrapping): a cached header compares it. */
const E_GEN = 44
export const NEIGH_ENTRY_LEN = 45

/**
 * The eviction order above, indexed by NudState: NONE 0, FAILED 1, STALE 2, REACHABLE/DELAY/PROBE 3,
 * INCOMPLETE and PERMANENT 99 (never). A table, not a chain of comparisons (data costs no code).
 */
const EVICT_RANK = hex`00 63 03 02 03 03 01 63`

/** Linux's NUD_VALID as a mask of 1 << NudState: REACHABLE, STALE, DELAY, PROBE, PERMANENT. */
const NUD_VALID = 0xbc
/** Learnt and confirmed, or being confirmed again (1 << NudState): REACHABLE, DELAY, PROBE. */
const NUD_CONFIRMED_OR_PROBING = 0x34

// The entries' private fields (module functions: a method costs heap in its class, a function not)
function setState(b: Buffer, n: number, s: NudState): void {
    const at = n * NEIGH_ENTRY_LEN
    if (b[at + E_STATE] === s) return
    b[at + E_STATE] = s
    b[at + E_GEN]++
}
function setTimer(b: Buffer, n: number, t: number): void {
    b.setAt(n * NEIGH_ENTRY_LEN + E_TIMER, "f64", t)
}
/** The cached header: `mac` (at macOff), then ours, then EtherType IPv4. */
function setMac(b: Buffer, n: number, ourMac: Buffer, mac: Buffer, macOff: number): void {
    const at = n * NEIGH_ENTRY_LEN
    b.blitAt(at, mac, macOff, 6)
    b.blitAt(at + 6, ourMac, 0, 6)
    setU16(b, at + 12, EtherType.Ipv4)
    b[at + E_GEN]++
}

/** Sends the ARP requests the state machine asks for (arp_solicit). */
export interface Solicitor {
    /** Ask for neighbour `n`'s address: broadcast, or unicast to its cached MAC when `unicast` (PROBE state). */
    solicit(n: number, unicast: boolean): void
}

/** The table's settings, as StackConfig names them (the stack passes its configuration). */
export interface NeighParams {
    neighCapacity: number
    neighRetransMs: number
    neighProbes: number
    neighReachableMs: number
    neighPendingPackets: number
    neighPendingBytes: number
}

/** @devsWhenUsed */
export class NeighTable implements PendingSink {
    /** Every entry, NEIGH_ENTRY_LEN bytes each: neighbour `n` starts at n * NEIGH_ENTRY_LEN. */
    readonly buf: Buffer
    readonly capacity: number
    /** Linux retrans_time_ms, ucast_solicit (requests before FAILED), base_reachable_time_ms. */
    readonly retransMs: number
    readonly maxProbes: number
    readonly reachableMs: number
    readonly pending: PendingQueue
    readonly stats: NeighStats = newMib(NeighMib.Count)

    /** `qdisc`: resolved frames go there; its pool holds the waiting ones too. `solicitor`: ARP. */
    constructor(
        params: NeighParams,
        readonly ourMac: Buffer,
        readonly qdisc: FifoQdisc,
        readonly solicitor: Solicitor
    ) {
        this.capacity = params.neighCapacity
        this.retransMs = params.neighRetransMs
        this.maxProbes = params.neighProbes
        this.reachableMs = params.neighReachableMs
        this.buf = Buffer.alloc(params.neighCapacity * NEIGH_ENTRY_LEN)
        this.pending = new PendingQueue(qdisc.pool, params.neighCapacity, params.neighPendingPackets, params.neighPendingBytes)
    }

    // ---- the entries' fields

    /** True when frames may be sent with the cached header (NUD_VALID). */
    valid(n: number): boolean {
        return ((NUD_VALID >> this.buf[n * NEIGH_ENTRY_LEN + E_STATE]) & 1) !== 0
    }

    // ---- the table

    /** __ipv4_neigh_lookup_noref: the entry for `ip`, or NO_NEIGH. */
    lookup(ip: number): number {
        this.stats[NeighMib.lookups]++
        const b = this.buf
        const end = this.capacity * NEIGH_ENTRY_LEN
        for (let at = 0; at < end; at += NEIGH_ENTRY_LEN) {
            if (b[at + E_STATE] !== NudState.None && b.getAt(at + E_IP, "u32") === ip) {
                this.stats[NeighMib.hits]++
                return at / NEIGH_ENTRY_LEN
            }
        }
        return NO_NEIGH
    }

    /** __neigh_create: a fresh NONE entry for `ip`, evicting by the policy above; NO_NEIGH when full. */
    create(ip: number, now: number): number {
        let victim = NO_NEIGH
        let rank = 99
        const b = this.buf
        for (let n = 0; n < this.capacity; n++) {
            const r = EVICT_RANK[b[n * NEIGH_ENTRY_LEN + E_STATE]]
            if (r === 99) continue
            if (r < rank || (r === rank && r >= 2 && b.getAt(n * NEIGH_ENTRY_LEN + E_USED, "f64") < b.getAt(victim * NEIGH_ENTRY_LEN + E_USED, "f64"))) {
                victim = n
                rank = r
            }
        }
        if (victim === NO_NEIGH) {
            inc(this.stats, NeighMib.table_fulls)
            return NO_NEIGH
        }
        if (b[victim * NEIGH_ENTRY_LEN + E_STATE] !== NudState.None) {
            // forced gc (neigh_forced_gc -> neigh_destroy): frames waiting on the victim are dropped
            inc(this.stats, NeighMib.forced_gc_runs)
            this.stats[NeighMib.unresolved_discards] += this.pending.drain(victim, null)
            inc(this.stats, NeighMib.destroys)
        }
        const at = victim * NEIGH_ENTRY_LEN
        const gen = b[at + E_GEN]
        b.fillAt(at, NEIGH_ENTRY_LEN, 0)
        b[at + E_GEN] = gen + 1
        b.setAt(at + E_IP, "u32", ip)
        b.setAt(at + E_USED, "f64", now)
        inc(this.stats, NeighMib.allocs)
        return victim
    }


    /**
     * __neigh_event_send: the output path is about to use `n`. Returns true when the frame can go
     * now with n's cached header; false when it must wait in the pending queue (resolution started
     * or running).
     */
    eventSend(n: number, now: number): boolean {
        const b = this.buf
        const at = n * NEIGH_ENTRY_LEN
        b.setAt(at + E_USED, "f64", now)
        switch (b[at + E_STATE]) {
            case NudState.Reachable:
            case NudState.Permanent:
            case NudState.Delay:
            case NudState.Probe:
                return true
            case NudState.Stale:
                setState(b, n, NudState.Delay)
                setTimer(b, n, now + DELAY_FIRST_PROBE_MS)
                return true
            case NudState.Incomplete:
                return false
        }
        // NONE or FAILED: start resolving (first request now, then every retransMs)
        setState(b, n, NudState.Incomplete)
        b[at + E_PROBES] = 1
        setTimer(b, n, now + this.retransMs)
        this.solicitor.solicit(n, false)
        return false
    }

    /**
     * neigh_update from a received ARP packet: `mac` (at macOff) for `n`. `solicited` is a reply
     * addressed to us (REACHABLE); anything else makes the entry STALE, unless the address is
     * unchanged and the entry already confirmed. PERMANENT entries are never changed by the wire.
     */
    update(n: number, mac: Buffer, macOff: number, solicited: boolean, now: number): void {
        const b = this.buf
        const at = n * NEIGH_ENTRY_LEN
        if (b[at + E_STATE] === NudState.Permanent) return
        const wasValid = this.valid(n)
        const same = wasValid && macEqual(b, at, mac, macOff)
        if (!same) setMac(b, n, this.ourMac, mac, macOff)
        if (solicited) {
            setState(b, n, NudState.Reachable)
            b.setAt(at + E_CONFIRMED, "f64", now)
            setTimer(b, n, 0)
        } else if (!same) {
            // a new or changed address is not yet confirmed
            setState(b, n, NudState.Stale)
            setTimer(b, n, 0)
        }
        if (!wasValid) flushPending(this, n)
    }

    /** The neighbour flushPending() is sending the frames of (take() gives them its header). */
    flushing = NO_NEIGH
    /** PendingSink: a resolved frame gets the neighbour's header and joins the qdisc in place. */
    take(rec: number): void {
        const q = this.qdisc
        q.pool.buf.blitAt(rec + RECORD_HEADER, this.buf, this.flushing * NEIGH_ENTRY_LEN, ETHERNET_HEADER_LEN)
        // no room in the queue (a qdisc drop): it waited for resolution and is lost, count it here too
        if (!qdiscAdopt(q, rec)) inc(this.stats, NeighMib.unresolved_discards)
    }

    /**
     * neigh_timer_handler for every entry: retransmissions, giving up (FAILED, pending dropped),
     * REACHABLE -> STALE after the reachable time, DELAY -> PROBE.
     */
    tick(now: number): void {
        const b = this.buf
        for (let n = 0; n < this.capacity; n++) {
            const at = n * NEIGH_ENTRY_LEN
            const s = b[at + E_STATE]
            const timer = b.getAt(at + E_TIMER, "f64")
            switch (s) {
                case NudState.Reachable:
                    if (now - b.getAt(at + E_CONFIRMED, "f64") >= this.reachableMs) setState(b, n, NudState.Stale)
                    break
                case NudState.Delay:
                    if (now >= timer) {
                        if (b.getAt(at + E_CONFIRMED, "f64") >= timer - DELAY_FIRST_PROBE_MS) {
                            setState(b, n, NudState.Reachable)
                            setTimer(b, n, 0)
                        } else {
                            setState(b, n, NudState.Probe)
                            b[at + E_PROBES] = 1
                            setTimer(b, n, now + this.retransMs)
                            this.solicitor.solicit(n, true)
                        }
                    }
                    break
                case NudState.Incomplete:
                case NudState.Probe:
                    if (now >= timer) {
                        if (b[at + E_PROBES] >= this.maxProbes) {
                            // resolution failed: FAILED, every waiting frame dropped and counted (neigh_invalidate)
                            setState(b, n, NudState.Failed)
                            setTimer(b, n, 0)
                            inc(this.stats, NeighMib.res_failed)
                            this.stats[NeighMib.unresolved_discards] += this.pending.drain(n, null)
                        } else {
                            b[at + E_PROBES]++
                            setTimer(b, n, now + this.retransMs)
                            this.solicitor.solicit(n, s === NudState.Probe)
                        }
                    }
                    break
            }
        }
    }
}

/** Send every frame waiting on `n`, now resolved, through the qdisc. */
function flushPending(t: NeighTable, n: number): void {
    if (pendingPackets(t.pending, n) === 0) return
    t.flushing = n
    t.pending.drain(n, t)
    t.flushing = NO_NEIGH
}

// The table's operations as functions, not methods: no prototype entries, linked only where used.

/** Is `n` still the entry for `ip` (a cached index, ip_finish_output2's dst neighbour)? */
export function neighHolds(t: NeighTable, n: number, ip: number): boolean {
    const at = n * NEIGH_ENTRY_LEN
    return n >= 0 && t.buf[at + E_STATE] !== NudState.None && t.buf.getAt(at + E_IP, "u32") === ip
}

/**
 * The shared pool is full and a frame that can go now needs room (neigh/output.ts): the oldest
 * frame waiting for ARP gives way, if it is the oldest record of the pool (only then is its space
 * free at once). Dropped and counted. Without this, frames waiting for neighbours that never
 * answer (a silent peer, echo replies to spoofed sources) could fill the pool and stop all
 * transmission until their resolution fails.
 */
export function neighGiveWay(t: NeighTable): boolean {
    const p = t.qdisc.pool
    const rec = p.oldest()
    if (rec < 0) return false
    const tag = recordTag(p, rec)
    if (tag === QDISC_TAG || tag >= t.capacity) return false
    t.pending.dropRecord(tag, rec)
    inc(t.stats, NeighMib.unresolved_discards)
    return true
}

/** Carrier lost: learnt entries must be confirmed again before they are trusted (STALE). */
export function neighMarkStale(t: NeighTable): void {
    for (let n = 0; n < t.capacity; n++) {
        if (((NUD_CONFIRMED_OR_PROBING >> t.buf[n * NEIGH_ENTRY_LEN + E_STATE]) & 1) !== 0) setState(t.buf, n, NudState.Stale)
    }
}

/** Changes with every change of `n`'s state or MAC (a cached header of n is valid while it is equal). */
export function neighGen(t: NeighTable, n: number): number {
    return t.buf[n * NEIGH_ENTRY_LEN + E_GEN]
}

/**
 * The fast path's __neigh_event_send: `n` is used again with a header cached while its
 * generation was `gen`. True (and the use recorded) when nothing changed since: the state is the
 * valid, non-STALE one it was then, where eventSend() would only have recorded the time.
 */
export function neighUseCached(t: NeighTable, n: number, gen: number, now: number): boolean {
    const at = n * NEIGH_ENTRY_LEN
    if (t.buf[at + E_GEN] !== gen) return false
    t.buf.setAt(at + E_USED, "f64", now)
    return true
}

/** A frame from `n` proves it is there (neigh_confirm: a transport that hears from it). */
export function neighConfirm(t: NeighTable, n: number, now: number): void {
    const s = neighState(t, n)
    if (s === NudState.Delay || s === NudState.Probe || s === NudState.Stale) {
        setState(t.buf, n, NudState.Reachable)
        setTimer(t.buf, n, 0)
    }
    if (neighState(t, n) === NudState.Reachable) t.buf.setAt(n * NEIGH_ENTRY_LEN + E_CONFIRMED, "f64", now)
}

/** Neighbour `n`'s NUD state. */
export function neighState(t: NeighTable, n: number): NudState {
    return t.buf[n * NEIGH_ENTRY_LEN + E_STATE]
}

/** Neighbour `n`'s IPv4 address. */
export function neighIp(t: NeighTable, n: number): number {
    return t.buf.getAt(n * NEIGH_ENTRY_LEN + E_IP, "u32")
}

/** Entries of `t` in `state`. */
export function neighCount(t: NeighTable, state: NudState): number {
    let c = 0
    for (let n = 0; n < t.capacity; n++) if (neighState(t, n) === state) c++
    return c
}

/** A static entry from configuration (ip neigh add ... nud permanent). */
export function neighAddPermanent(t: NeighTable, ip: number, mac: Buffer, now: number): NeighError {
    let n = t.lookup(ip)
    if (n !== NO_NEIGH && neighState(t, n) === NudState.Permanent) return NeighError.Exists
    if (n === NO_NEIGH) n = t.create(ip, now)
    if (n === NO_NEIGH) return NeighError.TableFull
    setMac(t.buf, n, t.ourMac, mac, 0)
    setState(t.buf, n, NudState.Permanent)
    setTimer(t.buf, n, 0)
    flushPending(t, n)
    return NeighError.Ok
}
