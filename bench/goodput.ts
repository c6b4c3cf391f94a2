// TCP goodput from the board to a peer on the virtual LAN, on the W5500 model (src/sim/w5500-board.ts:
// the MACRAW driver over the simulated SPI bus, receive gated on the model's INTn), with the stack
// started as on a board (its drain, timer and receive tasks), and the same for UDP datagrams, in one
// program: host/bench/goodput.ts runs it without GC stress (devicescript run --tcp).
//
// The peer (192.0.2.20) is a scripted receiver on the segment: it answers the SYN with SYN-ACK (MSS
// 1,460, window 65,535), takes in-order data, and ACKs every segment at once, synchronously on the
// wire (no delay); its frames are built by test/tcp/peer.ts (checksums computed in script, on the
// same VM: its cost is part of the time). The board's neighbour entry for it is static (no ARP).
// Goodput = application bytes the peer received in order / time from the first write until the
// last byte arrived. UDP: 1,460-byte datagrams (a full segment's data) sent as fast as the qdisc
// takes them (a full qdisc: wait 1 ms), bytes received by the peer over the same time.
//
// BULK_KB and ROUNDS are rewritten by host/bench/goodput.ts. After a UDP warm-up, each round runs
// UDP, TCP with the default TcpConfig (a 1,460-byte send ring: one segment in flight) and TCP with a
// 4,380-byte ring (three, as the interop suite runs it). Lines: "@@bench goodput kind=... bytes=...
// ms=..." and "@@bench:done".

import * as ds from "@devicescript/core"
import { NetStack } from "../src/stack"
import { w5500Board } from "../src/sim/w5500-board"
import { LanPort, Segment } from "../src/sim/lan"
import { tcpTable, TcpConfig, TcpTable } from "../src/tcp/table"
import { StreamStatus } from "../src/tcp/stream"
import { SendResult } from "../src/ipv4/output"
import { TcpMib } from "../src/tcp/mib"
import { getU32 } from "../src/wire/bytes"
import { testConfig, COLLECTOR_IP } from "../test/support/config"
import { segment, add32, PEER_ISS, SYN, ACK, FIN, RST } from "../test/tcp/peer"
import { COLLECTOR_MAC, makePayload, report } from "./common"

const BULK_KB = 8
const ROUNDS = 1
const BULK = BULK_KB * 1024
const PORT = 5001
const UDP_PORT = 9000

class Peer implements LanPort {
    rcvNxt = 0
    tcpBytes = 0
    udpBytes = 0
    private readonly out = Buffer.alloc(60)
    constructor(readonly seg: Segment) {
        seg.attach(this)
    }
    receiveFromWire(f: Buffer, off: number, len: number): void {
        if (len < 34 || f[off + 12] !== 0x08 || f[off + 13] !== 0x00) return
        const ip = off + 14
        const ihl = (f[ip] & 15) * 4
        const total = f[ip + 2] * 256 + f[ip + 3]
        const proto = f[ip + 9]
        const t = ip + ihl
        if (proto === 17) {
            if (f[t + 2] * 256 + f[t + 3] === UDP_PORT) this.udpBytes += f[t + 4] * 256 + f[t + 5] - 8
            return
        }
        if (proto !== 6) return
        const sport = f[t] * 256 + f[t + 1]
        const seq = getU32(f, t + 4)
        const flags = f[t + 13]
        const dlen = total - ihl - (f[t + 12] >> 4) * 4
        let reply: Buffer = null
        if (flags & SYN) {
            this.rcvNxt = add32(seq, 1)
            reply = segment(PORT, sport, PEER_ISS, this.rcvNxt, SYN | ACK, 65535, hex`02 04 05 b4`, null)
        } else if (flags & RST) return
        else {
            // in-order data only (anything else is ACKed with RCV.NXT: the board retransmits it)
            if (seq === this.rcvNxt && dlen > 0) {
                this.rcvNxt = add32(seq, dlen)
                this.tcpBytes += dlen
            }
            if (flags & FIN && ((seq + dlen - this.rcvNxt) | 0) === 0) this.rcvNxt = add32(this.rcvNxt, 1)
            if (dlen === 0 && !(flags & FIN)) return
            reply = segment(PORT, sport, add32(PEER_ISS, 1), this.rcvNxt, ACK, 65535, null, null)
        }
        // a MAC pads a frame to 60 bytes (the W5500 drops runts)
        this.out.fillAt(0, 60, 0)
        this.out.blitAt(0, reply, 0, reply.length)
        this.seg.transmit(this, this.out, 0, 60)
    }
}

const cfg = testConfig()
cfg.arp.push({ ip: COLLECTOR_IP, mac: COLLECTOR_MAC })
const board = w5500Board(cfg, { peers: false })
const peer = new Peer(board.segment)
const stack = new NetStack(cfg, board.device)
await stack.start()
const payload = makePayload(1460)

async function tcpRun(tcp: TcpTable, what: string, sndBuf: number): Promise<void> {
    const c = tcp.connect(COLLECTOR_IP, PORT)
    const t00 = ds.millis()
    while (c.status() === StreamStatus.Connecting && ds.millis() - t00 < 5000) await c.wait(50)
    if (c.status() !== StreamStatus.Open) throw new Error("goodput: no connection (" + c.status() + ")")
    const before = peer.tcpBytes
    const segs0 = tcp.stats[TcpMib.OutSegs]
    const retrans0 = tcp.stats[TcpMib.RetransSegs]
    const t0 = ds.millis()
    let written = 0
    while (written < BULK && ds.millis() - t0 < 60000) {
        const n = c.write(payload, 0, Math.min(payload.length, BULK - written))
        written += n
        if (n === 0) await c.wait(20)
    }
    while (peer.tcpBytes - before < BULK && ds.millis() - t0 < 60000) await ds.sleep(1)
    const ms = ds.millis() - t0
    const got = peer.tcpBytes - before
    c.abort()
    let line = "goodput kind=" + what + " sndbuf=" + sndBuf + " bytes=" + got + " ms=" + ms
    line += " segs=" + (tcp.stats[TcpMib.OutSegs] - segs0) + " retrans=" + (tcp.stats[TcpMib.RetransSegs] - retrans0)
    report(line)
    await ds.sleep(50)
}

const udp = stack.udpSocket(5000)
async function udpRun(what: string): Promise<void> {
    const s = udp
    const before = peer.udpBytes
    const t0 = ds.millis()
    let sent = 0
    let full = 0
    while (sent < BULK && ds.millis() - t0 < 60000) {
        const n = Math.min(payload.length, BULK - sent)
        const r = s.sendTo(COLLECTOR_IP, UDP_PORT, payload, 0, n)
        if (r === SendResult.Sent) sent += n
        else if (r === SendResult.QueueFull) {
            full++
            await ds.sleep(1)
        } else throw new Error("goodput: udp send " + r)
    }
    while (peer.udpBytes - before < sent && ds.millis() - t0 < 60000) await ds.sleep(1)
    const ms = ds.millis() - t0
    report("goodput kind=" + what + " bytes=" + (peer.udpBytes - before) + " ms=" + ms + " queue_full=" + full)
}

// warm-up: the W5500 model, the driver and the route cache
await udpRun("warmup")
const def = new TcpConfig()
def.connections = 1
const tcp = tcpTable(stack, def)
for (let r = 0; r < ROUNDS; r++) {
    await udpRun("udp")
    def.sndBuf = 1460
    await tcpRun(tcp, "tcp", def.sndBuf)
    def.sndBuf = 4380
    await tcpRun(tcp, "tcp", def.sndBuf)
}
console.log("@@bench:done")
