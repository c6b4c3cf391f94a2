// Counters named as Linux prints them in /proc/net/snmp (the IP-MIB / ICMP / UDP groups of
// RFC 4293 and RFC 4113), readable from the firmware and printable.

import { QdiscMib } from "../dev/counters"

/** Indices of IpStats. */
export const enum IpMib {
    InReceives = QdiscMib.Count,
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

/** The stack's counters array (dev/counters.ts), as the IpMib group indexes it. */
export type IpStats = number[]

/** Indices of IcmpStats. */
export const enum IcmpMib {
    InMsgs = IpMib.Count,
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

/** The stack's counters array (dev/counters.ts), as the IcmpMib group indexes it. */
export type IcmpStats = number[]

/** Indices of UdpStats. */
export const enum UdpMib {
    InDatagrams = IcmpMib.Count,
    NoPorts,
    InErrors,
    OutDatagrams,
    /** Datagrams refused for lack of queue space (SndbufErrors). */
    SndbufErrors,
    Count,
}

/** The stack's counters array (dev/counters.ts), as the UdpMib group indexes it. */
export type UdpStats = number[]

export function formatIpStats(s: IpStats): string {
    return (
        "Ip: InReceives " + s[IpMib.InReceives] + " InHdrErrors " + s[IpMib.InHdrErrors] + " InAddrErrors " + s[IpMib.InAddrErrors] +
        " InUnknownProtos " + s[IpMib.InUnknownProtos] + " InDiscards " + s[IpMib.InDiscards] + " InDelivers " + s[IpMib.InDelivers] +
        " ReasmFails " + s[IpMib.ReasmFails] +
        "\nIp: OutRequests " + s[IpMib.OutRequests] + " OutDiscards " + s[IpMib.OutDiscards] + " OutNoRoutes " + s[IpMib.OutNoRoutes] +
        " FragOKs " + s[IpMib.FragOKs] + " FragFails " + s[IpMib.FragFails] + " FragCreates " + s[IpMib.FragCreates]
    )
}

export function formatIcmpStats(s: IcmpStats): string {
    return (
        "Icmp: InMsgs " + s[IcmpMib.InMsgs] + " InErrors " + s[IcmpMib.InErrors] + " InEchos " + s[IcmpMib.InEchos] + " InEchoReps " +
        s[IcmpMib.InEchoReps] + " OutMsgs " + s[IcmpMib.OutMsgs] + " OutEchoReps " + s[IcmpMib.OutEchoReps] + " OutErrors " + s[IcmpMib.OutErrors] +
        " OutRateLimited " + s[IcmpMib.OutRateLimited]
    )
}

export function formatUdpStats(s: UdpStats): string {
    return (
        "Udp: InDatagrams " + s[UdpMib.InDatagrams] + " NoPorts " + s[UdpMib.NoPorts] + " InErrors " + s[UdpMib.InErrors] +
        " OutDatagrams " + s[UdpMib.OutDatagrams] + " SndbufErrors " + s[UdpMib.SndbufErrors]
    )
}
