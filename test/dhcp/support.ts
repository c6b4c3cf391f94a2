import * as ds from "@devicescript/core"
// A DHCP client on a test stack (TestDevice, manual clock) joined to a virtual LAN segment with a
// scripted DHCP server (src/sim/dhcpd.ts) behind a VirtualHost at 192.0.2.1.

import { makeRig, Rig, BOARD_MAC } from "../support/rig"
import { Segment, LanPort } from "../../src/sim/lan"
import { VirtualHost } from "../../src/sim/host"
import { DhcpServer } from "../../src/sim/dhcpd"
import { DhcpClient, DhcpOptions } from "../../src/dhcp/client"

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
        this.rig.stack.reports.push(() => c.format())
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
