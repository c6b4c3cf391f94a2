// Cost per UDP datagram through the whole transmit path, against the floor (the device copying an
// already-built frame) and a hand-written single-function sender. Run WITHOUT --test (no GC
// stress) by host/bench/run.ts; results are "@@bench cost ..." / "@@bench micro ..." lines.
//
// A sample of a case runs for at least SAMPLE_MS of ds.millis() (1 ms resolution), in batches of a
// few datagrams followed by `await ds.sleep(0)` (the step watchdog); a case and its floor use the
// same batch size, so the yields weigh the same in both. Each case is warmed up first; then the
// cases of a configuration are sampled in turn, SAMPLES times over, so that a burst of load from
// other processes on the machine hits all of them alike. The host reports the best sample (the
// least disturbed) and the median.

import * as ds from "@devicescript/core"
import { NetStack } from "../src/stack"
import { TestDevice } from "../src/dev/testdev"
import { UdpSocket, PmtuDisc } from "../src/udp/socket"
import { SendResult } from "../src/ipv4/output"
import { XmitStatus } from "../src/dev/netdev"
import { TxDrain } from "../src/dev/drain"
import { OutPacket } from "../src/ipv4/packet"
import { fold, internetChecksum, onesSum } from "../src/wire/checksum"
import { setU16, setU32 } from "../src/wire/bytes"
import { COLLECTOR_IP } from "../test/support/config"
import { Cfg, cfgDest, cfgName, makePayload, makeStack, report, DST_PORT, SRC_PORT, handSend } from "./common"
import { LinkMib, QdiscMib } from "../src/dev/counters"
import { IpMib } from "../src/ipv4/mib"

// host/bench/run.ts may rewrite these two lines (--quick)
const SAMPLE_MS = 50
const SAMPLES = 8
/** Upper bound on datagrams per case, whatever the clock says. */
const MAX_N = 200000

const SIZES = [16, 64, 512, 1472, 4000]

/**
 * Datagrams between yields: keeps a batch far below the 128 Ki-step watchdog (a small datagram
 * is ~2,000 steps through the stack, a 1,472-byte one ~9,000, a 4,000-byte one ~25,000).
 */
function batchFor(size: number): number {
    if (size <= 64) return 16
    if (size <= 512) return 8
    if (size <= 1472) return 4
    return 2
}

// results of the last timed loop
let resN = 0
let resMs = 0
let resBad = 0

function emit(kind: string, cfg: string, size: number, sample: number): void {
    report("cost cfg=" + cfg + " case=" + kind + " size=" + size + " sample=" + sample + " n=" + resN + " ms=" + resMs + " bad=" + resBad)
}

// ---------------------------------------------------------------- the timed loops

/** The whole path: sendTo (socket -> route -> header -> hooks -> neighbour -> qdisc) + drain. */
async function timeStack(s: UdpSocket, drain: TxDrain, dst: number, payload: Buffer, len: number, batch: number, warm: boolean): Promise<void> {
    let bad = 0
    for (let i = 0; warm && i < batch * 2; i++) {
        if (s.sendTo(dst, DST_PORT, payload, 0, len) !== SendResult.Sent) bad++
        await drain.run()
        if (i % batch === 0) await ds.sleep(0)
    }
    await ds.sleep(0)
    let n = 0
    let el = 0
    const t0 = ds.millis()
    while (el < SAMPLE_MS && n < MAX_N) {
        for (let i = 0; i < batch; i++) {
            if (s.sendTo(dst, DST_PORT, payload, 0, len) !== SendResult.Sent) bad++
            await drain.run()
        }
        n += batch
        await ds.sleep(0)
        el = ds.millis() - t0
    }
    resN = n
    resMs = el
    resBad = bad
}

/** As timeStack, with the socket's cached route invalidated before every send (FIB lookup each time). */
async function timeStackNoCache(stack: NetStack, s: UdpSocket, dst: number, payload: Buffer, len: number, batch: number, warm: boolean): Promise<void> {
    const drain = stack.drain
    const fib = stack.fib
    let bad = 0
    for (let i = 0; warm && i < batch * 2; i++) {
        fib.genid++
        if (s.sendTo(dst, DST_PORT, payload, 0, len) !== SendResult.Sent) bad++
        await drain.run()
        if (i % batch === 0) await ds.sleep(0)
    }
    await ds.sleep(0)
    let n = 0
    let el = 0
    const t0 = ds.millis()
    while (el < SAMPLE_MS && n < MAX_N) {
        for (let i = 0; i < batch; i++) {
            fib.genid++
            if (s.sendTo(dst, DST_PORT, payload, 0, len) !== SendResult.Sent) bad++
            await drain.run()
        }
        n += batch
        await ds.sleep(0)
        el = ds.millis() - t0
    }
    resN = n
    resMs = el
    resBad = bad
}

