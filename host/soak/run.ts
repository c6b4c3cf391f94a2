/**
 * `npm run soak`: the long soak, in the DeviceScript simulator without GC stress (real time: every
 * task of the stack and the driver runs, as on a board).
 *
 *   npm run soak -- [--seconds N] [--part udp,lan,mqtt|all] [--chip w5500|enc28j60|both] [--seed S]
 *
 * Three parts, each alone with --part (default all three, N seconds each after its warm-up):
 *   udp   the UDP stack under link and chip faults (test/robust/soak.ts), per chip (--chip);
 *   lan   DHCP, DNS and SNTP under server faults (test/robust/soak-lan.ts);
 *   mqtt  QoS 1 over TCP through a lossy path, broker restarts and RSTs (test/robust/soak-mqtt.ts).
 * lan and mqtt run on a device wired straight to the virtual LAN (test/robust/wire-device.ts): a
 * chip model beside them passes DeviceScript's 64 KB of function bytecode. Their programs check
 * their own accounting and print "@@soak fail ..." for each check that fails; the heap method
 * below is the same for every part.
 *
 * Per chip, one program is built (test/robust/soak.ts with the chip's module: a DeviceScript image
 * holds one chip's code) and run three times, in parallel (host/fuzz/vm-child.cjs):
 *   baseline   set-up and the warm-up (every fault once), then the same stop as the soak (seed S);
 *   baseline 2 the same with seed S+1;
 *   soak       the same as baseline, then N seconds of traffic under faults (seed S).
 * All keep every object of the soak alive and end with an allocation that cannot succeed
 * (Buffer.alloc(57000) in a 64 KB heap that holds the soak): the VM collects, fails and prints
 * `stats: <objects> objects, <used> B used, <free> B free (<max> B max block)`. Used bytes after a
 * full collection is the live heap; "heap change" is soak minus baseline. The two baselines show
 * how much the same state weighs from one run to another (a field holding a non-int32 number is
 * boxed, an int32 is not: a PRNG state, a token bucket's fill, the model's microsecond clock):
 * the soak passes when its heap grew by at most max(twice that spread, 32 B). Storage the chip
 * model takes as it is used (the W5500 model's 512-byte pages of simulated chip RAM, kept in a pool
 * once taken) is the simulated chip's, not the board's: it is reported and subtracted. A smaller heap after
 * the soak passes (bounded high-water structures, e.g. a lock's waiter array, differ run to run);
 * the raw numbers are printed either way.
 *
 * Checks (exit status 1 when one fails): no panic (other than that final allocation), every
 * datagram accounted for (0 unaccounted, the frame identity and ARP residual 0, the ledger equal to
 * the stack's counters), no neighbour entry that traffic should not create, traffic flows again
 * after the faults, heap change 0 B. The last line is the summary:
 *   soak: N datagrams offered, S sent, D dropped (by kind ...), U unaccounted, P panics, heap change H B
 * Every child process is killed at the end.
 */
import { build, cleanup, runVm, spec, panicContext, VmResult } from "../fuzz/devs"
import { readArgs, usageExit } from "../cli"

type Chip = "w5500" | "enc28j60"
type Part = "udp" | "lan" | "mqtt"
const PARTS: Part[] = ["udp", "lan", "mqtt"]

interface Options {
    seconds: number
    chips: Chip[]
    parts: Part[]
    seed: number
    quiet: boolean
}

const usage: (msg?: string) => never = usageExit(
    "npm run soak",
    "usage: npm run soak -- [--seconds N] [--part udp,lan,mqtt|all] [--chip w5500|enc28j60|both] [--seed S]"
)

