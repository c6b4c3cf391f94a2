// StatsD text protocol (etsy/statsd docs/metric_types.md): `name:value|g` for gauges, `|c` for
// counters, several metrics per datagram separated by newlines ("multi-metric packets"). Names keep
// [A-Za-z0-9_.-]; anything else (':', '|', '@', spaces, non-ASCII) becomes '_', as statsd's own key
// sanitiser would mangle it anyway.

import { formatNumber, sanitize } from "./writer"

export const enum MetricKind {
    Gauge = 0,
    Counter = 1,
}

/** [A-Za-z0-9_.-]: '-' (45) to '9' (57) but '/' (47); a letter of either case with bit 5 set is a-z. */
function statsdNameChar(c: number): boolean {
    const lower = c | 32
    return (c >= 45 && c <= 57 && c !== 47) || (lower >= 97 && lower <= 122) || c === 95
}

/**
 * TelemetryClient's encoder for StatsD: `prefix.name:value|g`.
 * @devsWhenUsed
 */
export class StatsdEncoder {
    constructor(readonly prefix: string) {}
    /** `prefix.name`, sanitised. */
    wireName(name: string): string {
        return sanitize(this.prefix.length > 0 ? this.prefix + "." + name : name, statsdNameChar)
    }
    /** One line without the newline (StatsD has no timestamp: `t` is not used). */
    line(wireName: string, kind: MetricKind, value: number, t: number): string {
        return wireName + ":" + formatNumber(value) + (kind === MetricKind.Counter ? "|c" : "|g")
    }
}
