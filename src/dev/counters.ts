// Link-level counters, named as `ip -s link` prints them (struct rtnl_link_stats64), and the qdisc
// counters `tc -s qdisc` prints (struct gnet_stats_basic / gnet_stats_queue).
//
// A counter group is a number array indexed by a const enum, as Linux keeps its SNMP MIBs
// (SNMP_INC_STATS(mib, IPSTATS_MIB_OUTREQUESTS)): 8 bytes a counter on the heap, where an object
// field takes about 18, and no class per group. Each layer creates its own group (newMib) and is
// the only code that writes it; everyone may read it. A group prints from one string of names
// (formatCounters), so the names cost string data, not bytecode.

/** A counter table of `n` zeros. */
export function newMib(n: number): number[] {
    const t: number[] = []
    for (let i = 0; i < n; i++) t.push(0)
    return t
}

/** Indices of LinkStats. */
export const enum LinkMib {
    rx_packets,
    rx_bytes,
    rx_errors,
    rx_dropped,
    /** Frames addressed to another host's MAC, dropped before parsing (rx_otherhost_dropped). */
    rx_otherhost_dropped,
    rx_over_errors,
    tx_packets,
    tx_bytes,
    tx_errors,
    tx_dropped,
    tx_carrier_errors,
    tx_timeouts,
    carrier_changes,
    Count,
}

/** The link group (ip -s link), owned by the device layer: NetStack's receive side and the drain. */
export type LinkStats = number[]

/** Indices of QdiscStats. */
export const enum QdiscMib {
    /** Sent to the device. */
    bytes,
    packets,
    /** Tail drops (limit reached) and frames lost below the qdisc. */
    drops,
    overlimits,
    /** Frames the device refused (Busy) and that went back to the head. */
    requeues,
    /** Frame bytes and frames in the queue now (pending ARP frames in the pool not included). */
    backlog,
    qlen,
    Count,
}

/** The qdisc group (tc -s qdisc), owned by FifoQdisc. */
export type QdiscStats = number[]

/** LinkMib names in order. */
const LINK_NAMES = "rx_packets rx_bytes rx_errors rx_dropped rx_otherhost_dropped rx_over_errors tx_packets tx_bytes tx_errors tx_dropped tx_carrier_errors tx_timeouts carrier_changes"

export function formatLinkStats(s: LinkStats): string {
    return formatCounters("link", LINK_NAMES, s)
}

export function formatQdiscStats(s: QdiscStats): string {
    return formatCounters("qdisc fifo", "bytes packets drops overlimits requeues backlog qlen", s)
}

/**
 * "name: counter value counter value ..." for a counter array and its names (space-separated, in
 * order). The names are cut with indexOf, not split(): split is a script function of the runtime
 * library (340 B of bytecode) that nothing else in a firmware needs.
 */
export function formatCounters(name: string, names: string, counters: number[]): string {
    let s = name + ":"
    let from = 0
    for (let i = 0; from <= names.length; i++) {
        let end = names.indexOf(" ", from)
        if (end < 0) end = names.length
        s += " " + names.slice(from, end) + " " + counters[i]
        from = end + 1
    }
    return s
}
