// The UDP counters as Linux prints them in /proc/net/snmp (the UDP-MIB of RFC 4113), written by the
// socket table only.

import { formatCounters } from "../dev/counters"

/** Indices of UdpStats. */
export const enum UdpMib {
    InDatagrams,
    NoPorts,
    InErrors,
    OutDatagrams,
    /** Datagrams refused for lack of queue space (SndbufErrors). */
    SndbufErrors,
    Count,
}

/** The Udp group, indexed by UdpMib. */
export type UdpStats = number[]

export function formatUdpStats(s: UdpStats): string {
    return formatCounters("Udp", "InDatagrams NoPorts InErrors OutDatagrams SndbufErrors", s)
}
