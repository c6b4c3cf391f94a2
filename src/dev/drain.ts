// The transmit drain: the role of NET_TX_SOFTIRQ (net_tx_action -> __qdisc_run -> qdisc_restart ->
// dev_hard_start_xmit). It dequeues frames while the device accepts them; a frame the device
// refuses (NETDEV_TX_BUSY) stays at the head (dev_requeue_skb) until the driver wakes the queue.

import { FifoQdisc } from "./qdisc"
import { LinkStats, LinkMib, QdiscMib } from "./counters"
import { NetDevice, XmitStatus } from "./netdev"
import { RECORD_HEADER } from "./ring"
import * as ds from "@devicescript/core"

/** How long the drain sleeps when nothing wakes it (a stopped queue is re-tried after this). */
const IDLE_POLL_MS = 50

export class TxDrain {
    /** netif_stop_queue state. */
    stopped = false
    /** The drain task while it sleeps, and a wake-up that came while it did not (never lost). */
    private sleeper: ds.Fiber = null
    private woken = false
    private running = false
    /** What a device's startXmit threw, when one did (counted in tx_errors). */
    lastError: Error = null

    constructor(
        readonly qdisc: FifoQdisc,
        readonly dev: NetDevice,
        readonly link: LinkStats
    ) {}

    /** Something was enqueued, or the driver woke the queue (netif_schedule). */
    kick(): void {
        this.woken = true
        const f = this.sleeper
        if (f && f.suspended) {
            this.sleeper = null
            f.resume(true)
        }
    }

    stopQueue(): void {
        this.stopped = true
    }

    wakeQueue(): void {
        this.stopped = false
        this.kick()
    }

    /**
     * Send queued frames until the queue is empty, stopped, or the device is busy. Returns the
     * number of frames handed to the device. Each device call may suspend (SPI), which also resets
     * the step budget between frames.
     */
    async run(): Promise<number> {
        const q = this.qdisc
        const buf = q.pool.buf
        let sent = 0
        while (!this.stopped) {
            const rec = q.peek()
            if (rec < 0) break
            const len = buf.getAt(rec, "u16")
            let st = XmitStatus.Error
            try {
                st = await this.dev.startXmit(buf, rec + RECORD_HEADER, len)
            } catch (e) {
                // a driver must not throw here; if one does, the frame is dropped as a device
                // error (tx_errors) and the drain goes on: the task must never die
                this.lastError = e as Error
            }
            if (st === XmitStatus.Ok) {
                q.dequeueSent(rec, len)
                this.link[LinkMib.tx_packets]++
                this.link[LinkMib.tx_bytes] += len
                sent++
            } else if (st === XmitStatus.Busy) {
                q.stats[QdiscMib.requeues]++
                this.stopped = true
                break
            } else {
                q.dequeueDropped(rec)
                this.link[LinkMib.tx_dropped]++
                if (st === XmitStatus.LinkDown) this.link[LinkMib.tx_carrier_errors]++
                else this.link[LinkMib.tx_errors]++
            }
        }
        return sent
    }

    /** The drain task: start with `drainTask.start()`; runs until stopTask(). */
    async task(): Promise<void> {
        this.running = true
        while (this.running) {
            await this.run()
            // sleep until kicked (a wait queue's wake_up), at most IDLE_POLL_MS
            if (!this.woken) {
                this.sleeper = ds.Fiber.self()
                await ds.suspend<boolean>(IDLE_POLL_MS)
                this.sleeper = null
            }
            this.woken = false
            // a queue stopped by a busy device with no wake since (a lost TX interrupt) is retried on
            // the poll; a queue stopped for lack of carrier waits for carrierChanged(true)
            if (this.stopped && this.dev.carrier() && this.qdisc.peek() >= 0) this.stopped = false
        }
    }

    stopTask(): void {
        this.running = false
        this.kick()
    }
}
