// Link-level counters, named as `ip -s link` prints them (struct rtnl_link_stats64), and the qdisc
// counters `tc -s qdisc` prints (struct gnet_stats_basic / gnet_stats_queue).
//
// Every counter of the stack is a number in one array (NetStack.counters) indexed by const enums,
// as Linux keeps its SNMP MIBs (SNMP_INC_STATS(mib, IPSTATS_MIB_OUTREQUESTS)): 8 bytes a counter on
// the heap, where an object field takes about 18, and no class per group. Each group's enum starts
// where the previous one ends (Link, Qdisc, Ip, Icmp, Udp, Neigh, Arp); a group's type names the
// array it is indexed with.

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

/** The stack's counters array (dev/counters.ts), as the LinkMib group indexes it. */
export type LinkStats = number[]

/** Indices of QdiscStats. */
export const enum QdiscMib {
    /** Sent to the device. */
    bytes = LinkMib.Count,
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

/** The stack's counters array (dev/counters.ts), as the QdiscMib group indexes it. */
export type QdiscStats = number[]

export function formatLinkStats(s: LinkStats): string {
    return (
        "RX: bytes " + s[LinkMib.rx_bytes] + " packets " + s[LinkMib.rx_packets] + " errors " + s[LinkMib.rx_errors] +
        " dropped " + s[LinkMib.rx_dropped] + " otherhost " + s[LinkMib.rx_otherhost_dropped] + " overrun " + s[LinkMib.rx_over_errors] +
        "\nTX: bytes " + s[LinkMib.tx_bytes] + " packets " + s[LinkMib.tx_packets] + " errors " + s[LinkMib.tx_errors] +
        " dropped " + s[LinkMib.tx_dropped] + " carrier " + s[LinkMib.tx_carrier_errors] + " timeouts " + s[LinkMib.tx_timeouts] +
        " carrier_changes " + s[LinkMib.carrier_changes]
    )
}

export function formatQdiscStats(s: QdiscStats): string {
    return (
        "qdisc fifo: Sent " + s[QdiscMib.bytes] + " bytes " + s[QdiscMib.packets] + " pkt (dropped " + s[QdiscMib.drops] +
        ", overlimits " + s[QdiscMib.overlimits] + " requeues " + s[QdiscMib.requeues] + ") backlog " + s[QdiscMib.backlog] +
        "b " + s[QdiscMib.qlen] + "p"
    )
}

/** "name: counter value counter value ..." for a counter array and its names (space-separated, in order). */
export function formatCounters(name: string, names: string, counters: number[]): string {
    const keys = names.split(" ")
    let s = name + ":"
    for (let i = 0; i < keys.length; i++) s += " " + keys[i] + " " + counters[i]
    return s
}
