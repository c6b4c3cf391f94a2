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
 * answer within `ms`. The report is taken the way core's Role._onPacket (jacdac.ts) hands an
 * action's report to the fiber in `_reportHandlers[action]`, not by ds.actionReport: its
 * `.subscribe(` would link every library's subscribe (gpio's pin watcher and all of timeouts.ts,
 * 2 KB). One reader at a time; the request is sent from its own fiber so the wait stays bounded.
 */
export async function readLastLease(ms: number): Promise<number> {
    if (store === null) store = new ds.Settings()
    const role = store as any
    role._reportHandlers = { get: ds.Fiber.self() }
    const ask = async () => {
        try {
            await store.get(LAST_LEASE_KEY)
        } catch (e) {}
    }
    ask.start()
    const pkt = await ds.suspend<ds.Packet>(ms)
    // a report after the deadline must not resume this fiber elsewhere
    role._reportHandlers = null
    if (!pkt) return 0
    // the report: key, value (empty when none is stored: NaN, so 0)
    const r = pkt.decode()
    const v = r[0] === LAST_LEASE_KEY && r[1] ? parseInt(r[1].toString()) : 0
    return v > 0 ? v : 0
}

async function dhcpBoot(c: DhcpClient): Promise<void> {
    c.lastAddress = await readLastLease(1000)
    c.start()
}
