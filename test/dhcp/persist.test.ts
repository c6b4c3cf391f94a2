import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler } from "../support/rig"
import { be32 } from "../support/ref"
import { testConfig } from "../support/config"
import { DhcpRig, OFFERED } from "./support"
import { DhcpClient, DhcpState, dhcpRelease } from "../../src/dhcp/client"
import { readLastLease, startDhcp } from "../../src/dhcpstart"

// startDhcp as the firmware runs it (its own fiber, @devicescript/settings): the lease's address is
// remembered, and the next start asks for it first (INIT-REBOOT, RFC 2131 §3.2).

/** Run the rig's clock and wire while the client's fiber ticks, until `done` (bounded). */
async function until(d: DhcpRig, done: () => boolean): Promise<void> {
    for (let k = 0; k < 600 && !done(); k++) {
        d.rig.advance(100)
        await d.pump()
        await ds.sleep(5)
    }
}

function config() {
    const c = testConfig()
    c.address = 0
    c.dhcp = { hostName: "", retransmitMs: 4000, fallbackMs: 0, fallbackAddress: 0 }
    return c
}

describe("dhcp: the last lease across restarts", () => {
    beforeEach(yieldToScheduler)

    test("a lease's address is written to settings; the next start asks for it first (REQUEST with option 50, no DISCOVER)", async () => {
        const d = new DhcpRig(null)
        const c: DhcpClient = startDhcp(d.rig.stack, config())
        await until(d, () => c.state === DhcpState.Bound)
        expect(c.state).toBe(DhcpState.Bound)
        expect(d.server.seen[0]).toBe(1)
        let saved = -1
        for (let k = 0; k < 100 && saved !== OFFERED; k++) {
            saved = await readLastLease(500)
            await ds.sleep(10)
        }
        expect(saved).toBe(OFFERED)
        await dhcpRelease(c)

        const e = new DhcpRig(null)
        const c2 = startDhcp(e.rig.stack, config())
        await until(e, () => c2.state === DhcpState.Bound)
        expect(c2.state).toBe(DhcpState.Bound)
        // INIT-REBOOT: the first message is a REQUEST for the remembered address
        expect(e.server.seen.join(",")).toBe("3")
        const first = e.dhcp()[0]
        expect(first[284]).toBe(3)
        expect(first[294]).toBe(50)
        expect(be32(first, 296)).toBe(OFFERED)
        expect(e.rig.stack.ifa.address).toBe(OFFERED)
        await dhcpRelease(c2)
    })
})
