// `npm run bench` part "steps": bench/steps.ts, compiled once and patched per run: bytecode steps per
// datagram, counted against the VM's 128 Ki-step watchdog (deterministic, whatever the machine's load).

import * as fs from "node:fs"
import * as path from "node:path"
import { buildDevs, log, Options, Pool, ROOT, runUntilPanic, stageProgram, TMP } from "./proc"
import { fmt, table } from "./print"
import { SIZES } from "./cost"

const STEP_BUDGET = 131072
const STEP_MARK = Buffer.from("@@stepspec:00:0:000000")
const STEP_CASES: [number, string][] = [
    [1, "floor"],
    [2, "default:stack"],
    [3, "ip"],
    [4, "qdisc"],
    [5, "hand"],
    [6, "hooks8:stack"],
    [7, "fib32:stack"],
    [8, "fib32:stack-nocache"],
    [9, "arp32:stack"],
]

const PUB_MARK = Buffer.from("@@pubspec:00:000000")
/** bench/publish-steps.ts's cases. */
export const PUB_CASES: [number, string, string][] = [
    [1, "qos0", "QoS 0, the transmit path alone (no ACK from the peer, Nagle off)"],
    [2, "qos1", "QoS 1, the transmit path alone (no ACK, no PUBACK, Nagle off)"],
    [3, "qos0+ack", "QoS 0 + the peer's ACK received (default TcpConfig)"],
    [4, "qos1+ack", "QoS 1 + the peer's TCP ACK received (no PUBACK)"],
]

export interface PublishSteps {
    overhead: number
    /** steps per publish by case name */
    steps: Record<string, number>
    error: Record<string, number>
    /** bytes one publish puts on the connection, by case */
    bytes: Record<string, number>
    runs: number
}

export interface StepsResult {
    publish?: PublishSteps
    budget: number
    /** iterations of the calibration run (no operation in them) */
    n0: number
    /** steps of the per-iteration overhead (test, count, print) */
    overhead: number
    /** steps per datagram by case, then size */
    steps: Record<string, Record<number, number>>
    /** the precision of each figure (± steps) */
    error: Record<string, Record<number, number>>
    runs: number
}

interface WatchdogRun {
    /** the last "@@n" before the watchdog stopped the program */
    lastN: number
    tail: string[]
}

/** A bench program compiled once and run per SPEC (patched over `mark`) until the watchdog stops it. */
class WatchdogRuns {
    runs = 0
    private seq = 0
    private readonly pool = new Pool(2)
    private constructor(
        readonly name: string,
        readonly mark: Buffer,
        readonly bin: Buffer
    ) {}

    static async build(name: string, mark: Buffer): Promise<WatchdogRuns> {
        const src = stageProgram(name + ".ts")
        log(`steps: compiling ${path.relative(ROOT, src)}`)
        return new WatchdogRuns(name, mark, await buildDevs(src, mark))
    }

    async run(spec: string): Promise<WatchdogRun> {
        const b = Buffer.from(this.bin)
        Buffer.from(spec).copy(b, b.indexOf(this.mark))
        const file = path.join(TMP, `${this.name}-${spec.replace(/\W+/g, "-")}-${this.seq++}.devs`)
        fs.writeFileSync(file, b)
        const r = await this.pool.run(() => runUntilPanic(file, 60000))
        this.runs++
        fs.rmSync(file, { force: true })
        if (r.exception !== "InfiniteLoop" || !r.started)
            throw new Error(`steps: ${this.name} ${spec}: stopped by ${r.exception || "?"}, not by the watchdog\n${r.tail.join("\n")}`)
        return r
    }
}

/**
 * Steps per operation: K from a generous prior (steps per operation), then S = O * (N0 - N) / K to
 * within O / K; if the watchdog stops the run inside the K operations (the prior was too low), once
 * more with K just below what fitted. STEP_BUDGET when not one fits.
 */
