import { describe, test, expect, beforeEach } from "@devicescript/test"
import * as ds from "@devicescript/core"
import { yieldToScheduler, makeRig, COLLECTOR_MAC, macAt } from "../support/rig"
import { COLLECTOR_IP } from "../support/config"
import { be16, pattern } from "../support/ref"
import { continueOutput, SendResult } from "../../src/ipv4/output"
import { PmtuDisc, sendToWait, setIpOptions, udpPacket } from "../../src/udp/socket"
import { FrameRing, recordLen, recordTag, ringLiveCount } from "../../src/dev/ring"
import { LinkMib, QdiscMib } from "../../src/dev/counters"
import { IpMib } from "../../src/ipv4/mib"
import { UdpMib } from "../../src/udp/mib"
import { OutPacket } from "../../src/ipv4/packet"
import { UDP_HEADER_LEN } from "../../src/wire/udp"
import { setU16 } from "../../src/wire/bytes"
import { ArpMib } from "../../src/ipv4/arp"
import { NO_NEIGH } from "../../src/neigh/neighbour"

/** 192.0.2.255: the test network's directed broadcast. */
const SUBNET_BROADCAST = 0xc00002ff

describe("frame ring", () => {
    beforeEach(yieldToScheduler)
    test("records wrap without splitting, out-of-order release is reclaimed later", () => {
        const r = new FrameRing(100)
        const a = r.alloc(40, 1)
        expect(a).toBe(4)
        const b = r.alloc(40, 2)
        expect(b).toBe(48)
        // 8 bytes left at the end: a 20-byte frame does not fit until the head is freed
        expect(r.alloc(20, 9)).toBe(-1)
        r.release(r.next(r.oldest()))
        expect(ringLiveCount(r)).toBe(1)
        expect(r.alloc(20, 9)).toBe(-1)
        r.release(r.oldest())
        expect(ringLiveCount(r)).toBe(0)
        expect(r.alloc(90, 3)).toBe(4)
        // 6 bytes left: a 2-byte frame (+4 header) fits, a 3-byte one does not
        expect(r.alloc(3, 9)).toBe(-1)
        expect(recordLen(r, r.oldest())).toBe(90)
        expect(recordTag(r, r.oldest())).toBe(3)
        expect(r.alloc(2, 4)).toBe(98)
    })
    test("a thousand records of varying size go through in order", async () => {
        const r = new FrameRing(700)
        let next = 0
        let expectNext = 0
        for (let i = 0; i < 1000; i++) {
            if (i % 100 === 0) await yieldToScheduler()
            const len = 20 + ((i * 37) % 150)
            let at = r.alloc(len, next)
            while (at < 0) {
                const rec = r.oldest()
                expect(recordTag(r, rec)).toBe(expectNext & 0xffff)
                expect(r.buf[rec + 4]).toBe(expectNext & 0xff)
                expectNext++
                r.release(rec)
                at = r.alloc(len, next)
            }
            r.buf[at] = next & 0xff
            next++
        }
        expect(next - expectNext).toBe(ringLiveCount(r))
    })
})

