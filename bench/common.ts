// Shared by the DeviceScript benchmark programs (bench/*.ts) and the memory variants that
// host/bench/run.ts generates: the stack configurations that are measured, built the way the tests
// build them (test/support/config.ts, static ARP entries so that no resolution ever happens).
//
// Output protocol (read by host/bench/run.ts): every result is one console line
// "@@bench <kind> key=value key=value ...", the last line of a program is "@@bench:done".

import * as ds from "@devicescript/core"
import { StackConfig } from "../src/config/types"
import { NetStack } from "../src/stack"
import { TestDevice } from "../src/dev/testdev"
import { XmitStatus } from "../src/dev/netdev"
import { addRule, Verdict } from "../src/ipv4/hooks"
import { testConfig, BOARD_IP, COLLECTOR_IP } from "../test/support/config"

export const BOARD_MAC = hex`02 00 5e 10 00 0a`
export const COLLECTOR_MAC = hex`02 00 5e 10 00 14`
export const ROUTER_MAC = hex`02 00 5e 10 00 fe`
/** 192.0.2.254: the gateway of the extra routes in the "fib32" configuration. */
export const ROUTER_IP = 0xc00002fe
/** 198.51.100.77: reached through the last route of the "fib32" configuration. */
export const FAR_IP = 0xc6336477
export const SRC_PORT = 5000
export const DST_PORT = 8125

/** The configurations measured; "default" is test/support/config.ts (= devicescript.json's table sizes). */
export const enum Cfg {
    /** qdisc 16/6144, pending 8/4608, 8 neighbours, FIB 8, 8 hook rules; collector in a static ARP entry. */
    Default = 0,
    /** Default + 8 non-matching rules in LOCAL_OUT and 8 in POST_ROUTING. */
    Hooks8 = 1,
    /** FIB of 32 routes (connected + default + 30), the destination matched by the last-scanned slot. */
    Fib32 = 2,
    /** Neighbour table of 32 entries, all PERMANENT, the destination's entry last. */
    Arp32 = 3,
}

export function cfgName(c: Cfg): string {
    switch (c) {
        case Cfg.Default:
            return "default"
        case Cfg.Hooks8:
            return "hooks8"
        case Cfg.Fib32:
            return "fib32"
        case Cfg.Arp32:
            return "arp32"
    }
    return "?"
}

/** The destination a configuration sends to. */
export function cfgDest(c: Cfg): number {
    return c === Cfg.Fib32 ? FAR_IP : COLLECTOR_IP
}

export function makeConfig(c: Cfg): StackConfig {
    const cfg = testConfig()
    if (c === Cfg.Fib32) {
        cfg.fibCapacity = 32
        // slots 0 and 1 are the connected and default routes (setAddress); 29 routes that do not
        // match, then the one that does, in the last slot
        for (let i = 0; i < 29; i++)
            cfg.routes.push({ dest: (0x0a000000 + i * 0x10000) >>> 0, prefix: 16, gateway: ROUTER_IP, kind: "unicast", metric: 0, ttl: 0 })
        cfg.routes.push({ dest: 0xc6336400, prefix: 24, gateway: ROUTER_IP, kind: "unicast", metric: 0, ttl: 0 })
        cfg.arp.push({ ip: ROUTER_IP, mac: ROUTER_MAC })
    } else if (c === Cfg.Arp32) {
        cfg.neighCapacity = 32
        for (let i = 0; i < 31; i++) {
            const mac = Buffer.alloc(6)
            mac.blitAt(0, COLLECTOR_MAC, 0, 6)
            mac[5] = 0x80 + i
            cfg.arp.push({ ip: (0xc0000240 + i) >>> 0, mac: mac })
        }
        cfg.arp.push({ ip: COLLECTOR_IP, mac: COLLECTOR_MAC })
    } else {
        cfg.arp.push({ ip: COLLECTOR_IP, mac: COLLECTOR_MAC })
    }
    return cfg
}

