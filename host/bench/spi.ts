// `npm run bench` part "spi": bench/spi.ts in the simulator: SPI transactions and bytes per frame from
// the chip models, native transfers per frame on each runtime's bus, idle traffic, frames/s bounds.

import * as fs from "node:fs"
import * as path from "node:path"
import { log, Options, ROOT, runStreaming, stageProgram } from "./proc"
import { fmt, table } from "./print"

interface SpiRow {
    chip: string
    len: number
    transactions: number
    bytes: number
    overhead: number
    xfers: number
    /** checks: frames on the wire = frames sent, no protocol errors, model counts = bus counts */
    ok: boolean
}

interface SpiHwRow {
    runtime: string
    chip: string
    len: number
    tx: number
    rx: number
    idle: number
    /** every frame sent and received, no stale RX FIFO byte */
    ok: boolean
}

/** The RP2040 runtime sleeps up to 1 ms between wake-ups: each native transfer may cost that. */
const RP2040_RESUME_MS = 1

export interface SpiResult {
    rows: SpiRow[]
    hw: SpiHwRow[]
    idle: { chip: string; int: boolean; perSecond: number; delayMs: number; frames: number }[]
    polls: { chip: string; transactions: number; bytes: number }[]
    boardHz: number
    txUs: number
    bounds: {
        chip: string
        len: number
        hz: number
        spiOnly: number
        withTx: number
        wire: number
        combined: number
        combinedNote: string
    }[]
}

const TX_US = 10
/** Preamble + SFD (8), FCS (4), inter-frame gap (12) on top of the frame. */
const WIRE_EXTRA = 24

export async function runSpi(o: Options): Promise<SpiResult> {
    const file = stageProgram("spi.ts")
    log(`spi: devicescript run --tcp ${path.relative(ROOT, file)}`)
    const lines = await runStreaming(file, 180 * 1000)
    const rows: SpiRow[] = []
    const hw: SpiHwRow[] = []
    const idle: SpiResult["idle"] = []
    const polls: SpiResult["polls"] = []
    for (const l of lines) {
        if (l.kind === "spi") {
            const f = l.f
            const n = Number(f.frames)
            const len = Number(f.len)
            const ok =
                Number(f.bad) === 0 &&
                Number(f.wireFrames) === n &&
                Number(f.protocolErrors) === 0 &&
                Number(f.simTransactions) === Number(f.transactions) &&
                Number(f.simBytes) === Number(f.bytes)
            rows.push({
                chip: f.chip,
                len,
                transactions: Number(f.transactions) / n,
                bytes: Number(f.bytes) / n,
                overhead: Number(f.bytes) / n - len,
                xfers: Number(f.xfers) / n,
                ok,
            })
        } else if (l.kind === "spiidle") {
            idle.push({ chip: l.f.chip, int: l.f.int === "1", perSecond: Number(l.f.perSecond), delayMs: Number(l.f.delayMs), frames: Number(l.f.frames) })
        } else if (l.kind === "spihw") {
            const f = l.f
            hw.push({
                runtime: f.runtime,
                chip: f.chip,
                len: Number(f.len),
                tx: Number(f.txNative),
                rx: Number(f.rxNative),
                idle: Number(f.idleNative),
                ok: Number(f.bad) === 0 && Number(f.received) === Number(f.frames) && Number(f.stale) === 0,
            })
        } else if (l.kind === "spipoll") {
            const n = Number(l.f.polls)
            polls.push({ chip: l.f.chip, transactions: Number(l.f.transactions) / n, bytes: Number(l.f.bytes) / n })
        }
    }
    const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, "devicescript.json"), "utf8"))
    const boardHz: number = cfg?.spi?.hz ?? 20000000
    const bounds: SpiResult["bounds"] = []
    const clocks = [...new Set([20000000, boardHz])]
    for (const r of rows) {
        for (const hz of clocks) {
            const tSpi0 = (8 * r.bytes * 1e6) / hz // µs
            const tSpi = tSpi0 + r.transactions * TX_US
            const mbps = r.chip === "w5500" ? 100 : 10
            const tWire = ((Math.max(r.len, 60) + WIRE_EXTRA) * 8) / mbps // µs
            // W5500: the next frame is staged while the previous is on the wire (its end checked
            // after the write): max(). ENC28J60: one TX buffer, the driver waits for TXIF before
            // writing the next frame: the two add up.
            const serial = r.chip !== "w5500"
            const tComb = serial ? tSpi + tWire : Math.max(tSpi, tWire)
            bounds.push({
                chip: r.chip,
                len: r.len,
                hz,
                spiOnly: 1e6 / tSpi0,
                withTx: 1e6 / tSpi,
                wire: 1e6 / tWire,
                combined: 1e6 / tComb,
                combinedNote: serial ? "SPI(t_x) + wire, serialised" : "max(SPI(t_x), wire), overlapped",
            })
        }
    }
    return { rows, hw, idle, polls, boardHz, txUs: TX_US, bounds }
}