/** Below the socket: ip_queue_xmit (cached route, checksum, header, neighbour, qdisc) + drain. */
async function timeIp(stack: NetStack, pkt: OutPacket, payload: Buffer, batch: number, warm: boolean): Promise<void> {
    const ip = stack.ip
    const drain = stack.drain
    pkt.payload = payload
    let bad = 0
    const now = ds.millis()
    for (let i = 0; warm && i < batch * 2; i++) {
        if (ip.queueXmit(pkt, now) !== SendResult.Sent) bad++
        await drain.run()
        if (i % batch === 0) await ds.sleep(0)
    }
    await ds.sleep(0)
    let n = 0
    let el = 0
    const t0 = ds.millis()
    while (el < SAMPLE_MS && n < MAX_N) {
        for (let i = 0; i < batch; i++) {
            if (ip.queueXmit(pkt, now) !== SendResult.Sent) bad++
            await drain.run()
        }
        n += batch
        await ds.sleep(0)
        el = ds.millis() - t0
    }
    pkt.payload = null
    resN = n
    resMs = el
    resBad = bad
}

/** Below IP: reserve room in the qdisc, copy the prebuilt frame(s) in, enqueue, drain. */
async function timeQdisc(stack: NetStack, frames: Buffer[], batch: number): Promise<void> {
    const q = stack.qdisc
    const pool = stack.qdisc.pool.buf
    const drain = stack.drain
    const nf = frames.length
    let bad = 0
    await ds.sleep(0)
    let n = 0
    let el = 0
    const t0 = ds.millis()
    while (el < SAMPLE_MS && n < MAX_N) {
        for (let i = 0; i < batch; i++) {
            for (let k = 0; k < nf; k++) {
                const f = frames[k]
                const len = f.length
                const at = q.reserve(len)
                if (at < 0) bad++
                else pool.blitAt(at, f, 0, len)
            }
            await drain.run()
        }
        n += batch
        await ds.sleep(0)
        el = ds.millis() - t0
    }
    resN = n
    resMs = el
    resBad = bad
}

/** The floor: the same frame(s), already built, handed to the same device. */
async function timeFloor(dev: TestDevice, frames: Buffer[], batch: number): Promise<void> {
    const nf = frames.length
    const f0 = frames[0]
    const len0 = f0.length
    let bad = 0
    await ds.sleep(0)
    let n = 0
    let el = 0
    const t0 = ds.millis()
    if (nf === 1) {
        while (el < SAMPLE_MS && n < MAX_N) {
            for (let i = 0; i < batch; i++) {
                if ((await dev.startXmit(f0, 0, len0)) !== XmitStatus.Ok) bad++
            }
            n += batch
            await ds.sleep(0)
            el = ds.millis() - t0
        }
    } else {
        while (el < SAMPLE_MS && n < MAX_N) {
            for (let i = 0; i < batch; i++) {
                for (let k = 0; k < nf; k++) {
                    const f = frames[k]
                    if ((await dev.startXmit(f, 0, f.length)) !== XmitStatus.Ok) bad++
                }
            }
            n += batch
            await ds.sleep(0)
            el = ds.millis() - t0
        }
    }
    resN = n
    resMs = el
    resBad = bad
}

// ---------------------------------------------------------------- the hand-written baseline

/** Allocated while the default configuration runs (the heap cannot hold two stacks' worth). */
let handFrame: Buffer = null


async function timeHand(dev: TestDevice, payload: Buffer, plen: number, batch: number): Promise<void> {
    let bad = 0
    await ds.sleep(0)
    let n = 0
    let el = 0
    const t0 = ds.millis()
    while (el < SAMPLE_MS && n < MAX_N) {
        for (let i = 0; i < batch; i++) {
            if ((await handSend(dev, handFrame, payload, plen)) !== XmitStatus.Ok) bad++
        }
        n += batch
        await ds.sleep(0)
        el = ds.millis() - t0
    }
    resN = n
    resMs = el
    resBad = bad
}

