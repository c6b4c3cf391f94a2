// Bytecode steps per datagram: a measure of the per-packet path that the machine's load cannot
// disturb. The VM allows a fiber 128 Ki steps between yields and then panics (InfiniteLoop); this
// program spends a fresh budget on K datagrams of one case, then on counted filler iterations, and
// prints a line per iteration. Every iteration costs the same overhead O (test, count, print); the
// datagrams add S each. host/bench/run.ts patches the case, size and K into SPEC, runs the
// program once with K = 0 (N0 iterations: O = budget / N0) and per case with K datagrams (N
// iterations): S = O * (N0 - N) / K, to within O / K.
//
// Cases: 1 floor (startXmit of the prebuilt frames), 2 stack (sendTo + drain, default config),
// 3 ip (queueXmit + drain), 4 qdisc (reserve/copy/enqueue + drain), 5 hand-written sender,
// 6 stack with 8+8 hook rules, 7 stack with the FIB of 32 (route cached), 8 the FIB of 32 with the
// cache defeated, 9 stack with 32 neighbours (destination last).

import * as ds from "@devicescript/core"
import { NetStack } from "../src/stack"
import { TestDevice } from "../src/dev/testdev"
import { UdpSocket, PmtuDisc } from "../src/udp/socket"
import { XmitStatus } from "../src/dev/netdev"
import { BOARD_IP, COLLECTOR_IP } from "../test/support/config"
import { Cfg, cfgDest, makePayload, makeStack, BOARD_MAC, COLLECTOR_MAC, DST_PORT, SRC_PORT } from "./common"

const SPEC = "@@stepspec:00:0:000000"
const CASE = parseInt(SPEC.slice(11, 13))
const SIZE = [16, 64, 512, 1472, 4000][parseInt(SPEC.slice(14, 15))]
const K = parseInt(SPEC.slice(16, 22))

function cfgOf(c: number): Cfg {
    if (c === 6) return Cfg.Hooks8
    if (c === 7 || c === 8) return Cfg.Fib32
    if (c === 9) return Cfg.Arp32
    return Cfg.Default
}

await ds.sleep(0)
const stack: NetStack = makeStack(cfgOf(CASE))
await ds.sleep(0)
const dev = stack.dev as TestDevice
const s: UdpSocket = stack.udpSocket(SRC_PORT)
s.pmtudisc = SIZE > 1472 ? PmtuDisc.Dont : PmtuDisc.Want
const dst = cfgDest(cfgOf(CASE))
const payload = makePayload(SIZE)
const frames: Buffer[] = []
function capture(f: Buffer, off: number, len: number): void {
    const c = Buffer.alloc(len)
    c.blitAt(0, f, off, len)
    frames.push(c)
}
dev.onFrame = capture
s.sendTo(dst, DST_PORT, payload, 0, SIZE)
await stack.drain.run()
dev.onFrame = null
const nf = frames.length
const f0 = frames[0]
const hand = Buffer.alloc(1514)
const q = stack.qdisc
const pool = stack.pool.buf
const drain = stack.drain
const ip = stack.ip
const fib = stack.fib
const pkt = s.pkt

