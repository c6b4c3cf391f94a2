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
import { Cfg, cfgDest, handSend, makePayload, makeStack, DST_PORT, SRC_PORT } from "./common"

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
const pool = stack.qdisc.pool.buf
const drain = stack.drain
const ip = stack.ip
const fib = stack.fib
const pkt = s.pkt


// One loop per case, all of the same shape, so that the per-iteration overhead O is the same as in
// the calibration run (K = 0, where the datagram is never sent).
const len0 = f0.length
async function warmup(): Promise<void> {
    for (let i = 0; i < 2; i++) {
        s.sendTo(dst, DST_PORT, payload, 0, SIZE)
        await drain.run()
        if (SIZE <= 1472) await handSend(dev, hand, payload, SIZE)
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
            }
            await drain.run()
        }
        n++
        console.log("@@n " + n)
    }
} else if (CASE === 5) {
    while (true) {
        if (n < K) await handSend(dev, hand, payload, SIZE)
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
