// The stack's counters as a person reads them (ip -s link, tc -s qdisc, /proc/net/snmp, ip -s ntable):
// a function of its own, not a NetStack method: the board firmware never prints them (the simulator
// and tests do), and a function nothing calls is not linked.

import { NetStack } from "./stack"
import { formatLinkStats, formatQdiscStats } from "./dev/counters"
import { formatIcmpStats, formatIpStats } from "./ipv4/mib"
import { formatUdpStats } from "./udp/mib"
import { formatNeighStats } from "./neigh/neighbour"
import { formatArpStats } from "./ipv4/arp"
import { formatTcpStats } from "./tcp/mib"
import { formatDeviceStats } from "./dev/netdev"

/** Every counter of `stack`, then the lines registered in stack.reports (the DHCP client's, the MQTT client's). */
export function formatStack(stack: NetStack): string {
    // (long + chains crash the DeviceScript compiler: one line at a time)
    let s = formatLinkStats(stack.link) + "\n" + formatQdiscStats(stack.qdisc.stats)
    s += "\n" + formatIpStats(stack.ip.stats) + "\n" + formatIcmpStats(stack.input.icmp)
    s += "\n" + formatUdpStats(stack.udp.stats) + "\n" + formatNeighStats(stack.neigh.stats)
    if (stack.tcp !== null) s += "\n" + formatTcpStats(stack.tcp.stats)
    s += "\n" + formatArpStats(stack.arp.stats) + "\n" + formatDeviceStats(stack.dev)
    for (let i = 0; i < stack.reports.length; i++) s += "\n" + stack.reports[i]()
    return s
}
