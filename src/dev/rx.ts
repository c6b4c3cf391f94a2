// The first steps of receive, Linux's netif_receive_skb: frames not addressed to us are dropped
// before anything parses them, and counted in the link group (ip -s link).

import { LinkMib, LinkStats } from "./counters"
import { ETHERNET_HEADER_LEN, EthernetField, EtherType } from "../wire/ethernet"
import { getU16 } from "../wire/bytes"
import { macEqual, macIsBroadcast } from "../wire/addr"
import { inc } from "../util/mib"

/**
 * Count a received frame and say whom it is for: EtherType.Arp or EtherType.Ipv4, or -1 when it
 * was dropped here (a runt, another host's MAC, a group we did not join, another EtherType).
 */
export function linkReceive(link: LinkStats, mac: Buffer, frame: Buffer, off: number, len: number): number {
    link[LinkMib.rx_packets]++
    link[LinkMib.rx_bytes] += len
    if (len < ETHERNET_HEADER_LEN || off + len > frame.length) {
        inc(link, LinkMib.rx_errors)
        return -1
    }
    // a group address: only broadcast is ours (no multicast groups are joined)
    if (frame[off] & 1 ? !macIsBroadcast(frame, off) : !macEqual(frame, off, mac, 0)) {
        inc(link, LinkMib.rx_otherhost_dropped)
        return -1
    }
    const type = getU16(frame, off + EthernetField.EtherType)
    if (type === EtherType.Arp || type === EtherType.Ipv4) return type
    inc(link, LinkMib.rx_dropped)
    return -1
}
