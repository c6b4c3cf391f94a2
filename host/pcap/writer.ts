// A pcap file writer (libpcap format: the 24-byte global header, then a 16-byte record header per
// frame), link type 1 (Ethernet), microsecond timestamps. Wireshark and tshark read it.

import * as fs from "node:fs"

export const LINKTYPE_ETHERNET = 1

export class PcapWriter {
    private readonly fd: number
    frames = 0

    constructor(readonly file: string, snaplen = 65535) {
        this.fd = fs.openSync(file, "w")
        const h = Buffer.alloc(24)
        h.writeUInt32LE(0xa1b2c3d4, 0) // magic: microsecond timestamps, little-endian file
        h.writeUInt16LE(2, 4) // version 2.4
        h.writeUInt16LE(4, 6)
        h.writeInt32LE(0, 8) // thiszone
        h.writeUInt32LE(0, 12) // sigfigs
        h.writeUInt32LE(snaplen, 16)
        h.writeUInt32LE(LINKTYPE_ETHERNET, 20)
        fs.writeSync(this.fd, h)
    }

    /** One frame (no FCS) at `timeMs` since the epoch. */
    write(frame: Buffer, timeMs: number): void {
        const r = Buffer.alloc(16)
        const sec = Math.floor(timeMs / 1000)
        r.writeUInt32LE(sec, 0)
        r.writeUInt32LE(Math.round((timeMs - sec * 1000) * 1000), 4)
        r.writeUInt32LE(frame.length, 8)
        r.writeUInt32LE(frame.length, 12)
        fs.writeSync(this.fd, r)
        fs.writeSync(this.fd, frame)
        this.frames++
    }

    close(): void {
        fs.closeSync(this.fd)
    }
}

/** Read a pcap file back (for tests): the frames, in order. */
export function readPcap(file: string): Buffer[] {
    const b = fs.readFileSync(file)
    if (b.length < 24 || b.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(file + ": not a little-endian microsecond pcap file")
    const out: Buffer[] = []
    let at = 24
    while (at + 16 <= b.length) {
        const incl = b.readUInt32LE(at + 8)
        if (at + 16 + incl > b.length) throw new Error(file + ": truncated record at byte " + at)
        out.push(b.subarray(at + 16, at + 16 + incl))
        at += 16 + incl
    }
    return out
}