// ---------------------------------------------------------------- micro-benchmarks

/** ns per call of `fn`, minus an empty closure call; `k` calls between yields. */
async function micro(name: string, sample: number, fn: () => void, k?: number): Promise<void> {
    k = k || 64
    await ds.sleep(0)
    let n = 0
    let el = 0
    const t0 = ds.millis()
    while (el < SAMPLE_MS / 2 && n < MAX_N * 4) {
        for (let i = 0; i < k; i++) fn()
        n += k
        await ds.sleep(0)
        el = ds.millis() - t0
    }
    resN = n
    resMs = el
    resBad = 0
    report("micro name=" + name + " sample=" + sample + " n=" + n + " ms=" + el)
}

async function microAsync(name: string, sample: number, fn: () => Promise<void>): Promise<void> {
    const k = 64
    await ds.sleep(0)
    let n = 0
    let el = 0
    const t0 = ds.millis()
    while (el < SAMPLE_MS / 2 && n < MAX_N * 4) {
        for (let i = 0; i < k; i++) await fn()
        n += k
        await ds.sleep(0)
        el = ds.millis() - t0
    }
    report("micro name=" + name + " sample=" + sample + " n=" + n + " ms=" + el)
}

// ---------------------------------------------------------------- property access

/** Property access is a lookup by name: does its cost grow with the number of fields? */
class Fields4 {
    a = 1
    b = 2
    c = 3
    d = 4
}
class Fields24 {
    f0 = 0
    f1 = 1
    f2 = 2
    f3 = 3
    f4 = 4
    f5 = 5
    f6 = 6
    f7 = 7
    f8 = 8
    f9 = 9
    f10 = 10
    f11 = 11
    f12 = 12
    f13 = 13
    f14 = 14
    f15 = 15
    f16 = 16
    f17 = 17
    f18 = 18
    f19 = 19
    f20 = 20
    f21 = 21
    f22 = 22
    f23 = 23
}

// ---------------------------------------------------------------- the run

const payload = makePayload(4000)
const fields4 = new Fields4()
const fields24 = new Fields24()
let capture: Buffer[] = null

function captureFrame(f: Buffer, off: number, len: number): void {
    const c = Buffer.alloc(len)
    c.blitAt(0, f, off, len)
    capture.push(c)
}

/** Micro-benchmarks of the pieces on the path (one sample each). */
async function micros(c: Cfg, stack: NetStack, s: UdpSocket, dst: number, rep: number): Promise<void> {
    const b = payload
    const ip = stack.ip
    const drain = stack.drain
    const o4 = fields4
    const o24 = fields24
    if (c === Cfg.Default) {
        await micro("empty-call", rep, () => {})
        await micro("onesSum-64", rep, () => {
            onesSum(b, 0, 64, 0)
        })
        await micro("onesSum-1472", rep, () => {
            onesSum(b, 0, 1472, 0)
        }, 8)
        await micro("internetChecksum-20", rep, () => {
            internetChecksum(b, 0, 20)
        })
        await micro("fold", rep, () => {
            fold(0x2fffd)
        })
        await micro("setU16", rep, () => {
            setU16(b, 0, 0x1234)
        })
        await micro("setU32", rep, () => {
            setU32(b, 0, 0xc000020a)
        })
        await micro("millis", rep, () => {
            ds.millis()
        })
        const udp = stack.udp
        await micro("stack-clock", rep, () => {
            udp.clock.now()
        })
        const neigh = stack.neigh
        await micro("neigh-lookup-8-first", rep, () => {
            neigh.lookup(COLLECTOR_IP)
        })
        const fib = stack.fib
        await micro("fib-lookup-8", rep, () => {
            fib.lookup(COLLECTOR_IP)
        })
        const q = stack.qdisc
        await micro("qdisc-reserve-peek-dequeue", rep, () => {
            q.reserve(64)
            q.dequeueSent(q.peek(), 64)
        })
        await micro("field-inc-4-fields-first", rep, () => {
            o4.a++
        })
        await micro("field-inc-4-fields-last", rep, () => {
            o4.d++
        })
        await micro("field-inc-24-fields-first", rep, () => {
            o24.f0++
        })
        await micro("field-inc-24-fields-last", rep, () => {
            o24.f23++
        })
        await microAsync("empty-async-call", rep, async () => {})
        await microAsync("sleep0", rep, async () => {
            await ds.sleep(0)
        })
        await microAsync("drain-run-empty", rep, async () => {
            await drain.run()
        })
    } else if (c === Cfg.Hooks8) {
        const pkt = s.pkt
        const lo = ip.localOut
        await micro("hook-chain-8-nomatch", rep, () => {
            lo.run(pkt, 92)
        })
    } else if (c === Cfg.Fib32) {
        const fib = stack.fib
        await micro("fib-lookup-32", rep, () => {
            fib.lookup(dst)
        })
    } else if (c === Cfg.Arp32) {
        const neigh = stack.neigh
        await micro("neigh-lookup-32-last", rep, () => {
            neigh.lookup(COLLECTOR_IP)
        })
    }
}

