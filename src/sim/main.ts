// The telemetry firmware in the simulator: the configured chip model on the virtual LAN with a
// gateway and a collector, the stack, the telemetry client. It prints what happens for a person
// (and, behind `@@` markers, for host/sim/start.ts): neighbours resolved, datagrams sent, what the
// collector received, the counters at the end. With `frames`, every frame on the virtual wire is
// printed as hex for the host to write a pcap file. With `link`, the virtual wire is joined to
// something outside, e.g. `connectHostLink` (hostlink.ts: the host bridge and a Linux TAP interface
// behind it, over the simulator's TCP connection); with `peers: false` the virtual gateway and
// collector are left out because the real network has them. The link comes as a function from the
// entry, not as host and port, so that the firmware (src/main.ts, which contains simulate()) does
// not carry the host link's code: a program's code must stay under the bytecode format's 64 KB.

import * as ds from "@devicescript/core"
import { StackConfig } from "../config/types"
import { NetStack } from "../stack"
import { SimBusFactory, SimulatedBoard, SimulatedBoardOptions } from "./board"
import { startTelemetry } from "../start"
import { startDhcp } from "../dhcpstart"
import { DhcpClient } from "../dhcp/client"
import { TelemetryClient } from "../telemetry/client"
import { formatIpv4, formatMac } from "../wire/addr"
import { NEIGH_ENTRY_LEN, neighIp, neighState, nudStateName, NudState } from "../neigh/neighbour"
import { sendResultName } from "../ipv4/output"
import { Segment, SegmentLink } from "./lan"
import { formatStack } from "../stackformat"

export interface SimulationOptions {
    /** Stop (ds.restart) after this long; 0 = run forever. */
    seconds: number
    /** Print every frame on the wire as `@@frame <hex>`. */
    frames: boolean
    /**
     * Join the virtual wire to the outside before the stack starts, e.g.
     * `link: async (seg, mac) => await connectHostLink(seg, mac, "127.0.0.1", 8790)` for the host bridge.
     */
    link?: (segment: Segment, mac: Buffer) => Promise<SegmentLink>
    /** Create the virtual gateway and collector (default true). */
    peers?: boolean
    /** The bus the driver talks through (board.ts SimulatedBoardOptions.bus); the direct model bus by default. */
    bus?: SimBusFactory
    /** More scripted peers on the virtual wire (services.ts: a name and time server). */
    services?: (segment: Segment) => void
    /** Starts the telemetry instead of startTelemetry (services.ts: startNamedTelemetry, given the DHCP client if there is one). */
    telemetry?: (stack: NetStack, config: StackConfig, dhcp: DhcpClient) => TelemetryClient
}

/**
 * Prints one frame for the host's pcap writer. DeviceScript's console cuts a line at 296 characters
 * (148 bytes as hex), so a frame goes out as `@@frame+ <hex>` lines of 128 bytes and a last
 * `@@frame <hex>` line; host/sim/start.ts joins them.
 */
function logFrame(f: Buffer, off: number, len: number): void {
    let at = 0
    while (len - at > 128) {
        console.log("@@frame+ " + f.slice(off + at, off + at + 128).toString("hex"))
        at += 128
    }
    console.log("@@frame " + f.slice(off + at, off + len).toString("hex"))
}

/** Builds the simulated board for one chip (w5500Board, enc28j60Board). */
export type BoardFactory = (config: StackConfig, opts: SimulatedBoardOptions) => SimulatedBoard

export async function simulate(config: StackConfig, makeBoard: BoardFactory, opts: SimulationOptions): Promise<NetStack> {
    const board = makeBoard(config, { peers: opts.peers !== false, bus: opts.bus })
    let link: SegmentLink = null
    if (opts.link) {
        link = await opts.link(board.segment, config.mac)
        console.log("@@info the virtual wire is joined to the host link")
    }
    if (opts.frames) board.segment.tap(logFrame)
    if (opts.services) opts.services(board.segment)
    const stack = new NetStack(config, board.device)
    // (long string chains crash the DeviceScript compiler: build the line in steps)
    let info = "@@info board " + config.board + ": " + board.device.name + " model, "
    info += (config.dhcp !== undefined ? "dhcp" : formatIpv4(config.address) + "/" + config.prefix) + " mac " + formatMac(config.mac, 0)
    info += ", collector " + formatIpv4(config.collector) + ":" + config.collectorPort + " (" + config.telemetryFormat + ")"
    console.log(info)
    await stack.start()
    let dhcp: DhcpClient = null
    if (config.dhcp !== undefined) {
        dhcp = startDhcp(stack, config, lease => {
            if (lease !== null) console.log("@@info dhcp lease " + formatIpv4(lease.address) + "/" + lease.prefix + " from " + formatIpv4(lease.server) + " for " + lease.leaseSec + " s")
            else console.log("@@info dhcp lease lost")
        })
    }
    console.log("@@info " + board.device.bringUp)
    console.log("@@info link " + (board.device.carrier() ? "up" : "down") + ", device " + board.device.name + " open")

    const telemetry = opts.telemetry ? opts.telemetry(stack, config, dhcp) : startTelemetry(stack, config)
    telemetry.onDatagram = (buf, len, r) => console.log("@@sent " + len + " bytes: " + sendResultName(r))

    const states: number[] = []
    let seen = 0
    const t0 = ds.millis()
    while (opts.seconds === 0 || ds.millis() - t0 < opts.seconds * 1000) {
        await ds.sleep(100)
        if (link !== null && link.failed) {
            console.log("@@hostlink " + link.lastError)
            break
        }
        // neighbour state changes
        const nt = stack.neigh
        for (let n = 0; n < nt.capacity; n++) {
            const st = neighState(nt, n)
            if (states[n] !== st) {
                states[n] = st
                if (st !== NudState.None)
                    console.log("@@neigh " + formatIpv4(neighIp(nt, n)) + " " + nudStateName(st) + (nt.valid(n) ? " " + formatMac(nt.buf, n * NEIGH_ENTRY_LEN) : ""))
            }
        }
        // what the collector received since last time (it keeps the last few)
        const c = board.collector
        if (c !== null && c.udpReceived > seen) {
            const recs = c.udp
            const fresh = Math.min(c.udpReceived - seen, recs.length)
            for (let k = recs.length - fresh; k < recs.length; k++) {
                const r = recs[k]
                console.log("@@collector " + formatIpv4(r.srcIp) + ":" + r.srcPort + " " + r.len + " bytes\n" + r.payload.slice(0, r.len).toString())
                console.log("@@end")
            }
            seen = c.udpReceived
        }
    }
    telemetry.stop()
    console.log("@@stats\n" + formatStack(stack))
    console.log("@@end")
    let spi = "@@spi " + board.bus.transactions + " transactions, " + board.bus.bytes + " bytes; telemetry: "
    spi += telemetry.stats.datagrams_sent + " datagrams sent, " + telemetry.stats.datagrams_dropped + " dropped, "
    console.log(spi + telemetry.stats.metrics_dropped + " metrics dropped")
    if (link !== null) {
        console.log("@@info " + link.summary())
        link.stop()
    }
    return stack
}
