// UDP, RFC 768. The checksum covers the pseudo-header (src, dst, protocol, UDP length), the UDP
// header and the data; zero in the field means "not computed".

import { getU16, setU16 } from "./bytes"
import { onesSum, pseudoHeaderSum, udpChecksumField } from "./checksum"
import { WireError } from "./error"

export const enum UdpField {
    SrcPort = 0,
    DstPort = 2,
    Length = 4,
    Checksum = 6,
}
export const UDP_HEADER_LEN = 8
export const IPPROTO_UDP = 17

/**
 * `len` is the IP payload length. The UDP length field must cover at least the header and at most
 * the payload (RFC 768; RFC 1122 §4.1.3.4 for the checksum).
 */
export function udpCheck(buf: Buffer, off: number, len: number, src: number, dst: number): WireError {
    if (len < UDP_HEADER_LEN || off + len > buf.length) return WireError.Truncated
    const ulen = getU16(buf, off + UdpField.Length)
    if (ulen < UDP_HEADER_LEN || ulen > len) return WireError.BadLength
    if (getU16(buf, off + UdpField.Checksum) !== 0) {
        const sum = onesSum(buf, off, ulen, pseudoHeaderSum(src, dst, IPPROTO_UDP, ulen))
        if (sum !== 0xffff) return WireError.BadChecksum
    }
    return WireError.Ok
}

export function udpSrcPort(buf: Buffer, off: number): number {
    return getU16(buf, off + UdpField.SrcPort)
}
export function udpDstPort(buf: Buffer, off: number): number {
    return getU16(buf, off + UdpField.DstPort)
}
export function udpLength(buf: Buffer, off: number): number {
    return getU16(buf, off + UdpField.Length)
}

/**
 * Write the 8-byte header at `off` for `payloadLen` bytes of data whose one's-complement sum is
 * `payloadSum` (from onesSum over the data wherever it lives: fragments are built from the
 * caller's buffer, so the data need not follow the header).
 */
export function udpEmitHeader(
    buf: Buffer,
    off: number,
    srcPort: number,
    dstPort: number,
    payloadLen: number,
    payloadSum: number,
    src: number,
    dst: number
): void {
    const ulen = UDP_HEADER_LEN + payloadLen
    setU16(buf, off + UdpField.SrcPort, srcPort)
    setU16(buf, off + UdpField.DstPort, dstPort)
    setU16(buf, off + UdpField.Length, ulen)
    setU16(buf, off + UdpField.Checksum, 0)
    const sum = onesSum(buf, off, UDP_HEADER_LEN, payloadSum + pseudoHeaderSum(src, dst, IPPROTO_UDP, ulen))
    setU16(buf, off + UdpField.Checksum, udpChecksumField(sum))
}