export function parseArgs(argv: string[]): Options {
    const v = readArgs(argv, { seconds: { type: "string" }, seed: { type: "string" }, chip: { type: "string" }, part: { type: "string" }, quiet: { type: "boolean" } }, usage)
    const o: Options = { seconds: 60, chips: ["w5500", "enc28j60"], parts: [...PARTS], seed: (Date.now() % 1e9) >>> 0, quiet: !!v.quiet }
    if (v.seconds !== undefined) {
        const n = Number(v.seconds)
        if (!Number.isFinite(n) || n < 1 || n > 999999) usage("--seconds needs a number of seconds")
        o.seconds = Math.floor(n)
    }
    if (v.seed !== undefined) {
        const n = Number(v.seed)
        if (!Number.isFinite(n) || n < 0) usage("--seed needs a number")
        o.seed = Math.floor(n) % 1e10
    }
    if (v.chip !== undefined) {
        const c = v.chip
        if (c === "both") o.chips = ["w5500", "enc28j60"]
        else if (c === "w5500" || c === "enc28j60") o.chips = [c]
        else usage("--chip is w5500, enc28j60 or both")
    }
    if (v.part !== undefined && v.part !== "all") {
        const ps = v.part.split(",")
        for (const p of ps) if (!PARTS.includes(p as Part)) usage("--part is udp, lan, mqtt (comma-separated) or all")
        o.parts = PARTS.filter(p => ps.includes(p))
    }
    return o
}

const T0 = Date.now()
function log(o: Options, msg: string) {
    if (o.quiet) return
    const t = ((Date.now() - T0) / 1000).toFixed(1).padStart(6)
    process.stderr.write(`[soak ${t}s] ${msg}\n`)
}

function entry(chip: Chip): string {
    const factory = chip === "w5500" ? "W5500_SOAK" : "ENC28J60_SOAK"
    return `// generated by host/soak/run.ts
import * as ds from "@devicescript/core"
import { runSoak, SoakOptions } from "../../test/robust/soak"
import { ${factory} } from "../../test/robust/soak-${chip}"
const SPEC = "@@robustspec:0000000000:0000000000:0000000000:000000:0"
const o = new SoakOptions()
o.seed = parseInt(SPEC.slice(13, 23))
o.seconds = parseInt(SPEC.slice(46, 52))
o.warmOnly = parseInt(SPEC.slice(53, 54)) === 1
await runSoak(${factory}, o)
// the heap probe: this cannot fit, so the VM collects, reports the live heap and stops here
console.log("@@soak probe")
const probe = Buffer.alloc(57000)
console.log("@@soak probe fitted " + probe.length)
ds.restart()
`
}

/** The program of part lan or mqtt (one each: both with their peers pass 64 KB of bytecode). */
function protoEntry(part: "lan" | "mqtt"): string {
    const [fn, opts, mod] = part === "lan" ? ["runLanSoak", "LanOptions", "soak-lan"] : ["runMqttSoak", "MqttSoakOptions", "soak-mqtt"]
    return `// generated by host/soak/run.ts
import * as ds from "@devicescript/core"
import { ${fn}, ${opts} } from "../../test/robust/${mod}"
const SPEC = "@@robustspec:0000000000:0000000000:0000000000:000000:0"
const o = new ${opts}()
o.seed = parseInt(SPEC.slice(13, 23))
o.seconds = parseInt(SPEC.slice(46, 52))
o.warmOnly = parseInt(SPEC.slice(53, 54)) === 1
await ${fn}(o)
// the heap probe (as in the udp part)
console.log("@@soak probe")
const probe = Buffer.alloc(57000)
console.log("@@soak probe fitted " + probe.length)
ds.restart()
`
}

interface PartResult {
    part: "lan" | "mqtt"
    /** The one summary line. */
    summary: string
    panics: number
    heapChange?: number
    problems: string[]
    lines: string[]
}

/** "a 1 b 2" after "@@soak <section> " as numbers. */
function section(run: Run, name: string): Map<string, number> {
    const m = new Map<string, number>()
    for (const [k, v] of run.fields) if (k.startsWith(name + ".")) m.set(k.slice(name.length + 1), Number(v))
    return m
}

