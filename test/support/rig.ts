import * as ds from "@devicescript/core"
// A stack on a TestDevice with a controllable clock, and builders for the frames peers send.

import { StackConfig } from "../../src/config/types"
import { NetStack } from "../../src/stack"
import { TestDevice } from "../../src/dev/testdev"
import { ArpRepr, ArpOperation, ARP_LEN } from "../../src/wire/arp"
import { ethernetEmit, EtherType, ETHERNET_HEADER_LEN } from "../../src/wire/ethernet"
import { getU16, getU32 } from "../../src/wire/bytes"
import { formatMac } from "../../src/wire/addr"
import { testConfig, BOARD_IP } from "./config"

export const BOARD_MAC = hex`02 00 5e 10 00 0a`
export const GATEWAY_MAC = hex`02 00 5e 10 00 01`
export const COLLECTOR_MAC = hex`02 00 5e 10 00 14`

export class Rig {
    t = 1000
    readonly stack: NetStack
    readonly dev: TestDevice

    constructor(cfg: StackConfig) {
        this.dev = new TestDevice(cfg.mac, cfg.mtu)
        this.stack = new NetStack(cfg, this.dev)
        // a TestDevice opens at once (no chip): the stack is its owner from here on
        this.dev.openNow(this.stack)
        const self = this
        this.stack.clock = () => self.t
    }

    /** Move the clock and run the timers. */
    advance(ms: number): void {
        this.t += ms
        this.stack.tick()
    }

    /** Hand everything queued to the device; returns the frames it received since the last take(). */
    async flush(): Promise<number> {
        return await this.stack.drain.run()
    }

    /** The frames the device got, and forget them. */
    take(): Buffer[] {
        const f = this.dev.frames
        this.dev.clear()
        return f
    }
}

/**
 * Tests in a file run in one fiber: yield between them (beforeEach) so the 128 Ki-step budget
 * applies to one test, as on a board where SPI and sleeps yield.
 */
export async function yieldToScheduler(): Promise<void> {
    await ds.sleep(0)
}

export function makeRig(mutate?: (c: StackConfig) => void): Rig {
    const c = testConfig()
    if (mutate) mutate(c)
    return new Rig(c)
}

/** An ARP frame from (senderMac, senderIp) to the board. */
export function arpFrame(op: number, senderMac: Buffer, senderIp: number, targetIp: number, ethDst?: Buffer): Buffer {
    const f = Buffer.alloc(ETHERNET_HEADER_LEN + ARP_LEN)
    const dst = ethDst || (op === ArpOperation.Request ? hex`ff ff ff ff ff ff` : BOARD_MAC)
    ethernetEmit(f, 0, dst, 0, senderMac, EtherType.Arp)
    const r = new ArpRepr()
    r.operation = op
    r.senderMac.blitAt(0, senderMac, 0, 6)
    r.senderIp = senderIp
    r.targetMac.blitAt(0, op === ArpOperation.Reply ? BOARD_MAC : hex`00 00 00 00 00 00`, 0, 6)
    r.targetIp = targetIp
    r.emit(f, ETHERNET_HEADER_LEN)
    return f
}

/** A reply from (mac, ip) to the board's request. */
export function arpReplyToBoard(mac: Buffer, ip: number): Buffer {
    return arpFrame(ArpOperation.Reply, mac, ip, BOARD_IP)
}

export function macAt(f: Buffer, off: number): string {
    return formatMac(f, off)
}

export const u16 = getU16
export const u32 = getU32
