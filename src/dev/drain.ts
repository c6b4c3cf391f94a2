// The transmit drain: the role of NET_TX_SOFTIRQ (net_tx_action -> __qdisc_run -> qdisc_restart ->
// dev_hard_start_xmit). It dequeues frames while the device accepts them; a frame the device
// refuses (NETDEV_TX_BUSY) stays at the head (dev_requeue_skb) until the driver wakes the queue.
// It writes the transmit half of the link group.

import { FifoQdisc, QDISC_TAG } from "./qdisc"
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
        const pool = q.pool
        const buf = pool.buf
        const s = q.stats
        const link = this.link
        let sent = 0
        while (!this.stopped) {
            if (!s[QdiscMib.qlen]) break
            // the oldest record is the queue's head, unless parked frames sit in front of it
            let rec = pool.tail
            if (buf.getAt(rec + 2, "u16") !== QDISC_TAG) {
                rec = q.peek()
                if (rec < 0) break
            }
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
                // sent: out of the queue, counted by the qdisc and the device (`s[i] = s[i] + 1`:
                // a compound assignment copies `s` into a temporary first)
                pool.release(rec)
                s[QdiscMib.qlen] = s[QdiscMib.qlen] - 1
                s[QdiscMib.backlog] = s[QdiscMib.backlog] - len
                s[QdiscMib.packets] = s[QdiscMib.packets] + 1
                s[QdiscMib.bytes] = s[QdiscMib.bytes] + len
                link[LinkMib.tx_packets] = link[LinkMib.tx_packets] + 1
                link[LinkMib.tx_bytes] = link[LinkMib.tx_bytes] + len
                sent++
                // the queue is empty: done without another test of the loop's
                if (!s[QdiscMib.qlen]) break
            } else if (st === XmitStatus.Busy) {
                // it stays at the head (dev_requeue_skb)
                inc(s, QdiscMib.requeues)
                this.stopped = true
                break
            } else {
                // lost below us (device error, no carrier): out of the queue, a drop
                pool.release(rec)
                s[QdiscMib.qlen]--
                s[QdiscMib.backlog] -= len
                inc(s, QdiscMib.drops)
                inc(link, LinkMib.tx_dropped)
                if (st === XmitStatus.LinkDown) inc(link, LinkMib.tx_carrier_errors)
                else inc(link, LinkMib.tx_errors)
            }
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

/** No carrier for a frame the stack was about to queue (counted as a carrier error). */
export function carrierOk(d: TxDrain): boolean {
    if (d.dev.carrier()) return true
    inc(d.link, LinkMib.tx_carrier_errors)
    return false
}
