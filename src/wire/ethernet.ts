// Ethernet II framing, RFC 894 (IPv4) and RFC 826 (ARP). No FCS: the MAC adds and strips it.

import { getU16, setU16 } from "./bytes"
import { WireError } from "./error"

export const enum EthernetField {
    Dst = 0,
    Src = 6,
    EtherType = 12,
}
export const ETHERNET_HEADER_LEN = 14
/** Largest frame handed to a MAC without FCS: 14 + 1500. */
export const ETHERNET_MAX_FRAME = 1514
/** Smallest frame on the wire without FCS; shorter frames are padded by the MAC (IEEE 802.3 §4.2.3.3). */
export const ETHERNET_MIN_FRAME = 60

export const enum EtherType {
    Ipv4 = 0x0800,
    Arp = 0x0806,
    Ipv6 = 0x86dd,
}

export function ethernetCheck(buf: Buffer, off: number, len: number): WireError {
    if (len < ETHERNET_HEADER_LEN || off + len > buf.length) return WireError.Truncated
    return WireError.Ok
}

export function ethernetEtherType(buf: Buffer, off: number): number {
    return getU16(buf, off + EthernetField.EtherType)
}

/** Write a 14-byte header: destination MAC, source MAC, EtherType. */
export function ethernetEmit(
    buf: Buffer,
    off: number,
    dst: Buffer,
    dstOff: number,
    src: Buffer,
    etherType: number
): void {
    buf.blitAt(off + EthernetField.Dst, dst, dstOff, 6)
    buf.blitAt(off + EthernetField.Src, src, 0, 6)
    setU16(buf, off + EthernetField.EtherType, etherType)
}
