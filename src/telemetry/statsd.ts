// StatsD text protocol (etsy/statsd docs/metric_types.md): `name:value|g` for gauges, `|c` for
// counters, several metrics per datagram separated by newlines ("multi-metric packets"). Names keep
// [A-Za-z0-9_.-]; anything else (':', '|', '@', spaces, non-ASCII) becomes '_', as statsd's own key
// sanitiser would mangle it anyway.

import { formatNumber, sanitize } from "./writer"

export const enum MetricKind {
    Gauge = 0,
    Counter = 1,
}

function statsdNameChar(c: number): boolean {
    return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45
}

export function statsdName(prefix: string, name: string): string {
    return sanitize(prefix.length > 0 ? prefix + "." + name : name, statsdNameChar)
}

/** One line without the newline. */
export function statsdLine(fullName: string, value: number, kind: MetricKind): string {
    return fullName + ":" + formatNumber(value) + (kind === MetricKind.Counter ? "|c" : "|g")
}

/** TelemetryClient's encoder for StatsD: `prefix.name:value|g`. */
export class StatsdEncoder {
    constructor(readonly prefix: string) {}
    wireName(name: string): string {
        return statsdName(this.prefix, name)
    }
    line(wireName: string, kind: MetricKind, value: number, t: number): string {
        return statsdLine(wireName, value, kind)
    }
}
