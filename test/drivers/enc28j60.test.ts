// The ENC28J60 driver with the stack, on the chip model, on a virtual segment with a scripted peer
// (the collector): bring-up, link, ARP, UDP byte-exact, fragments, RX ring wrap, ping, RX overflow,
// and each injected B7 erratum with the driver's workaround on (traffic gets through) and off (the
// fault shows). Tests call dev.poll() and stack.drain.run() themselves: no tasks run.
import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { Enc28j60Model } from "../../src/sim/enc28j60"
import { directBus, TestBus, testBus } from "../support/bus"
import { SimSpiBus } from "../../src/sim/spi"
import { Segment } from "../../src/sim/lan"
import { VirtualHost } from "../../src/sim/host"
import { Enc28j60Device, Enc28j60Options, Erratum, RX_END, TX_START, Enc28j60Mib } from "../../src/drivers/enc28j60/device"
import { Reg, Phy, Erxfcon, Macon1, Macon3, Macon4, Phcon1, Phcon2, Phie, PHLCON_LINK_ACTIVITY, MAX_FRAME_FCS } from "../../src/drivers/enc28j60/regs"
import { SelfTestError } from "../../src/drivers/selftest"
import { NetStack } from "../../src/stack"
import { SendResult } from "../../src/ipv4/output"
import { testConfig, BOARD_IP, COLLECTOR_IP } from "../support/config"
import { yieldToScheduler, COLLECTOR_MAC } from "../support/rig"
import { pattern } from "../support/ref"
import { LinkMib } from "../../src/dev/counters"
import { IcmpMib } from "../../src/ipv4/mib"

// One chip model for the whole file: its 8 KB buffer is allocated once, before anything else, because
// the 64 KB heap never compacts and a fresh model per test fragments it until a stack no longer fits.
const MODEL = new Enc28j60Model()

class Rig {
    t = 1000
    readonly seg = new Segment()
    readonly model: Enc28j60Model
    readonly bus: TestBus
    readonly dev: Enc28j60Device
    readonly stack: NetStack
    readonly collector: VirtualHost
    /** Datagrams the board received on port 9000, and how many matched their expected pattern. */
    got = 0
    gotIntact = 0

    constructor(opts: Enc28j60Options, staticArp: boolean) {
        const m = MODEL
        m.defaults()
        m.powerOn()
        m.resetCounters()
        m.attach(this.seg)
        this.model = m
        this.bus = testBus(this.model)
        const cfg = testConfig()
        cfg.chip = "enc28j60"
        // smaller queues than the defaults (still three full frames queued, one pending): the chip
        // model's 8 KB buffer lives in the same 64 KB heap as the stack
        cfg.qdiscLimitBytes = 4608
        cfg.neighPendingBytes = 2048
        if (staticArp) cfg.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        const o = opts || {}
        if (o.pollMs === undefined) o.pollMs = 0
        if (o.linkPollMs === undefined) o.linkPollMs = 1e9
        if (o.resetCheckMs === undefined) o.resetCheckMs = 1e9
        this.dev = new Enc28j60Device(this.bus, cfg.mac, o)
        this.stack = new NetStack(cfg, this.dev)
        const self = this
        this.stack.clock = () => self.t
        this.collector = new VirtualHost(this.seg, COLLECTOR_MAC, COLLECTOR_IP)
        const sock = this.stack.udpSocket(9000)
        sock.onMessage = (buf, off, len, src, srcPort) => {
            self.got++
            // payloads are pattern(len, len & 0xff)
            let ok = src === COLLECTOR_IP && srcPort === 7000
            for (let i = 0; i < len && ok; i++) if (buf[off + i] !== ((i * 7 + len) & 0xff)) ok = false
            if (ok) self.gotIntact++
        }
    }

    /** Run the drain and the driver's poll until both are idle (bounded). */
    async pump(): Promise<void> {
        for (let i = 0; i < 6; i++) {
            const sent = await this.stack.drain.run()
            const rx = await this.dev.poll()
            if (sent === 0 && rx === 0 && this.stack.qdisc.peek() < 0) return
        }
    }