export function printSpi(s: SpiResult) {
    const out: string[] = []
    out.push("2. SPI traffic per transmitted frame, steady state (driver over SimSpiBus + chip model on a segment)")
    out.push(
        table([
            ["chip", "frame B", "transactions", "bytes", "overhead B", "driver xfers", "checks"],
            ...s.rows.map((r) => [r.chip, String(r.len), fmt(r.transactions, 2), fmt(r.bytes, 1), fmt(r.overhead, 1), fmt(r.xfers, 2), r.ok ? "ok" : "MISMATCH"]),
        ])
    )
    out.push(`   idle receive poll: ${s.polls.map((p) => `${p.chip} ${fmt(p.transactions, 1)} transactions / ${fmt(p.bytes, 0)} B`).join(", ")}`)
    const maxOf = (chip: string, k: "transactions" | "overhead") => Math.max(...s.rows.filter((r) => r.chip === chip).map((r) => r[k]))
    const wTx = maxOf("w5500", "transactions")
    const eTx = maxOf("enc28j60", "transactions")
    const wOver = maxOf("w5500", "overhead")
    const eOver = maxOf("enc28j60", "overhead")
    // 17: the W5500 reads both bytes of Sn_TX_RD to judge a SEND finished (safe however it advances)
    const spiMet = wTx <= 5 && eTx <= 7 && Math.max(wOver, eOver) <= 17
    out.push(
        `   targets: W5500 at most 5 transactions a frame (${fmt(wTx, 0)}), ENC28J60 at most 7 (${fmt(eTx, 0)}), ` +
            `at most 17 bytes besides the frame (${fmt(wOver, 0)} / ${fmt(eOver, 0)}): ${spiMet ? "met" : "MISSED"}`
    )
    out.push("")
    out.push("   the board's bus (HardwareSpiBus) over each runtime's native-SPI model: spiXfer calls per frame")
    out.push(
        table([
            ["runtime", "chip", "frame B", "per TX frame", "per RX frame", "idle poll", `TX frames/s at ${RP2040_RESUME_MS} ms a call`, "checks"],
            ...s.hw.map((r) => [
                r.runtime,
                r.chip,
                String(r.len),
                fmt(r.tx, 2),
                fmt(r.rx, 2),
                fmt(r.idle, 2),
                r.runtime === "rp2040" ? fmt(1000 / (RP2040_RESUME_MS * r.tx), 0) : "-",
                r.ok ? "ok" : "MISMATCH",
            ]),
        ])
    )
    const hwMax = (chip: string) => Math.max(...s.hw.filter((r) => r.chip === chip).map((r) => r.tx))
    const hwW = hwMax("w5500")
    const hwE = hwMax("enc28j60")
    out.push(
        `   targets: at most 3 native transfers per W5500 TX frame (${fmt(hwW, 2)}): ${hwW <= 3 ? "met" : "MISSED"}; ` +
            `at most 4 per ENC28J60 TX frame (${fmt(hwE, 2)}): ${hwE <= 4 ? "met" : "MISSED"}; ` +
            `every transfer full duplex (no stale RX FIFO byte): ${s.hw.every((r) => r.ok) ? "met" : "MISSED"}`
    )
    out.push("")
    out.push("   idle: the poll task running with nothing received, then a frame's delay from arrival to delivery")
    out.push(
        table([
            ["chip", "INT line", "SPI transactions/s idle", "arrival to delivery (ms)", "frames"],
            ...s.idle.map((r) => [r.chip, r.int ? "read" : "none", fmt(r.perSecond, 1), fmt(r.delayMs, 1), String(r.frames)]),
        ])
    )
    const worst = (g: boolean) => Math.max(...s.idle.filter((r) => r.int === g).map((r) => r.perSecond))
    out.push(
        `   targets: with INT at most 2 transactions a second idle (${fmt(worst(true), 1)}): ${worst(true) <= 2 ? "met" : "MISSED"}; ` +
            `without, at most 20 (${fmt(worst(false), 1)}): ${worst(false) <= 20 ? "met" : "MISSED"}; ` +
            `every frame delivered: ${s.idle.every((r) => r.frames === 10) ? "met" : "MISSED"}`
    )
    out.push("")
    out.push(`   frames/s bounds: t = 8*bytes/clock + transactions*t_x, t_x = ${s.txUs} µs per chip-select window; board spi.hz = ${s.boardHz / 1e6} MHz`)
    out.push(
        table([
            ["chip", "frame B", "clock MHz", "SPI only (t_x=0)", `SPI, t_x=${s.txUs}µs`, "wire", "SPI(t_x)+wire", "how"],
            ...s.bounds.map((b) => [b.chip, String(b.len), String(b.hz / 1e6), fmt(b.spiOnly, 0), fmt(b.withTx, 0), fmt(b.wire, 0), fmt(b.combined, 0), b.combinedNote]),
        ])
    )
    console.log(out.join("\n"))
}
