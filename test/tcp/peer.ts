// A scripted TCP peer on the virtual LAN: the collector (192.0.2.20, 02:00:5e:10:00:14) builds the
// segments it sends to the board byte by byte, with checksums computed here from RFC 1071 §1
// (test/support/ref.ts style), and reads the board's segments field by field.

import { makeRig, Rig, BOARD_MAC, COLLECTOR_MAC } from "../support/rig"
import { BOARD_IP, COLLECTOR_IP } from "../support/config"
import { be16, be32 } from "../support/ref"
import { tcpTable, TcpConfig, TcpTable } from "../../src/tcp/table"
import { TcpConn } from "../../src/tcp/conn"

export const SYN = 0x02
export const RST = 0x04
export const PSH = 0x08
export const ACK = 0x10
export const FIN = 0x01
export const PEER_PORT = 1883

/** A rig whose collector's MAC is static (no ARP), with TCP on it. */
export function tcpRig(): Rig {
    return makeRig(c => {
        c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
    })
}

/** TCP on the rig's stack, the defaults changed by `mutate`. */
export function tcpOf(rig: Rig, mutate?: (k: TcpConfig) => void): TcpTable {
    const k = new TcpConfig()
    if (mutate) mutate(k)
    return tcpTable(rig.stack, k)
}

function sumWords(b: Buffer, off: number, len: number, s: number): number {
    for (let i = 0; i < len; i += 2) {
        s += b[off + i] * 256 + (i + 1 < len ? b[off + i + 1] : 0)
        if (s > 0xffff) s -= 0xffff
    }
    return s
}

/** RFC 9293 §3.1: the checksum over the pseudo-header and the segment, as the field should hold it. */
export function refTcpChecksum(b: Buffer, off: number, len: number, src: number, dst: number, skipField: boolean): number {
    let s = 0
    const words = [src >>> 16, src & 0xffff, dst >>> 16, dst & 0xffff, 6, len]
    for (const w of words) {
        s += w
        if (s > 0xffff) s -= 0xffff
    }
    s = sumWords(b, off, 16, s)
    if (!skipField) s = sumWords(b, off + 16, 2, s)
    s = sumWords(b, off + 18, len - 18, s)
    return ~s & 0xffff
}

export function put32(b: Buffer, off: number, v: number): void {
    b[off] = (v >>> 24) & 0xff
    b[off + 1] = (v >>> 16) & 0xff
    b[off + 2] = (v >>> 8) & 0xff
    b[off + 3] = v & 0xff
}

/** A frame from the collector's `sport` to the board's `dport`: options (a multiple of 4) and data. */
export function segment(sport: number, dport: number, seq: number, ack: number, flags: number, win: number, opts: Buffer, data: Buffer): Buffer {
    const olen = opts ? opts.length : 0
    const dlen = data ? data.length : 0
    const tl = 20 + olen + dlen
    const f = Buffer.alloc(14 + 20 + tl)
    f.blitAt(0, BOARD_MAC, 0, 6)
    f.blitAt(6, COLLECTOR_MAC, 0, 6)
    f[12] = 0x08
    f[14] = 0x45
    f[16] = (20 + tl) >> 8
    f[17] = (20 + tl) & 0xff
    f[20] = 0x40
    f[22] = 64
    f[23] = 6
    put32(f, 26, COLLECTOR_IP)
    put32(f, 30, BOARD_IP)
    const ic = sumWords(f, 14, 20, 0)
    f[24] = (~ic >> 8) & 0xff
    f[25] = ~ic & 0xff
    const t = 34
    f[t] = sport >> 8
    f[t + 1] = sport & 0xff
    f[t + 2] = dport >> 8
    f[t + 3] = dport & 0xff
    put32(f, t + 4, seq)
    put32(f, t + 8, ack)
    f[t + 12] = ((20 + olen) / 4) << 4
    f[t + 13] = flags
    f[t + 14] = win >> 8
    f[t + 15] = win & 0xff
    if (olen > 0) f.blitAt(t + 20, opts, 0, olen)
    if (dlen > 0) f.blitAt(t + 20 + olen, data, 0, dlen)
    const c = refTcpChecksum(f, t, tl, COLLECTOR_IP, BOARD_IP, true)
    f[t + 16] = c >> 8
    f[t + 17] = c & 0xff
    return f
}

/** The fields of a frame the board sent (IPv4 without options: TCP at 34). */
export class Seg {
    constructor(readonly f: Buffer) {}
    sport(): number {
        return be16(this.f, 34)
    }
    dport(): number {
        return be16(this.f, 36)
    }
    seq(): number {
        return be32(this.f, 38)
    }
    ack(): number {
        return be32(this.f, 42)
    }
    hlen(): number {
        return (this.f[46] >> 4) * 4
    }
    flags(): number {
        return this.f[47]
    }
    win(): number {
        return be16(this.f, 48)
    }
    dataLen(): number {
        return be16(this.f, 16) - 20 - this.hlen()
    }
    /** Data byte i. */
    data(i: number): number {
        return this.f[34 + this.hlen() + i]
    }
    /** The checksum is right (summed here, field included). */
    csumOk(): boolean {
        return refTcpChecksum(this.f, 34, be16(this.f, 16) - 20, BOARD_IP, COLLECTOR_IP, false) === 0
    }
}

/** Hand the queued frames to the device and return them as segments. */
export async function sent(rig: Rig): Promise<Seg[]> {
    await rig.flush()
    const fs = rig.take()
    const r: Seg[] = []
    for (const f of fs) r.push(new Seg(f))
    return r
}

export function add32(a: number, b: number): number {
    // DeviceScript's % works on int32: >>> 0 wraps instead
    return (a + b) >>> 0
}

export const PEER_ISS = 0x10203040

/**
 * Connect and answer the SYN after `rttMs` with SYN-ACK (MSS `mss`, window `win`): an ESTABLISHED
 * connection whose SYN and ACK have been taken off the device.
 */
export async function established(rig: Rig, t: TcpTable, mss: number, win: number, rttMs: number): Promise<TcpConn> {
    const c = t.connect(COLLECTOR_IP, PEER_PORT)
    await sent(rig)
    rig.t += rttMs
    const o = Buffer.alloc(4)
    o[0] = 2
    o[1] = 4
    o[2] = mss >> 8
    o[3] = mss & 0xff
    rig.dev.inject(segment(PEER_PORT, c.localPort, PEER_ISS, add32(c.iss, 1), SYN | ACK, win, o, null))
    await sent(rig)
    return c
}

/** From the peer: an ACK (with `data` if given) at the peer's sequence `seq` acknowledging `ack`. */
export function peerSeg(c: TcpConn, seq: number, ack: number, flags: number, win: number, data: Buffer): Buffer {
    return segment(PEER_PORT, c.localPort, seq, ack, flags, win, null, data)
}
