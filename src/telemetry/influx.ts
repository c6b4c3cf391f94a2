// InfluxDB line protocol (docs.influxdata.com, "Line protocol" reference): one line per sample
// `measurement,tag=value field=value` with no timestamp (the server assigns it). Measurement names
// escape ',' and ' '; tag keys, tag values and field keys escape ',', '=' and ' ' with a backslash.
// Integer-valued fields carry the `i` suffix so counters stay integers; others are floats.

import { formatNumber } from "./writer"

function escape(s: string, equals: boolean): string {
    let out = ""
    for (let i = 0; i < s.length; i++) {
        const ch = s.charAt(i)
        const c = s.charCodeAt(i)
        if (c === 44 || c === 32 || (equals && c === 61)) out += "\\" + ch
        else if (c === 10 || c === 13 || c >= 128) out += "_"
        else out += ch
    }
    return out
}

export function influxMeasurement(s: string): string {
    return escape(s, false)
}

export function influxKey(s: string): string {
    return escape(s, true)
}

/** `measurement,board=<tag> key=value` (the measurement and tag already escaped). */
export function influxLine(measurementAndTags: string, key: string, value: number): string {
    const v = Math.round(value) === value && Math.abs(value) < 9.2e18 ? formatNumber(value) + "i" : formatNumber(value)
    return measurementAndTags + " " + influxKey(key) + "=" + v
}

/**
 * A line's timestamp in nanoseconds (the line protocol's default precision) from Unix `ms`: a
 * 19-digit number is past 2^53, so it is written as the whole milliseconds' digits and six zeros,
 * exact where computing ms * 1e6 in a double would not be.
 */
export function influxTimestamp(ms: number): string {
    return formatNumber(Math.floor(ms)) + "000000"
}

/**
 * TelemetryClient's encoder for Influx lines: `prefix,board=<board> name=value [timestamp]`.
 * @devsWhenUsed
 */
export class InfluxEncoder {
    private readonly head: string
    /** `board`: the `board=` tag (default: the prefix, the measurement name). */
    constructor(prefix: string, board?: string) {
        this.head = influxMeasurement(prefix) + ",board=" + influxKey(board || prefix)
    }
    wireName(name: string): string {
        return name
    }
    line(wireName: string, kind: number, value: number, t: number): string {
        return influxLine(this.head, wireName, value) + (t >= 0 ? " " + influxTimestamp(t) : "")
    }
}
