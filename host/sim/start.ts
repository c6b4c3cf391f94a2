// `npm start`: build the telemetry firmware and run it in the DeviceScript simulator with the
// configured chip model on the virtual LAN (a gateway and a collector peer), and show a person what
// happens. It ends by itself after --seconds (default 15) or on Ctrl-C, leaving nothing running.
// With --tap the virtual wire is joined to a Linux TAP interface through the host bridge
// (host/bridge/), so the board talks to the real network behind it (root needed).
//
//   npm start -- [--seconds N] [--pcap FILE] [--forward HOST:PORT] [--quiet] [--runtime rp2040|esp32]
//                [--tap NAME [--netns NS] [--tap-addr CIDR]... [--tap-mac MAC] [--virtual-peers]]
//
//   --runtime RT         drive the chip model through the board's own SPI bus (HardwareSpiBus) over
//                        a model of runtime RT's native SPI (sim/native-spi.ts) instead of directly
//   --pcap FILE          write every frame on the virtual wire to FILE (Wireshark / tshark open it)
//   --forward HOST:PORT  hand each datagram the virtual collector receives to a real collector
//                        (e.g. a StatsD daemon on 127.0.0.1:8125)
//   --tap NAME           join the virtual wire to TAP interface NAME: created (and removed at the
//                        end), or attached to when it exists (a persistent one: ip tuntap add);
//                        the virtual gateway and collector are left out (the real network has them)
//   --netns NS           move the created TAP into network namespace NS
//   --tap-addr CIDR      give the TAP (the kernel's side) this address; repeatable
//   --tap-mac MAC        the kernel side's MAC address
//   --virtual-peers      keep the virtual gateway and collector on the wire as well

import { spawn } from "node:child_process"
import * as dgram from "node:dgram"
import * as fs from "node:fs"
import * as path from "node:path"
import { PcapWriter } from "../pcap/writer"
import { Bridge } from "../bridge/bridge"
import { TapError } from "../bridge/tap"
import { stripAnsi } from "../test/devs-run"
import { readArgs, usageExit } from "../cli"

const ROOT = path.resolve(__dirname, "..", "..")

interface Options {
    seconds: number
    pcap?: string
    forward?: { host: string; port: number }
    quiet: boolean
    tap?: string
    netns?: string
    tapAddrs: string[]
    tapMac?: string
    virtualPeers: boolean
    /** Run the board's own SPI bus over this runtime's native-SPI model. */
    runtime?: "rp2040" | "esp32"
}

const usage: (msg?: string) => never = usageExit(
    "npm start",
    "usage: npm start -- [--seconds N] [--pcap FILE] [--forward HOST:PORT] [--quiet] [--runtime rp2040|esp32]\n" +
        "                   [--tap NAME [--netns NS] [--tap-addr CIDR]... [--tap-mac MAC] [--virtual-peers]]"
)

export function parseArgs(argv: string[]): Options {
    const v = readArgs(
        argv,
        {
            seconds: { type: "string" },
            pcap: { type: "string" },
            forward: { type: "string" },
            quiet: { type: "boolean" },
            runtime: { type: "string" },
            tap: { type: "string" },
            netns: { type: "string" },
            "tap-addr": { type: "string", multiple: true },
            "tap-mac": { type: "string" },
            "virtual-peers": { type: "boolean" },
        },
        usage
    )
    const o: Options = { seconds: 15, quiet: !!v.quiet, tapAddrs: [], virtualPeers: !!v["virtual-peers"], tap: v.tap, netns: v.netns, tapMac: v["tap-mac"] }
    if (v.seconds !== undefined) {
        o.seconds = Number(v.seconds)
        if (!(o.seconds > 0 && o.seconds <= 3600)) usage("--seconds must be between 1 and 3600")
    }
    if (v.pcap !== undefined) o.pcap = path.resolve(v.pcap)
    if (v.forward !== undefined) {
        const m = /^([^:]+):(\d+)$/.exec(v.forward)
        if (!m) usage("--forward takes HOST:PORT")
        o.forward = { host: m[1], port: Number(m[2]) }
    }
    for (const a of v["tap-addr"] ?? []) {
        if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(a)) usage("--tap-addr takes an IPv4 CIDR, e.g. 192.0.2.1/24")
        o.tapAddrs.push(a)
    }
    if (v.runtime !== undefined) {
        if (v.runtime !== "rp2040" && v.runtime !== "esp32") usage("--runtime takes rp2040 or esp32")
        o.runtime = v.runtime
    }
    if (!o.tap && (o.netns || o.tapAddrs.length || o.tapMac || o.virtualPeers)) usage("--netns, --tap-addr, --tap-mac and --virtual-peers go with --tap")
    if (o.tap && o.forward && !o.virtualPeers) usage("--forward needs the virtual collector: with --tap, add --virtual-peers")
    return o
}

