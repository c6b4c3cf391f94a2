// ARP for IPv4 over Ethernet, RFC 826, as Linux net/ipv4/arp.c does it: arp_solicit (requests for
// the state machine), arp_process (receive), and the gratuitous announcement on link up
// (RFC 5227 §2.3: sender and target protocol address both ours).
//
// Security posture: replies go only to requests for our own address, at most one per request and
// rate-limited; an unsolicited reply never creates an entry (arp_accept=0); nothing received changes
// a PERMANENT entry; a frame claiming our address is counted as a conflict and learnt from nowhere.

import { FifoQdisc } from "../dev/qdisc"
import { formatCounters, newMib } from "../dev/counters"
import { arpCheck, arpEmit, ArpField, ArpOperation, ARP_LEN } from "../wire/arp"
import { getU16, getU32 } from "../wire/bytes"
import { ETHERNET_HEADER_LEN, EtherType, ethernetEmit } from "../wire/ethernet"
import { WireError } from "../wire/error"
import { takeToken, tokenBucket } from "../util/tokenbucket"
import { ipv4IsMartian, macEqual } from "../wire/addr"
import { NEIGH_ENTRY_LEN, neighIp, NeighParams, NeighTable, NO_NEIGH, Solicitor } from "../neigh/neighbour"
import { reserveQueued } from "../neigh/output"
import { InDevice } from "./ifaddr"
import { inc } from "../util/mib"

export const ARP_FRAME_LEN = ETHERNET_HEADER_LEN + ARP_LEN
const BROADCAST = hex`ff ff ff ff ff ff`
const ZERO_MAC = hex`00 00 00 00 00 00`

/** Indices of ArpStats. */
export const enum ArpMib {
    requests_sent,
    replies_sent,
    requests_received,
    replies_received,
    /** Replies for which no entry was waiting (not learnt: arp_accept=0). */
    unsolicited_ignored,
    /** Someone else claims our address. */
    conflicts,
    /** Replies not sent because of the rate limit. */
    rate_limited,
    /** Malformed or unsupported ARP packets. */
    errors,
    /** Requests for other hosts' addresses (not answered, nothing learnt). */
    not_for_us,
    /** ARP frames not sent because the qdisc was full. */
    tx_dropped,
    /** Packets from a sender no host can be (a group MAC, an address of RFC 1122 §3.2.1.3): not answered, not learnt. */
    martians,
    Count,
}

/** ARP's counter group, indexed by ArpMib. */
export type ArpStats = number[]

export function formatArpStats(s: ArpStats): string {
    return formatCounters("Arp", "requests_sent replies_sent requests_received replies_received unsolicited_ignored conflicts rate_limited errors not_for_us tx_dropped martians", s)
}

/**
 * ARP and its neighbour table (Linux's arp_tbl lives in arp.c too): the table asks ARP to solicit,
 * ARP's receive side updates the table.
 * @devsWhenUsed
 */
export class Arp implements Solicitor {
    readonly stats: ArpStats = newMib(ArpMib.Count)
    /** The IPv4 neighbour table. */
    readonly neigh: NeighTable
    /** Token bucket of ARP replies (tokenbucket.ts). */
    private readonly replyLimit: Buffer

    /** `ifa`: our address (0 while the interface has none: nothing answered or announced). */
    constructor(
        readonly ifa: InDevice,
        readonly ourMac: Buffer,
        readonly qdisc: FifoQdisc,
        neighParams: NeighParams,
        repliesPerSec: number
    ) {
        this.replyLimit = tokenBucket(repliesPerSec)
        this.neigh = new NeighTable(neighParams, ourMac, qdisc, this)
    }

    /**
     * An address being probed (RFC 5227 §2.1.1, src/dhcp): any ARP from another host whose sender
     * is it, or a probe for it (sender 0.0.0.0), counts in probeConflicts. 0 = none.
     */
    probeIp = 0
    probeConflicts = 0

