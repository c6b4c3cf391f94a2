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

/** Samples counter `i` of a counter group (one function for every counter, not a closure each). */
function mibSample(mib: number[], i: number): Sampler {
    return () => mib[i]
}

export function addStackMetrics(t: MetricSink, s: NetStack): void {
    const start = ds.millis()
    t.add("uptime_s", () => Math.floor((ds.millis() - start) / 1000))
    t.add("link_up", () => (s.dev.carrier() ? 1 : 0))
    t.addCounter("tx_packets", mibSample(s.link, LinkMib.tx_packets))
    t.addCounter("tx_bytes", mibSample(s.link, LinkMib.tx_bytes))
    t.addCounter("tx_dropped", mibSample(s.link, LinkMib.tx_dropped))
    t.addCounter("rx_packets", mibSample(s.link, LinkMib.rx_packets))
    t.addCounter("qdisc_drops", mibSample(s.qdisc.stats, QdiscMib.drops))
    t.add("qdisc_backlog", mibSample(s.qdisc.stats, QdiscMib.backlog))
    t.addCounter("ip_out_requests", mibSample(s.ip.stats, IpMib.OutRequests))
    t.addCounter("ip_out_discards", mibSample(s.ip.stats, IpMib.OutDiscards))
    t.addCounter("neigh_res_failed", mibSample(s.neigh.stats, NeighMib.res_failed))
    t.addCounter("telemetry_dropped", () => t.stats.metrics_dropped)
}
