// A collector named in devicescript.json (`telemetry.collector: "collector.lan"`): the telemetry
// client starts at once with no destination (its rounds count as dropped, NoRoute, until the name
// resolves), a fiber resolves the name and points the socket at the answer, then resolves it again
// when the answer's TTL runs out, so a change of address is picked up without a restart. A failed
// lookup keeps the last address (RFC 8767's "serve stale") and tries again after 5 s, doubling up to
// a minute. With `ntp.servers`, an SNTP clock stamps Influx lines once it is synchronised.
//
// A firmware links this (and the resolver and clock) only when it calls startNamedTelemetry()
// (start.ts): main.ts does when the generated COLLECTOR_BY_NAME is true.

import * as ds from "@devicescript/core"
import { DnsResolver } from "../dns/resolver"
import { DnsOutcome } from "../dns/message"
import { SntpClient } from "../ntp/client"
import { TelemetryClient } from "./client"

/** @devsWhenUsed */
export class NamedCollector {
    /** Address changes seen (the first resolution included). */
    changes = 0
    /** The last resolution's outcome. */
    last = DnsOutcome.Timeout
    running = true
    /** The SNTP clock stamping the lines (ntp.servers), or null. */
    clock: SntpClient = null

    constructor(
        readonly telemetry: TelemetryClient,
        readonly dns: DnsResolver,
        readonly name: string,
        readonly port: number
    ) {}

    /** Resolve now, and again when the TTL runs out (or after a failure's back-off), until stop(). */
    async follow(): Promise<void> {
        const st = this.dns.clock
        let retry = 5000
        while (this.running) {
            const r = await this.dns.resolve(this.name)
            this.last = r.outcome
            let wait = retry
            if (r.outcome === DnsOutcome.Ok) {
                const s = this.telemetry.socket
                if (s.remoteAddr !== r.address) {
                    s.connect(r.address, this.port)
                    this.changes++
                }
                wait = r.ttlMs
                retry = 5000
            } else retry = Math.min(retry * 2, 60000)
            const until = st.now() + wait
            while (this.running && st.now() < until) await ds.sleep(Math.min(1000, until - st.now()))
        }
    }
}