    /** arp_send: one ARP frame into the qdisc. */
    send(op: number, ethDst: Buffer, ethDstOff: number, targetIp: number, targetMac: Buffer, targetMacOff: number, senderIp: number): boolean {
        const q = this.qdisc
        const at = reserveQueued(this.neigh, ARP_FRAME_LEN, false)
        if (at < 0) {
            inc(this.stats, ArpMib.tx_dropped)
            return false
        }
        const buf = q.pool.buf
        ethernetEmit(buf, at, ethDst, ethDstOff, this.ourMac, EtherType.Arp)
        arpEmit(buf, at + ETHERNET_HEADER_LEN, op, this.ourMac, senderIp, targetMac, targetMacOff, targetIp)
        return true
    }

    /** arp_solicit: who-has the neighbour's address, broadcast or (PROBE) unicast to the cached address. */
    solicit(n: number, unicast: boolean): void {
        const t = this.neigh
        // the cached MAC is the first 6 bytes of the entry
        if (this.send(ArpOperation.Request, unicast ? t.buf : BROADCAST, unicast ? n * NEIGH_ENTRY_LEN : 0, neighIp(t, n), ZERO_MAC, 0, this.ifa.address))
            inc(this.stats, ArpMib.requests_sent)
    }

    /** Gratuitous ARP when the interface comes up, so peers refresh stale entries for us. */
    announce(): void {
        if (this.ifa.address !== 0 && this.send(ArpOperation.Request, BROADCAST, 0, this.ifa.address, ZERO_MAC, 0, this.ifa.address))
            inc(this.stats, ArpMib.requests_sent)
    }

    /** arp_process: `len` bytes of ARP payload at `off` (after the Ethernet header). */
    receive(buf: Buffer, off: number, len: number, now: number): void {
        const st = this.stats
        if (arpCheck(buf, off, len) !== WireError.Ok) {
            inc(st, ArpMib.errors)
            return
        }
        // read in place: the sender's MAC stays in the received frame
        const mac = off + ArpField.SenderMac
        const senderIp = getU32(buf, off + ArpField.SenderIp)
        const targetIp = getU32(buf, off + ArpField.TargetIp)
        const isRequest = getU16(buf, off + ArpField.Operation) === ArpOperation.Request
        if (isRequest) inc(st, ArpMib.requests_received)
        else inc(st, ArpMib.replies_received)
        // our own frame looped back, or an RFC 5227 probe (sender 0.0.0.0): nothing to learn
        if (macEqual(buf, mac, this.ourMac, 0))
            return
        const ours = this.ifa.address
        const t = this.neigh
        const p = this.probeIp
        if (p !== 0 && (senderIp === p || (isRequest && senderIp === 0 && targetIp === p))) this.probeConflicts++
        if (senderIp === ours && ours !== 0) {
            inc(st, ArpMib.conflicts)
            return
        }
        // a sender no host can be (a group MAC; broadcast, multicast, loopback, this network) is neither
        // answered nor learnt; 0.0.0.0 is an RFC 5227 probe: answered below (we defend our address),
        // not learnt
        // (a group MAC: the IEEE 802 I/G bit, bit 0 of the first byte, is set)
        if ((buf[mac] & 1) !== 0 || (senderIp !== 0 && ipv4IsMartian(senderIp, ours, this.ifa.prefix))) {
            inc(st, ArpMib.martians)
            return
        }
        const forUs = targetIp === ours && ours !== 0
        let n = senderIp === 0 ? NO_NEIGH : t.lookup(senderIp)
        if (isRequest && forUs) {
            // the asker will talk to us: learn it (neigh_event_ns creates a STALE entry)
            if (n === NO_NEIGH && senderIp !== 0) n = t.create(senderIp, now)
            if (n !== NO_NEIGH) t.update(n, buf, mac, false, now)
            if (takeToken(this.replyLimit, now)) {
                if (this.send(ArpOperation.Reply, buf, mac, senderIp, buf, mac, ours))
                    inc(st, ArpMib.replies_sent)
            } else inc(st, ArpMib.rate_limited)
            return
        }
        if (n === NO_NEIGH) {
            if (isRequest) inc(st, ArpMib.not_for_us)
            else inc(st, ArpMib.unsolicited_ignored)
            return
        }
        // an entry exists: refresh it; a reply to us confirms it (REACHABLE), anything else is STALE
        t.update(n, buf, mac, !isRequest && forUs, now)
    }
}