async function stepsPer(run: (k: number) => Promise<WatchdogRun>, prior: number, n0: number, ov: number): Promise<{ v: number; err: number; out: WatchdogRun }> {
    let k = Math.max(1, Math.floor((0.85 * STEP_BUDGET) / (prior + ov)))
    let out = await run(k)
    if (out.lastN <= k) {
        k = Math.max(1, out.lastN - 1)
        out = await run(k)
    }
    return out.lastN > k ? { v: (ov * (n0 - out.lastN)) / k, err: ov / k, out } : { v: STEP_BUDGET, err: NaN, out }
}

export async function runSteps(o: Options): Promise<StepsResult> {
    const prog = await WatchdogRuns.build("steps", STEP_MARK)
    /** Iterations completed before the watchdog. */
    const iterations = (c: number, sizeIndex: number, k: number) =>
        prog.run(`@@stepspec:${String(c).padStart(2, "0")}:${sizeIndex}:${String(k).padStart(6, "0")}`)
    const n0 = (await iterations(0, 0, 0)).lastN
    const ov = Math.round(STEP_BUDGET / n0)
    const steps: StepsResult["steps"] = {}
    const error: StepsResult["error"] = {}
    // Which sizes: the stack and the hand-written sender at every size; the floor and the layers
    // where they change (a single frame's cost does not depend on its length: one native copy);
    // the table variants at 64 bytes (what they add does not depend on the size either).
    const sizesOf = (c: number): number[] =>
        c === 2 || c === 5 ? [16, 64, 512, 1472, 4000] : c === 1 || c === 4 ? [64, 4000] : c === 3 ? [64, 1472, 4000] : [64]
    const prior = (c: number, size: number) => (c === 1 ? 100 : 1.5 * (size <= 512 ? 5000 : size <= 1472 ? 11000 : 26000)) * (size > 1472 ? 3 : 1) / (c === 1 ? 1 : size > 1472 ? 3 : 1)
    const jobs: Promise<void>[] = []
    for (const [c, name] of STEP_CASES) {
        for (const size of sizesOf(c)) {
            if (c === 5 && size > 1472) continue
            const si = SIZES.indexOf(size)
            jobs.push(
                (async () => {
                    const r = await stepsPer(k => iterations(c, si, k), prior(c, size), n0, ov)
                    ;(steps[name] ??= {})[size] = r.v
                    ;(error[name] ??= {})[size] = r.err
                })()
            )
        }
    }
    await Promise.all(jobs)
    return { budget: STEP_BUDGET, n0, overhead: ov, steps, error, runs: prog.runs }
}

/**
 * bench/publish-steps.ts: steps per 64-byte MQTT publish through TCP, the stack and the device, by the
 * method of runSteps (one compile, SPEC patched per run: case and K). Its counted loops have the
 * shape of bench/steps.ts's, so the calibration (N0, O) is runSteps's.
 */
export async function runPublishSteps(o: Options, calib: StepsResult): Promise<PublishSteps> {
    const prog = await WatchdogRuns.build("publish-steps", PUB_MARK)
    const res: PublishSteps = { overhead: calib.overhead, steps: {}, error: {}, bytes: {}, runs: 0 }
    await Promise.all(
        PUB_CASES.map(async ([c, name]) => {
            const r = await stepsPer(k => prog.run(`@@pubspec:${String(c).padStart(2, "0")}:${String(k).padStart(6, "0")}`), c >= 3 ? 7000 : 5000, calib.n0, calib.overhead)
            const start = r.out.tail.find(l => l.includes("@@steps start")) ?? ""
            res.steps[name] = r.v
            res.error[name] = r.err
            res.bytes[name] = Number(/ bytes=(\d+)/.exec(start)?.[1] ?? NaN)
        })
    )
    res.runs = prog.runs
    return res
}