    /** Send one datagram to the collector and push it to the wire. */
    async sendToCollector(payload: Buffer): Promise<number> {
        const s = this.stack.udpSocket(0)
        const r = s.sendTo(COLLECTOR_IP, 8125, payload)
        s.close()
        await this.stack.drain.run()
        return r
    }

    /** The collector sends a datagram (pattern payload) to the board's port 9000. */
    peerSend(len: number): boolean {
        const p = pattern(len, len & 0xff)
        return this.collector.sendUdp(BOARD_IP, 7000, 9000, p, 0, len)
    }
}

async function openRig(opts?: Enc28j60Options, staticArp?: boolean): Promise<Rig> {
    const r = new Rig(opts || {}, !!staticArp)
    await r.dev.open(r.stack)
    return r
}

/** Resolve the collector (the board ARPs it; the collector learns the board from the request). */
async function resolve(r: Rig): Promise<void> {
    await r.sendToCollector(Buffer.from("hello"))
    await r.pump()
}

describe("enc28j60 driver: bring-up", () => {
    beforeEach(yieldToScheduler)

    test("open: SRC, EREVID, RX ring at 0 with odd ERXRDPT, TX at 0x1A00, filters 0xA1, MAC in chip order, half duplex", async () => {
        const r = await openRig()
        const m = r.model
        expect(m.srcCount).toBe(1)
        expect(m.reg16(Reg.ERXSTL)).toBe(0)
        expect(m.reg16(Reg.ERXNDL)).toBe(RX_END)
        expect(m.rxReadPointer()).toBe(RX_END)
        expect(m.reg16(Reg.ETXSTL)).toBe(TX_START)
        expect(m.reg(Reg.ERXFCON)).toBe(0xa1)
        expect(m.reg(Reg.MACON1) & 0x01).toBe(0x01)
        expect(m.reg(Reg.MACON3)).toBe(0x20 | 0x10 | 0x02)
        expect(m.reg(Reg.MACON4)).toBe(0x40)
        expect(m.reg(Reg.MABBIPG)).toBe(0x12)
        expect(m.reg16(Reg.MAMXFLL)).toBe(1518)
        // init's register program against the names in regs.ts
        expect(m.reg(Reg.ERXFCON)).toBe(Erxfcon.UCEN | Erxfcon.CRCEN | Erxfcon.BCEN)
        expect(m.reg(Reg.MACON1)).toBe(Macon1.MARXEN)
        expect(m.reg(Reg.MACON3)).toBe(Macon3.PADCFG_60 | Macon3.TXCRCEN | Macon3.FRMLNEN)
        expect(m.reg(Reg.MACON4)).toBe(Macon4.DEFER)
        expect(m.reg16(Reg.MAMXFLL)).toBe(MAX_FRAME_FCS)
        expect(m.reg(Reg.MAIPGL)).toBe(0x12)
        expect(m.reg(Reg.MAIPGH)).toBe(0x0c)
        expect(m.phyReg(Phy.PHCON1)).toBe(0)
        expect(m.phyReg(Phy.PHCON2)).toBe(Phcon2.HDLDIS)
        expect(m.phyReg(Phy.PHLCON)).toBe(PHLCON_LINK_ACTIVITY)
        expect(m.phyReg(Phy.PHIE)).toBe(Phie.PGEIE | Phie.PLNKIE)
        // MAADR1..6 hold octets 0..5 (bank-3 addresses 4,5,2,3,0,1)
        expect(m.reg(Reg.MAADR1)).toBe(0x02)
        expect(m.reg(Reg.MAADR3)).toBe(0x5e)
        expect(m.reg(Reg.MAADR6)).toBe(0x0a)
        expect(m.phyReg(Phy.PHCON1) & 0x0100).toBe(0)
        expect(m.phyReg(Phy.PHCON2) & 0x0100).toBe(0x0100)
        expect(m.phyReg(Phy.PHLCON)).toBe(0x3476)
        expect(m.duplexMismatch()).toBe(false)
        expect(m.reg(Reg.ECON1) & 0x04).toBe(0x04)
        expect(r.dev.carrier()).toBe(true)
        expect(m.misuse).toBe(0)
        expect(m.ignoredNotReady).toBe(0)
    })

    test("full duplex: MACON3.FULDPX and PHCON1.PDPXMD together, MABBIPG 0x15, pause on", async () => {
        const r = await openRig({ fullDuplex: true })
        const m = r.model
        expect(m.reg(Reg.MACON3) & 0x01).toBe(0x01)
        expect(m.phyReg(Phy.PHCON1) & 0x0100).toBe(0x0100)
        expect(m.reg(Reg.MABBIPG)).toBe(0x15)
        expect(m.reg(Reg.MACON1)).toBe(0x0d)
        expect(m.duplexMismatch()).toBe(false)
        expect(m.phyReg(Phy.PHCON2) & 0x0100).toBe(0)
        // init's register program against the names in regs.ts
        expect(m.reg16(Reg.ETXSTL)).toBe(TX_START)
        expect(m.reg(Reg.ERXFCON)).toBe(Erxfcon.UCEN | Erxfcon.CRCEN | Erxfcon.BCEN)
        expect(m.reg(Reg.MACON1)).toBe(Macon1.MARXEN | Macon1.TXPAUS | Macon1.RXPAUS)
        expect(m.reg(Reg.MACON3)).toBe(Macon3.PADCFG_60 | Macon3.TXCRCEN | Macon3.FRMLNEN | Macon3.FULDPX)
        expect(m.reg(Reg.MACON4)).toBe(0)
        expect(m.reg16(Reg.MAMXFLL)).toBe(MAX_FRAME_FCS)
        expect(m.reg(Reg.MAIPGL)).toBe(0x12)
        expect(m.phyReg(Phy.PHCON1)).toBe(Phcon1.PDPXMD)
        expect(m.phyReg(Phy.PHCON2)).toBe(0)
        expect(m.phyReg(Phy.PHLCON)).toBe(PHLCON_LINK_ACTIVITY)
        expect(m.phyReg(Phy.PHIE)).toBe(Phie.PGEIE | Phie.PLNKIE)
    })

    /** The SelfTestError open() throws for EREVID `rev`; the driver keeps what it read. */
    async function openWithRevision(rev: number): Promise<SelfTestError> {
        const r = new Rig({}, false)
        r.model.revision = rev
        let err: SelfTestError = null
        try {
            await r.dev.open(r.stack)
        } catch (e) {
            if (e instanceof SelfTestError) err = e
        }
        expect(r.dev.carrier()).toBe(false)
        expect(r.dev.revision).toBe(rev)
        return err
    }

    test("revisions other than B7 are accepted (B5 0x05, B4 0x04 at 16 MHz), the revision recorded", async () => {
        for (const rev of [0x05, 0x04]) {
            const r = new Rig({}, false)
            r.model.revision = rev
            await r.dev.open(r.stack)
            expect(r.dev.revision).toBe(rev)
            expect(r.dev.carrier()).toBe(true)
        }
    })

    test("B4 below 8 MHz is refused (errata #1), naming the clock setting", async () => {
        const r = new Rig({ spiHz: 4000000 }, false)
        r.model.revision = 0x04
        let msg = ""
        try {
            await r.dev.open(r.stack)
        } catch (e) {
            msg = (e as Error).message
        }
        expect(msg).toBe("ENC28J60: silicon B4 needs an SPI clock of at least 8 MHz (errata #1): raise spi.hz in devicescript.json")
    })

    test("EREVID 0xFF (nothing drives MISO): a self-test error that says no chip answers and names the wiring", async () => {
        const err = await openWithRevision(0xff)
        expect(err.message).toBe("ENC28J60: EREVID reads 0xff: no chip answers (MISO stays high): check the chip's power, its chip select and MISO")
    })

    test("EREVID 0x00: no chip answers either", async () => {
        const err = await openWithRevision(0x00)
        expect(err.message).toBe("ENC28J60: EREVID reads 0x00: no chip answers (MISO stays low): check the chip's power, its reset line and MISO")
    })

    test("link down and up: PHIR/LINKIF then PHSTAT2, carrierChanged, sends refused while down", async () => {
        const r = await openRig({}, true)
        r.model.setLink(false)
        await r.dev.poll()
        expect(r.dev.carrier()).toBe(false)
        expect(r.stack.link[LinkMib.carrier_changes]).toBe(1)
        expect(r.dev.stats[Enc28j60Mib.link_checks]).toBe(1)
        const s = r.stack.udpSocket(0)
        expect(s.sendTo(COLLECTOR_IP, 8125, Buffer.from("x"))).toBe(SendResult.LinkDown)
        expect(r.model.reg(Reg.EIR) & 0x10).toBe(0)
        r.model.setLink(true)
        await r.dev.poll()
        expect(r.dev.carrier()).toBe(true)
        expect(r.stack.link[LinkMib.carrier_changes]).toBe(2)
        // carrier back: gratuitous ARP goes out
        const seen = r.collector.framesSeen
        await r.pump()
        expect(r.collector.framesSeen > seen).toBe(true)
        expect(s.sendTo(COLLECTOR_IP, 8125, Buffer.from("x"))).toBe(SendResult.Sent)
    })

    test("link polling without LINKIF: PHSTAT2 read on every poll when linkPollMs is 0", async () => {
        const r = await openRig({ linkPollMs: 0 })
        // PHIE cleared behind the driver's back: no LINKIF, only the PHSTAT2 poll sees the change
        await r.dev.phyWrite(Phy.PHIE, 0)
        r.model.setLink(false)
        expect(r.model.reg(Reg.EIR) & 0x10).toBe(0)
        await r.dev.poll()
        expect(r.dev.carrier()).toBe(false)
    })
})

