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
    /** steps of the per-iteration overhead (test, count, print) */
    overhead: number
    /** steps per datagram by case, then size */
    steps: Record<string, Record<number, number>>
    /** the precision of each figure (± steps) */
    error: Record<string, Record<number, number>>
    runs: number
}

export async function runSteps(o: Options): Promise<StepsResult> {
    const src = stageProgram("steps.ts")
    log(`steps: compiling ${path.relative(ROOT, src)}`)
    const bin = await buildDevs(src, STEP_MARK)
    const pool = new Pool(2)
    let runs = 0
    let seq = 0
    /** Iterations completed before the watchdog. */
    const iterations = async (c: number, sizeIndex: number, k: number): Promise<number> => {
        const b = Buffer.from(bin)
        Buffer.from(`@@stepspec:${String(c).padStart(2, "0")}:${sizeIndex}:${String(k).padStart(6, "0")}`).copy(b, b.indexOf(STEP_MARK))
        const file = path.join(TMP, `steps-${c}-${sizeIndex}-${k}-${seq++}.devs`)
        fs.writeFileSync(file, b)
        const r = await pool.run(() => runUntilPanic(file, 60000))
        runs++
        fs.rmSync(file, { force: true })
        if (r.exception !== "InfiniteLoop" || !r.started)
            throw new Error(`steps: case ${c} size ${sizeIndex} k ${k}: stopped by ${r.exception || "?"}, not by the watchdog\n${r.tail.join("\n")}`)
        return r.lastN
    }
    const n0 = await iterations(0, 0, 0)
    const ov = Math.round(STEP_BUDGET / n0)
    const steps: StepsResult["steps"] = {}
    const error: StepsResult["error"] = {}
    // Which sizes: the stack and the hand-written sender at every size; the floor and the layers
    // where they change (a single frame's cost does not depend on its length: one native copy);
    // the table variants at 64 bytes (what they add does not depend on the size either).
    const sizesOf = (c: number): number[] =>
        c === 2 || c === 5 ? [16, 64, 512, 1472, 4000] : c === 1 || c === 4 ? [64, 4000] : c === 3 ? [64, 1472, 4000] : [64]
    // K from a generous prior (steps per datagram); if the watchdog stops the run inside the
    // datagrams (the prior was too low), once more with K just below what fitted.
    const prior = (c: number, size: number) => (c === 1 ? 100 : 1.5 * (size <= 512 ? 5000 : size <= 1472 ? 11000 : 26000)) * (size > 1472 ? 3 : 1) / (c === 1 ? 1 : size > 1472 ? 3 : 1)
    const jobs: Promise<void>[] = []
    for (const [c, name] of STEP_CASES) {
        for (const size of sizesOf(c)) {
            if (c === 5 && size > 1472) continue
            const si = SIZES.indexOf(size)
            jobs.push(
                (async () => {
                    let k = Math.max(1, Math.floor((0.85 * STEP_BUDGET) / (prior(c, size) + ov)))
                    let n = await iterations(c, si, k)
                    if (n <= k) {
                        k = Math.max(1, n - 1)
                        n = await iterations(c, si, k)
                    }
                    let v: number
                    let err: number
                    if (n > k) {
                        v = (ov * (n0 - n)) / k
                        err = ov / k
                    } else {
                        // a single datagram does not fit in the budget
                        v = STEP_BUDGET
                        err = NaN
                    }
                    ;(steps[name] ??= {})[size] = v
                    ;(error[name] ??= {})[size] = err
                })()
            )
        }
    }
    await Promise.all(jobs)
    return { budget: STEP_BUDGET, overhead: ov, steps, error, runs }
}

/**
 * bench/publish-steps.ts: steps per 64-byte MQTT publish through TCP, the stack and the device, by the
 * method of runSteps (one compile, SPEC patched per run: case and K).
 */
export async function runPublishSteps(o: Options): Promise<PublishSteps> {
    const src = stageProgram("publish-steps.ts")
    log(`steps: compiling ${path.relative(ROOT, src)}`)
    const bin = await buildDevs(src, PUB_MARK)
    const pool = new Pool(2)
    let runs = 0
    let seq = 0
    const iterations = async (c: number, k: number): Promise<{ n: number; bytes: number }> => {
        const b = Buffer.from(bin)
        Buffer.from(`@@pubspec:${String(c).padStart(2, "0")}:${String(k).padStart(6, "0")}`).copy(b, b.indexOf(PUB_MARK))
        const file = path.join(TMP, `pub-${c}-${k}-${seq++}.devs`)
        fs.writeFileSync(file, b)
        const r = await pool.run(() => runUntilPanic(file, 60000))
        runs++
        fs.rmSync(file, { force: true })
        if (r.exception !== "InfiniteLoop" || !r.started)
            throw new Error(`steps: publish case ${c} k ${k}: stopped by ${r.exception || "?"}, not by the watchdog\n${r.tail.join("\n")}`)
        const start = r.tail.find(l => l.includes("@@steps start")) ?? ""
        return { n: r.lastN, bytes: Number(/ bytes=(\d+)/.exec(start)?.[1] ?? NaN) }
    }
    const n0 = (await iterations(0, 0)).n
    const ov = Math.round(STEP_BUDGET / n0)
    const res: PublishSteps = { overhead: ov, steps: {}, error: {}, bytes: {}, runs: 0 }
    await Promise.all(
        PUB_CASES.map(async ([c, name]) => {
            // a generous prior (steps per publish); once more below what fitted if the watchdog cut a publish
            let k = Math.max(1, Math.floor((0.85 * STEP_BUDGET) / ((c >= 3 ? 7000 : 5000) + ov)))
            let r = await iterations(c, k)
            if (r.n <= k) {
                k = Math.max(1, r.n - 1)
                r = await iterations(c, k)
            }
            res.steps[name] = r.n > k ? (ov * (n0 - r.n)) / k : NaN
            res.error[name] = ov / k
            res.bytes[name] = r.bytes
        })
    )
    res.runs = runs
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