/** The stack on a TestDevice that only copies each frame into its sink buffer. */
export function makeStack(c: Cfg): NetStack {
    const cfg = makeConfig(c)
    const dev = new TestDevice(cfg.mac, cfg.mtu)
    dev.keepFrames = false
    const stack = new NetStack(cfg, dev)
    dev.openNow(stack)
    if (c === Cfg.Hooks8) {
        // each rule fails on its last test (destination port), so all five fields are compared
        for (let i = 0; i < 8; i++) {
            addRule(stack.ip.localOut, { src: BOARD_IP, dst: COLLECTOR_IP, protocol: 17, srcPort: SRC_PORT, dstPort: 9000 + i, verdict: Verdict.Drop })
            addRule(stack.ip.postRouting, { src: BOARD_IP, dst: COLLECTOR_IP, protocol: 17, srcPort: SRC_PORT, dstPort: 9100 + i, verdict: Verdict.Drop })
        }
    }
    return stack
}

/** A payload of `len` bytes with a pattern (the content does not matter for the cost). */
export function makePayload(len: number): Buffer {
    const b = Buffer.alloc(len)
    for (let i = 0; i < len; i++) b[i] = (i * 7 + 3) & 0xff
    return b
}

export function report(line: string): void {
    console.log("@@bench " + line)
}

export async function yieldNow(): Promise<void> {
    await ds.sleep(0)
}

// ---------------------------------------------------------------- the hand-written baseline

/** A big-endian IPv4 address as getAt(.., "u32") reads its four bytes (little-endian). */
function leOf(a: number): number {
    return (((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24)) >>> 0
}
const HAND_SRC = leOf(BOARD_IP)
const HAND_DST = leOf(COLLECTOR_IP)
let handIdent = 1

/**
 * One function, no helpers: Ethernet + IPv4 + UDP headers with both checksums for `plen` payload
 * bytes, built in `b` (1,514 bytes), then the frame to the device. Sums are little-endian 32-bit
 * reads, byte-swapped at the end (RFC 1071 §2(B)), as the stack does.
 */
export async function handSend(dev: TestDevice, b: Buffer, payload: Buffer, plen: number): Promise<XmitStatus> {
    b.blitAt(0, COLLECTOR_MAC, 0, 6)
    b.blitAt(6, BOARD_MAC, 0, 6)
    b[12] = 0x08
    b[13] = 0x00
    const total = 28 + plen
    b[14] = 0x45
    b[15] = 0
    b[16] = total >> 8
    b[17] = total & 0xff
    const id = handIdent
    handIdent = id >= 0xffff ? 1 : id + 1
    b[18] = id >> 8
    b[19] = id & 0xff
    b[20] = 0x40
    b[21] = 0
    b[22] = 64
    b[23] = 17
    b[24] = 0
    b[25] = 0
    b.setAt(26, "u32", HAND_SRC)
    b.setAt(30, "u32", HAND_DST)
    let s = b.getAt(14, "u32") + b.getAt(18, "u32") + b.getAt(22, "u32") + HAND_SRC + HAND_DST
    while (s > 0xffff) {
        const h = Math.floor(s / 0x10000)
        s = s - h * 0x10000 + h
    }
    let c = ~(((s & 0xff) << 8) | (s >> 8)) & 0xffff
    b[24] = c >> 8
    b[25] = c & 0xff
    const ulen = 8 + plen
    b[34] = SRC_PORT >> 8
    b[35] = SRC_PORT & 0xff
    b[36] = DST_PORT >> 8
    b[37] = DST_PORT & 0xff
    b[38] = ulen >> 8
    b[39] = ulen & 0xff
    b[40] = 0
    b[41] = 0
    b.blitAt(42, payload, 0, plen)
    // pseudo-header (src, dst, 0/17, length) as little-endian words, then the UDP header + payload
    s = HAND_SRC + HAND_DST + 0x1100 + (((ulen & 0xff) << 8) | (ulen >> 8))
    const end = 34 + ulen
    const end4 = 34 + (ulen & ~3)
    let i = 34
    while (i < end4) {
        s += b.getAt(i, "u32")
        i += 4
    }
    if (i + 2 <= end) {
        s += b.getAt(i, "u16")
        i += 2
    }
    if (i < end) s += b[i]
    while (s > 0xffff) {
        const h = Math.floor(s / 0x10000)
        s = s - h * 0x10000 + h
    }
    c = ~(((s & 0xff) << 8) | (s >> 8)) & 0xffff
    if (c === 0) c = 0xffff
    b[40] = c >> 8
    b[41] = c & 0xff
    return await dev.startXmit(b, 0, 14 + total)
}
