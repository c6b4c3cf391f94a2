import * as ds from "@devicescript/core"
// A DHCP client on a test stack (TestDevice, manual clock) joined to a virtual LAN segment with a
// scripted DHCP server (src/sim/dhcpd.ts) behind a VirtualHost at 192.0.2.1.

import { makeRig, Rig, BOARD_MAC } from "../support/rig"
import { Segment, LanPort } from "../../src/sim/lan"
import { VirtualHost } from "../../src/sim/host"
import { DhcpServer } from "../../src/sim/dhcpd"
import { DhcpClient, DhcpOptions, DhcpMib, findOption, formatDhcp } from "../../src/dhcp/client"
import { setU32 } from "../../src/wire/bytes"

export const SERVER_IP = 0xc0000201 // 192.0.2.1
export const SERVER_MAC = hex`02 00 5e 00 00 01`
export const OFFERED = 0xc0000232 // 192.0.2.50

class RigPort implements LanPort {
    constructor(readonly rig: Rig) {}
    receiveFromWire(f: Buffer, off: number, len: number): void {
        this.rig.dev.inject(f.slice(off, off + len))
    }
}

export class DhcpRig {
    readonly rig: Rig
    readonly seg = new Segment()
    readonly port: RigPort
    readonly host: VirtualHost
    readonly server: DhcpServer
    readonly client: DhcpClient
    /** Every frame the board sent, in order, since the last take(). */
    sent: Buffer[] = []

    /** `opts` null: no client (the test starts one, e.g. with startDhcp). */
    constructor(opts: DhcpOptions, silent?: boolean) {
        this.rig = makeRig(c => {
            c.address = 0
            c.gateway = 0
        })
        this.port = new RigPort(this.rig)
        this.seg.attach(this.port)
        this.host = new VirtualHost(this.seg, SERVER_MAC, SERVER_IP, 400)
        this.server = new DhcpServer(this.seg, this.host, {
            pool: OFFERED,
            prefix: 24,
            router: SERVER_IP,
            leaseSec: 600,
            dns: [0xc0000202, 0xc0000203],
            ntp: [0xc0000204],
            domain: "lan",
            mtu: 1400,
        })
        this.server.silent = !!silent
        if (opts === null) return
        this.client = new DhcpClient(this.rig.stack, opts)
        this.client.random = () => 0.5
        const c = this.client
        this.rig.stack.reports.push(() => formatDhcp(c))
    }

    now(): number {
        return this.rig.t
    }

    /** Everything the board queued goes on the wire (and what that brings back is received), until quiet. */
    async pump(): Promise<void> {
        for (let k = 0; k < 10; k++) {
            await this.rig.flush()
            const fs = this.rig.take()
            if (fs.length === 0) return
            for (let i = 0; i < fs.length; i++) {
                this.sent.push(fs[i])
                this.seg.transmit(this.port, fs[i], 0, fs[i].length)
            }
        }
    }

    /** Move the clock by `ms` in 100 ms steps: stack timers, client timers, the wire. */
    async run(ms: number): Promise<void> {
        for (let t = 0; t < ms; t += 100) {
            this.rig.advance(100)
            this.client.tick(this.rig.t)
            await this.pump()
            // the step budget is per fiber run: yield
            await ds.sleep(0)
        }
    }

    /** The frames the board sent since the last call. */
    take(): Buffer[] {
        const s = this.sent
        this.sent = []
        return s
    }

    /** The board's DHCP messages (UDP 68 -> 67) since the last take(), others dropped. */
    dhcp(): Buffer[] {
        const out: Buffer[] = []
        const s = this.take()
        for (let i = 0; i < s.length; i++) if (s[i].length >= 42 && s[i][12] === 8 && s[i][23] === 17 && s[i][37] === 67) out.push(s[i])
        return out
    }
}

export { BOARD_MAC }

// ---------------------------------------------------------------------------------------------
// Mutated server replies (test/dhcp/robust.test.ts and the `npm run fuzz` target test/fuzz/proto-dhcp.ts):
// `rnd()` is the caller's seeded generator, a non-negative 31-bit integer.

/** A server reply (OFFER 2, ACK 5, NAK 6) with transaction ID `xid` and a full set of options. */
export function dhcpReply(type: number, xid: number): Buffer {
    const m = Buffer.alloc(300)
    m[0] = 2
    m[1] = 1
    m[2] = 6
    setU32(m, 4, xid)
    setU32(m, 16, OFFERED)
    m.blitAt(28, BOARD_MAC, 0, 6)
    setU32(m, 236, 0x63825363)
    const opts = hex`35 01 00 36 04 c0 00 02 01 33 04 00 00 02 58 01 04 ff ff ff 00 03 04 c0 00 02 01 06 08 c0 00 02 02 c0 00 02 03 0f 03 6c 61 6e ff`
    m.blitAt(240, opts, 0, opts.length)
    m[242] = type
    return m
}

/** Every counter a received message may end in, added up. */
export function dhcpCounted(d: DhcpRig): number {
    const s = d.client.stats
    return s[DhcpMib.errors] + s[DhcpMib.ignored] + s[DhcpMib.offers] + s[DhcpMib.acks] + s[DhcpMib.naks]
}

/**
 * A mutated reply to XID 0x80000000 (or one bit off it): a few random option bytes, sometimes an
 * overload option (52) with garbage in sname/file, sometimes truncated. `out[0]` is its length.
 */
export function dhcpMutatedReply(rnd: () => number, out: number[]): Buffer {
    const type = [2, 5, 6][rnd() % 3]
    const m = dhcpReply(type, (rnd() & 1) === 0 ? 0x80000000 : 0x80000000 ^ (1 << rnd() % 32))
    const n = 1 + (rnd() % 6)
    for (let i = 0; i < n; i++) m[240 + (rnd() % 60)] = rnd() & 0xff
    if (rnd() % 4 === 0) {
        m[240 + (rnd() % 40)] = 52
        for (let i = 0; i < 8; i++) m[44 + (rnd() % 192)] = rnd() & 0xff
    }
    out[0] = rnd() % 5 === 0 ? rnd() % 301 : 300
    return m
}

/** How many findOption answers for a spread of codes point outside the message's `len` bytes. */
export function dhcpOptionsOutside(rnd: () => number, m: Buffer, len: number): number {
    let outside = 0
    for (let code = 0; code < 257; code += 1 + (rnd() % 40)) {
        const at = findOption(m, 0, len, code)
        if (at >= 0 && (at < 2 || at + m[at - 1] > len)) outside++
    }
    return outside
}
