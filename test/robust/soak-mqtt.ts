// The protocol soak, part "mqtt" (`npm run soak -- --part mqtt`): the board publishes a QoS 1
// message every 40 ms through MqttClient (src/mqtt/client.ts) over this stack's TCP (src/tcp) to
// a broker on the virtual LAN (broker.ts), its device wired straight to the LAN (wire-device.ts),
// every task in real time, while the path to the broker loses 5 % of the frames each way and,
// one episode at a time:
//   - loss_burst: 25 % of the frames lost for 0.5-2 s;
//   - restart:    the broker goes away for 0.2-1.5 s and comes back without the session (every
//                 segment meanwhile refused with RST): the client reconnects, the outbox goes again;
//   - rst:        the broker resets the connection.
// Each message carries its number. The broker keeps one bit per number (delivered, duplicates
// counted); the soak keeps one bit per number the outbox dropped: before each publish() it notes
// the outbox's unacknowledged head entries, and the ones publish() pushed out (MqttMib.OutboxDropped
// says how many) are the oldest of them (the outbox is FIFO: its entries are always the newest
// messages published). After the faults the loss stops and the outbox drains. Check, per number:
// delivered, or dropped by the outbox, or still waiting in it; "lost" is any other (must be 0), and
// the client's own counts must agree (queued = acked + dropped + waiting). The heap check is
// host/soak/run.ts's.

import * as ds from "@devicescript/core"
import { Rng } from "../fuzz/rng"
import { WireDevice } from "./wire-device"
import { SoakBroker } from "./broker"
import { testConfig, BOARD_IP, COLLECTOR_IP } from "../support/config"
import { BOARD_MAC, COLLECTOR_MAC } from "../support/rig"
import { NetStack } from "../../src/stack"
import { Segment } from "../../src/sim/lan"
import { tcpTable, TcpConfig, TcpTable } from "../../src/tcp/table"
import { ByteStream, StreamStatus } from "../../src/tcp/stream"
import { MqttClient, MqttMib } from "../../src/mqtt/client"
import { formatTcpStats } from "../../src/tcp/mib"
import { formatDeviceStats } from "../../src/dev/netdev"

/** Message numbers the bitmaps hold (a publish every 40 ms: 5 minutes' worth). */
const MAX_MESSAGES = 8192
const TOPIC = "soak/q1"
const BASE_LOSS = 5

export class MqttSoakOptions {
    seconds = 10
    seed = 1
    warmOnly = false
    progressMs = 5000
}

export const MQTT_FAULTS = ["loss_burst", "restart", "rst"]
const NF = 3

class MqttSoak {
    readonly seg = new Segment()
    readonly device: WireDevice
    readonly stack: NetStack
    readonly tcp: TcpTable
    readonly broker: SoakBroker
    readonly client: MqttClient
    readonly rng: Rng
    readonly payload = Buffer.alloc(4)
    /** One bit per message number the outbox dropped. */
    readonly dropped = Buffer.alloc(MAX_MESSAGES >> 3)
    /** The outbox's head entries before a publish: acknowledged (1) or not (0). */
    private readonly headAcked = Buffer.alloc(64)
    published = 0
    droppedSeen = 0
    dropMismatch = 0
    publishing = true
    readonly faultCounts: number[] = []
    exceptions = 0
    lastException = ""
    failures: string[] = []

    constructor(readonly o: MqttSoakOptions) {
        const self = this
        this.rng = new Rng(o.seed)
        const c = testConfig()
        // the broker's MAC is static (it answers no ARP)
        c.arp = [{ ip: COLLECTOR_IP, mac: COLLECTOR_MAC }]
        c.qdiscLimitBytes = 3072
        c.neighPendingBytes = 2048
        c.neighPendingPackets = 4
        this.device = new WireDevice(this.seg, BOARD_MAC, this.rng)
        this.stack = new NetStack(c, this.device)
        this.tcp = tcpTable(this.stack, new TcpConfig())
        this.broker = new SoakBroker(this.seg, COLLECTOR_MAC, COLLECTOR_IP, BOARD_MAC, BOARD_IP, MAX_MESSAGES, this.rng, ds.millis)
        this.client = new MqttClient(
            { host: COLLECTOR_IP, port: 1883, clientId: "soak", keepAlive: 5, timeout: 2000, backoffMin: 100, backoffMax: 1000, outboxMessages: 16 },
            async (host: string | number, port: number): Promise<ByteStream | StreamStatus> => {
                const conn = self.tcp.connect(host as number, port)
                return conn === null ? StreamStatus.Unreachable : conn
            }
        )
        for (let i = 0; i < NF; i++) this.faultCounts.push(0)
    }

