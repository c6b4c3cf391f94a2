// Counters named as Linux prints them in /proc/net/snmp (the IP-MIB / ICMP / UDP groups of
// RFC 4293 and RFC 4113), readable from the firmware and printable.

export class IpStats {
    InReceives = 0
    InHdrErrors = 0
    InAddrErrors = 0
    InUnknownProtos = 0
    InDiscards = 0
    InDelivers = 0
    OutRequests = 0
    OutDiscards = 0
    OutNoRoutes = 0
    /** Fragments received: this stack does not reassemble (RFC 1122 §3.3.2 allows a host not to). */
    ReasmFails = 0
    FragOKs = 0
    FragFails = 0
    FragCreates = 0
}

export class IcmpStats {
    InMsgs = 0
    InErrors = 0
    InEchos = 0
    InEchoReps = 0
    /** ICMP messages handed to IP (sent, or waiting for ARP). */
    OutMsgs = 0
    OutEchoReps = 0
    /** Echo replies IP did not take (no route, link down, no queue room, neighbour table full). */
    OutErrors = 0
    /** Echo replies not sent because of the rate limit (Linux: IcmpOutRateLimitGlobal). */
    OutRateLimited = 0
}

export class UdpStats {
    InDatagrams = 0
    NoPorts = 0
    InErrors = 0
    OutDatagrams = 0
    /** Datagrams refused for lack of queue space (SndbufErrors). */
    SndbufErrors = 0
}

export function formatIpStats(s: IpStats): string {
    return (
        "Ip: InReceives " + s.InReceives + " InHdrErrors " + s.InHdrErrors + " InAddrErrors " + s.InAddrErrors +
        " InUnknownProtos " + s.InUnknownProtos + " InDiscards " + s.InDiscards + " InDelivers " + s.InDelivers +
        " ReasmFails " + s.ReasmFails +
        "\nIp: OutRequests " + s.OutRequests + " OutDiscards " + s.OutDiscards + " OutNoRoutes " + s.OutNoRoutes +
        " FragOKs " + s.FragOKs + " FragFails " + s.FragFails + " FragCreates " + s.FragCreates
    )
}

export function formatIcmpStats(s: IcmpStats): string {
    return (
        "Icmp: InMsgs " + s.InMsgs + " InErrors " + s.InErrors + " InEchos " + s.InEchos + " InEchoReps " +
        s.InEchoReps + " OutMsgs " + s.OutMsgs + " OutEchoReps " + s.OutEchoReps + " OutErrors " + s.OutErrors +
        " OutRateLimited " + s.OutRateLimited
    )
}

export function formatUdpStats(s: UdpStats): string {
    return (
        "Udp: InDatagrams " + s.InDatagrams + " NoPorts " + s.NoPorts + " InErrors " + s.InErrors +
        " OutDatagrams " + s.OutDatagrams + " SndbufErrors " + s.SndbufErrors
    )
}