describe("enc28j60 driver: traffic", () => {
    beforeEach(yieldToScheduler)

    test("ARP resolution, then a UDP datagram byte-exact at the collector", async () => {
        const r = await openRig()
        const payload = pattern(300, 3)
        r.collector.keepBytes = 300
        const s = r.stack.udpSocket(40000)
        expect(s.sendTo(COLLECTOR_IP, 8125, payload)).toBe(SendResult.Queued)
        await r.pump()
        const c = r.collector
        expect(c.arpRequestsAnswered).toBe(1)
        expect(c.udpReceived).toBe(1)
        const u = c.udp[0]
        expect(u.srcIp).toBe(BOARD_IP)
        expect(u.srcPort).toBe(40000)
        expect(u.dstPort).toBe(8125)
        expect(u.len).toBe(300)
        let same = true
        for (let i = 0; i < 300; i++) if (u.payload[i] !== payload[i]) same = false
        expect(same).toBe(true)
        expect(c.udpBadChecksum).toBe(0)
        expect(r.dev.stats[Enc28j60Mib.tx_completed]).toBe(2)
        expect(r.dev.stats[Enc28j60Mib.rx_frames]).toBe(1)
    })

    test("a 4,000-byte datagram leaves as three correct fragments", async () => {
        const r = await openRig()
        await resolve(r)
        const c = r.collector
        // the collector keeps the first fragment's payload and the one's-complement sum of all of it
        c.keepBytes = 1472
        let payload = pattern(4000, 9)
        const s = r.stack.udpSocket(40001)
        expect(s.sendTo(COLLECTOR_IP, 8125, payload)).toBe(SendResult.Sent)
        // the heap is tight (64 KB): drop our copy before the frames are built
        payload = null
        await r.pump()
        expect(c.fragmentsReceived).toBe(3)
        const f = c.fragments
        expect(f.length).toBe(3)
        expect(f[0].offset).toBe(0)
        expect(f[0].len).toBe(1480)
        expect(f[0].more).toBe(true)
        expect(f[1].offset).toBe(1480)
        expect(f[1].len).toBe(1480)
        expect(f[2].offset).toBe(2960)
        expect(f[2].len).toBe(1048)
        expect(f[2].more).toBe(false)
        expect(c.udpBadChecksum).toBe(0)
        expect(c.reassemblyFailures).toBe(0)
        const u = c.udp[c.udp.length - 1]
        expect(u.fragments).toBe(3)
        expect(u.len).toBe(4000)
        let same = u.payload.length === 1472
        for (let i = 0; i < u.payload.length; i++) if (u.payload[i] !== ((i * 7 + 9) & 0xff)) same = false
        expect(same).toBe(true)
        // RFC 1071 sum of the expected payload, big-endian words, end-around carry
        let sum = 0
        for (let i = 0; i < 4000; i += 2) {
            sum += ((i * 7 + 9) & 0xff) * 256 + (((i + 1) * 7 + 9) & 0xff)
            if (sum > 0xffff) sum -= 0xffff
        }
        expect(u.sum).toBe(sum)
    })

    test("RX ring wrap: 30 datagrams of 600 bytes arrive intact through a 6.5 KB ring", async () => {
        const r = await openRig()
        await resolve(r)
        for (let i = 0; i < 30; i++) {
            expect(r.peerSend(600)).toBe(true)
            // the peer's CRC and the model's ring run in script: give the step watchdog a break
            await ds.sleep(0)
            if (i % 3 === 2) await r.dev.poll()
        }
        await r.pump()
        expect(r.got).toBe(30)
        expect(r.gotIntact).toBe(30)
        expect(r.model.rxWraps >= 2).toBe(true)
        expect(r.dev.stats[Enc28j60Mib.rx_resets]).toBe(0)
        expect(r.dev.stats[Enc28j60Mib.rx_over_errors]).toBe(0)
        expect(r.model.evenRdptWrites).toBe(0)
    })

    test("a socket handler that throws costs that datagram only: counted, the next one arrives", async () => {
        const r = await openRig()
        await resolve(r)
        const s = r.stack.udpSocket(9001)
        let calls = 0
        s.onMessage = (buf, off, len, src, srcPort) => {
            calls++
            if (calls === 1) throw new Error("handler fault")
        }
        expect(r.collector.sendUdp(BOARD_IP, 7000, 9001, pattern(20, 1), 0, 20)).toBe(true)
        expect(await r.dev.poll()).toBe(1)
        expect(r.collector.sendUdp(BOARD_IP, 7000, 9001, pattern(20, 2), 0, 20)).toBe(true)
        expect(await r.dev.poll()).toBe(1)
        expect(calls).toBe(2)
        expect(r.dev.stats[Enc28j60Mib.rx_deliver_errors]).toBe(1)
        expect(r.dev.lastError.message).toBe("handler fault")
    })

    test("a ping is answered", async () => {
        const r = await openRig()
        await resolve(r)
        const c = r.collector
        expect(c.ping(BOARD_IP, 0x1234, 7, 56)).toBe(true)
        await r.pump()
        expect(c.echoRepliesReceived).toBe(1)
        expect(c.lastEchoSeq).toBe(7)
        expect(r.stack.input.icmp[IcmpMib.OutEchoReps]).toBe(1)
    })

    test("RX overflow: a burst larger than the ring is counted and recovered without a reset", async () => {
        const r = await openRig()
        await resolve(r)
        for (let i = 0; i < 12; i++) {
            r.peerSend(1000)
            // the peer's frames are built and CRC'd synchronously: reset the step budget
            await ds.sleep(0)
        }
        const m = r.model
        expect(m.rxOverflows).toBe(6)
        expect(m.packetCount()).toBe(6)
        await r.pump()
        expect(r.got).toBe(6)
        expect(r.gotIntact).toBe(6)
        expect(r.dev.stats[Enc28j60Mib.rx_over_errors]).toBe(1)
        expect(r.dev.stats[Enc28j60Mib.rx_resets]).toBe(0)
        expect(m.srcCount).toBe(1)
        expect(m.rxResets).toBe(0)
        // and traffic flows again
        for (let i = 0; i < 3; i++) {
            r.peerSend(1000)
            await ds.sleep(0)
        }
        await r.pump()
        expect(r.got).toBe(9)
        expect(r.gotIntact).toBe(9)
        expect(r.model.reg(Reg.EIR) & 0x01).toBe(0)
    })
})