async function runConfig(c: Cfg): Promise<void> {
    // (building 32 static neighbours is O(n^2): ~60 k steps; start with a fresh step budget)
    await ds.sleep(0)
    // the stack first, while the heap is emptiest (a FIB-32 stack and its configuration are ~40 KB)
    const stack = makeStack(c)
    const dev = stack.dev as TestDevice
    const s = stack.udpSocket(SRC_PORT)
    const dst = cfgDest(c)
    const name = cfgName(c)
    const drain = stack.drain
    /** Floor frames per size, captured from this (default) stack: sizeIndex -> frames. */
    const floorFrames: Buffer[][] = []
    if (c === Cfg.Default) {
        handFrame = Buffer.alloc(1514)
        for (let si = 0; si < SIZES.length; si++) {
            // the frames this datagram becomes, for the floor
            s.pmtudisc = SIZES[si] > 1472 ? PmtuDisc.Dont : PmtuDisc.Want
            capture = []
            dev.onFrame = captureFrame
            s.sendTo(dst, DST_PORT, payload, 0, SIZES[si])
            await drain.run()
            dev.onFrame = null
            floorFrames.push(capture)
            capture = null
        }
    }
    for (let rep = 0; rep < SAMPLES; rep++) {
        const warm = rep === 0
        for (let si = 0; si < SIZES.length; si++) {
            const size = SIZES[si]
            const batch = batchFor(size)
            s.pmtudisc = size > 1472 ? PmtuDisc.Dont : PmtuDisc.Want
            if (c === Cfg.Default) {
                if (warm) await timeFloor(dev, floorFrames[si], batch)
                await timeFloor(dev, floorFrames[si], batch)
                emit("floor", name, size, rep)
                await timeStack(s, drain, dst, payload, size, batch, warm)
                emit("stack", name, size, rep)
                // layer by layer: below the socket, below IP
                s.sendTo(dst, DST_PORT, payload, 0, size)
                await drain.run()
                await timeIp(stack, s.pkt, payload, batch, warm)
                emit("ip", name, size, rep)
                if (warm) await timeQdisc(stack, floorFrames[si], batch)
                await timeQdisc(stack, floorFrames[si], batch)
                emit("qdisc", name, size, rep)
                if (size <= 1472) {
                    if (warm) await timeHand(dev, payload, size, batch)
                    await timeHand(dev, payload, size, batch)
                    emit("hand", name, size, rep)
                }
            } else {
                await timeStack(s, drain, dst, payload, size, batch, warm)
                emit("stack", name, size, rep)
                if (c === Cfg.Fib32) {
                    await timeStackNoCache(stack, s, dst, payload, size, batch, warm)
                    emit("stack-nocache", name, size, rep)
                }
            }
        }
        s.pmtudisc = PmtuDisc.Want

        await micros(c, stack, s, dst, rep)
    }
    handFrame = null
    report("check cfg=" + name + " accepted=" + dev.accepted + " tx_packets=" + stack.link[LinkMib.tx_packets] +
        " drops=" + stack.qdisc.stats[QdiscMib.drops] + " OutDiscards=" + stack.ip.stats[IpMib.OutDiscards])
}

report("start sampleMs=" + SAMPLE_MS + " samples=" + SAMPLES)
await runConfig(Cfg.Default)
await runConfig(Cfg.Hooks8)
await runConfig(Cfg.Fib32)
await runConfig(Cfg.Arp32)
console.log("@@bench:done")
