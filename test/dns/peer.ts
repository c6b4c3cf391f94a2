// A scripted UDP peer for the resolver and SNTP tests: frames from a server to the board, built
// here with the reference checksum (test/support/ref.ts), and the board's datagrams read back.

import { refChecksum } from "../support/ref"
import { BOARD_MAC } from "../support/rig"
import { BOARD_IP } from "../support/config"

export const NS1_IP = 0xc0000235 // 192.0.2.53
export const NS1_MAC = hex`02 00 5e 10 00 35`
export const NS2_IP = 0xc0000236 // 192.0.2.54
export const NS2_MAC = hex`02 00 5e 10 00 36`

/** Ethernet + IPv4 + UDP (no UDP checksum, RFC 768) from `srcIp:srcPort` to the board's `dstPort`. */
export function udpToBoard(srcMac: Buffer, srcIp: number, srcPort: number, dstPort: number, payload: Buffer): Buffer {
    const n = payload.length
    const f = Buffer.alloc(14 + 20 + 8 + n)
    f.blitAt(0, BOARD_MAC, 0, 6)
    f.blitAt(6, srcMac, 0, 6)
    f[12] = 0x08
    f[14] = 0x45
    f[16] = (20 + 8 + n) >> 8
    f[17] = (20 + 8 + n) & 0xff
    f[22] = 64
    f[23] = 17
    for (let i = 0; i < 4; i++) {
        f[26 + i] = (srcIp >>> (24 - 8 * i)) & 0xff
        f[30 + i] = (BOARD_IP >>> (24 - 8 * i)) & 0xff
    }
    const c = refChecksum(f, 14, 20)
    f[24] = c >> 8
    f[25] = c & 0xff
    f[34] = srcPort >> 8
    f[35] = srcPort & 0xff
    f[36] = dstPort >> 8
    f[37] = dstPort & 0xff
    f[38] = (8 + n) >> 8
    f[39] = (8 + n) & 0xff
    f.blitAt(42, payload, 0, n)
    return f
}

/** The UDP payload of a frame the board sent (IPv4 without options). */
export function payloadOf(f: Buffer): Buffer {
    return f.slice(42, f.length)
}

/** `b` with its first two bytes replaced by those at `idOff` of `from` (a reply's ID from the query). */
export function withId(b: Buffer, from: Buffer): Buffer {
    const r = Buffer.alloc(b.length)
    r.blitAt(0, b, 0, b.length)
    r[0] = from[0]
    r[1] = from[1]
    return r
}