    /** One QoS 1 message with the next number; the ones it pushed out of the outbox marked dropped. */
    async publishOne(): Promise<void> {
        const c = this.client
        const n = this.published
        const count = c.obCount
        const k = Math.min(count, this.headAcked.length)
        for (let i = 0; i < k; i++) this.headAcked[i] = c.om[c.slot(i) + 6]
        const d0 = c.stats[MqttMib.OutboxDropped]
        this.payload.setAt(0, "u32", n)
        // the QoS 1 path of publish() never waits: nothing else runs between here and the count
        await c.publish(TOPIC, this.payload, 1)
        this.published++
        const d = c.stats[MqttMib.OutboxDropped] - d0
        const popped = count + 1 - c.obCount
        let marked = 0
        for (let i = 0; i < popped && i < k; i++)
            if (this.headAcked[i] === 0) {
                const m = n - count + i
                this.dropped[m >> 3] |= 1 << (m & 7)
                marked++
            }
        this.droppedSeen += marked
        if (marked !== d) this.dropMismatch++
    }

    async publisher(): Promise<void> {
        while (this.publishing && this.published < MAX_MESSAGES) {
            try {
                await this.publishOne()
            } catch (e) {
                this.exceptions++
                this.lastException = (e as Error).message
            }
            await ds.sleep(40)
        }
    }

    /** The broker's retransmission timer, until the program ends (it allocates nothing). */
    async ticker(): Promise<void> {
        while (true) {
            this.broker.tick()
            await ds.sleep(20)
        }
    }

    async fault(kind: number): Promise<void> {
        const rng = this.rng
        const b = this.broker
        if (kind < 0) kind = rng.below(NF)
        this.faultCounts[kind]++
        if (kind === 0) {
            b.lossPercent = 25
            this.device.lossPercent = 25
            await ds.sleep(rng.range(500, 2000))
            b.lossPercent = BASE_LOSS
            this.device.lossPercent = BASE_LOSS
        } else if (kind === 1) b.restart(rng.range(200, 1500))
        else b.reset()
    }

    /** Per message number: delivered, dropped by the outbox, waiting in it, or lost. */
    check(drained: boolean): void {
        const f = this.failures
        const c = this.client
        const b = this.broker
        const s = c.stats
        let waiting = 0
        let unacked = 0
        for (let i = 0; i < c.obCount; i++) if (!c.om[c.slot(i) + 6]) unacked++
        let lost = 0
        let droppedUndelivered = 0
        let droppedDelivered = 0
        let firstLost = -1
        const oldest = this.published - c.obCount
        for (let m = 0; m < this.published; m++) {
            const got = (b.seen[m >> 3] & (1 << (m & 7))) !== 0
            const drop = (this.dropped[m >> 3] & (1 << (m & 7))) !== 0
            if (got && drop) droppedDelivered++
            else if (drop) droppedUndelivered++
            else if (!got) {
                if (m >= oldest) waiting++
                else {
                    lost++
                    if (firstLost < 0) firstLost = m
                }
            }
        }
        this.lost = lost
        this.waiting = waiting
        this.droppedDelivered = droppedDelivered
        this.droppedUndelivered = droppedUndelivered
        if (lost !== 0) f.push(lost + " messages neither delivered nor dropped by the outbox (first: number " + firstLost + ")")
        if (b.unknown !== 0) f.push("the broker got " + b.unknown + " messages never published")
        if (b.delivered + droppedUndelivered + waiting !== this.published) f.push("published " + this.published + " != delivered " + b.delivered + " + dropped undelivered " + droppedUndelivered + " + waiting " + waiting)
        if (s[MqttMib.Qos1Queued] !== this.published) f.push("the client queued " + s[MqttMib.Qos1Queued] + " of " + this.published + " published")
        if (s[MqttMib.Qos1Acked] + s[MqttMib.OutboxDropped] + unacked !== s[MqttMib.Qos1Queued]) f.push("client: acked " + s[MqttMib.Qos1Acked] + " + dropped " + s[MqttMib.OutboxDropped] + " + unacked " + unacked + " != queued " + s[MqttMib.Qos1Queued])
        if (this.droppedSeen !== s[MqttMib.OutboxDropped] || this.dropMismatch !== 0) f.push("the soak saw " + this.droppedSeen + " drops, the client counted " + s[MqttMib.OutboxDropped] + " (" + this.dropMismatch + " publishes disagree)")
        if (!drained) f.push("the outbox did not drain after the faults (" + c.obCount + " left, connected " + c.connected() + ")")
        if (this.exceptions !== 0) f.push("exceptions in the soak's fibers, last: " + this.lastException)
    }
    lost = 0
    waiting = 0
    droppedDelivered = 0
    droppedUndelivered = 0