async function soakPart(part: "lan" | "mqtt", o: Options): Promise<PartResult> {
    log(o, `${part}: building`)
    const bin = await build(`soak-${part}`, protoEntry(part))
    const { b, b2, s, problems, panics } = await threeRuns(part, bin, o)
    const lines: string[] = []
    for (const l of s.r.out) {
        if (l.startsWith("@@soak fail ")) problems.push(l.slice(12))
        else if (l.startsWith("@@soak ") && !l.startsWith("@@soak progress") && !l.startsWith("@@soak probe")) lines.push("  " + l.slice(7))
    }
    if (!s.r.out.some(l => l.startsWith("@@soak part "))) problems.push("the soak printed no report")
    const heapChange = heapVerdict(b, b2, s, lines, problems)
    const heap = `heap change ${heapChange === undefined ? "unknown" : signed(heapChange) + " B"}`
    let summary: string
    if (part === "lan") {
        const faults = s.r.out.find(l => l.startsWith("@@soak faults")) ?? ""
        const t = section(s, "telemetry")
        const d = section(s, "dhcp")
        const n = section(s, "dns")
        const c = section(s, "sntp")
        const ep = ["vanish", "nak", "claim"].map(k => `${k} ${new RegExp(`\\b${k}=(\\d+/\\d+)`).exec(faults)?.[1] ?? "?"}`).join(", ")
        summary =
            `soak lan: ${t.get("offered")} telemetry datagrams, ${t.get("sent")} sent, ${t.get("no_address")} NoAddress (address lost ${d.get("lost")} times; ` +
            `DHCP episodes done/BOUND again: ${ep}), dns ok ${n.get("ok")} nxdomain ${n.get("nxdomain")} timeout ${n.get("timeout")}, ` +
            `sntp ok ${c.get("ok")} (${c.get("skewed_syncs")} at a wrong server time) timeout ${c.get("timeout")} kiss ${c.get("kiss")} no servers ${c.get("no_servers")}, ` +
            `${panics} panics, ${heap}`
    } else {
        const q = section(s, "qos1")
        const br = section(s, "broker")
        summary =
            `soak mqtt: ${q.get("published")} QoS 1 published, ${q.get("delivered")} delivered (${q.get("duplicates")} duplicates), ` +
            `${q.get("dropped")} dropped by the outbox (${q.get("dropped_after_delivery")} of them delivered before), ${q.get("waiting")} waiting, ${q.get("lost")} lost; ` +
            `${br.get("restarts")} broker restarts, ${br.get("rst_sent")} RSTs, ${br.get("frames_lost")} frames lost, ${panics} panics, ${heap}`
    }
    return { part, summary, panics, heapChange, problems, lines }
}

interface Run {
    r: VmResult
    fields: Map<string, string>
    results: Map<string, number>
    used?: number
    objects?: number
    free?: number
    maxBlock?: number
    probed: boolean
    panicked: boolean
}

/** Parse "@@soak <section> name value name value ..." lines into "section.name" -> value. */
function parseRun(r: VmResult): Run {
    const fields = new Map<string, string>()
    const results = new Map<string, number>()
    let probed = false
    for (const l of r.out) {
        if (l === "@@soak probe") probed = true
        const m = /^@@soak (\w+) (.*)$/.exec(l)
        if (!m) continue
        if (m[1] === "results") {
            for (const kv of m[2].trim().split(/\s+/)) {
                const x = /^(\w+)=(\d+)$/.exec(kv)
                if (x) results.set(x[1], +x[2])
            }
            const s = /sent (\d+) queued (\d+)/.exec(m[2])
            if (s) {
                results.set("sent", +s[1])
                results.set("queued", +s[2])
            }
            continue
        }
        if (m[1] === "stat" || m[1] === "progress") continue
        if (m[1] === "first_neigh_violation" || m[1] === "last_exception") {
            fields.set(m[1], m[2])
            continue
        }
        let text = m[2]
        if (m[1] === "checks") {
            const mm = /mismatches \[(.*)\]/.exec(text)
            fields.set("checks.mismatches", (mm?.[1] ?? "").trim())
            text = text.replace(/mismatches \[.*\]/, "")
        }
        const parts = text.trim().split(/\s+/)
        for (let i = 0; i + 1 < parts.length; i += 2) fields.set(`${m[1]}.${parts[i]}`, parts[i + 1])
    }
    let used: number | undefined
    let free: number | undefined
    let maxBlock: number | undefined
    let objects: number | undefined
    for (const l of r.lines) {
        const s = /stats: (\d+) objects, (\d+) B used, (\d+) B free \((\d+) B max block\)/.exec(l)
        if (s) {
            objects = +s[1]
            used = +s[2]
            free = +s[3]
            maxBlock = +s[4]
        }
    }
    // the probe's OutOfMemory (panic 60004) is the planned end; anything else is a panic
    const planned = probed && r.panic === 60004 && used !== undefined
    return { r, fields, results, used, free, maxBlock, objects, probed, panicked: r.panic !== undefined && !planned }
}

function num(run: Run, key: string): number {
    return Number(run.fields.get(key) ?? NaN)
}

