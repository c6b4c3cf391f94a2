// Link-level counters, named as `ip -s link` prints them (struct rtnl_link_stats64), and the qdisc
// counters `tc -s qdisc` prints (struct gnet_stats_basic / gnet_stats_queue).

export class LinkStats {
    rx_packets = 0
    rx_bytes = 0
    rx_errors = 0
    rx_dropped = 0
    /** Frames addressed to another host's MAC, dropped before parsing (rx_otherhost_dropped). */
    rx_otherhost_dropped = 0
    rx_over_errors = 0
    tx_packets = 0
    tx_bytes = 0
    tx_errors = 0
    tx_dropped = 0
    tx_carrier_errors = 0
    tx_timeouts = 0
    carrier_changes = 0
}

export class QdiscStats {
    /** Sent to the device. */
    bytes = 0
    packets = 0
    /** Tail drops (limit reached) and frames lost below the qdisc. */
    drops = 0
    overlimits = 0
    /** Frames the device refused (Busy) and that went back to the head. */
    requeues = 0
    /** Frame bytes and frames in the queue now (pending ARP frames in the pool not included). */
    backlog = 0
    qlen = 0
}

export function formatLinkStats(s: LinkStats): string {
    return (
        "RX: bytes " + s.rx_bytes + " packets " + s.rx_packets + " errors " + s.rx_errors +
        " dropped " + s.rx_dropped + " otherhost " + s.rx_otherhost_dropped + " overrun " + s.rx_over_errors +
        "\nTX: bytes " + s.tx_bytes + " packets " + s.tx_packets + " errors " + s.tx_errors +
        " dropped " + s.tx_dropped + " carrier " + s.tx_carrier_errors + " timeouts " + s.tx_timeouts +
        " carrier_changes " + s.carrier_changes
    )
}

export function formatQdiscStats(s: QdiscStats): string {
    return (
        "qdisc fifo: Sent " + s.bytes + " bytes " + s.packets + " pkt (dropped " + s.drops +
        ", overlimits " + s.overlimits + " requeues " + s.requeues + ") backlog " + s.backlog + "b " + s.qlen + "p"
    )
}

/** "name: field value field value ..." for any counters object (a driver's statistics). */
export function formatCounters(name: string, counters: any): string {
    const keys = Object.keys(counters)
    let s = name + ":"
    for (let i = 0; i < keys.length; i++) s += " " + keys[i] + " " + counters[keys[i]]
    return s
}