function leOf(a: number): number {
    return (((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24)) >>> 0
}
const HAND_SRC = leOf(BOARD_IP)
const HAND_DST = leOf(COLLECTOR_IP)
let handIdent = 1

/** The same single function as bench/cost.ts's handSend. */
async function handSend(plen: number): Promise<XmitStatus> {
    const b = hand
    b.blitAt(0, COLLECTOR_MAC, 0, 6)
    b.blitAt(6, BOARD_MAC, 0, 6)
    b[12] = 0x08
    b[13] = 0x00
    const total = 28 + plen
    b[14] = 0x45
    b[15] = 0
    b[16] = total >> 8
    b[17] = total & 0xff
    const id = handIdent
    handIdent = id >= 0xffff ? 1 : id + 1
    b[18] = id >> 8
    b[19] = id & 0xff
    b[20] = 0x40
    b[21] = 0
    b[22] = 64
    b[23] = 17
    b[24] = 0
    b[25] = 0
    b.setAt(26, "u32", HAND_SRC)
    b.setAt(30, "u32", HAND_DST)
    let sum = b.getAt(14, "u32") + b.getAt(18, "u32") + b.getAt(22, "u32") + HAND_SRC + HAND_DST
    while (sum > 0xffff) {
        const h = Math.floor(sum / 0x10000)
        sum = sum - h * 0x10000 + h
    }
    let c = ~(((sum & 0xff) << 8) | (sum >> 8)) & 0xffff
    b[24] = c >> 8
    b[25] = c & 0xff
    const ulen = 8 + plen
    b[34] = SRC_PORT >> 8
    b[35] = SRC_PORT & 0xff
    b[36] = DST_PORT >> 8
    b[37] = DST_PORT & 0xff
    b[38] = ulen >> 8
    b[39] = ulen & 0xff
    b[40] = 0
    b[41] = 0
    b.blitAt(42, payload, 0, plen)
    sum = HAND_SRC + HAND_DST + 0x1100 + (((ulen & 0xff) << 8) | (ulen >> 8))
    const end = 34 + ulen
    const end4 = 34 + (ulen & ~3)
    let i = 34
    while (i < end4) {
        sum += b.getAt(i, "u32")
        i += 4
    }
    if (i + 2 <= end) {
        sum += b.getAt(i, "u16")
        i += 2
    }
    if (i < end) sum += b[i]
    while (sum > 0xffff) {
        const h = Math.floor(sum / 0x10000)
        sum = sum - h * 0x10000 + h
    }
    c = ~(((sum & 0xff) << 8) | (sum >> 8)) & 0xffff
    if (c === 0) c = 0xffff
    b[40] = c >> 8
    b[41] = c & 0xff
    return await dev.startXmit(b, 0, 14 + total)
}

// One loop per case, all of the same shape, so that the per-iteration overhead O is the same as in
// the calibration run (K = 0, where the datagram is never sent).
const len0 = f0.length
async function warmup(): Promise<void> {
    for (let i = 0; i < 2; i++) {
        s.sendTo(dst, DST_PORT, payload, 0, SIZE)
        await drain.run()
        if (SIZE <= 1472) await handSend(SIZE)
        await ds.sleep(0)
    }
}
await warmup()
s.sendTo(dst, DST_PORT, payload, 0, SIZE)
await drain.run()
pkt.payload = payload
console.log("@@steps start case=" + CASE + " size=" + SIZE + " k=" + K + " frames=" + nf + " accepted=" + dev.accepted)
await ds.sleep(0)
let n = 0
if (CASE === 1 && nf === 1) {
    while (true) {
        if (n < K) await dev.startXmit(f0, 0, len0)
        n++
        console.log("@@n " + n)
    }
} else if (CASE === 1) {
    while (true) {
        if (n < K) for (let k = 0; k < nf; k++) await dev.startXmit(frames[k], 0, frames[k].length)
        n++
        console.log("@@n " + n)
    }
} else if (CASE === 2 || CASE === 6 || CASE === 7 || CASE === 9) {
    while (true) {
        if (n < K) {
            s.sendTo(dst, DST_PORT, payload, 0, SIZE)
            await drain.run()
        }
        n++
        console.log("@@n " + n)
    }
} else if (CASE === 8) {
    while (true) {
        if (n < K) {
            fib.genid++
            s.sendTo(dst, DST_PORT, payload, 0, SIZE)
            await drain.run()
        }
        n++
        console.log("@@n " + n)
    }
} else if (CASE === 3) {
    while (true) {
        if (n < K) {
            ip.queueXmit(pkt, 0)
            await drain.run()
        }
        n++
        console.log("@@n " + n)
    }
} else if (CASE === 4) {
    while (true) {
        if (n < K) {
            for (let k = 0; k < nf; k++) {
                const f = frames[k]
                const at = q.reserve(f.length)
                pool.blitAt(at, f, 0, f.length)
                q.enqueue(f.length)
            }
            await drain.run()
        }
        n++
        console.log("@@n " + n)
    }
} else if (CASE === 5) {
    while (true) {
        if (n < K) await handSend(SIZE)
        n++
        console.log("@@n " + n)
    }
} else {
    // calibration: nothing but the overhead
    while (true) {
        if (n < K) n += 0
        n++
        console.log("@@n " + n)
    }
}