/** The entry the simulator runs: the firmware's simulate() with these options, then a clean exit. */
function writeEntry(o: Options, bridge: Bridge | null): string {
    // one chip's model and driver per program (a DeviceScript program's code must stay under 64 KB)
    const chip = configuredChip()
    const factory = chip === "enc28j60" ? "enc28j60Board" : "w5500Board"
    const dir = path.join(ROOT, ".start")
    fs.mkdirSync(dir, { recursive: true })
    const file = path.join(dir, "entry.ts")
    fs.writeFileSync(
        file,
        `// generated by host/sim/start.ts\n` +
            `import * as ds from "@devicescript/core"\n` +
            `import { CONFIG } from "../src/config/generated"\n` +
            `import { simulate } from "../src/sim/main"\n` +
            `import { ${factory} } from "../src/sim/${chip}-board"\n` +
            (o.runtime ? `import { nativeBus } from "../src/sim/native-spi"\n` : "") +
            (bridge
                ? `import { connectHostLink } from "../src/sim/hostlink"\n` +
                  `await simulate(CONFIG, ${factory}, {\n` +
                  `    seconds: ${o.seconds},\n` +
                  `    frames: false,\n` +
                  `    peers: ${o.virtualPeers},\n` +
                  (o.runtime ? `    bus: nativeBus("${o.runtime}"),\n` : "") +
                  `    link: async (seg, mac) => await connectHostLink(seg, mac, "${bridge.host}", ${bridge.port}),\n` +
                  `})\n`
                : collectorIsName()
                  ? // a collector by name: the virtual name and time servers too (src/sim/services.ts), the clock from now
                    `import { simulateNamed } from "../src/sim/services"\n` +
                    `await simulateNamed(CONFIG, ${factory}, { seconds: ${o.seconds}, frames: ${o.pcap ? "true" : "false"}${o.runtime ? `, bus: nativeBus("${o.runtime}")` : ""} }, ${Date.now()})\n`
                  : `await simulate(CONFIG, ${factory}, { seconds: ${o.seconds}, frames: ${o.pcap ? "true" : "false"}${o.runtime ? `, bus: nativeBus("${o.runtime}")` : ""} })\n`) +
            `ds.restart()\n`
    )
    return file
}

/** devicescript.json's telemetry.collector is a host name, not an address. */
function collectorIsName(): boolean {
    const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, "devicescript.json"), "utf8"))
    return !/^[0-9.]+$/.test(String(cfg.telemetry?.collector ?? ""))
}

/** The chip devicescript.json selects (validated by `npm run config`, which npm ci and the build run). */
function configuredChip(): "w5500" | "enc28j60" {
    const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, "devicescript.json"), "utf8"))
    return cfg.chip === "enc28j60" ? "enc28j60" : "w5500"
}

// eslint-disable-next-line no-control-regex

/**
 * Why `npm start` cannot run this configuration, or undefined. telemetry.format "mqtt": the
 * simulator's program (chip model, virtual LAN, stack, UDP telemetry) is already near DeviceScript's
 * 64 KB of function bytecode, and TCP + the MQTT client + a broker peer would not fit beside it.
 */
export function unsupportedConfig(cfg: any): string | undefined {
    if (cfg?.telemetry?.format !== "mqtt") return undefined
    return (
        'npm start: telemetry.format "mqtt" is not simulated (the simulator\'s program has no room for TCP, MQTT and a broker\n' +
        "under DeviceScript's 64 KB of function bytecode). To see telemetry over MQTT:\n" +
        "  - the board firmware: npm run build, then flash it (the broker at telemetry.collector:port);\n" +
        "  - against Mosquitto through the simulator: sudo npx mocha --config test/interop/mocharc.cjs test/interop/mqtt.interop.ts\n" +
        "    (or npx mocha test/host/mqtt-mosquitto.spec.ts), with Debian's mosquitto and mosquitto-clients;\n" +
        "  - the start path on a scripted broker: DEVS_TEST_FILES=test/mqtt/start.test.ts npx mocha.\n" +
        'Set telemetry.format to "statsd" or "influx" to run npm start.'
    )
}

export async function main(argv: string[]): Promise<number> {
    const o = parseArgs(argv)
    const unsupported = unsupportedConfig(JSON.parse(fs.readFileSync(path.join(ROOT, "devicescript.json"), "utf8")))
    if (unsupported) {
        console.error(unsupported)
        return 1
    }
    const cli = path.join(ROOT, "node_modules", "@devicescript", "cli", "devicescript")
    if (!fs.existsSync(cli)) {
        console.error("npm start: @devicescript/cli is not installed; run npm ci first")
        return 1
    }
    const t0 = Date.now()
    const stamp = () => "[" + ((Date.now() - t0) / 1000).toFixed(1).padStart(5) + "s]"
    const say = (s: string) => console.log(stamp() + " " + s)
    let bridge: Bridge | null = null
    if (o.tap) {
        try {
            // the bridge writes the pcap: it sees every frame of the wire, without printing them as hex
            bridge = await Bridge.start({ tap: o.tap, netns: o.netns, addresses: o.tapAddrs, mac: o.tapMac, pcap: o.pcap, log: say })
        } catch (e) {
            console.error(`npm start: ${e instanceof TapError ? "" : "cannot start the host bridge: "}${(e as Error).message}`)
            return 1
        }
    }
    try {
        return await runSimulator(o, cli, bridge, say)
    } finally {
        if (bridge) {
            await bridge.close()
            say("bridge: " + bridge.format())
            if (o.pcap) say(`wrote ${bridge.pcap?.frames ?? 0} frames to ${o.pcap}`)
        }
    }
}

