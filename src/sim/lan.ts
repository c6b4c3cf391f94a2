// The simulator's virtual LAN: one Ethernet segment (a hub) that chip models, scripted peers and
// taps (pcap, host bridge) attach to. A frame sent by one port is delivered to every other port,
// synchronously, as `len` bytes at `off` (no FCS); receivers copy what they keep.

export interface LanPort {
    /** A frame from the wire. The buffer is the sender's, valid for this call only. */
    receiveFromWire(frame: Buffer, off: number, len: number): void
}

/**
 * A port that joins the segment to something outside the simulator (hostlink.ts: the host bridge
 * and a Linux TAP interface behind it).
 */
export interface SegmentLink extends LanPort {
    /** The link is down for good; lastError says why. */
    failed: boolean
    lastError: string
    /** Its counters, one line. */
    summary(): string
    stop(): void
}

/** Observes every frame on the segment (pcap writer, host bridge, test recorders). */
export type LanTap = (frame: Buffer, off: number, len: number) => void

export class Segment {
    readonly ports: LanPort[] = []
    readonly taps: LanTap[] = []
    frames = 0
    bytes = 0
    /** When false the cable is unplugged: frames are lost (and counted). */
    up = true
    lost = 0

    attach(p: LanPort): void {
        this.ports.push(p)
    }

    tap(t: LanTap): void {
        this.taps.push(t)
    }

    /** Put a frame on the wire from `from` (null for a tap-injected frame from outside). */
    transmit(from: LanPort, frame: Buffer, off: number, len: number): void {
        if (!this.up) {
            this.lost++
            return
        }
        this.frames++
        this.bytes += len
        for (let i = 0; i < this.taps.length; i++) this.taps[i](frame, off, len)
        for (let i = 0; i < this.ports.length; i++) {
            const p = this.ports[i]
            if (p !== from) p.receiveFromWire(frame, off, len)
        }
    }
}
