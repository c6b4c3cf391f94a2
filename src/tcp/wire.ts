// The TCP header, RFC 9293 §3.1: field offsets, control bits, the checks a received segment passes
// before anything reads it (length, data offset, checksum over the pseudo-header), and the one
// option this client reads (MSS, §3.2; every other option is skipped by its length).

import { getU16, setU16, setU32 } from "../wire/bytes"
import { onesSum } from "../wire/checksum"
import { WireError } from "../wire/error"

export const enum TcpField {
    SrcPort = 0,
    DstPort = 2,
    Seq = 4,
    Ack = 8,
    /** Data offset (high nibble, in 32-bit words). */
    DataOff = 12,
    Flags = 13,
    Window = 14,
    Checksum = 16,
    Urgent = 18,
}

export const TCP_HEADER_LEN = 20
/** The header with the MSS option (kind 2, length 4), as this client sends its SYN. */
export const TCP_SYN_HEADER_LEN = 24

/** Control bits (RFC 9293 §3.1; CWR/ECE of RFC 3168 are never set here and ignored on input). */
export const enum TcpFlag {
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
}

export const enum TcpOption {
    End = 0,
    Nop = 1,
    Mss = 2,
}

/**
 * `len` bytes of IP payload at `off`: at least a header, a data offset within it, and a checksum
 * that sums to all ones with the pseudo-header (src, dst, zero, protocol 6, TCP length).
 */
export function tcpCheck(buf: Buffer, off: number, len: number, src: number, dst: number): WireError {
    if (len < TCP_HEADER_LEN || off + len > buf.length) return WireError.Truncated
    const hl = tcpHeaderLen(buf, off)
    if (hl < TCP_HEADER_LEN || hl > len) return WireError.BadHeaderLength
    const ph = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + len
    if (onesSum(buf, off, len, (ph & 0xffff) + (ph >>> 16)) !== 0xffff) return WireError.BadChecksum
    return WireError.Ok
}

/** The header's length in bytes (its data offset). */
export function tcpHeaderLen(buf: Buffer, off: number): number {
    return (buf[off + TcpField.DataOff] >> 4) * 4
}

/**
 * The MSS option's value in the options of the checked header at `off`, or 0 when absent. Options
 * are walked by their length byte (RFC 9293 §3.2: unknown kinds are skipped); a length below 2 or
 * past the header ends the walk (RFC 9293 §3.1 MUST-7: never crash on an illegal length).
 */
export function tcpMssOption(buf: Buffer, off: number): number {
    const end = off + tcpHeaderLen(buf, off)
    let i = off + TCP_HEADER_LEN
    while (i < end) {
        const kind = buf[i]
        if (kind === TcpOption.End) break
        if (kind === TcpOption.Nop) {
            i++
            continue
        }
        if (i + 1 >= end) break
        const l = buf[i + 1]
        if (l < 2 || i + l > end) break
        if (kind === TcpOption.Mss && l === 4) return getU16(buf, i + 2)
        i += l
    }
    return 0
}

/** Sequence numbers the control bits take: one each for SYN and FIN (flags 2 and 1, RFC 9293 §3.4). */
export function tcpSegLen(dataLen: number, flags: number): number {
    return dataLen + ((flags >> 1) & 1) + (flags & 1)
}

/**
 * Bytes 4-19 of the header in `h` (the ports, 0-3, are the caller's): sequence and acknowledgment
 * numbers, data offset (`hl` bytes), control bits, window, a zero checksum (IPv4 output finishes it
 * over the pseudo-header) and a zero urgent pointer.
 */
export function tcpEmit(h: Buffer, seq: number, ack: number, hl: number, flags: number, win: number): void {
    setU32(h, 4, seq)
    setU32(h, 8, ack)
    h[12] = hl << 2
    h[13] = flags
    setU16(h, 14, win)
    h.fillAt(16, 4, 0)
}
