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
import { Verdict } from "../src/ipv4/hooks"
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
    if (c === Cfg.Hooks8) {
        // each rule fails on its last test (destination port), so all five fields are compared
        for (let i = 0; i < 8; i++) {
            stack.ip.localOut.addRule({ src: BOARD_IP, dst: COLLECTOR_IP, protocol: 17, srcPort: SRC_PORT, dstPort: 9000 + i, verdict: Verdict.Drop })
            stack.ip.postRouting.addRule({ src: BOARD_IP, dst: COLLECTOR_IP, protocol: 17, srcPort: SRC_PORT, dstPort: 9100 + i, verdict: Verdict.Drop })
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
