// Failure collection for the short fuzz runs of `npm test` (the long runs print instead).

import { CORPUS_NAMES } from "./corpus"
import { FailureSink } from "./common"

/** A sink that keeps the first 20 failures as readable lines. */
export function collect(into: string[]): FailureSink {
    return (target: string, index: number, why: string, input: string, origin: number, ops: number) => {
        if (into.length < 20)
            into.push(target + " case " + index + " (" + (origin >= 0 ? CORPUS_NAMES[origin] : "generated") + "): " + why + "\n  " + input.slice(0, 200))
    }
}

export function firstFailures(lines: string[]): string {
    let s = ""
    for (let i = 0; i < lines.length && i < 5; i++) s += "\n" + lines[i]
    return s
}