interface ChipResult {
    chip: Chip
    offered: number
    sent: number
    drops: Map<string, number>
    /** Datagrams still queued when the soak ended (not dropped, not sent). */
    inFlight: number
    unaccounted: number
    panics: number
    heapChange?: number
    problems: string[]
    lines: string[]
}

async function soakChip(chip: Chip, o: Options): Promise<ChipResult> {
    log(o, `${chip}: building`)
    const bin = await build(`soak-${chip}`, entry(chip))
    const { b, b2, s, problems, panics } = await threeRuns(chip, bin, o)
    const drops = new Map<string, number>()
    let offered = 0
    let sent = 0
    let unaccounted = 0
    let inFlight = 0
    const lines: string[] = []
    if (s.fields.has("udp.offered")) {
        offered = num(s, "udp.offered")
        sent = num(s, "udp.sent")
        unaccounted = num(s, "udp.unaccounted")
        for (const [k, v] of s.results) if (k !== "sent" && k !== "queued" && v > 0) drops.set(k, v)
        const add = (k: string, v: number) => {
            if (v > 0) drops.set(k, (drops.get(k) ?? 0) + v)
        }
        add("link_down_at_driver", num(s, "udp.link_down_at_driver"))
        add("driver_error", num(s, "udp.driver_error"))
        add("unresolved", num(s, "udp.unresolved"))
        inFlight = num(s, "udp.in_flight")
        if (unaccounted !== 0) problems.push(`${unaccounted} datagrams unaccounted`)
        if (num(s, "frames.residual") !== 0) problems.push(`the frame identity is off by ${s.fields.get("frames.residual")}`)
        if (num(s, "frames.arp_residual") !== 0) problems.push(`${s.fields.get("frames.arp_residual")} ARP frames unaccounted`)
        const mm = s.fields.get("checks.mismatches") ?? ""
        if (mm.length) problems.push(`the ledger disagrees with the stack's counters: ${mm}`)
        if (num(s, "checks.neigh_violations") !== 0) problems.push(`${s.fields.get("checks.neigh_violations")} neighbour-table violations, first: ${s.fields.get("first_neigh_violation")}`)
        if (num(s, "checks.recovered") !== 1) problems.push("no datagram reached the collector after the faults stopped")
        if (num(s, "checks.exceptions") !== 0) problems.push(`exceptions in the soak fibers, last: ${s.fields.get("last_exception")}`)
        for (const l of s.r.out) if (l.startsWith("@@soak ") && !l.startsWith("@@soak progress") && !l.startsWith("@@soak probe")) lines.push("  " + l.slice(7))
    } else if (!problems.length) problems.push("the soak printed no report")
    const heapChange = heapVerdict(b, b2, s, lines, problems)
    return { chip, offered, sent, drops, inFlight, unaccounted, panics, heapChange, problems, lines }
}

/**
 * The two baselines (warm-up only, seeds S and S+1) and the soak (seed S), in parallel; a panic
 * or an early stop in any of them is a problem.
 */
async function threeRuns(name: string, bin: Buffer, o: Options): Promise<{ b: Run; b2: Run; s: Run; problems: string[]; panics: number }> {
    log(o, `${name}: two baselines (warm-up only) and the soak (${o.seconds} s) running`)
    const [base, base2, soak] = await Promise.all([
        runVm(bin, spec(o.seed, 0, 0, o.seconds, 1), 180000),
        runVm(bin, spec(o.seed + 1, 0, 0, o.seconds, 1), 180000),
        runVm(bin, spec(o.seed, 0, 0, o.seconds, 0), (o.seconds + 180) * 1000, l => {
            if (l.startsWith("@@soak progress")) log(o, `${name}: ${l.slice(15).trim()}`)
        }),
    ])
    const b = parseRun(base)
    const b2 = parseRun(base2)
    const s = parseRun(soak)
    const problems: string[] = []
    let panics = 0
    for (const [what, run] of [["baseline", b], ["baseline 2", b2], ["soak", s]] as [string, Run][]) {
        if (run.panicked || (!run.probed && run.r.code !== 0)) {
            panics++
            problems.push(`${what} run stopped early (${run.r.panic !== undefined ? "panic " + run.r.panic : run.r.killed ? "killed at its deadline" : "exit " + run.r.code}):\n${panicContext(run.r)}`)
        } else if (run.used === undefined) problems.push(`${what} run: no heap statistics at the end`)
    }
    return { b, b2, s, problems, panics }
}

