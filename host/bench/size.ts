// `npm run bench` part "size": the board firmware's bytecode, module by module, from the compiler's
// debug information (.devicescript/bin/bytecode-dbg.json: each function's size and source location),
// for a W5500 board and an ENC28J60 board (npm run build --board ...). DeviceScript refuses a program
// whose function bytecode passes 64 KB (verification error -1051); the rest is the room later
// features (DHCP, DNS, TCP, MQTT) and the user's own code have.

import * as fs from "node:fs"
import * as path from "node:path"
import { build } from "../build/build"

export const FUNCTION_LIMIT = 65536
/** Issue target: the board firmware's functions with today's features. */
export const FUNCTION_TARGET = 28 * 1024

export interface SizeResult {
    boards: { board: string; chip: string; functions: number; strings: number; modules: { module: string; bytes: number }[] }[]
}

interface DbgSource {
    path: string
    length: number
}

/** Function bytes per source file of one build (top-level code of every module counts to src/main.ts). */
export function sizesByModule(dbgFile: string): { functions: number; strings: number; modules: { module: string; bytes: number }[] } {
    const d = JSON.parse(fs.readFileSync(dbgFile, "utf8"))
    const sources: DbgSource[] = d.sources
    const starts: number[] = []
    let acc = 0
    for (const s of sources) {
        starts.push(acc)
        acc += s.length
    }
    const per = new Map<string, number>()
    let total = 0
    for (const f of d.functions as { location: number[]; size: number }[]) {
        let i = 0
        while (i + 1 < starts.length && starts[i + 1] <= f.location[0]) i++
        const file = sources[i].path.replace(/^node_modules\/@devicescript\/([^/]+)\/src\/.*/, "@devicescript/$1")
        per.set(file, (per.get(file) ?? 0) + f.size)
        total += f.size
    }
    const sizesMd = fs.readFileSync(path.join(path.dirname(dbgFile), "bytecode-sizes.md"), "utf8")
    const strings = Number(/^\s*(\d+) \| strings/m.exec(sizesMd)?.[1] ?? 0)
    const modules = [...per.entries()].map(([module, bytes]) => ({ module, bytes })).sort((a, b) => b.bytes - a.bytes)
    return { functions: total, strings, modules }
}

export async function runSize(log: (s: string) => void): Promise<SizeResult> {
    const r = await build({ boards: ["esp32_devkit_w5500", "esp32_devkit_enc28j60"], verbose: false, log })
    if (!r.ok) throw new Error("size: the board builds failed:\n" + r.errors.join("\n"))
    return {
        boards: r.builds.map(b => ({ board: b.board, chip: b.chip, ...sizesByModule(path.join(b.dir, ".devicescript", "bin", "bytecode-dbg.json")) })),
    }
}

export function printSize(s: SizeResult, table: (rows: string[][]) => string): string {
    const out: string[] = ["5. Board firmware bytecode (src/main.ts for a board; bytes of function bytecode per module)"]
    const mods = new Map<string, number[]>()
    s.boards.forEach((b, k) => {
        for (const m of b.modules) {
            if (!mods.has(m.module)) mods.set(m.module, s.boards.map(() => 0))
            mods.get(m.module)![k] = m.bytes
        }
    })
    const rows = [...mods.entries()].sort((a, b) => Math.max(...b[1]) - Math.max(...a[1]))
    out.push(table([["module", ...s.boards.map(b => b.board)], ...rows.map(([m, v]) => [m === "src/main.ts" ? "src/main.ts (+ every module's top level)" : m, ...v.map(String)])]))
    for (const b of s.boards) {
        const left = FUNCTION_LIMIT - b.functions
        out.push(
            `   ${b.board} (${b.chip}): functions ${b.functions} B of the ${FUNCTION_LIMIT} B limit (${left} B left), strings ${b.strings} B; ` +
                `target at most ${FUNCTION_TARGET} B: ${b.functions <= FUNCTION_TARGET ? "met" : "MISSED"}`
        )
    }
    return out.join("\n")
}
