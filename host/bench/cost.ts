// `npm run bench` part "cost": bench/cost.ts in the simulator WITHOUT GC stress (`devicescript run
// --tcp`, no --test): µs per UDP datagram by case and size, and the micro-benchmarks.

import * as os from "node:os"
import * as path from "node:path"
import { log, Options, ROOT, runStreaming, stageProgram } from "./proc"
import { fmt, table } from "./print"

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b)
    const n = s.length
    return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}


export const SIZES = [16, 64, 512, 1472, 4000]
const CFGS = ["default", "hooks8", "fib32", "arp32"]

export interface CostResult {
    sampleMs: number
    samples: number
    /** µs per datagram, the best sample (least disturbed by other load), by case, then size */
    us: Record<string, Record<number, number>>
    /** the same, median of the samples */
    usMedian: Record<string, Record<number, number>>
    /** µs per call (best sample), empty closure call subtracted (except for the call rows themselves) */
    micro: Record<string, number>
    checks: string[]
    loadavg: { before: number[]; after: number[] }
}

export async function runCost(o: Options): Promise<CostResult> {
    const sampleMs = o.quick ? 25 : 50
    const samples = o.quick ? 2 : 8
    const file = stageProgram("cost.ts", (s) =>
        s.replace(/^const SAMPLE_MS = \d+/m, `const SAMPLE_MS = ${sampleMs}`).replace(/^const SAMPLES = \d+/m, `const SAMPLES = ${samples}`)
    )
    const before = os.loadavg()
    log(`cost: devicescript run --tcp ${path.relative(ROOT, file)} (no GC stress), ${samples} samples of >= ${sampleMs} ms per case; load average ${before.map((x) => x.toFixed(2)).join(" ")}`)
    let nLines = 0
    const lines = await runStreaming(file, (o.quick ? 120 : 240) * 1000, (l) => {
        if (l.kind === "cost" && ++nLines % 20 === 0) log(`cost: ${nLines} cases measured`)
    })
    const after = os.loadavg()
    const raw: Record<string, number[]> = {}
    const micro: Record<string, number[]> = {}
    const checks: string[] = []
    for (const l of lines) {
        if (l.kind === "cost") {
            const { cfg, size, n, ms, bad } = l.f
            if (Number(bad) !== 0) throw new Error(`cost: ${cfg} ${l.f.case} ${size}: ${bad} datagrams not sent/accepted`)
            const key = `${l.f.case === "stack" || l.f.case === "stack-nocache" ? cfg + ":" + l.f.case : l.f.case}|${size}`
            ;(raw[key] ??= []).push((Number(ms) * 1000) / Number(n))
        } else if (l.kind === "micro") {
            ;(micro[l.f.name] ??= []).push((Number(l.f.ms) * 1000) / Number(l.f.n))
        } else if (l.kind === "check") {
            checks.push(Object.entries(l.f).map(([k, v]) => `${k}=${v}`).join(" "))
            if (Number(l.f.drops) !== 0 || Number(l.f.OutDiscards) !== 0) throw new Error(`cost: drops in ${l.f.cfg}: ${JSON.stringify(l.f)}`)
        }
    }
    const us: Record<string, Record<number, number>> = {}
    const usMedian: Record<string, Record<number, number>> = {}
    for (const [key, xs] of Object.entries(raw)) {
        const [name, size] = key.split("|")
        ;(us[name] ??= {})[Number(size)] = Math.min(...xs)
        ;(usMedian[name] ??= {})[Number(size)] = median(xs)
    }
    const m: Record<string, number> = {}
    const best = (xs: number[] | undefined) => (xs ? Math.min(...xs) : 0)
    const call = best(micro["empty-call"])
    const acall = best(micro["empty-async-call"])
    for (const [k, xs] of Object.entries(micro)) {
        const v = best(xs)
        if (k === "empty-call" || k === "empty-async-call") m[k] = v
        else if (k === "sleep0" || k === "drain-run-empty") m[k] = v - acall
        else m[k] = v - call
    }
    return { sampleMs, samples, us, usMedian, micro: m, checks, loadavg: { before, after } }
}

export function printCost(c: CostResult) {
    const u = c.us
    const out: string[] = []
    out.push(`1. Cost per UDP datagram, µs (simulator, no GC stress; best of ${c.samples} samples of >= ${c.sampleMs} ms per case)`)
    const hdr = ["payload bytes", ...SIZES.map((s) => (s > 1472 ? `${s} (3 frags)` : String(s)))]
    const row = (label: string, key: string) => [label, ...SIZES.map((s) => fmt(u[key]?.[s]))]
    out.push(
        table([
            hdr,
            row("floor: startXmit(prebuilt)", "floor"),
            row("stack (default config)", "default:stack"),
            ["stack / floor", ...SIZES.map((s) => fmt(u["default:stack"]?.[s] / u.floor?.[s], 2))],
            row("hand-written 1 function", "hand"),
            ["hand / floor", ...SIZES.map((s) => fmt(u.hand?.[s] / u.floor?.[s], 2))],
            row("hooks: 8+8 non-matching", "hooks8:stack"),
            row("FIB 32, route cached", "fib32:stack"),
            row("FIB 32, cache defeated", "fib32:stack-nocache"),
            row("ARP table 32, dst last", "arp32:stack"),
        ])
    )
    const r64 = u["default:stack"]?.[64] / u.floor?.[64]
    const r1472 = u["default:stack"]?.[1472] / u.floor?.[1472]
    out.push(
        `   targets: stack / floor at most 5 at 64 bytes: ${fmt(r64, 1)}, ${r64 <= 5 ? "met" : "MISSED"}; under 2 at 1,472 bytes: ` +
            `${fmt(r1472, 1)}, ${r1472 < 2 ? "met" : "MISSED"} (README, Benchmarks: why)`
    )
    out.push("")
    out.push("   where the default-config time goes (µs per datagram, by layers, from entry points below the socket)")
    const d = (a: string, b: string) => SIZES.map((s) => fmt((u[a]?.[s] ?? NaN) - (b ? u[b]?.[s] ?? NaN : 0)))
    out.push(
        table([
            ["layer", ...SIZES.map(String)],
            ["socket (sendTo: checks, payload sum, cache)", ...d("default:stack", "ip")],
            ["IP output (queueXmit .. enqueue, in place)", ...d("ip", "qdisc")],
            ["qdisc reserve/copy/enqueue + drain", ...d("qdisc", "floor")],
            ["device (floor)", ...d("floor", "")],
        ])
    )
    out.push("")
    out.push("   micro-benchmarks, µs per call (an empty closure call subtracted; async ones: an empty async call)")
    const m = c.micro
    const keys = Object.keys(m)
    const half = Math.ceil(keys.length / 2)
    const mrows: string[][] = []
    for (let i = 0; i < half; i++) {
        const a = keys[i]
        const b = keys[i + half]
        mrows.push([a, fmt(m[a], 2), "   " + (b ?? ""), b ? fmt(m[b], 2) : ""])
    }
    out.push(table(mrows, ["l", "r", "l", "r"]))
    out.push(`   load average before/after: ${c.loadavg.before.map((x) => x.toFixed(2)).join(" ")} / ${c.loadavg.after.map((x) => x.toFixed(2)).join(" ")} (${os.cpus().length} CPUs)`)
    console.log(out.join("\n"))
}
