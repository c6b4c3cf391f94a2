// `npm run bench` part "size": the board firmware's bytecode, module by module, from the compiler's
// debug information (.devicescript/bin/bytecode-dbg.json: each function's size and source location),
// for a W5500 board and an ENC28J60 board, in four configurations made from devicescript.json (which
// stays untouched): each is a copy of the project in .bench-tmp/<pid>/size-<name>/ with its own
// devicescript.json, built with host/build/build.ts (`npm run build --board ...` in that folder).
// DeviceScript refuses a program whose function bytecode passes 64 KB (verification error -1051);
// the rest is the room the user's own code has.
//
//   static  a static address, UDP telemetry to an address: issue 15's "today's features" (28 KB target)
//   sample  devicescript.json as it is (the sample asks DHCP for its address)
//   named   DHCP + a collector by name with Influx lines: the resolver and the SNTP clock linked
//   mqtt    DHCP + telemetry over MQTT: TCP and the MQTT client linked (issue 14: 8 KB left at least)

import * as fs from "node:fs"
import * as path from "node:path"
import { build, stageProject } from "../build/build"
import { DEFAULT_CONFIG } from "../config/generate"

export const FUNCTION_LIMIT = 65536
/** Issue 15's target: the board firmware's functions with today's features (static address, UDP telemetry). */
export const FUNCTION_TARGET = 28 * 1024
/** Issue 14's target: with TCP + MQTT + one driver + DHCP, at least 8 KB left for the user's own code. */
export const ROOM_TARGET = 8 * 1024

const BOARDS = ["esp32_devkit_w5500", "esp32_devkit_enc28j60"]
/** The modules later features added, as folders or files of src/ (each the sum of its files). */
export const NEW_MODULES: [string, string[]][] = [
    ["DHCP", ["src/dhcp/", "src/dhcpstart.ts"]],
    ["DNS", ["src/dns/", "src/udp/request.ts", "src/telemetry/named.ts"]],
    ["SNTP", ["src/ntp/"]],
    ["TCP", ["src/tcp/"]],
    ["MQTT", ["src/mqtt/", "src/telemetry/mqtt.ts"]],
]

type Json = Record<string, any>

interface SizeConfig {
    name: string
    what: string
    make(j: Json): Json
    /** most bytes of function bytecode allowed, if there is a target */
    limit?: number
    target?: string
}

const isIpv4 = (s: unknown) => typeof s === "string" && /^\d+\.\d+\.\d+\.\d+$/.test(s)

/** UDP telemetry (StatsD unless Influx) to an address. */
function udpToAddress(t: Json): Json {
    const r: Json = { ...t, collector: isIpv4(t.collector) ? t.collector : "192.0.2.20", format: t.format === "influx" ? "influx" : "statsd" }
    delete r.mqtt
    if (t.format === "mqtt") delete r.port
    return r
}

function withDhcp(j: Json): Json {
    const r: Json = { ...j, interface: { ...j.interface, address: "dhcp" }, dhcp: j.dhcp ?? {} }
    // without a fallback address no gateway is allowed (nothing would make it on-link)
    if (r.dhcp.fallbackAddress === undefined && j.interface.address !== "dhcp") r.dhcp = { ...r.dhcp, fallbackAddress: j.interface.address }
    return r
}

export const SIZE_CONFIGS: SizeConfig[] = [
    {
        name: "static",
        what: "static address, UDP telemetry to an address (today's features)",
        make: j => {
            const r: Json = { ...j, telemetry: udpToAddress(j.telemetry) }
            if (r.interface.address === "dhcp") r.interface = { ...r.interface, address: j.dhcp?.fallbackAddress ?? "192.0.2.10" }
            delete r.dhcp
            delete r.dns
            delete r.ntp
            return r
        },
        limit: FUNCTION_TARGET,
        target: `at most ${FUNCTION_TARGET} B (issue 15)`,
    },
    { name: "sample", what: "devicescript.json as it is", make: j => j },
    {
        name: "named",
        what: "DHCP + a collector by name, Influx (resolver, SNTP clock)",
        make: j => {
            const r = withDhcp(j)
            r.telemetry = { ...udpToAddress(j.telemetry), collector: "collector.lan", format: "influx" }
            return r
        },
    },
    {
        name: "mqtt",
        what: "DHCP + telemetry over MQTT (TCP, MQTT client)",
        make: j => {
            const r = withDhcp(j)
            r.telemetry = { ...udpToAddress(j.telemetry), format: "mqtt" }
            delete r.telemetry.port
            return r
        },
        limit: FUNCTION_LIMIT - ROOM_TARGET,
        target: `at least ${ROOM_TARGET} B left of ${FUNCTION_LIMIT}, i.e. at most ${FUNCTION_LIMIT - ROOM_TARGET} B (issue 14)`,
    },
]

export interface SizeBuild {
    config: string
    board: string
    chip: string
    functions: number
    strings: number
    modules: { module: string; bytes: number }[]
}

