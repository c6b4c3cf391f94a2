// The transmit drain: the role of NET_TX_SOFTIRQ (net_tx_action -> __qdisc_run -> qdisc_restart ->
// dev_hard_start_xmit). It dequeues frames while the device accepts them; a frame the device
// refuses (NETDEV_TX_BUSY) stays at the head (dev_requeue_skb) until the driver wakes the queue.
// It writes the transmit half of the link group.

import { FifoQdisc } from "./qdisc"
import { LinkStats, LinkMib, QdiscMib } from "./counters"
import { NetDevice, XmitStatus } from "./netdev"
import { RECORD_HEADER } from "./ring"
import { inc } from "../util/mib"

/** How long the drain sleeps when nothing wakes it (a stopped queue is re-tried after this). */
const IDLE_POLL_MS = 50

/** @devsWhenUsed */
export class TxDrain {
    /** netif_stop_queue state. */
    stopped = false
    private running = false
    /** What a device's startXmit threw, when one did (counted in tx_errors). */
    lastError: Error = null

    constructor(
        readonly qdisc: FifoQdisc,
        readonly dev: NetDevice,
        /** The link group (dev/rx.ts writes its receive half). */
        readonly link: LinkStats
    ) {}

    /** No carrier for a frame the stack was about to queue (counted as a carrier error). */
    carrierOk(): boolean {
        if (this.dev.carrier()) return true
        inc(this.link, LinkMib.tx_carrier_errors)
        return false
    }

    /** netif_carrier_on / off: the queue wakes or stops with the carrier. */
    carrierChanged(up: boolean): void {
        inc(this.link, LinkMib.carrier_changes)
        if (up) this.wakeQueue()
        else this.stopQueue()
    }

    stopQueue(): void {
        this.stopped = true
    }

    wakeQueue(): void {
        this.stopped = false
        this.qdisc.kick()
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
        let bytes = 0
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
                sent++
                bytes += len
                // the queue is empty: done without another peek()
                if (q.stats[QdiscMib.qlen] === 0) break
            } else if (st === XmitStatus.Busy) {
                q.requeue()
                this.stopped = true
                break
            } else {
                q.dequeueDropped(rec)
                inc(this.link, LinkMib.tx_dropped)
                if (st === XmitStatus.LinkDown) inc(this.link, LinkMib.tx_carrier_errors)
                else inc(this.link, LinkMib.tx_errors)
            }
        }
        if (sent > 0) {
            const link = this.link
            link[LinkMib.tx_packets] = link[LinkMib.tx_packets] + sent
            link[LinkMib.tx_bytes] = link[LinkMib.tx_bytes] + bytes
        }
        return sent
    }

    /** The drain task: start with `drain.task.start()`; runs until stopTask(). */
    async task(): Promise<void> {
        this.running = true
        while (this.running) {
            await this.run()
            // sleep until kicked (a wait queue's wake_up), at most IDLE_POLL_MS
            await this.qdisc.waitForWork(IDLE_POLL_MS)
            // a queue stopped by a busy device with no wake since (a lost TX interrupt) is retried on
            // the poll; a queue stopped for lack of carrier waits for carrierChanged(true)
            if (this.stopped && this.dev.carrier() && this.qdisc.peek() >= 0) this.stopped = false
        }
    }

    stopTask(): void {
        this.running = false
        this.qdisc.kick()
    }
}