describe("enc28j60 driver: faults", () => {
    test("a bus error that is not a timeout during a transmit: Error returned, counted, telemetry goes on", async () => {
        if (!directBus()) return // the fault is injected in SimSpiBus
        const r = await openRig({}, true)
        const s = r.stack.udpSocket(5000)
        expect(s.sendTo(COLLECTOR_IP, 8125, pattern(40, 1))).toBe(SendResult.Sent)
        await r.pump()
        ;(r.bus as SimSpiBus).failNext = 1
        expect(s.sendTo(COLLECTOR_IP, 8125, pattern(40, 2))).toBe(SendResult.Sent)
        await r.pump()
        expect(r.dev.stats[Enc28j60Mib.poll_errors]).toBe(1)
        expect(r.dev.lastError.message).toBe("injected bus fault")
        expect(r.stack.link[LinkMib.tx_errors]).toBe(1)
        for (let i = 0; i < 3; i++) expect(s.sendTo(COLLECTOR_IP, 8125, pattern(40, 3 + i))).toBe(SendResult.Sent)
        await r.pump()
        expect(r.collector.udpReceived).toBe(4)
    })
})

describe("enc28j60 driver: with the tasks running", () => {
    beforeEach(yieldToScheduler)

    test("stack.start(): the poll task and the drain task share the chip; ARP and a ping get answered", async () => {
        const r = new Rig({ pollMs: 2 }, false)
        await r.stack.start()
        const c = r.collector
        expect(c.ping(BOARD_IP, 1, 1, 32)).toBe(false)
        for (let i = 0; i < 100 && !c.peerKnown; i++) await ds.sleep(5)
        expect(c.peerKnown).toBe(true)
        expect(c.ping(BOARD_IP, 1, 2, 32)).toBe(true)
        for (let i = 0; i < 100 && c.echoRepliesReceived === 0; i++) await ds.sleep(5)
        expect(c.echoRepliesReceived).toBe(1)
        expect(c.lastEchoSeq).toBe(2)
        await r.stack.stop()
        // let the stack's timer task (100 ms period) and the poll task see `running` go false and
        // end: until then they keep this rig alive, and the next test needs the heap
        await ds.sleep(150)
        expect(r.dev.stats[Enc28j60Mib.bus_errors]).toBe(0)
        expect(r.bus.lockTimeouts).toBe(0)
    })
})

