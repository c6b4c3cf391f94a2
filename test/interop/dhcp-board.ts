// The board side of the DHCP interop test (test/interop/dhcp.interop.ts generates the entry that
// calls it): a chip model on a segment joined to the host bridge, the stack with the DHCP client
// (startDhcp, as the firmware does with interface.address "dhcp"), telemetry to the collector.
// Commands from the test in CONTROL records, answered the same way:
//   stats    ->  stats\n<formatStack(stack)>\n<telemetry counters>
//   release  ->  released (DHCPRELEASE sent, the address gone)
//   quit     ->  bye
// Each lease is reported as `lease <a.b.c.d> <prefix> <server> <leaseSec> <t1Sec>`, its loss as `lease none`.

import { StackConfig } from "../../src/config/types"
import { NetDevice } from "../../src/dev/netdev"
import { Segment } from "../../src/sim/lan"
import { joinBridge } from "./board-link"
import { startStack, startTelemetry } from "../../src/start"
import { startDhcp } from "../../src/dhcpstart"
import { dhcpRelease } from "../../src/dhcp/client"
import { formatIpv4 } from "../../src/wire/addr"
import { formatStack } from "../../src/stackformat"

export async function runDhcpInteropBoard(config: StackConfig, device: (segment: Segment) => NetDevice, host: string, port: number): Promise<void> {
    const board = await joinBridge(config, device, host, port)
    const reply = (text: string) => board.reply(text)
    const stack = await startStack(config, board.dev)
    const dhcp = startDhcp(stack, config, lease => {
        if (lease === null) reply("lease none")
        else reply("lease " + formatIpv4(lease.address) + " " + lease.prefix + " " + formatIpv4(lease.server) + " " + lease.leaseSec + " " + lease.t1Sec)
    })
    const telemetry = startTelemetry(stack, config)
    reply("ready")
    await board.serve(async words => {
        const w = words.join(" ")
        if (w === "stats") {
            let t = "stats\n" + formatStack(stack) + "\ntelemetry: sent " + telemetry.stats.datagrams_sent
            reply(t + " dropped " + telemetry.stats.datagrams_dropped + " metrics_dropped " + telemetry.stats.metrics_dropped)
        } else if (w === "release") {
            await dhcpRelease(dhcp)
            reply("released")
        } else reply("error unknown command " + w)
    }, 100000)
    telemetry.stop()
    board.finish("dhcp board")
}
