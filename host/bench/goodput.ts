// `npm run bench` part "goodput": bench/goodput.ts in the simulator WITHOUT GC stress (`devicescript
// run --tcp`, as the cost part): application bytes per second from the board to a scripted peer on
// the virtual LAN, through TCP (default send ring, and a 4,380-byte one) and through UDP, on the W5500
// model. Performance figures: printed, never asserted.

import * as path from "node:path"
import { log, Options, ROOT, runStreaming, stageProgram } from "./proc"
import { fmt, table } from "./print"

export interface GoodputRun {
    kind: string
    sndBuf?: number
    bytes: number
    ms: number
    segs?: number
    retrans?: number
    queueFull?: number
}

export interface GoodputResult {
    bulkBytes: number
    rounds: number
    runs: GoodputRun[]
}

export async function runGoodput(o: Options): Promise<GoodputResult> {
    const bulkKb = o.quick ? 16 : 256
    const rounds = o.quick ? 1 : 3
    const file = stageProgram("goodput.ts", s => s.replace(/^const BULK_KB = \d+/m, `const BULK_KB = ${bulkKb}`).replace(/^const ROUNDS = \d+/m, `const ROUNDS = ${rounds}`))
    log(`goodput: devicescript run --tcp ${path.relative(ROOT, file)} (no GC stress), ${rounds} rounds of ${bulkKb} KB by UDP and by TCP`)
    const lines = await runStreaming(file, (o.quick ? 120 : 300) * 1000, l => log(`goodput: ${l.f.kind}${l.f.sndbuf ? " sndbuf " + l.f.sndbuf : ""}: ${l.f.bytes} B in ${l.f.ms} ms`))
    const runs: GoodputRun[] = []
    for (const l of lines) {
        if (l.kind !== "goodput" || l.f.kind === "warmup") continue
        const r: GoodputRun = { kind: l.f.kind, bytes: Number(l.f.bytes), ms: Number(l.f.ms) }
        if (l.f.sndbuf) r.sndBuf = Number(l.f.sndbuf)
        if (l.f.segs) r.segs = Number(l.f.segs)
        if (l.f.retrans) r.retrans = Number(l.f.retrans)
        if (l.f.queue_full) r.queueFull = Number(l.f.queue_full)
        if (r.bytes !== bulkKb * 1024) throw new Error(`goodput: ${l.f.kind} delivered ${r.bytes} of ${bulkKb * 1024} bytes`)
        runs.push(r)
    }
    return { bulkBytes: bulkKb * 1024, rounds, runs }
}

const rate = (r: GoodputRun) => (r.bytes * 1000) / Math.max(1, r.ms)

/** The best round (least disturbed by other load) of each kind. */
export function bestGoodput(g: GoodputResult): { name: string; run: GoodputRun; bps: number; median: number }[] {
    const groups = new Map<string, GoodputRun[]>()
    for (const r of g.runs) {
        const name = r.kind === "tcp" ? `TCP, ${r.sndBuf} B send ring` : "UDP, 1,460-byte datagrams"
        if (!groups.has(name)) groups.set(name, [])
        groups.get(name)!.push(r)
    }
    return [...groups.entries()].map(([name, rs]) => {
        const bps = rs.map(rate).sort((a, b) => a - b)
        return { name, run: rs.reduce((a, b) => (rate(b) > rate(a) ? b : a)), bps: bps[bps.length - 1], median: bps[(bps.length - 1) >> 1] }
    })
}

export function printGoodput(g: GoodputResult) {
    const out: string[] = []
    out.push(`4. Goodput from the board to a peer on the virtual LAN, W5500 model (MACRAW driver over the simulated bus, receive on INTn),`)
    out.push(`   stack started as on a board; ${g.bulkBytes} bytes of application data per run, best of ${g.rounds} (no GC stress; the peer, in the same`)
    out.push(`   VM, ACKs every segment at once with a 65,535-byte window, MSS 1,460; UDP paced only by a full qdisc):`)
    const best = bestGoodput(g)
    const udp = best.find(b => b.name.startsWith("UDP"))
    out.push(
        table([
            ["what", "bytes/s (best)", "median", "ms (best)", "segments", "retransmits", "/ UDP"],
            ...best.map(b => [
                b.name,
                fmt(b.bps, 0),
                fmt(b.median, 0),
                String(b.run.ms),
                b.run.segs === undefined ? "-" : String(b.run.segs),
                b.run.retrans === undefined ? "-" : String(b.run.retrans),
                udp ? fmt(b.bps / udp.bps, 2) : "-",
            ]),
        ])
    )
    console.log(out.join("\n"))
}