describe("enc28j60 driver: B7 errata", () => {
    beforeEach(yieldToScheduler)

    test("#2 with the workaround: wait after SRC, init is clean", async () => {
        const r = await openRig({ workarounds: Erratum.All })
        expect(r.model.ignoredNotReady).toBe(0)
        expect(r.model.reg(Reg.MAADR6)).toBe(0x0a)
    })

    test("#2 without it: CLKRDY reads 1 at once, the chip ignores the init and EREVID reads 0", async () => {
        const r = new Rig({ workarounds: Erratum.All & ~Erratum.ResetDelay2 }, false)
        // CLKRDY says nothing about readiness, however long the chip takes. The model's clock stands
        // still, so the chip is still settling at every access after SRC whatever the host's load
        // (a real-time window could be missed if the process were descheduled between SRC and the
        // next transaction); the test above shows the workaround's 2 ms wait against the nominal window.
        r.model.now = () => 0
        let err: SelfTestError = null
        try {
            await r.dev.open(r.stack)
        } catch (e) {
            if (e instanceof SelfTestError) err = e
        }
        expect(err === null ? "no SelfTestError" : err.message).toBe("ENC28J60: EREVID reads 0x00: no chip answers (MISO stays low): check the chip's power, its reset line and MISO")
        expect(r.dev.revision).toBe(0)
        expect(r.model.ignoredNotReady > 0).toBe(true)
        expect(r.model.revision).toBe(0x06)
    })

    test("#12 with the workaround: after an abort TXRST is toggled and the next frames go out", async () => {
        const r = await openRig({}, true)
        r.model.abortNext = 1
        for (let i = 0; i < 4; i++) await r.sendToCollector(pattern(100, i))
        await r.dev.poll()
        expect(r.collector.udpReceived).toBe(3)
        expect(r.dev.stats[Enc28j60Mib.tx_aborted]).toBe(1)
        expect(r.dev.stats[Enc28j60Mib.tx_logic_resets]).toBe(1)
        expect(r.dev.stats[Enc28j60Mib.tx_timeouts]).toBe(0)
        expect(r.model.txStallHits).toBe(0)
        // as Linux: TXRTS cleared before TXRST, ETXST written again
        expect(r.model.txResetsWithRts).toBe(0)
        expect(r.model.reg(Reg.ETXSTL) | (r.model.reg(Reg.ETXSTH) << 8)).toBe(TX_START)
    })

    test("#12 without it: after one abort every later TXRTS stalls", async () => {
        const r = await openRig({ workarounds: Erratum.All & ~Erratum.TxReset12, txTimeoutMs: 10 }, true)
        r.model.abortNext = 1
        for (let i = 0; i < 4; i++) await r.sendToCollector(pattern(100, i))
        await r.dev.poll()
        expect(r.collector.udpReceived).toBe(0)
        expect(r.model.txStallHits).toBe(3)
        expect(r.dev.stats[Enc28j60Mib.tx_timeouts]).toBe(3)
    })

    test("#13/#15 with the workaround: TSV bit 29 read, late-collided frames retransmitted, none lost", async () => {
        const r = await openRig({}, true)
        r.model.lateCollisionEvery = 2
        for (let i = 0; i < 6; i++) await r.sendToCollector(pattern(200, i))
        await r.dev.poll()
        // attempts 2, 4, 6, 8, 10 collide: frames 2..6 each need one retransmission
        expect(r.collector.udpReceived).toBe(6)
        expect(r.model.falseLateCollisions).toBe(5)
        expect(r.dev.stats[Enc28j60Mib.tx_late_collisions]).toBe(5)
        expect(r.dev.stats[Enc28j60Mib.tx_retries]).toBe(5)
        expect(r.dev.stats[Enc28j60Mib.tx_completed]).toBe(6)
        expect(r.dev.stats[Enc28j60Mib.tx_logic_resets]).toBe(5)
    })

    test("#13/#15 without it: every late-collided frame is lost", async () => {
        const r = await openRig({ workarounds: Erratum.All & ~Erratum.LateCollisionRetry13 }, true)
        r.model.lateCollisionEvery = 2
        for (let i = 0; i < 6; i++) await r.sendToCollector(pattern(200, i))
        await r.dev.poll()
        expect(r.collector.udpReceived).toBe(3)
        expect(r.dev.stats[Enc28j60Mib.tx_aborted]).toBe(3)
        expect(r.dev.stats[Enc28j60Mib.tx_retries]).toBe(0)
    })

    test("#13/#15: a frame that collides more than 16 times is given up (bounded retries)", async () => {
        const r = await openRig({}, true)
        r.model.lateCollisionEvery = 1
        await r.sendToCollector(pattern(50, 1))
        await r.dev.poll()
        expect(r.collector.udpReceived).toBe(0)
        expect(r.dev.stats[Enc28j60Mib.tx_retries]).toBe(16)
        expect(r.dev.stats[Enc28j60Mib.tx_late_collision_drops]).toBe(1)
        expect(r.model.falseLateCollisions).toBe(17)
    })

    test("#14 with the workaround: ERXRDPT always odd, 20 frames intact, ring never corrupt", async () => {
        const r = await openRig()
        await resolve(r)
        for (let i = 0; i < 20; i++) {
            r.peerSend(200 + i)
            if (i % 4 === 3) await r.dev.poll()
        }
        await r.pump()
        expect(r.got).toBe(20)
        expect(r.gotIntact).toBe(20)
        expect(r.model.ringCorruptions).toBe(0)
        expect(r.model.evenRdptWrites).toBe(0)
        expect(r.dev.stats[Enc28j60Mib.rx_resets]).toBe(0)
    })

    test("#14 without it: even ERXRDPT, corrupt headers, RX resets and lost frames", async () => {
        const r = await openRig({ workarounds: Erratum.All & ~Erratum.OddRxReadPointer14 }, true)
        // the collector learns the board from the board's first datagram
        await r.sendToCollector(Buffer.from("hello"))
        for (let i = 0; i < 20; i++) {
            r.peerSend(200 + i)
            if (i % 4 === 3) await r.dev.poll()
        }
        await r.pump()
        expect(r.model.ringCorruptions > 0).toBe(true)
        expect(r.dev.stats[Enc28j60Mib.rx_resets] > 0).toBe(true)
        expect(r.got < 20).toBe(true)
        console.log("errata #14 without workaround: " + r.got + "/20 delivered, " + r.dev.stats[Enc28j60Mib.rx_resets] + " RX resets")
    })
})

