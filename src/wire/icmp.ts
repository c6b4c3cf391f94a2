// ICMP echo and echo reply, RFC 792. The checksum covers the whole ICMP message.

import { getU16, setU16 } from "./bytes"
import { internetChecksum } from "./checksum"
import { WireError } from "./error"

export const enum IcmpField {
    Type = 0,
    Code = 1,
    Checksum = 2,
    Ident = 4,
    Sequence = 6,
}
export const ICMP_HEADER_LEN = 8
export const IPPROTO_ICMP = 1

export const enum IcmpType {
    EchoReply = 0,
    DestUnreachable = 3,
    EchoRequest = 8,
}

export function icmpCheck(buf: Buffer, off: number, len: number): WireError {
    if (len < ICMP_HEADER_LEN || off + len > buf.length) return WireError.Truncated
    if (internetChecksum(buf, off, len) !== 0) return WireError.BadChecksum
    return WireError.Ok
}

export function icmpType(buf: Buffer, off: number): number {
    return buf[off + IcmpField.Type]
}
export function icmpCode(buf: Buffer, off: number): number {
    return buf[off + IcmpField.Code]
}
export function icmpIdent(buf: Buffer, off: number): number {
    return getU16(buf, off + IcmpField.Ident)
}
export function icmpSequence(buf: Buffer, off: number): number {
    return getU16(buf, off + IcmpField.Sequence)
}

/**
 * Echo header at `off` followed by `dataLen` bytes already in place after it; fills the checksum.
 */
export function icmpEchoEmit(
    buf: Buffer,
    off: number,
    type: number,
    ident: number,
    sequence: number,
    dataLen: number
): void {
    buf[off + IcmpField.Type] = type
    buf[off + IcmpField.Code] = 0
    setU16(buf, off + IcmpField.Checksum, 0)
    setU16(buf, off + IcmpField.Ident, ident)
    setU16(buf, off + IcmpField.Sequence, sequence)
    setU16(buf, off + IcmpField.Checksum, internetChecksum(buf, off, ICMP_HEADER_LEN + dataLen))
}