async function runSimulator(o: Options, cli: string, bridge: Bridge | null, say: (s: string) => void): Promise<number> {
    const entry = writeEntry(o, bridge)
    const pcap = o.pcap && !bridge ? new PcapWriter(o.pcap) : null
    const sock = o.forward ? dgram.createSocket("udp4") : null
    say(`building and starting the firmware in the simulator for ${o.seconds} s (Ctrl-C stops it)`)

    const child = spawn(process.execPath, [cli, "run", path.relative(ROOT, entry), "--test", "-T", String((o.seconds + 60) * 1000)], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
    })
    let block: string[] | null = null
    let framePart = ""
    let blockHead = ""
    let datagrams = 0
    let forwarded = 0
    let compileErrors: string[] = []
    let panic = ""

    const onLine = (raw: string) => {
        const line0 = stripAnsi(raw)
        if (!line0.startsWith("WASM> ")) {
            if (/error TS\d+/.test(line0)) compileErrors.push(line0)
            return
        }
        const line = line0.slice(6)
        if (block !== null) {
            if (line === "@@end") {
                finishBlock(blockHead, block)
                block = null
            } else block.push(line)
            return
        }
        if (line.startsWith("@@frame+ ")) {
            framePart += line.slice(9) // the firmware splits long frames (console lines are cut at 296 chars)
        } else if (line.startsWith("@@frame ")) {
            pcap?.write(Buffer.from(framePart + line.slice(8), "hex"), Date.now())
            framePart = ""
        } else if (line.startsWith("@@info ")) say(line.slice(7))
        else if (line.startsWith("@@neigh ")) say("neighbour " + line.slice(8))
        else if (line.startsWith("@@sent ")) {
            datagrams++
            if (!o.quiet) say("telemetry datagram " + line.slice(7))
        } else if (line.startsWith("@@collector ") || line === "@@stats") {
            block = []
            blockHead = line
        } else if (line.startsWith("@@spi ")) say("SPI: " + line.slice(6))
        else if (line.startsWith("@@hostlink ")) say("host link: " + line.slice(11))
        else if (line.startsWith("Exception:") || line.startsWith("PANIC") || line.startsWith("Unhandled")) {
            panic += line + "\n"
            console.log("  " + line)
        } else if (line.startsWith(" message:") || line.startsWith(" at ")) {
            if (panic) {
                panic += line + "\n"
                console.log("  " + line)
            }
        }
    }
    const finishBlock = (head: string, lines: string[]) => {
        if (head === "@@stats") {
            say("stack counters:")
            for (const l of lines) console.log("    " + l)
            return
        }
        // "@@collector <src>:<port> <n> bytes" then the payload text
        say("collector received from " + head.slice(12) + ":")
        for (const l of lines) console.log("    " + l)
        if (sock && o.forward) {
            sock.send(Buffer.from(lines.join("\n")), o.forward.port, o.forward.host)
            forwarded++
        }
    }
    const splitter = (onText: (s: string) => void) => {
        let rest = ""
        return (chunk: Buffer) => {
            rest += chunk.toString("utf8")
            const parts = rest.split("\n")
            rest = parts.pop() ?? ""
            for (const p of parts) onText(p)
        }
    }
    child.stdout.on("data", splitter(onLine))
    child.stderr.on("data", splitter(l => {
        const s = stripAnsi(l)
        if (/error TS\d+/.test(s)) compileErrors.push(s)
    }))
    const stop = () => child.kill("SIGTERM")
    process.once("SIGINT", stop)
    process.once("SIGTERM", stop)
    // the CLI's -T covers the run, not the compile before it: a bound of our own
    const watchdog = setTimeout(() => child.kill("SIGKILL"), (o.seconds + 180) * 1000)
    const code: number = await new Promise(resolve => child.on("close", (c: number | null) => resolve(c ?? 1)))
    clearTimeout(watchdog)
    process.removeListener("SIGINT", stop)
    process.removeListener("SIGTERM", stop)
    pcap?.close()
    if (sock) await new Promise<void>(r => sock.close(() => r()))
    if (compileErrors.length > 0) {
        console.error("the firmware did not compile:\n" + compileErrors.join("\n"))
        return 1
    }
    if (pcap) say(`wrote ${pcap.frames} frames to ${o.pcap}`)
    if (o.forward) say(`forwarded ${forwarded} datagrams to ${o.forward.host}:${o.forward.port}`)
    if (panic || code !== 0) {
        say(panic ? "the firmware stopped with an error" : `the simulator exited with code ${code}`)
        return 1
    }
    say(`done: ${datagrams} telemetry datagrams in ${o.seconds} s`)
    return 0
}

if (require.main === module) {
    main(process.argv.slice(2)).then(c => process.exit(c), e => {
        console.error(e)
        process.exit(1)
    })
}
