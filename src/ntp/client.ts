// An SNTPv4 client (RFC 4330; the client mode of RFC 5905): one request, one reply, the clock offset
// and round-trip delay of RFC 4330 §5 from the four timestamps, and a wall clock (`now()`, Unix ms)
// that is the local millisecond counter plus that offset. A reply is taken only from the server and
// port asked, in server mode, with our transmit timestamp echoed as its origin (RFC 5905 §8, the
// "bogus" check: our transmit timestamp is 64 random bits, as RFC 9109's data minimisation asks,
// which also makes a reply hard to forge), a non-zero transmit timestamp, and a synchronised server
// (LI not 3, stratum 1..15). Kiss-o'-Death (stratum 0, RFC 5905 §7.4): DENY and RSTR drop the server,
// RATE doubles the poll interval. The NTP era of 2036 is handled (RFC 4330 §3).

import * as ds from "@devicescript/core"
import { UdpTable } from "../udp/socket"
import { formatCounters } from "../dev/counters"
import { UdpRequester } from "../udp/request"

export const NTP_PORT = 123
export const NTP_PACKET_LEN = 48
/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix). */
export const NTP_UNIX_OFFSET_S = 2208988800
const TWO32 = 4294967296

/** Offsets in an NTP packet (RFC 5905 §7.3). */
export const enum NtpField {
    LiVnMode = 0,
    Stratum = 1,
    Poll = 2,
    Precision = 3,
    RefId = 12,
    Reference = 16,
    Origin = 24,
    Receive = 32,
    Transmit = 40,
}

export const enum SntpOutcome {
    Ok = 0,
    /** No valid reply from any server before its timeout. */
    Timeout = 1,
    /** No server configured (or every one sent DENY/RSTR). */
    NoServers = 2,
    /** The last server answered with a Kiss-o'-Death. */
    Kiss = 3,
    /** The last server is not synchronised itself (LI 3 or stratum 16). */
    Unsynchronized = 4,
    NoSocket = 5,
}

/** Indices of SntpStats (the first three are ReqMib's). */
export const enum SntpMib {
    Requests,
    Timeouts,
    /** From another address or port than the server asked, or unasked. */
    BadSource,
    Replies,
    Syncs,
    /** Shorter than 48 bytes, or not in server mode, or version not 3/4. */
    BadFormat,
    /** Origin timestamp not ours (replayed, spoofed or late), or a zero transmit timestamp. */
    Bogus,
    Unsynchronized,
    KissRate,
    KissDeny,
    Count,
}

export type SntpStats = number[]

export function formatSntpStats(s: SntpStats): string {
    return formatCounters("Sntp", "Requests Timeouts BadSource Replies Syncs BadFormat Bogus Unsynchronized KissRate KissDeny", s)
}

export interface SntpOptions {
    servers?: number[]
    /** Wait for one reply, ms (default 2,000). */
    timeoutMs?: number
    /** The poll interval starts here and doubles after each exchange up to maxPollMs (defaults 64 s, 1,024 s: RFC 4330 §10). */
    minPollMs?: number
    maxPollMs?: number
    /** Send from this requester's socket (the resolver's: taking turns with it) instead of binding one. */
    shareWith?: UdpRequester
}

/**
 * An NTP timestamp (64 bits at `off`) as Unix milliseconds. A seconds field with its top bit clear
 * is in era 1, from 2036-02-07 on (RFC 4330 §3); a double holds these to well under a microsecond.
 */
export function ntpToUnixMs(b: Buffer, off: number): number {
    const sec = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0
    const frac = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0
    const s = sec < 0x80000000 ? sec + TWO32 : sec
    return (s - NTP_UNIX_OFFSET_S) * 1000 + (frac * 1000) / TWO32
}

/**
 * RFC 4330 §5: offset = ((T2 - T1) + (T3 - T4)) / 2 and delay = (T4 - T1) - (T3 - T2), with T1 and
 * T4 the local send and receive times and T2 and T3 the server's receive and transmit times. Here T1
 * and T4 are the local millisecond counter, so the offset turns it into Unix time.
 */
export function sntpOffset(t1: number, t2: number, t3: number, t4: number): number {
    return (t2 - t1 + (t3 - t4)) / 2
}

export function sntpDelay(t1: number, t2: number, t3: number, t4: number): number {
    return t4 - t1 - (t3 - t2)
}

/** @devsWhenUsed */
export class SntpClient extends UdpRequester {
    readonly timeoutMs: number
    readonly minPollMs: number
    readonly maxPollMs: number
    /** The interval until the next exchange (start()), ms. */
    pollMs: number
    /** Unix ms minus the local counter, from the last good exchange. */
    offsetMs = 0
    /** Round-trip delay of the last good exchange, ms. */
    delayMs = 0
    synced = false
    /** Local time of the last good exchange. */
    lastSync = 0
    private readonly pkt = Buffer.alloc(NTP_PACKET_LEN)
    private t1 = 0
    private running = false

