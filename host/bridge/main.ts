// The host bridge as a program: a Linux TAP interface on one side, the DeviceScript simulator (the
// firmware's simulate() with `link: connectHostLink(...)`, src/sim/hostlink.ts) on the other. Runs
// until Ctrl-C / SIGTERM, then stops socat (a TAP it created disappears) and prints its counters.
// Needs root (CAP_NET_ADMIN).
//
//   npx tsx host/bridge/main.ts --tap NAME [--netns NS] [--addr CIDR]... [--tap-mac MAC]
//                               [--listen HOST:PORT] [--pcap FILE] [--seconds N]
//
//   --tap NAME          the TAP interface: created, or attached to when it exists (ip tuntap add)
//   --netns NS          move the (created) TAP into this existing network namespace
//   --addr CIDR         give the TAP (the kernel's side) this address; repeatable
//   --tap-mac MAC       the kernel side's MAC address
//   --listen HOST:PORT  where the simulator connects (default 127.0.0.1:8790)
//   --pcap FILE         write every frame carried to FILE
//   --seconds N         stop after N seconds (default: run until interrupted)

import * as path from "node:path"
import { Bridge } from "./bridge"
import { TapError } from "./tap"
import { readArgs, usageExit } from "../cli"

export const DEFAULT_BRIDGE_PORT = 8790

interface Args {
    tap: string
    netns?: string
    addresses: string[]
    mac?: string
    host: string
    port: number
    pcap?: string
    seconds: number
}

const usage: (msg?: string) => never = usageExit(
    "bridge",
    "usage: npx tsx host/bridge/main.ts --tap NAME [--netns NS] [--addr CIDR]... [--tap-mac MAC]\n" +
            "                                   [--listen HOST:PORT] [--pcap FILE] [--seconds N]"
)

function parseArgs(argv: string[]): Args {
    const v = readArgs(
        argv,
        {
            tap: { type: "string" },
            netns: { type: "string" },
            addr: { type: "string", multiple: true },
            "tap-mac": { type: "string" },
            listen: { type: "string" },
            pcap: { type: "string" },
            seconds: { type: "string" },
        },
        usage
    )
    const a: Args = { tap: v.tap ?? "", addresses: [], host: "127.0.0.1", port: DEFAULT_BRIDGE_PORT, seconds: 0, netns: v.netns, mac: v["tap-mac"] }
    for (const x of v.addr ?? []) {
        if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(x)) usage("--addr takes an IPv4 CIDR, e.g. 192.0.2.1/24")
        a.addresses.push(x)
    }
    if (v.listen !== undefined) {
        const m = /^([^:]+):(\d+)$/.exec(v.listen)
        if (!m) usage("--listen takes HOST:PORT")
        a.host = m[1]
        a.port = Number(m[2])
    }
    if (v.pcap !== undefined) a.pcap = path.resolve(v.pcap)
    if (v.seconds !== undefined) {
        a.seconds = Number(v.seconds)
        if (!(a.seconds > 0)) usage("--seconds must be positive")
    }
    if (!a.tap) usage("--tap NAME is required")
    return a
}

export async function main(argv: string[]): Promise<number> {
    const a = parseArgs(argv)
    const t0 = Date.now()
    const say = (s: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${s}`)
    let bridge: Bridge
    try {
        bridge = await Bridge.start({
            tap: a.tap,
            netns: a.netns,
            addresses: a.addresses,
            mac: a.mac,
            listenHost: a.host,
            listenPort: a.port,
            pcap: a.pcap,
            log: say,
        })
    } catch (e) {
        console.error(`bridge: ${e instanceof TapError ? "" : "cannot start: "}${(e as Error).message}`)
        return 1
    }
    say(
        `waiting for the simulator: simulate(CONFIG, w5500Board, { ..., peers: false, ` +
            `link: async (seg, mac) => await connectHostLink(seg, mac, "${bridge.host}", ${bridge.port}) })`
    )
    bridge.on("disconnect", () => say("waiting for the simulator to connect again (Ctrl-C ends)"))
    let code = 0
    await new Promise<void>(resolve => {
        const stop = () => resolve()
        process.once("SIGINT", stop)
        process.once("SIGTERM", stop)
        bridge.once("tap-exit", () => {
            code = 1
            resolve()
        })
        if (a.seconds > 0) setTimeout(stop, a.seconds * 1000)
    })
    await bridge.close()
    say("bridge: " + bridge.format())
    if (a.pcap) say(`wrote ${bridge.pcap?.frames ?? 0} frames to ${a.pcap}`)
    return code
}

if (require.main === module) {
    // output piped into `head` and the like: keep bridging (and clean up at the end) without it
    process.stdout.on("error", () => {})
    main(process.argv.slice(2)).then(
        c => process.exit(c),
        e => {
            console.error(e)
            process.exit(1)
        }
    )
}
