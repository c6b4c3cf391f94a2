// Output hooks: the netfilter LOCAL_OUT and POST_ROUTING chains (nf_hook_slow walking the
// registered entries in priority order) scaled down to one ordered, fixed-capacity chain per hook.
// An entry is a rule (iptables-style match + verdict, with packet and byte counters) or a callback
// for code. The first DROP ends the walk; a callback may rewrite the destination, after which the
// output path routes the packet again (ip_route_me_harder).

import { OutPacket } from "./packet"
import { prefixMask } from "../wire/addr"
import { IpProtocol } from "../wire/ipv4"

export const enum Verdict {
    Accept = 0,
    Drop = 1,
}

export const enum HookError {
    Ok = 0,
    /** The chain is at its capacity (devicescript.json tables.hookRules). */
    Full = 1,
    BadPrefix = 2,
}

export type HookFn = (pkt: OutPacket) => Verdict

/** A match on the fields of the outgoing packet; zero / empty means "any". */
export interface RuleSpec {
    src?: number
    srcPrefix?: number
    dst?: number
    dstPrefix?: number
    /** IP protocol number, 0 = any. */
    protocol?: number
    srcPort?: number
    dstPort?: number
    verdict: Verdict
}

/** @devsWhenUsed */
export class HookEntry {
    src = 0
    srcMask = 0
    dst = 0
    dstMask = 0
    protocol = 0
    srcPort = 0
    dstPort = 0
    verdict = Verdict.Accept
    fn: HookFn = null
    /** Packets and bytes that matched (iptables -v). */
    packets = 0
    bytes = 0

    /** Does a packet with these addresses, protocol and ports match the rule? */
    matches(src: number, dst: number, protocol: number, srcPort: number, dstPort: number): boolean {
        return (
            ((src & this.srcMask) >>> 0) === this.src &&
            ((dst & this.dstMask) >>> 0) === this.dst &&
            (this.protocol === 0 || protocol === this.protocol) &&
            (this.srcPort === 0 || srcPort === this.srcPort) &&
            (this.dstPort === 0 || dstPort === this.dstPort)
        )
    }
}

/** A chain's walk (runChain): a field, so that a firmware that never adds an entry links none of it. */
export type HookWalk = (c: HookChain, p: OutPacket, len: number) => Verdict

/** @devsWhenUsed */
export class HookChain {
    /** Created with the first rule: an empty chain costs no array. */
    entries: HookEntry[] = null
    /** Entries in use, in order; the walk stops at `used`. */
    used = 0
    /** runChain, installed with the first entry; call it as `c.walk(c, p, len)` when `used > 0`. */
    walk: HookWalk = null

    /** Entries are allocated as rules are added (configuration time), never beyond `capacity`. */
    constructor(readonly capacity: number) {}
}

/** The port at `at` in the transport header, where UDP and TCP both keep theirs; 0 for other protocols. */
function portAt(p: OutPacket, at: number): number {
    return p.protocol === IpProtocol.Udp || p.protocol === IpProtocol.Tcp ? (p.head[at] << 8) | p.head[at + 1] : 0
}

/** Walk chain `c`; `len` is the IP datagram length for the byte counters. */
export function runChain(c: HookChain, p: OutPacket, len: number): Verdict {
    const es = c.entries
    // the packet's fields once per walk; a callback may change the destination
    const srcPort = portAt(p, 0)
    const dstPort = portAt(p, 2)
    let dst = p.dst
    for (let i = 0; i < c.used; i++) {
        const e = es[i]
        if (e.fn !== null) {
            e.packets++
            e.bytes += len
            if (e.fn(p) === Verdict.Drop) return Verdict.Drop
            dst = p.dst
        } else if (e.matches(p.src, dst, p.protocol, srcPort, dstPort)) {
            e.packets++
            e.bytes += len
            if (e.verdict === Verdict.Drop) return Verdict.Drop
        }
    }
    return Verdict.Accept
}

// Adding and removing entries are functions, not methods: a firmware that never adds a rule links
// none of this.

/** The next free entry, reset; null when the chain is at its capacity. */
function nextEntry(c: HookChain): HookEntry {
    if (c.used >= c.capacity) return null
    if (c.entries === null) {
        c.entries = []
        c.walk = runChain
    }
    if (c.used === c.entries.length) c.entries.push(new HookEntry())
    const e = c.entries[c.used++]
    e.packets = 0
    e.bytes = 0
    e.fn = null
    return e
}

/** Append a rule to `c` (iptables -A); returns the entry (for its counters) or null when full. */
export function addRule(c: HookChain, spec: RuleSpec): HookEntry {
    // DeviceScript: a number >= 2^31 is falsy, so addresses are compared, never tested for truth
    const src = spec.src === undefined ? 0 : spec.src
    const dst = spec.dst === undefined ? 0 : spec.dst
    const sp = spec.srcPrefix === undefined ? (src !== 0 ? 32 : 0) : spec.srcPrefix
    const dp = spec.dstPrefix === undefined ? (dst !== 0 ? 32 : 0) : spec.dstPrefix
    if (sp < 0 || sp > 32 || dp < 0 || dp > 32) return null
    const e = nextEntry(c)
    if (!e) return null
    e.srcMask = prefixMask(sp)
    e.src = (src & e.srcMask) >>> 0
    e.dstMask = prefixMask(dp)
    e.dst = (dst & e.dstMask) >>> 0
    e.protocol = spec.protocol || 0
    e.srcPort = spec.srcPort || 0
    e.dstPort = spec.dstPort || 0
    e.verdict = spec.verdict
    return e
}

/** Append a callback to `c`; it sees every packet and returns a verdict. */
export function addCallback(c: HookChain, fn: HookFn): HookEntry {
    const e = nextEntry(c)
    if (!e) return null
    e.srcMask = e.dstMask = e.src = e.dst = 0
    e.protocol = e.srcPort = e.dstPort = 0
    e.verdict = Verdict.Accept
    e.fn = fn
    return e
}

/** Remove every entry of `c` (iptables -F). */
export function flushChain(c: HookChain): void {
    c.used = 0
}