/** Soak minus baseline (less the chip model's own storage), with the line that explains it; undefined when a run has no statistics. */
function heapVerdict(b: Run, b2: Run, s: Run, lines: string[], problems: string[]): number | undefined {
    if (b.used === undefined || b2.used === undefined || s.used === undefined) return undefined
    const model = num(s, "model_heap.bytes") - num(b, "model_heap.bytes")
    const heapChange = s.used - b.used - (Number.isFinite(model) ? model : 0)
    const spread = Math.abs(b2.used - b.used)
    const tolerance = Math.max(2 * spread, 32)
    lines.push(
        `  heap: baseline ${b.used} B live in ${b.objects} objects (${b.free} B free, largest block ${b.maxBlock} B), ` +
            `baseline 2 ${b2.used} B in ${b2.objects}; after the soak ${s.used} B in ${s.objects} objects (${s.free} B free, ` +
            `largest block ${s.maxBlock} B); the chip model's own storage ${model ? signed(model) + " B" : "unchanged"}: ` +
            `board heap change ${signed(heapChange)} B, tolerance ${tolerance} B`
    )
    if (heapChange > tolerance) problems.push(`the board's live heap changed by ${heapChange} B (baselines differ by ${spread} B)`)
    return heapChange
}

function signed(n: number): string {
    return (n > 0 ? "+" : "") + n
}

export async function main(argv: string[]): Promise<number> {
    const o = parseArgs(argv)
    log(o, `seed ${o.seed}, ${o.seconds} s per part and chip, parts ${o.parts.join(", ")}${o.parts.includes("udp") ? ", chips " + o.chips.join(", ") : ""}`)
    const results: ChipResult[] = []
    // one program at a time: its three runs already take both cores
    if (o.parts.includes("udp")) for (const c of o.chips) results.push(await soakChip(c, o))
    const protos: PartResult[] = []
    for (const p of o.parts) if (p !== "udp") protos.push(await soakPart(p, o))
    let offered = 0
    let sent = 0
    let unaccounted = 0
    let inFlight = 0
    let panics = 0
    let heap = 0
    let heapKnown = true
    const drops = new Map<string, number>()
    let failed = false
    for (const r of results) {
        console.log(`soak ${r.chip}: ${r.offered} datagrams offered, ${r.sent} sent, heap change ${r.heapChange === undefined ? "unknown" : signed(r.heapChange) + " B"}`)
        for (const l of r.lines) console.log(l)
        for (const p of r.problems) console.log(`  FAILED: ${p}`)
        if (r.problems.length) failed = true
        offered += r.offered
        sent += r.sent
        unaccounted += r.unaccounted
        inFlight += r.inFlight
        panics += r.panics
        if (r.heapChange === undefined) heapKnown = false
        else heap += r.heapChange
        for (const [k, v] of r.drops) drops.set(k, (drops.get(k) ?? 0) + v)
    }
    for (const r of protos) {
        console.log(`soak ${r.part}:`)
        for (const l of r.lines) console.log(l)
        for (const p of r.problems) console.log(`  FAILED: ${p}`)
        if (r.problems.length) failed = true
    }
    // the summaries last, the udp part's at the very end
    for (const r of protos) console.log(r.summary)
    if (!results.length) return failed ? 1 : 0
    let dropped = 0
    for (const v of drops.values()) dropped += v
    const kinds = [...drops].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k.replace(/_/g, " ")} ${v}`).join(", ")
    const perChip = results.length > 1 ? ` (${results.map(r => `${r.chip} ${r.heapChange === undefined ? "?" : signed(r.heapChange)}`).join(", ")})` : ""
    console.log(
        `soak: ${offered} datagrams offered, ${sent} sent, ${dropped} dropped (by kind: ${kinds || "none"}), ` +
            (inFlight ? `${inFlight} still queued, ` : "") +
            `${unaccounted} unaccounted, ` +
            `${panics} panics, heap change ${heapKnown ? signed(heap) : "unknown"} B${perChip}`
    )
    return failed ? 1 : 0
}

if (require.main === module) {
    main(process.argv.slice(2))
        .then(code => {
            cleanup()
            process.exit(code)
        })
        .catch(e => {
            console.error(e?.stack ?? String(e))
            cleanup()
            process.exit(1)
        })
}
