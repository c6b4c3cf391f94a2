// The stack's own metrics for the telemetry client: uptime, link state, and the counters a person
// watches first (frames, drops, resolution failures), named after the Linux counters they read.

import * as ds from "@devicescript/core"
import { NetStack } from "../stack"
import { Sampler } from "./client"
import { LinkMib, QdiscMib } from "../dev/counters"
import { IpMib } from "../ipv4/mib"
import { NeighMib } from "../neigh/neighbour"

/** What metrics are added to: the UDP TelemetryClient, or MqttTelemetry (telemetry/mqtt.ts). */
export interface MetricSink {
    add(name: string, sample: Sampler): void
    addCounter(name: string, sample: Sampler): void
    readonly stats: { metrics_dropped: number }
}

/** Registers counter `i` of a counter group (one function for every counter, not a closure each). */
function addMibCounter(t: MetricSink, name: string, mib: number[], i: number): void {
    t.addCounter(name, () => mib[i])
}

export function addStackMetrics(t: MetricSink, s: NetStack): void {
    const start = ds.millis()
    t.add("uptime_s", () => Math.floor((ds.millis() - start) / 1000))
    t.add("link_up", () => (s.dev.carrier() ? 1 : 0))
    addMibCounter(t, "tx_packets", s.link, LinkMib.tx_packets)
    addMibCounter(t, "tx_bytes", s.link, LinkMib.tx_bytes)
    addMibCounter(t, "tx_dropped", s.link, LinkMib.tx_dropped)
    addMibCounter(t, "rx_packets", s.link, LinkMib.rx_packets)
    addMibCounter(t, "qdisc_drops", s.qdisc.stats, QdiscMib.drops)
    t.add("qdisc_backlog", () => s.qdisc.stats[QdiscMib.backlog])
    addMibCounter(t, "ip_out_requests", s.ip.stats, IpMib.OutRequests)
    addMibCounter(t, "ip_out_discards", s.ip.stats, IpMib.OutDiscards)
    addMibCounter(t, "neigh_res_failed", s.neigh.stats, NeighMib.res_failed)
    t.addCounter("telemetry_dropped", () => t.stats.metrics_dropped)
}
