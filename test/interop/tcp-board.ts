// The board side of the TCP interop test (test/interop/tcp.interop.ts generates the entry that calls
// it): a chip model joined to the host bridge, the stack with TCP, and commands from the test in
// CONTROL records, answered the same way (one connection per id):
//   connect <id> <a.b.c.d> <port>   ->  connect <id> <status> <error>        (waits up to 30 s)
//   send <id> <len>                 ->  send <id> <bytes accepted> <status>   byte i = (i + 7 * (i >> 8) + id) & 0xff
//   recv <id> <ms>                  ->  recv <id> <count> <fletcher a> <fletcher b> <status>
//                                       (reads until the peer's FIN or `ms` without data)
//   close <id>                      ->  close <id> <state> <status>          (waits for CLOSED/TIME-WAIT, 20 s)
//   status <id>                     ->  status <id> <state> <status> <error>
//   stats                           ->  stats\n<formatStack(stack)>
//   quit                            ->  bye
// Every wait has a deadline; sends yield between chunks (the step watchdog).

import * as ds from "@devicescript/core"
import { StackConfig } from "../../src/config/types"
import { NetDevice } from "../../src/dev/netdev"
import { Segment } from "../../src/sim/lan"
import { joinBridge } from "./board-link"
import { startStack } from "../../src/start"
import { parseIpv4 } from "../../src/wire/addr"
import { tcpTable, TcpConfig } from "../../src/tcp/table"
import { TcpConn, TcpState } from "../../src/tcp/conn"
import { StreamStatus } from "../../src/tcp/stream"
import { formatStack } from "../../src/stackformat"

export async function runTcpBoard(
    config: StackConfig,
    device: (segment: Segment) => NetDevice,
    host: string,
    port: number,
    tcpCfg: TcpConfig
): Promise<void> {
    const board = await joinBridge(config, device, host, port)
    const reply = (text: string) => board.reply(text)
    const stack = await startStack(config, board.dev)
    const tcp = tcpTable(stack, tcpCfg)
    const conns: TcpConn[] = []
    const ids: number[] = []
    const scratch = Buffer.alloc(512)
    const find = (id: number) => {
        const k = ids.indexOf(id)
        return k < 0 ? null : conns[k]
    }
    console.log("tcp board: up")
    reply("ready")

    await board.serve(async w => {
        const id = parseInt(w[1])
        const c = find(id)
        // forget the connections that ended: their rings go back to the heap (the W5500
        // model's 32 KB share it)
        if (w[0] === "connect" || w[0] === "stats") {
            for (let k = conns.length - 1; k >= 0; k--) {
                if (conns[k].state === TcpState.Closed) {
                    conns.insert(k, -1)
                    ids.insert(k, -1)
                }
            }
        }
        if (w[0] === "connect") {
            const n = tcp.connect(parseIpv4(w[2]), parseInt(w[3]))
            if (n === null) {
                reply("connect " + id + " none " + tcp.lastError)
                return
            }
            conns.push(n)
            ids.push(id)
            const end = ds.millis() + 30000
            while (n.status() === StreamStatus.Connecting && ds.millis() < end) await n.waitEvent(100)
            reply("connect " + id + " " + n.status() + " " + n.error)
        } else if (w[0] === "send" && c) {
            const len = parseInt(w[2])
            let pos = 0
            let idle = ds.millis()
            while (pos < len && ds.millis() - idle < 30000) {
                const s = c.status()
                if (s !== StreamStatus.Open && s !== StreamStatus.PeerClosed) break
                const room = Math.min(c.writable(), Math.min(scratch.length, len - pos))
                if (room === 0) {
                    await c.waitEvent(50)
                    continue
                }
                // byte i of stream `id` = (i + 7 * (i >> 8) + id) & 0xff (the test computes the same;
                // order-sensitive across 256-byte blocks), inline: a call per byte is slow under --test
                for (let i = 0; i < room; i++) {
                    const k = pos + i
                    scratch[i] = k + 7 * (k >> 8) + id
                }
                pos += c.write(scratch, 0, room)
                idle = ds.millis()
                await ds.sleep(0)
            }
            reply("send " + id + " " + pos + " " + c.status())
        } else if (w[0] === "recv" && c) {
            const ms = parseInt(w[2])
            let count = 0
            let a = 0
            let b = 0
            let last = ds.millis()
            for (;;) {
                const n = c.read(scratch, 0, scratch.length)
                if (n > 0) {
                    // Fletcher-16 over the stream (RFC 1146): order-sensitive
                    for (let i = 0; i < n; i++) {
                        a = (a + scratch[i]) % 255
                        b = (b + a) % 255
                    }
                    count += n
                    last = ds.millis()
                    await ds.sleep(0)
                    continue
                }
                const s = c.status()
                if (s !== StreamStatus.Open && s !== StreamStatus.Connecting) break
                if (ds.millis() - last > ms) break
                await c.waitEvent(50)
            }
            reply("recv " + id + " " + count + " " + a + " " + b + " " + c.status())
        } else if (w[0] === "close" && c) {
            c.close()
            const end = ds.millis() + 20000
            while (c.state !== TcpState.Closed && c.state !== TcpState.TimeWait && ds.millis() < end) await c.waitEvent(100)
            reply("close " + id + " " + c.state + " " + c.status())
        } else if (w[0] === "status" && c) {
            reply("status " + id + " " + c.state + " " + c.status() + " " + c.error)
        } else if (w[0] === "stats") {
            reply("stats\n" + formatStack(stack))
        } else reply("error " + w.join(" "))
    })
    board.finish("tcp board")
}