    print(seconds: number): void {
        const s = this.client.stats
        const b = this.broker
        console.log("@@soak part mqtt seconds " + seconds + " seed " + this.o.seed)
        let fl = "@@soak faults"
        for (let k = 0; k < NF; k++) fl += " " + MQTT_FAULTS[k] + "=" + this.faultCounts[k]
        console.log(fl + " base_loss_percent " + BASE_LOSS)
        let ql = "@@soak qos1 published " + this.published + " delivered " + b.delivered + " duplicates " + b.duplicates + " dropped " + s[MqttMib.OutboxDropped]
        console.log(ql + " dropped_after_delivery " + this.droppedDelivered + " waiting " + this.waiting + " lost " + this.lost + " unknown " + b.unknown)
        let cl = "@@soak client connects " + s[MqttMib.Connected] + " disconnects " + s[MqttMib.Disconnects] + " attempts " + s[MqttMib.ConnectAttempts] + " failed " + s[MqttMib.ConnectFailed]
        console.log(cl + " sent " + s[MqttMib.Qos1Sent] + " redelivered " + s[MqttMib.Qos1Redelivered] + " acked " + s[MqttMib.Qos1Acked] + " ping_timeouts " + s[MqttMib.PingTimeouts] + " malformed " + s[MqttMib.RxMalformed])
        let bl = "@@soak broker connections " + b.connections + " restarts " + b.restarts + " rst_sent " + b.resetsSent + " rst_received " + b.resetsReceived + " refused " + b.refused
        console.log(bl + " retransmits " + b.retransmits + " out_of_order " + b.outOfOrder + " frames_lost " + (b.framesLost + this.device.rxLost + this.device.txLost) + " pings " + b.pings)
        for (let i = 0; i < this.failures.length; i++) console.log("@@soak fail " + this.failures[i])
        console.log("@@soak stat " + formatTcpStats(this.tcp.stats))
        console.log("@@soak stat " + formatDeviceStats(this.device))
    }
}

/** The soak objects stay referenced here until the end of the program (the heap probe). */
export const keepMqtt: MqttSoak[] = []

/** Set up, warm up (every fault once), soak for o.seconds (unless warmOnly), drain, check, print. */
export async function runMqttSoak(o: MqttSoakOptions): Promise<number> {
    const k = new MqttSoak(o)
    keepMqtt.push(k)
    const t0 = ds.millis()
    await k.stack.start()
    k.ticker.start()
    k.client.start()
    k.broker.lossPercent = BASE_LOSS
    k.device.lossPercent = BASE_LOSS
    k.publisher.start()
    for (let f = 0; f < NF; f++) {
        await ds.sleep(1000)
        await k.fault(f)
    }
    if (!o.warmOnly) {
        const end = ds.millis() + o.seconds * 1000
        let next = ds.millis() + o.progressMs
        while (ds.millis() < end) {
            await ds.sleep(k.rng.range(500, 2500))
            await k.fault(-1)
            if (o.progressMs > 0 && ds.millis() >= next) {
                next += o.progressMs
                console.log("@@soak progress " + Math.round((ds.millis() - t0) / 1000) + " s published " + k.published + " delivered " + k.broker.delivered + " outbox " + k.client.obCount)
            }
        }
    }
    // quiesce: no more messages, no loss; the outbox must drain
    k.publishing = false
    k.broker.lossPercent = 0
    k.device.lossPercent = 0
    const end = ds.millis() + 15000
    while ((k.client.obCount > 0 || !k.client.connected()) && ds.millis() < end) await ds.sleep(50)
    k.check(k.client.obCount === 0)
    k.print(Math.round((ds.millis() - t0) / 1000))
    // close in order (DISCONNECT, FIN; TIME-WAIT 2 s), then stop every fiber
    await k.client.stop()
    await ds.sleep(3000)
    await k.stack.stop()
    await ds.sleep(500)
    return k.failures.length
}