export function printSteps(r: StepsResult) {
    const st = r.steps
    const out: string[] = []
    out.push(`1b. Bytecode steps per datagram (deterministic: counted against the ${r.budget}-step watchdog; ${r.runs} runs)`)
    const row = (label: string, key: string) => [label, ...SIZES.map((s) => (st[key]?.[s] === undefined ? "-" : fmt(st[key][s], 0)))]
    out.push(
        table([
            ["payload bytes", ...SIZES.map((s) => (s > 1472 ? `${s} (3 frags)` : String(s)))],
            row("floor: startXmit(prebuilt)", "floor"),
            row("stack (default config)", "default:stack"),
            ["stack / floor", ...SIZES.map((s) => fmt(st["default:stack"]?.[s] / st.floor?.[s], 1))],
            ["stack, % of the watchdog budget", ...SIZES.map((s) => fmt((100 * st["default:stack"]?.[s]) / r.budget, 1))],
            row("hand-written 1 function", "hand"),
            row("  socket layer (stack - ip)", "_sock"),
            row("  IP output (ip - qdisc)", "_ip"),
            row("  qdisc + drain (qdisc - floor)", "_q"),
            row("hooks: 8+8 non-matching", "hooks8:stack"),
            row("FIB 32, route cached", "fib32:stack"),
            row("FIB 32, cache defeated", "fib32:stack-nocache"),
            row("ARP table 32, dst last", "arp32:stack"),
        ])
    )
    const maxErr = Math.max(...Object.values(r.error).flatMap((x) => Object.values(x)))
    out.push(`   precision: within ${fmt(maxErr, 1)} steps; an iteration's own overhead (${r.overhead} steps) is subtracted. Floor, qdisc and IP layers`)
    out.push(`   measured at 64 (and 1472) and 4000 bytes and shown for the other single-frame sizes; table variants at 64 bytes only`)
    const p = r.publish
    if (p) {
        out.push(`   MQTT publish, topic of 17 bytes + 64-byte payload, through MqttClient -> TCP -> IPv4 output -> qdisc -> drain -> the copying`)
        out.push(`   device (bench/publish-steps.ts; ${p.runs} runs, within ${fmt(Math.max(...Object.values(p.error)), 1)} steps):`)
        out.push(
            table([
                ["publish", "steps", "% of the watchdog", "bytes on TCP"],
                ...PUB_CASES.map(([, name, what]) => [what, fmt(p.steps[name], 0), fmt((100 * p.steps[name]) / r.budget, 1), String(p.bytes[name])]),
            ])
        )
        const udp = r.steps["default:stack"]?.[64]
        if (udp !== undefined) out.push(`   against a 64-byte UDP datagram through the stack (${fmt(udp, 0)} steps): QoS 0 publish ${fmt(p.steps.qos0 / udp, 1)}x, with the ACK ${fmt(p.steps["qos0+ack"] / udp, 1)}x`)
    }
    console.log(out.join("\n"))
}

export function addStepLayers(r: StepsResult) {
    const st = r.steps
    // one frame costs the same whatever its length (one native copy): the 64-byte figures stand for 16..1472
    for (const key of ["floor", "qdisc"]) for (const s of [16, 512, 1472]) if (st[key]?.[64] !== undefined && st[key][s] === undefined) st[key][s] = st[key][64]
    for (const s of [16, 512]) if (st.ip?.[64] !== undefined && st.ip[s] === undefined) st.ip[s] = st.ip[64]
    for (const s of SIZES) {
        if (st["default:stack"]?.[s] !== undefined && st.ip?.[s] !== undefined) (st._sock ??= {})[s] = st["default:stack"][s] - st.ip[s]
        if (st.ip?.[s] !== undefined && st.qdisc?.[s] !== undefined) (st._ip ??= {})[s] = st.ip[s] - st.qdisc[s]
        if (st.qdisc?.[s] !== undefined && st.floor?.[s] !== undefined) (st._q ??= {})[s] = st.qdisc[s] - st.floor[s]
    }
}
