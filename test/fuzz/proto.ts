// The loop the protocol fuzz targets share (proto-dhcp.ts, proto-dns.ts, proto-ntp.ts, proto-tcp.ts,
// proto-mqtt.ts; one program each in `npm run fuzz`, a DeviceScript image holds at most 64 KB of
// code). Like the stack target (targets.ts): case i of a run seeded `seed` is generated from its own
// generator (caseSeed), so any case replays alone; a case passes when every oracle of its target
// holds, else the first broken one is the failure ("why"), reported with the case's last input.

import * as ds from "@devicescript/core"
import { Rng, caseSeed } from "./rng"
import { FuzzCounts, FailureSink, fuzzTrace, printChunked } from "./common"

export interface ProtoTarget {
    /** Inputs given to the target so far (messages, segments, packets). */
    frames: number
    /** The last input, hex (what a failure saves). */
    input: string
    /** Run one case from `rng`: null, or the oracle it broke. */
    run(rng: Rng): Promise<string>
    /** "name value ..." counters over the run (outcomes seen), for the runner's summary. */
    detail(): string
}

/** Record an input as the case's last one (and print it in the runner's dump mode). */
export function noteInput(t: ProtoTarget, b: Buffer, off: number, len: number): void {
    t.frames++
    t.input = b.slice(off, off + len).toString("hex")
    if (fuzzTrace.dump) printChunked("@@input", t.input)
}

/** Cases first..first+count-1 of `seed` on the target `make()` builds (again after a failure). */
export async function fuzzProto(
    name: string,
    make: () => ProtoTarget,
    seed: number,
    first: number,
    count: number,
    deadlineMs: number,
    sink: FailureSink
): Promise<FuzzCounts> {
    let t = make()
    const rng = new Rng(1)
    const total = new FuzzCounts()
    for (let i = first; i < first + count; i++) {
        if (ds.millis() > deadlineMs) break
        if (fuzzTrace.trace) console.log("@@at " + i)
        rng.reseed(caseSeed(seed, i))
        total.cases++
        const f0 = t.frames
        let why: string = null
        try {
            why = await t.run(rng)
        } catch (e) {
            total.exceptions++
            why = "exception: " + (e as Error).message
        }
        total.frames += t.frames - f0
        if (why !== null) {
            total.failures++
            sink(name, i, why, t.input, -1, 0)
            // its state may be what is broken now: a fresh target for the next case
            total.detail = t.detail()
            t = null
            await ds.sleep(0)
            t = make()
        }
        await ds.sleep(0)
    }
    total.detail = t.detail()
    return total
}

/** Case `index` of `seed` replayed on a fresh target: the failure, or null. */
export async function replayProto(make: () => ProtoTarget, seed: number, index: number): Promise<string> {
    const t = make()
    const rng = new Rng(1)
    rng.reseed(caseSeed(seed, index))
    try {
        return await t.run(rng)
    } catch (e) {
        return "exception: " + (e as Error).message
    }
}

/** "name value" pairs of `names` (space-separated) and `values`, for detail(). */
export function pairs(names: string, values: number[]): string {
    const n = names.split(" ")
    let s = ""
    for (let i = 0; i < n.length && i < values.length; i++) s += (s.length > 0 ? " " : "") + n[i] + " " + values[i]
    return s
}

/** Up to `ops` byte-level mutations of the `len` bytes at `off` in `b` (room to grow to `cap`); the new length. */
export function mutateBytes(rng: Rng, b: Buffer, off: number, len: number, cap: number, ops: number): number {
    for (let k = 0; k < ops; k++) {
        const op = rng.below(7)
        if (op === 0 && len > 0) b[off + rng.below(len)] ^= 1 << rng.below(8)
        else if (op === 1 && len > 0) b[off + rng.below(len)] = rng.byte()
        else if (op === 2) len = rng.below(len + 1)
        else if (op === 3 && len < cap) {
            // extend with random bytes
            const n = 1 + rng.below(Math.min(32, cap - len))
            for (let i = 0; i < n; i++) b[off + len + i] = rng.byte()
            len += n
        } else if (op === 4 && len > 1) {
            // an interesting value in a 16-bit field
            const v = [0, 1, 0xff, 0x7f, 0x80, 0xc0, 0x3f, 0x40][rng.below(8)]
            const at = rng.below(len - 1)
            b[off + at] = rng.chance(50) ? v : 0
            b[off + at + 1] = v
        } else if (op === 5 && len > 2) {
            // copy a run of bytes over another place in the message
            const from = rng.below(len)
            const to = rng.below(len)
            const n = Math.min(1 + rng.below(16), len - from, len - to)
            b.blitAt(off + to, b, off + from, n)
        } else if (op === 6 && len > 0) {
            // a random byte anywhere, the high bits often set (compression pointers, lengths)
            b[off + rng.below(len)] = rng.chance(50) ? 0xc0 | rng.below(64) : rng.below(64)
        }
    }
    return len
}
