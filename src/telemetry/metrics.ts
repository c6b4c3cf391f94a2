// The stack's own metrics for the telemetry client: uptime, link state, and the counters a person
// watches first (frames, drops, resolution failures), named after the Linux counters they read.

import * as ds from "@devicescript/core"
import { NetStack } from "../stack"
import { TelemetryClient } from "./client"

export function addStackMetrics(t: TelemetryClient, s: NetStack): void {
    const start = ds.millis()
    t.add("uptime_s", () => Math.floor((ds.millis() - start) / 1000))
    t.add("link_up", () => (s.dev.carrier() ? 1 : 0))
    t.addCounter("tx_packets", () => s.link.tx_packets)
    t.addCounter("tx_bytes", () => s.link.tx_bytes)
    t.addCounter("tx_dropped", () => s.link.tx_dropped)
    t.addCounter("rx_packets", () => s.link.rx_packets)
    t.addCounter("qdisc_drops", () => s.qdisc.stats.drops)
    t.add("qdisc_backlog", () => s.qdisc.stats.backlog)
    t.addCounter("ip_out_requests", () => s.ip.stats.OutRequests)
    t.addCounter("ip_out_discards", () => s.ip.stats.OutDiscards)
    t.addCounter("neigh_res_failed", () => s.neigh.stats.res_failed)
    t.addCounter("telemetry_dropped", () => t.stats.metrics_dropped)
}
