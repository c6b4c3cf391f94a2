// `npm run bench`: the benchmarks of the transmit path, in one run, as a table a person reads.
//
//   npm run bench -- [--json FILE] [--quick] [--only cost,steps,spi,goodput,mem,size]
//
//   cost  bench/cost.ts in the simulator WITHOUT GC stress: `devicescript run --tcp` (no --test),
//         with this process as the Jacdac TCP peer on 127.0.0.1:8082 (a sink: the simulator only
//         needs a transport to start; nothing is exchanged). The program prints "@@bench" lines
//         and "@@bench:done"; then the simulator, which never exits by itself, is killed.
//   steps bench/steps.ts, the same way, compiled once and patched per run: bytecode steps per
//         datagram, counted against the VM's 128 Ki-step watchdog (deterministic, whatever the
//         machine's load; see that file); then bench/publish-steps.ts: steps per 64-byte MQTT
//         publish through TCP, the stack and the device.
//   spi   bench/spi.ts, the same way: SPI transactions and bytes per frame from the chip models.
//   goodput  bench/goodput.ts, the same way: TCP and UDP bytes/s to a scripted peer on the W5500 model.
//   size  host/bench/size.ts: the board firmware's function bytecode per module, W5500 and ENC28J60
//         boards, in four configurations made from devicescript.json (static address, the sample,
//         DHCP + a named collector, DHCP + MQTT), against DeviceScript's 64 KB limit.
//   mem   heap footprints, measured from outside: the largest padding a program can allocate
//         before building X and still complete, under `--test` (GC on every allocation, so what
//         fits is exactly what is live). One program holds every variant; the variant and the
//         padding are digits in a string literal, patched into the compiled .devs per run, so the
//         search costs one compile. Runs go two at a time. Also the DHCP client, the resolver, the
//         clock, a TCP connection and the MQTT client.
//
// Generated files go to .bench-tmp/<pid>/ (removed at the end, also on failure or Ctrl-C); every
// child process is killed at the end. --quick shortens the timed cases and builds the size part's
// configurations for the W5500 board only (for a smoke test of the bench).
//
// The parts: cost.ts, steps.ts, spi.ts, goodput.ts, mem.ts and size.ts here; proc.ts (child processes, the sink,
// the temporary directory), print.ts (the tables).

import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { readArgs, usageExit } from "../cli"
import { cleanup, CLI, log, Options, ROOT, startSink, stopSink, T_START, TMP } from "./proc"
import { table } from "./print"
import { CostResult, printCost, runCost } from "./cost"
import { addStepLayers, printSteps, runPublishSteps, runSteps, StepsResult } from "./steps"
import { printSpi, runSpi, SpiResult } from "./spi"
import { MemResult, printMem, runMem } from "./mem"
import { printSize, runSize, SizeResult } from "./size"
import { GoodputResult, printGoodput, runGoodput } from "./goodput"

const usage: (msg?: string) => never = usageExit(
    "npm run bench",
    "usage: npm run bench -- [--json FILE] [--quick] [--only cost,steps,spi,goodput,mem,size]"
)

function parseArgs(argv: string[]): Options {
    const v = readArgs(argv, { json: { type: "string" }, quick: { type: "boolean" }, only: { type: "string" } }, usage)
    const o: Options = { quick: !!v.quick, only: new Set(["cost", "steps", "spi", "goodput", "mem", "size"]) }
    if (v.json !== undefined) o.json = path.resolve(v.json)
    if (v.only !== undefined) {
        o.only = new Set(v.only.split(","))
        for (const s of o.only) if (!["cost", "steps", "spi", "goodput", "mem", "size"].includes(s)) usage("unknown part " + s)
    }
    return o
}

async function main() {
    const o = parseArgs(process.argv.slice(2))
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm ci first`)
    fs.rmSync(TMP, { recursive: true, force: true })
    fs.mkdirSync(TMP, { recursive: true })
    const result: Record<string, unknown> = {
        date: new Date().toISOString(),
        host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    }
    let cost: CostResult | undefined
    let spi: SpiResult | undefined
    let mem: MemResult | undefined
    let steps: StepsResult | undefined
    let goodput: GoodputResult | undefined
    if (o.only.has("cost") || o.only.has("spi") || o.only.has("steps") || o.only.has("goodput")) await startSink()
    if (o.only.has("cost")) result.cost = cost = await runCost(o)
    if (o.only.has("steps")) {
        result.steps = steps = await runSteps(o)
        steps.publish = await runPublishSteps(o, steps)
        addStepLayers(steps)
    }
    if (o.only.has("spi")) result.spi = spi = await runSpi(o)
    if (o.only.has("goodput")) result.goodput = goodput = await runGoodput(o)
    stopSink()
    if (o.only.has("mem")) result.mem = mem = await runMem(o)
    let size: SizeResult | undefined
    if (o.only.has("size")) result.size = size = await runSize(ROOT, TMP, log, o.quick)
    result.seconds = (Date.now() - T_START) / 1000
    console.log("")
    if (cost) printCost(cost)
    if (steps) {
        console.log("")
        printSteps(steps)
    }
    if (spi) {
        console.log("")
        printSpi(spi)
    }
    if (mem) {
        console.log("")
        printMem(mem)
    }
    if (goodput) {
        console.log("")
        printGoodput(goodput)
    }
    if (size) {
        console.log("")
        console.log(printSize(size, table))
    }
    console.log(`\n(${result.seconds} s)`)
    if (o.json) {
        fs.writeFileSync(o.json, JSON.stringify(result, null, 2) + "\n")
        log(`figures written to ${o.json}`)
    }
}

main().then(
    () => {
        cleanup()
        process.exit(0)
    },
    (e) => {
        console.error(`npm run bench: ${e instanceof Error ? e.message : e}`)
        cleanup()
        process.exit(1)
    }
)