describe("fifo qdisc and the transmit drain", () => {
    beforeEach(yieldToScheduler)
    test("tail drop at the packet limit: QueueFull, drops and overlimits counted, backlog shown", () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
            c.qdiscLimitPackets = 4
        })
        const s = rig.stack.udpSocket(5)
        for (let i = 0; i < 4; i++) expect(s.sendTo(COLLECTOR_IP, 9, Buffer.from("x"))).toBe(SendResult.Sent)
        expect(s.sendTo(COLLECTOR_IP, 9, Buffer.from("x"))).toBe(SendResult.QueueFull)
        const q = rig.stack.qdisc.stats
        expect(q[QdiscMib.drops]).toBe(1)
        expect(q[QdiscMib.overlimits]).toBe(1)
        expect(q[QdiscMib.qlen]).toBe(4)
        expect(q[QdiscMib.backlog]).toBe(4 * 43)
        expect(rig.stack.udp.stats[UdpMib.SndbufErrors]).toBe(1)
        expect(rig.stack.ip.stats[IpMib.OutDiscards]).toBe(1)
    })
    test("tail drop at the byte limit; a fragmented datagram is all or nothing", () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
            c.qdiscLimitBytes = 3000
        })
        const s = rig.stack.udpSocket(5)
        s.pmtudisc = PmtuDisc.Dont
        expect(s.sendTo(COLLECTOR_IP, 9, pattern(4000, 0))).toBe(SendResult.QueueFull)
        expect(rig.stack.qdisc.stats[QdiscMib.qlen]).toBe(0)
        expect(rig.stack.qdisc.stats[QdiscMib.drops]).toBe(3)
        expect(s.sendTo(COLLECTOR_IP, 9, pattern(2900, 0))).toBe(SendResult.Sent)
        expect(rig.stack.qdisc.stats[QdiscMib.qlen]).toBe(2)
    })
    test("a busy device gets the frame back at the head (requeue) and keeps the order", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        const s = rig.stack.udpSocket(5)
        for (let i = 0; i < 3; i++) s.sendTo(COLLECTOR_IP, 9, Buffer.from("n" + i))
        rig.dev.refuse = 1
        expect(await rig.flush()).toBe(0)
        expect(rig.stack.qdisc.stats[QdiscMib.requeues]).toBe(1)
        expect(rig.stack.drain.stopped).toBe(true)
        rig.stack.wakeQueue()
        expect(await rig.flush()).toBe(3)
        const fs = rig.take()
        for (let i = 0; i < 3; i++) expect(fs[i].slice(42).toString()).toBe("n" + i)
    })
    test("a device that throws costs its frame only: tx_errors counted, the drain and the task go on", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        const s = rig.stack.udpSocket(5)
        for (let i = 0; i < 3; i++) s.sendTo(COLLECTOR_IP, 9, Buffer.from("t" + i))
        rig.dev.throwNext = 1
        expect(await rig.flush()).toBe(2)
        expect(rig.stack.link[LinkMib.tx_errors]).toBe(1)
        expect(rig.stack.link[LinkMib.tx_dropped]).toBe(1)
        expect(rig.stack.drain.lastError.message).toBe("test device: injected driver fault")
        const fs = rig.take()
        expect(fs.length).toBe(2)
        expect(fs[0].slice(42).toString()).toBe("t1")
        // the drain task survives one too: the frame after it goes out
        rig.stack.drain.task.start()
        rig.dev.throwNext = 1
        s.sendTo(COLLECTOR_IP, 9, Buffer.from("t3"))
        s.sendTo(COLLECTOR_IP, 9, Buffer.from("t4"))
        for (let i = 0; i < 50 && rig.dev.accepted < 3; i++) await ds.sleep(2)
        rig.stack.drain.stopTask()
        expect(rig.stack.link[LinkMib.tx_errors]).toBe(2)
        const more = rig.take()
        expect(more.length).toBe(1)
        expect(more[0].slice(42).toString()).toBe("t4")
    })
    test("the device stops and wakes the queue as its buffer fills and drains", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        rig.dev.txSlots = 2
        const s = rig.stack.udpSocket(5)
        for (let i = 0; i < 5; i++) s.sendTo(COLLECTOR_IP, 9, Buffer.from("m" + i))
        expect(await rig.flush()).toBe(2)
        expect(rig.stack.drain.stopped).toBe(true)
        expect(rig.stack.qdisc.stats[QdiscMib.qlen]).toBe(3)
        rig.dev.complete(2)
        expect(await rig.flush()).toBe(2)
        rig.dev.complete(2)
        expect(await rig.flush()).toBe(1)
        expect(rig.stack.qdisc.stats[QdiscMib.packets]).toBe(5)
        expect(rig.stack.qdisc.stats[QdiscMib.requeues]).toBe(0)
    })
    test("carrier lost: the queue stops and keeps its frames; carrier back: they go, after a gratuitous ARP", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        const s = rig.stack.udpSocket(5)
        s.sendTo(COLLECTOR_IP, 9, Buffer.from("before"))
        rig.dev.setCarrier(false)
        expect(await rig.flush()).toBe(0)
        expect(s.sendTo(COLLECTOR_IP, 9, Buffer.from("during"))).toBe(SendResult.LinkDown)
        rig.dev.setCarrier(true)
        expect(await rig.flush()).toBe(2)
        const fs = rig.take()
        expect(fs[0].slice(42).toString()).toBe("before")
        // gratuitous ARP: request, sender and target both our address (RFC 5227 §2.3)
        expect(be16(fs[1], 12)).toBe(0x0806)
        expect(macAt(fs[1], 0)).toBe("ff:ff:ff:ff:ff:ff")
        expect(fs[1].slice(28, 32).toString("hex")).toBe(fs[1].slice(38, 42).toString("hex"))
        expect(rig.stack.link[LinkMib.carrier_changes]).toBe(2)
        expect(rig.stack.link[LinkMib.tx_carrier_errors]).toBe(1)
    })
    test("a full qdisc of 1,514-byte frames drains without tripping the step watchdog", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
            c.qdiscLimitPackets = 16
            c.qdiscLimitBytes = 16 * 1514
        })
        const s = rig.stack.udpSocket(5)
        const big = pattern(1472, 3)
        let sent = 0
        for (let i = 0; i < 16; i++) {
            // ~5 k steps per 1,472-byte datagram (the checksum loop): yield as an application must
            if (i % 8 === 0) await yieldToScheduler()
            if (s.sendTo(COLLECTOR_IP, 9, big) === SendResult.Sent) sent++
        }
        expect(sent).toBe(16)
        rig.dev.keepFrames = false
        expect(await rig.flush()).toBe(16)
        expect(rig.stack.link[LinkMib.tx_bytes]).toBe(16 * 1514)
    })
})

