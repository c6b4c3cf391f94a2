// The board side of test/interop/dns-ntp.interop.ts: a chip model joined to the host bridge, the
// stack, the DNS resolver and the SNTP clock pointed at the namespace's dnsmasq and chronyd, and
// Influx telemetry to a collector given by name (telemetry/named.ts) stamped by that clock.
// Commands from the test in CONTROL records, answered the same way:
//   resolve <id> <name>  ->  resolved <id> <outcome> <a.b.c.d> <ttlMs>
//   sntp <id>            ->  sntp <id> <outcome> <offsetMs> <delayMs>
//   time                 ->  time <unix ms of the board's clock, -1 when not synchronised>
//   stats                ->  stats\n<dns and sntp counters, telemetry counters>
//   quit                 ->  bye
// Not a *.test.ts file: npm test does not run it on its own.

import { StackConfig } from "../../src/config/types"
import { NetDevice } from "../../src/dev/netdev"
import { Segment } from "../../src/sim/lan"
import { joinBridge } from "./board-link"
import { startStack, startTelemetry } from "../../src/start"
import { formatIpv4 } from "../../src/wire/addr"
import { DnsResolver, formatDnsStats } from "../../src/dns/resolver"
import { dnsOutcomeName } from "../../src/dns/message"
import { SntpClient, formatSntpStats } from "../../src/ntp/client"
import { NamedCollector } from "../../src/telemetry/named"

export async function runDnsNtpBoard(config: StackConfig, device: (segment: Segment) => NetDevice, host: string, port: number): Promise<void> {
    const board = await joinBridge(config, device, host, port)
    const reply = (text: string) => board.reply(text)
    const dev = board.dev
    const stack = await startStack(config, dev)
    const dns = new DnsResolver(stack.udp, { servers: config.dnsServers, timeoutMs: 1000, attempts: 2 })
    const clock = new SntpClient(stack.udp, { servers: config.ntpServers, timeoutMs: 1000, minPollMs: 2000, maxPollMs: 4000 })
    clock.start()
    const telemetry = startTelemetry(stack, config)
    telemetry.clock = clock
    const named = new NamedCollector(telemetry, dns, config.collectorName, config.collectorPort)
    named.follow.start()
    console.log("dns-ntp board: up, link " + (dev.carrier() ? "up" : "down"))
    reply("ready")

    await board.serve(async w => {
        if (w[0] === "resolve") {
            const r = await dns.resolve(w[2])
            reply("resolved " + w[1] + " " + dnsOutcomeName(r.outcome) + " " + formatIpv4(r.address) + " " + r.ttlMs)
        } else if (w[0] === "sntp") {
            const r = await clock.syncOnce()
            reply("sntp " + w[1] + " " + r + " " + clock.offsetMs + " " + clock.delayMs)
        } else if (w[0] === "time") {
            reply("time " + Math.round(clock.now()))
        } else if (w[0] === "stats") {
            let t = "stats\n" + formatDnsStats(dns.stats) + "\n" + formatSntpStats(clock.stats) + "\ntelemetry: sent " + telemetry.stats.datagrams_sent
            t += " dropped " + telemetry.stats.datagrams_dropped + " changes " + named.changes
            reply(t)
        } else reply("error unknown command " + w[0])
    })
    telemetry.stop()
    clock.stop()
    named.running = false
    board.finish("dns-ntp board")
}
