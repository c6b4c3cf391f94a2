// Counters named as Linux prints them in /proc/net/snmp (the IP-MIB / ICMP / UDP groups of
// RFC 4293), readable from the firmware and printable. The IP group is written by IPv4 output and
// input (one layer, as Linux's ip_statistics), ICMP by the ICMP code of input.

import { formatCounters } from "../dev/counters"

/** Indices of IpStats. */
export const enum IpMib {
    InReceives,
    InHdrErrors,
    InAddrErrors,
    InUnknownProtos,
    InDiscards,
    InDelivers,
    OutRequests,
    OutDiscards,
    OutNoRoutes,
    /** Fragments received: this stack does not reassemble (RFC 1122 §3.3.2 allows a host not to). */
    ReasmFails,
    FragOKs,
    FragFails,
    FragCreates,
    Count,
}

/** The Ip group, indexed by IpMib. */
export type IpStats = number[]

/** Indices of IcmpStats. */
export const enum IcmpMib {
    InMsgs,
    InErrors,
    InEchos,
    InEchoReps,
    /** ICMP messages handed to IP (sent, or waiting for ARP). */
    OutMsgs,
    OutEchoReps,
    /** Echo replies IP did not take (no route, link down, no queue room, neighbour table full). */
    OutErrors,
    /** Echo replies not sent because of the rate limit (Linux: IcmpOutRateLimitGlobal). */
    OutRateLimited,
    Count,
}

/** The Icmp group, indexed by IcmpMib. */
export type IcmpStats = number[]

export function formatIpStats(s: IpStats): string {
    return formatCounters("Ip", "InReceives InHdrErrors InAddrErrors InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmFails FragOKs FragFails FragCreates", s)
}

export function formatIcmpStats(s: IcmpStats): string {
    return formatCounters("Icmp", "InMsgs InErrors InEchos InEchoReps OutMsgs OutEchoReps OutErrors OutRateLimited", s)
}
