// The program side of `npm run fuzz` (host/fuzz/run.ts): the host builds an entry per target that
// calls runFuzzBatch with a SPEC string, and patches the digits of that string in the compiled
// program for every batch (one build, many runs). Output, one line each:
//   @@fuzzfail <target> <index> <origin> <ops> <why>      a broken oracle, followed by
//   @@input <hex chunk> ...                                the input, 96 hex digits a line
//   @@fuzzdetail <name> <value> ...                        counters the target adds up (optional)
//   @@fuzzdone <cases> <frames> <failures> <exceptions>   the end of the batch
// then ds.restart() (the VM host reads that as the normal end).

import * as ds from "@devicescript/core"
import { FuzzCounts, FailureSink, fuzzTrace, printChunked } from "./common"

/** "@@robustspec:" + 10-digit seed + ":" + 10-digit first case + ":" + 10-digit count + ":" + 6-digit seconds + ":" + mode digit. */
export const SPEC_TEMPLATE = "@@robustspec:0000000000:0000000000:0000000000:000000:0"

export type BatchFn = (seed: number, first: number, count: number, deadlineMs: number, sink: FailureSink) => Promise<FuzzCounts>

/** Mode digit: 0 plain, 1 trace (print the index of every case), 2 dump (print every input). */
export async function runFuzzBatch(spec: string, fn: BatchFn): Promise<void> {
    const seed = parseInt(spec.slice(13, 23))
    const first = parseInt(spec.slice(24, 34))
    const count = parseInt(spec.slice(35, 45))
    const seconds = parseInt(spec.slice(46, 52))
    const mode = parseInt(spec.slice(53, 54))
    fuzzTrace.trace = mode === 1
    fuzzTrace.dump = mode === 2
    let printed = 0
    const sink: FailureSink = (target: string, index: number, why: string, input: string, origin: number, ops: number) => {
        // the host saves one input per distinct failure; a few per batch are plenty
        if (printed >= 10) return
        printed++
        console.log("@@fuzzfail " + target + " " + index + " " + origin + " " + ops + " " + why)
        printChunked("@@input", input)
    }
    const r = await fn(seed, first, count, ds.millis() + seconds * 1000, sink)
    if (r.detail.length > 0) console.log("@@fuzzdetail " + r.detail)
    console.log("@@fuzzdone " + r.cases + " " + r.frames + " " + r.failures + " " + r.exceptions)
    ds.restart()
}