export interface SizeResult {
    configs: { name: string; what: string; address: string; telemetry: string; limit?: number; target?: string }[]
    builds: SizeBuild[]
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

/** A copy of what `devicescript build` and host/build/build.ts read, with `json` as its devicescript.json. */
function stageConfigProject(root: string, dir: string, json: Json): void {
    stageProject(root, dir)
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"))
    fs.writeFileSync(path.join(dir, "devicescript.json"), JSON.stringify({ ...json, $schema: undefined, board: BOARDS[0] }, null, 4) + "\n")
}

/** `w5500Only` (--quick): the W5500 board alone. */
export async function runSize(root: string, tmp: string, log: (s: string) => void, w5500Only = false): Promise<SizeResult> {
    const boards = w5500Only ? BOARDS.slice(0, 1) : BOARDS
    const base: Json = JSON.parse(fs.readFileSync(DEFAULT_CONFIG, "utf8").replace(/^\uFEFF/, ""))
    const res: SizeResult = { configs: [], builds: [] }
    // two configurations at a time (each build is one compiler process; the machine has two cores)
    const one = async (c: SizeConfig) => {
        const json = c.make(JSON.parse(JSON.stringify(base)))
        const dir = path.join(tmp, "size-" + c.name)
        stageConfigProject(root, dir, json)
        const r = await build({ root: dir, boards, verbose: false, log: s => log(`size ${c.name}: ${s.trim()}`) })
        if (!r.ok) throw new Error(`size: the ${c.name} configuration (${c.what}) did not build:\n` + r.errors.join("\n"))
        const builds = r.builds.map(b => ({ config: c.name, board: b.board, chip: b.chip, ...sizesByModule(path.join(b.dir, ".devicescript", "bin", "bytecode-dbg.json")) }))
        fs.rmSync(dir, { recursive: true, force: true })
        return { c, json, builds }
    }
    const done: Awaited<ReturnType<typeof one>>[] = []
    for (let i = 0; i < SIZE_CONFIGS.length; i += 2) done.push(...(await Promise.all(SIZE_CONFIGS.slice(i, i + 2).map(one))))
    for (const { c, json, builds } of done) {
        const t = json.telemetry
        res.configs.push({ name: c.name, what: c.what, address: json.interface.address, telemetry: `${t.format ?? "statsd"} to ${t.collector}`, limit: c.limit, target: c.target })
        for (const b of boards) res.builds.push(builds.find(x => x.board === b)!)
    }
    return res
}

/** Bytes of the modules under `prefixes` in one build. */
export function moduleBytes(b: SizeBuild, prefixes: string[]): number {
    let n = 0
    for (const m of b.modules) if (prefixes.some(p => (p.endsWith("/") ? m.module.startsWith(p) : m.module === p))) n += m.bytes
    return n
}

export function printSize(s: SizeResult, table: (rows: string[][]) => string): string {
    const out: string[] = ["5. Board firmware bytecode (src/main.ts for a board; bytes of function bytecode per module), per configuration:"]
    for (const c of s.configs) out.push(`   ${c.name.padEnd(6)} ${c.what}: address ${c.address}, ${c.telemetry}`)
    for (const board of [...new Set(s.builds.map(b => b.board))]) {
        const bs = s.configs.map(c => s.builds.find(b => b.board === board && b.config === c.name)!)
        const mods = new Map<string, number[]>()
        bs.forEach((b, k) => {
            for (const m of b.modules) {
                if (!mods.has(m.module)) mods.set(m.module, bs.map(() => 0))
                mods.get(m.module)![k] = m.bytes
            }
        })
        const rows = [...mods.entries()].sort((a, b) => Math.max(...b[1]) - Math.max(...a[1]))
        out.push("")
        out.push(`   ${board} (${bs[0].chip}):`)
        out.push(
            table([
                ["module", ...s.configs.map(c => c.name)],
                ...rows.map(([m, v]) => [m === "src/main.ts" ? "src/main.ts (+ every module's top level)" : m, ...v.map(String)]),
                ["= functions", ...bs.map(b => String(b.functions))],
                ["  left of the 65,536 B limit", ...bs.map(b => String(FUNCTION_LIMIT - b.functions))],
                ["strings", ...bs.map(b => String(b.strings))],
            ])
        )
        out.push(`   the later features' modules (bytes of functions; 0 = not linked):`)
        out.push(table([["module", ...s.configs.map(c => c.name)], ...NEW_MODULES.map(([name, p]) => [`${name} (${p.join(", ")})`, ...bs.map(b => String(moduleBytes(b, p)))])]))
    }
    out.push("")
    for (const c of s.configs) {
        if (c.limit === undefined) continue
        const bs = s.builds.filter(b => b.config === c.name)
        out.push(
            `   targets: ${c.name}: ${c.target}: ` +
                bs.map(b => `${b.chip} ${b.functions} B (${FUNCTION_LIMIT - b.functions} B left), ${b.functions <= c.limit! ? "met" : "MISSED"}`).join("; ")
        )
    }
    return out.join("\n")
}