describe("enc28j60 driver: SPI cost per transmitted frame", () => {
    beforeEach(yieldToScheduler)

    async function measure(payloadLen: number): Promise<number> {
        const r = await openRig({}, true)
        const s = r.stack.udpSocket(40002)
        const p = pattern(payloadLen, 1)
        // warm-up: caches (bank, EWRPT, ETXND) settle on the steady-state values
        for (let i = 0; i < 3; i++) {
            s.sendTo(COLLECTOR_IP, 8125, p)
            await r.stack.drain.run()
        }
        const N = 12
        r.bus.resetCounters()
        const t0 = r.model.spiTransactions
        for (let i = 0; i < N; i++) {
            expect(s.sendTo(COLLECTOR_IP, 8125, p)).toBe(SendResult.Sent)
            await r.stack.drain.run()
        }
        const tr = r.bus.transactions / N
        const by = r.bus.bytes / N
        expect(r.model.spiTransactions - t0).toBe(r.bus.transactions)
        expect(r.collector.udpReceived).toBe(N + 3)
        const frame = 14 + 20 + 8 + payloadLen
        console.log(
            "enc28j60 TX, " + payloadLen + "-byte payload (" + frame + "-byte frame): " + tr + " SPI transactions, " + by +
                " bytes per frame (" + (by - frame) + " overhead)"
        )
        return tr
    }

    test("received frames: SPI transactions per poll for a batch of 1 and of 4 (printed)", async () => {
        const r = await openRig()
        await resolve(r)
        await r.dev.poll()
        for (let k = 0; k < 2; k++) {
            const batch = k === 0 ? 1 : 4
            for (let i = 0; i < batch; i++) r.peerSend(64)
            r.bus.resetCounters()
            expect(await r.dev.poll()).toBe(batch)
            const frame = 14 + 20 + 8 + 64
            console.log(
                "enc28j60 RX, batch of " + batch + " " + frame + "-byte frames: " + r.bus.transactions / batch +
                    " SPI transactions, " + r.bus.bytes / batch + " bytes per frame"
            )
            // EIR, [bank 1], EPKTCNT, per frame RBM + PKTDEC, bank 0, ERXRDPTL, ERXRDPTH
            expect(r.bus.transactions).toBe(k === 0 ? 7 : 4 * 2 + 6)
        }
    })

    test("64-byte payload: <= 7 transactions per frame", async () => {
        const tr = await measure(64)
        expect(tr <= 7).toBe(true)
        expect(tr).toBe(5)
    })

    test("1472-byte payload: <= 7 transactions per frame", async () => {
        const tr = await measure(1472)
        expect(tr <= 7).toBe(true)
        expect(tr).toBe(6)
    })
})
