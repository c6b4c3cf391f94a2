// Starting the DHCP client from the configuration (interface.address "dhcp"), with the last lease
// remembered in the runtime's settings service (stored as @devicescript/settings stores a JSON
// number, so readSetting("dhcp.last") reads it). The settings client is made when the client starts,
// not at import (as @devicescript/settings does): a static firmware imports this file and runs none of it.

import * as ds from "@devicescript/core"
import { StackConfig } from "./config/types"
import { NetStack } from "./stack"
import { DhcpClient, DhcpLease, formatDhcp } from "./dhcp/client"

/** The settings key of the last lease's address (INIT-REBOOT after a restart). */
const LAST_LEASE_KEY = "dhcp.last"

/**
 * The DHCP client devicescript.json's `interface.address: "dhcp"` and `dhcp` describe, started;
 * its state and lease in formatStack(stack). Returns at once: the last lease's address is read from
 * @devicescript/settings (at most 1 s) in the client's own fiber before it begins, and every new
 * lease's address is written back. `onLease` (optional) gets each lease and null when it is lost.
 */
export function startDhcp(stack: NetStack, config: StackConfig, onLease?: (lease: DhcpLease) => void): DhcpClient {
    const c = startDhcpClient(stack, config, onLease)
    stack.reports.push(() => formatDhcp(c))
    return c
}

/**
 * startDhcp() without the client's lines in formatStack(stack): the board firmware (main.ts), which
 * never prints them, links none of their code (0.4 KB).
 */
export function startDhcpClient(stack: NetStack, config: StackConfig, onLease?: (lease: DhcpLease) => void): DhcpClient {
    const d = config.dhcp
    const c = new DhcpClient(stack, {
        hostName: d.hostName,
        baseMs: d.retransmitMs,
        fallbackMs: d.fallbackMs,
        fallbackAddress: d.fallbackAddress,
        fallbackPrefix: config.prefix,
        fallbackGateway: config.gateway,
    })
    let saved = 0
    c.onLease = lease => {
        if (lease !== null && lease.address !== saved) {
            saved = lease.address
            writeLastLease.start(saved)
        }
        if (onLease) onLease(lease)
    }
    dhcpBoot.start(c)
    return c
}

let store: ds.Settings = null

async function writeLastLease(addr: number): Promise<void> {
    try {
        await store.set(LAST_LEASE_KEY, Buffer.from("" + addr))
    } catch (e) {}
}

/**
 * The last lease's address from the settings service, 0 when none was stored or the service did not
 * answer within `ms` (the wait is bounded; the reader fiber is left to finish on its own).
 */
export async function readLastLease(ms: number): Promise<number> {
    let last = -1
    if (store === null) store = new ds.Settings()
    const reader = async () => {
        try {
            const pkt = await ds.actionReport(store, "get", async () => await store.get(LAST_LEASE_KEY), p => p.decode()[0] === LAST_LEASE_KEY)
            const b: Buffer = pkt.decode()[1]
            const v = b && b.length > 0 ? parseInt(b.toString()) : 0
            last = isNaN(v) ? 0 : v
        } catch (e) {
            last = 0
        }
    }
    reader.start()
    for (let k = 0; k < ms / 20 && last < 0; k++) await ds.sleep(20)
    return last > 0 ? last : 0
}

async function dhcpBoot(c: DhcpClient): Promise<void> {
    c.lastAddress = await readLastLease(1000)
    c.start()
}