    constructor(udp: UdpTable, opts: SntpOptions) {
        super(udp, 4, SntpMib.Count, opts.shareWith)
        this.timeoutMs = opts.timeoutMs || 2000
        this.minPollMs = opts.minPollMs || 64000
        this.maxPollMs = opts.maxPollMs || 1024000
        this.pollMs = this.minPollMs
        this.setServers(opts.servers || [])
    }

    /** Wall-clock Unix milliseconds, or -1 while not synchronised. */
    now(): number {
        return this.synced ? this.clock.now() + this.offsetMs : -1
    }

    protected take(buf: Buffer, off: number, len: number, src: number): number {
        const t4 = this.clock.now()
        const st = this.stats
        const vn = (buf[off] >> 3) & 7
        if (len < NTP_PACKET_LEN || (buf[off] & 7) !== 4 || vn < 3 || vn > 4) {
            st[SntpMib.BadFormat]++
            return -1
        }
        // RFC 5905 §8: the origin timestamp must be the transmit timestamp we sent; a zero transmit timestamp is bogus
        const o = off + NtpField.Origin
        const t = off + NtpField.Transmit
        if (buf.getAt(o, "u32") !== this.pkt.getAt(NtpField.Transmit, "u32") || buf.getAt(o + 4, "u32") !== this.pkt.getAt(NtpField.Transmit + 4, "u32") ||
            (buf.getAt(t, "u32") | buf.getAt(t + 4, "u32")) === 0) {
            st[SntpMib.Bogus]++
            return -1
        }
        st[SntpMib.Replies]++
        const stratum = buf[off + NtpField.Stratum]
        if (stratum === 0) {
            // Kiss-o'-Death: four ASCII letters in the reference ID (RFC 5905 §7.4); DENY and RSTR: never again
            const k = buf.getAt(off + NtpField.RefId, "u16")
            const i = this.servers.indexOf(src)
            // "DE"NY or "RS"TR, as the first two bytes read little-endian
            if ((k === 0x4544 || k === 0x5352) && i >= 0) {
                st[SntpMib.KissDeny]++
                this.servers.insert(i, -1)
            } else {
                st[SntpMib.KissRate]++
                this.pollMs = Math.min(this.pollMs * 2, this.maxPollMs)
            }
            return SntpOutcome.Kiss
        }
        if (buf[off] >> 6 === 3 || stratum > 15) {
            st[SntpMib.Unsynchronized]++
            return SntpOutcome.Unsynchronized
        }
        const t2 = ntpToUnixMs(buf, off + NtpField.Receive)
        const t3 = ntpToUnixMs(buf, t)
        this.offsetMs = sntpOffset(this.t1, t2, t3, t4)
        this.delayMs = Math.max(0, sntpDelay(this.t1, t2, t3, t4))
        this.synced = true
        this.lastSync = t4
        st[SntpMib.Syncs]++
        return SntpOutcome.Ok
    }

    /** One exchange, each server in turn until one gives the time (each with timeoutMs). */
    async syncOnce(): Promise<SntpOutcome> {
        if (this.socket === null) return SntpOutcome.NoSocket
        let r = SntpOutcome.NoServers
        const p = this.pkt
        for (let k = 0; k < this.servers.length; k++) {
            // RFC 4330 §5: LI 0, VN 4, mode 3 (client); all zero but the transmit timestamp (random)
            p.fillAt(0, NTP_PACKET_LEN, 0)
            p[0] = 0x23
            for (let i = 0; i < 8; i++) p[NtpField.Transmit + i] = Math.random() * 256
            this.t1 = this.clock.now()
            const g = await this.exchange(this.servers[k], NTP_PORT, p, NTP_PACKET_LEN, this.t1 + this.timeoutMs)
            if (g === SntpOutcome.Ok) return g
            r = g < 0 ? SntpOutcome.Timeout : g
        }
        return r
    }
    /** Exchange every pollMs in a fiber of its own (the interval doubling up to maxPollMs) until stop(). */
    start(): void {
        this.running = true
        this.loop.start()
    }

    stop(): void {
        this.running = false
    }

    private async loop(): Promise<void> {
        while (this.running) {
            // no server yet (a DHCP lease may name one): look again in a second, no back-off
            if (this.servers.length === 0) {
                await ds.sleep(1000)
                continue
            }
            await this.syncOnce()
            // RFC 4330 §10: back off; success and failure alike move the interval up to its maximum
            const wait = this.pollMs
            this.pollMs = Math.min(this.pollMs * 2, this.maxPollMs)
            for (let t = 0; t < wait && this.running; t += 1000) await ds.sleep(Math.min(1000, wait - t))
        }
    }
}
