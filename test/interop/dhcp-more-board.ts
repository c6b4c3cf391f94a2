// The board side of test/interop/dhcp-more.interop.ts (which generates the entry that calls it): as
// dhcp-board.ts, a chip model on a segment joined to the host bridge, the stack with the DHCP client
// (startDhcp) and telemetry to the collector, plus a command that starts DHCP afresh after a release
// (INIT, not INIT-REBOOT), so that one board can meet a second DHCP server. Commands from the test in
// CONTROL records, answered the same way:
//   stats    ->  stats\n<formatStack(stack)>\n<telemetry counters>
//   release  ->  released (DHCPRELEASE sent, the address gone)
//   again    ->  started (the client from INIT, no address asked for)
//   quit     ->  bye
// Each lease is reported as `lease <a.b.c.d> <prefix> <server> <leaseSec> <t1Sec>`, its loss as `lease none`.

import * as ds from "@devicescript/core"
import { StackConfig } from "../../src/config/types"
import { NetDevice } from "../../src/dev/netdev"
import { Segment } from "../../src/sim/lan"
import { HostLink, LinkRecord } from "../../src/sim/hostlink"
import { startStack, startTelemetry } from "../../src/start"
import { startDhcp } from "../../src/dhcpstart"
import { dhcpRelease } from "../../src/dhcp/client"
import { formatIpv4 } from "../../src/wire/addr"
import { formatStack } from "../../src/stackformat"

export async function runDhcpMoreBoard(config: StackConfig, device: (segment: Segment) => NetDevice, host: string, port: number): Promise<void> {
    const segment = new Segment()
    const dev = device(segment)
    const link = new HostLink(segment, config.mac, host, port)
    const commands: string[] = []
    link.onRecord = (type, b, off, len) => {
        if (type === LinkRecord.Control) commands.push(b.slice(off, off + len).toString())
    }
    if (!(await link.start())) throw new Error(link.lastError)
    const reply = (text: string) => {
        const b = Buffer.from(text)
        link.send(LinkRecord.Control, b, 0, b.length)
    }
    const stack = await startStack(config, dev)
    const dhcp = startDhcp(stack, config, lease => {
        if (lease === null) reply("lease none")
        else reply("lease " + formatIpv4(lease.address) + " " + lease.prefix + " " + formatIpv4(lease.server) + " " + lease.leaseSec + " " + lease.t1Sec)
    })
    const telemetry = startTelemetry(stack, config)
    reply("ready")
    let running = true
    for (let k = 0; k < 100000 && running && !link.failed; k++) {
        await ds.sleep(10)
        while (commands.length > 0 && running) {
            const w = commands.shift()
            if (w === "stats") {
                let t = "stats\n" + formatStack(stack) + "\ntelemetry: sent " + telemetry.stats.datagrams_sent
                reply(t + " dropped " + telemetry.stats.datagrams_dropped + " metrics_dropped " + telemetry.stats.metrics_dropped)
            } else if (w === "release") {
                await dhcpRelease(dhcp)
                reply("released")
            } else if (w === "again") {
                // the released client's fiber ends within its 100 ms tick: wait it out before a new one
                await ds.sleep(300)
                dhcp.lastAddress = 0
                dhcp.start()
                reply("started")
            } else if (w === "quit") running = false
            else reply("error unknown command " + w)
        }
    }
    telemetry.stop()
    reply("bye")
    link.stop()
}
