// The soak's view of the device boundary: a NetDevice that forwards everything to the driver and
// counts each frame handed to ndo_start_xmit by what it carries (UDP, ICMP, ARP, other) and by the
// driver's answer (Ok, Busy, LinkDown, Error). The stack's own counters (tx_packets, tx_dropped)
// count the same events without the protocol; the soak checks that both agree.

import { NetDevice, NetDeviceOwner, XmitStatus } from "../../src/dev/netdev"

export const enum Cls {
    Udp = 0,
    Icmp = 1,
    Arp = 2,
    Other = 3,
}

export const CLS_NAMES = ["udp", "icmp", "arp", "other"]
export const STATUS_NAMES = ["ok", "busy", "link_down", "error"]

/** What a frame carries (Ethernet II, IPv4 protocol). */
export function classify(f: Buffer, off: number, len: number): number {
    if (len < 14) return Cls.Other
    const type = (f[off + 12] << 8) | f[off + 13]
    if (type === 0x0806) return Cls.Arp
    if (type !== 0x0800 || len < 34) return Cls.Other
    const p = f[off + 23]
    return p === 17 ? Cls.Udp : p === 1 ? Cls.Icmp : Cls.Other
}

export class LedgerDevice implements NetDevice {
    readonly name: string
    readonly mac: Buffer
    readonly mtu: number
    readonly counterNames: string
    /** The inner device's, copied by open(). */
    bringUp = ""
    /** counts[cls * 4 + status] */
    readonly counts: number[] = []

    constructor(readonly inner: NetDevice) {
        this.name = inner.name
        this.counterNames = inner.counterNames
        this.mac = inner.mac
        this.mtu = inner.mtu
        for (let i = 0; i < 16; i++) this.counts.push(0)
    }

    async open(owner: NetDeviceOwner): Promise<void> {
        await this.inner.open(owner)
        this.bringUp = this.inner.bringUp
    }
    async stop(): Promise<void> {
        await this.inner.stop()
    }
    carrier(): boolean {
        return this.inner.carrier()
    }
    async startXmit(frame: Buffer, off: number, len: number): Promise<XmitStatus> {
        const c = classify(frame, off, len)
        const st = await this.inner.startXmit(frame, off, len)
        this.counts[c * 4 + st]++
        return st
    }
    counters(): number[] {
        return this.inner.counters()
    }

    count(cls: number, status: number): number {
        return this.counts[cls * 4 + status]
    }

    /** Frames of `cls` the driver took or dropped (every answer but Busy, which requeues). */
    fates(cls: number): number {
        return this.counts[cls * 4 + XmitStatus.Ok] + this.counts[cls * 4 + XmitStatus.LinkDown] + this.counts[cls * 4 + XmitStatus.Error]
    }
}