describe("blocking send of a datagram larger than the qdisc", () => {
    beforeEach(yieldToScheduler)
    test("16,000 bytes (the configured maximum) through a 4.5 KB qdisc: 11 fragments, in order", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        rig.stack.clock = ds.millis
        // 16 KB of data + the stack leave no room for copies of the frames: check them as they pass
        rig.dev.keepFrames = false
        let frames = 0
        let offsetsOk = 0
        let lastLen = 0
        rig.dev.onFrame = (f, off, len) => {
            if ((be16(f, off + 20) & 0x1fff) === frames * 185) offsetsOk++
            lastLen = be16(f, off + 16)
            frames++
        }
        rig.stack.drain.task.start()
        const s = rig.stack.udpSocket(5)
        s.pmtudisc = PmtuDisc.Dont
        const data = pattern(16000, 5)
        const r = await sendToWait(s, COLLECTOR_IP, 9, data, 0, 16000, 5000)
        expect(r).toBe(SendResult.Sent)
        for (let i = 0; i < 50 && frames < 11; i++) await ds.sleep(5)
        rig.stack.drain.stopTask()
        expect(frames).toBe(11)
        expect(offsetsOk).toBe(11)
        expect(lastLen).toBe(20 + 16008 - 10 * 1480)
        expect(rig.stack.ip.stats[IpMib.FragCreates]).toBe(11)
        expect(rig.stack.qdisc.stats[QdiscMib.drops]).toBe(0)
        // the non-blocking form refuses it: the qdisc cannot hold it whole
        expect(s.sendTo(COLLECTOR_IP, 9, data)).toBe(SendResult.QueueFull)
    })
    // The pool holds the byte limit and the records' headers, no spare frame: a 147-byte frame ahead
    // of the fragments leaves the third one 1,517 bytes at the pool's end while the oldest record
    // still covers its start. A blocking send waits there (InProgress) instead of dropping.
    test("a blocking send waits when the pool's end is too short for the next fragment, and loses nothing", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        rig.dev.keepFrames = false
        let frames = 0
        rig.dev.onFrame = (f, off, len) => {
            frames++
        }
        // the device takes one frame per flush, like a chip with one transmit buffer
        rig.dev.txSlots = 1
        const s = rig.stack.udpSocket(5)
        expect(s.sendTo(COLLECTOR_IP, 9, pattern(105, 1))).toBe(SendResult.Sent)
        const p = new OutPacket(UDP_HEADER_LEN)
        udpPacket(p, 5)
        setU16(p.head, 2, 9)
        setU16(p.head, 4, UDP_HEADER_LEN + 16000)
        p.dst = COLLECTOR_IP
        p.payload = pattern(16000, 2)
        p.payloadLen = 16000
        p.partialOk = true
        const ip = rig.stack.ip
        let r = ip.queueXmit(p, rig.t)
        for (let i = 0; i < 40 && r === SendResult.InProgress; i++) {
            await rig.flush()
            rig.dev.complete(1)
            r = continueOutput(ip, p)
        }
        expect(r).toBe(SendResult.Sent)
        for (let i = 0; i < 40 && rig.stack.qdisc.stats[QdiscMib.qlen] > 0; i++) {
            await rig.flush()
            rig.dev.complete(1)
        }
        expect(frames).toBe(12)
        expect(rig.stack.qdisc.stats[QdiscMib.drops]).toBe(0)
        expect(ip.stats[IpMib.OutDiscards]).toBe(0)
        expect(ip.stats[IpMib.FragCreates]).toBe(11)
    })
    // IP options make the header 24 bytes: a 1,474-byte IP payload fits the MTU (1,498 bytes) although
    // it is more than one fragment's 1,472 data bytes. Resumed after a full queue, it stays one frame.
    test("a blocking send that fits the MTU goes out as one frame after waiting for the queue", async () => {
        const rig = makeRig(c => {
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
            c.qdiscLimitPackets = 1
        })
        rig.stack.clock = ds.millis
        const flags: number[] = []
        rig.dev.keepFrames = false
        rig.dev.onFrame = (f, off, len) => {
            flags.push(be16(f, off + 20))
        }
        const s = rig.stack.udpSocket(5)
        expect(setIpOptions(s, hex`01 01 01 00`, 0, 4)).toBe(true)
        expect(s.sendTo(COLLECTOR_IP, 9, pattern(10, 1))).toBe(SendResult.Sent)
        rig.stack.drain.task.start()
        const r = await sendToWait(s, COLLECTOR_IP, 9, pattern(1466, 2), 0, 1466, 2000)
        for (let i = 0; i < 50 && flags.length < 2; i++) await ds.sleep(5)
        rig.stack.drain.stopTask()
        expect(r).toBe(SendResult.Sent)
        expect(flags.length).toBe(2)
        expect(flags[1]).toBe(0x4000) // DF, no MF, offset 0
        expect(rig.stack.ip.stats[IpMib.FragCreates]).toBe(0)
    })
    test("a blocking send to the subnet broadcast resolves no neighbour: no ARP, no entry", async () => {
        const rig = makeRig()
        rig.stack.clock = ds.millis
        rig.dev.keepFrames = false
        let frames = 0
        rig.dev.onFrame = (f, off, len) => {
            frames++
        }
        rig.stack.drain.task.start()
        const s = rig.stack.udpSocket(5)
        const r = await sendToWait(s, SUBNET_BROADCAST, 9, pattern(100, 3), 0, 100, 500)
        for (let i = 0; i < 50 && frames < 1; i++) await ds.sleep(5)
        rig.stack.drain.stopTask()
        expect(r).toBe(SendResult.Sent)
        expect(frames).toBe(1)
        expect(rig.stack.arp.stats[ArpMib.requests_sent]).toBe(0)
        expect(rig.stack.neigh.lookup(SUBNET_BROADCAST)).toBe(NO_NEIGH)
    })
    test("over the configured maximum is message too big", async () => {
        const rig = makeRig(c => {
            c.maxDatagram = 3000
            c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        })
        const s = rig.stack.udpSocket(5)
        s.pmtudisc = PmtuDisc.Dont
        expect(s.sendTo(COLLECTOR_IP, 9, pattern(3001, 0))).toBe(SendResult.MessageTooBig)
        expect(s.sendTo(COLLECTOR_IP, 9, pattern(3000, 0))).toBe(SendResult.Sent)
        s.pmtudisc = PmtuDisc.Do
        expect(s.sendTo(COLLECTOR_IP, 9, pattern(1473, 0))).toBe(SendResult.MessageTooBig)
        expect(rig.stack.ip.stats[IpMib.FragFails]).toBe(1)
    })
})
