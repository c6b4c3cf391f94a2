// The board side of the Linux interop test (test/interop/linux.interop.ts generates the entry that
// calls it). A chip model on a segment without virtual peers, joined to the host bridge
// (src/sim/hostlink.ts); the stack; telemetry to the configured collector; and commands from the
// test in CONTROL records, answered the same way:
//   send <id> <a.b.c.d> <port> <len> <wait>  ->  sent <id> <result>
//       a UDP datagram of <len> bytes, byte i = (i + id) & 0xff; wait 1 = sendToWait (10 s)
//   neigh <a.b.c.d>                          ->  neigh <a.b.c.d> <STATE> [<mac>]
//   stats                                    ->  stats\n<formatStack(stack)>\n<telemetry and link counters>
//   quit                                     ->  bye, and the function returns
// Not a *.test.ts file: npm test does not run it on its own. The entry passes the chip's model and
// driver (`device`) rather than using SimulatedBoard + createDevice, which compile in both chips and
// the virtual peers: a program's code must stay under the bytecode format's 64 KB.

import * as ds from "@devicescript/core"
import { StackConfig } from "../../src/config/types"
import { NetDevice } from "../../src/dev/netdev"
import { Segment } from "../../src/sim/lan"
import { joinBridge } from "./board-link"
import { startStack, startTelemetry } from "../../src/start"
import { formatMac, parseIpv4 } from "../../src/wire/addr"
import { NEIGH_ENTRY_LEN, neighState, NO_NEIGH, nudStateName } from "../../src/neigh/neighbour"
import { sendResultName } from "../../src/ipv4/output"
import { sendToWait } from "../../src/udp/socket"
import { formatStack } from "../../src/stackformat"

/** `device`: the chip model on the segment behind a SimSpiBus, and its driver. */
export async function runInteropBoard(
    config: StackConfig,
    device: (segment: Segment) => NetDevice,
    host: string,
    port: number
): Promise<void> {
    const board = await joinBridge(config, device, host, port)
    const reply = (text: string) => board.reply(text)
    const dev = board.dev
    const link = board.link
    const stack = await startStack(config, dev)
    const telemetry = startTelemetry(stack, config)
    const sock = stack.udpSocket(0)
    console.log("interop board: up, link " + (dev.carrier() ? "up" : "down"))
    reply("ready " + sock.localPort)

    await board.serve(async w => {
        if (w[0] === "send") {
            const id = parseInt(w[1])
            const len = parseInt(w[4])
            // allocated per datagram and dropped after: 16 KB held for the whole run, next to
            // a W5500 model whose RX memory a ping flood fills (16 KB), runs the heap out
            let data = Buffer.alloc(len)
            // ~15 steps a byte: yield every 2 KB (the step watchdog allows 128 Ki between yields)
            for (let i = 0; i < len; i++) {
                data[i] = i + id
                if ((i & 2047) === 2047) await ds.sleep(0)
            }
            const dst = parseIpv4(w[2])
            const p = parseInt(w[3])
            const r = w[5] === "1" ? await sendToWait(sock, dst, p, data, 0, len, 10000) : sock.sendTo(dst, p, data, 0, len)
            console.log("interop board: send " + id + " (" + len + " bytes to " + w[2] + ":" + p + "): " + sendResultName(r))
            data = null
            reply("sent " + id + " " + sendResultName(r))
        } else if (w[0] === "neigh") {
            const nt = stack.neigh
            const n = nt.lookup(parseIpv4(w[1]))
            reply("neigh " + w[1] + " " + (n === NO_NEIGH ? "NONE" : nudStateName(neighState(nt, n)) + " " + formatMac(nt.buf, n * NEIGH_ENTRY_LEN)))
        } else if (w[0] === "stats") {
            let t = "stats\n" + formatStack(stack) + "\ntelemetry: sent " + telemetry.stats.datagrams_sent
            t += " dropped " + telemetry.stats.datagrams_dropped + " metrics_dropped " + telemetry.stats.metrics_dropped
            t += "\nhostlink: to_host " + link.framesToHost + " from_host " + link.framesFromHost + " dropped " + link.dropped
            reply(t)
        } else reply("error unknown command " + w[0])
    })
    telemetry.stop()
    board.finish("interop board")
}
