// A stub resolver (RFC 1035 §7, RFC 1123 §6.1.3) for A records over UDP, with the spoofing
// defences of RFC 5452: a random query ID and a random source port for every datagram sent, a reply
// taken only from the server and port asked, with our ID and our question; one query in flight at a
// time (so one per name). Answers are cached for their TTL (clamped to 5 s .. 1 day), negative
// answers for the SOA's negative TTL (RFC 2308 §5, at most 60 s). Never blocks: resolve() is a
// promise that settles by its deadline.
//
// As glibc's stub: the servers (at most 3, MAXNS) are tried in order, `attempts` rounds over the
// list, each datagram given `timeoutMs`; SERVFAIL and REFUSED move on to the next server.

import * as ds from "@devicescript/core"
import { UdpTable } from "../udp/socket"
import { formatCounters } from "../dev/counters"
import { UdpRequester } from "../udp/request"
import { parseIpv4 } from "../wire/addr"
import { DnsAnswer, DnsOutcome, DNS_MAX_QUERY, DNS_PORT, encodeQuery, parseReply } from "./message"

export interface DnsOptions {
    /** Name servers, in the order tried (at most 3 kept). */
    servers?: number[]
    /** Wait for one reply, ms (default 2,000). */
    timeoutMs?: number
    /** Rounds over the server list (default 2). */
    attempts?: number
    /** Cache entries (default 8); when full, an expired entry goes, else the least recently used. */
    cacheSize?: number
    /** Send from this requester's socket (taking turns with it) instead of binding one. */
    shareWith?: UdpRequester
}

const MIN_TTL_MS = 5000
const MAX_TTL_MS = 86400000
const MAX_NEG_TTL_MS = 60000

/** Indices of DnsStats (the first three are ReqMib's). */
export const enum DnsMib {
    /** Datagrams sent (first tries and retries). */
    OutQueries,
    Timeouts,
    /** Replies from another address or port than the server asked (RFC 5452 §9.1), or unasked. */
    BadSource,
    /** resolve() calls. */
    Queries,
    CacheHits,
    NegativeHits,
    /** Replies whose ID or question is not ours. */
    Mismatches,
    Malformed,
    NxDomain,
    /** SERVFAIL, REFUSED and other error codes. */
    ServFail,
    Truncated,
    /** Cache entries pushed out while still valid. */
    Evictions,
    Count,
}

export type DnsStats = number[]

export function formatDnsStats(s: DnsStats): string {
    return formatCounters("Dns", "OutQueries Timeouts BadSource Queries CacheHits NegativeHits Mismatches Malformed NxDomain ServFail Truncated Evictions", s)
}

/**
 * The end of one resolve().
 * @devsWhenUsed
 */
export class DnsResult {
    constructor(
        readonly outcome: DnsOutcome,
        /** The address (Ok), else 0. */
        readonly address: number,
        /** How long the answer may be used, ms (positive and negative answers; 0: not cached). */
        readonly ttlMs: number
    ) {}
}

/** @devsWhenUsed */
export class DnsResolver extends UdpRequester {
    readonly timeoutMs: number
    readonly attempts: number
    private readonly cacheSize: number
    private readonly query = Buffer.alloc(DNS_MAX_QUERY)
    private qlen = 0
    private readonly answer = new DnsAnswer()
    private busy = false
    // the cache, one index an entry: names lower-case without the final dot; the address, or
    // -outcome for a negative answer; expiry and last use on the stack's clock
    private readonly cName: string[] = []
    private readonly cAddr: number[] = []
    private readonly cExpires: number[] = []
    private readonly cUsed: number[] = []

    constructor(udp: UdpTable, opts: DnsOptions) {
        super(udp, 3, DnsMib.Count, opts.shareWith)
        this.timeoutMs = opts.timeoutMs || 2000
        this.attempts = opts.attempts || 2
        this.cacheSize = opts.cacheSize || 8
        this.setServers(opts.servers || [])
    }

    protected take(buf: Buffer, off: number, len: number, src: number): number {
        const r = parseReply(buf, off, len, this.query, this.qlen, this.answer)
        if (r === DnsOutcome.Mismatch) this.stats[DnsMib.Mismatches]++
        else if (r === DnsOutcome.Malformed) this.stats[DnsMib.Malformed]++
        else return r
        return -1
    }

    /** Forget every cached answer (a new lease, a new network). */
    flush(): void {
        // popped, not `length = 0`: in DeviceScript 2.16's VM a push after that corrupts the heap
        while (this.cName.length > 0) {
            this.cName.pop()
            this.cAddr.pop()
            this.cExpires.pop()
            this.cUsed.pop()
        }
    }

    /** Keep an answer (an address, or -outcome) for `ttlMs`: in that name's entry, a new one, else the expired or least recently used one. */
    private store(key: string, addr: number, ttlMs: number, now: number): void {
        let slot = this.cName.indexOf(key)
        const n = this.cName.length
        if (slot < 0 && n < this.cacheSize) slot = n
        if (slot < 0) {
            // an expired entry counts as never used
            let best = Infinity
            for (let i = 0; i < n; i++) {
                const u = this.cExpires[i] <= now ? -1 : this.cUsed[i]
                if (u < best) {
                    best = u
                    slot = i
                }
            }
            if (best >= 0) this.stats[DnsMib.Evictions]++
        }
        this.cName[slot] = key
        this.cAddr[slot] = addr
        this.cExpires[slot] = now + ttlMs
        this.cUsed[slot] = now
    }

    /**
     * The A record of `name` (a dotted quad is its own answer): from the cache while its TTL lasts,
     * else asked of the servers; settles `deadlineMs` from now at the latest (0 or none: after
     * every server's every attempt).
     */
    async resolve(name: string, deadlineMs?: number): Promise<DnsResult> {
        const st = this.clock
        const stats = this.stats
        stats[DnsMib.Queries]++
        const c0 = name.charCodeAt(0)
        if (c0 >= 48 && c0 <= 57) {
            try {
                return new DnsResult(DnsOutcome.Ok, parseIpv4(name), MAX_TTL_MS)
            } catch (e) {}
        }
        let key = name.toLowerCase()
        if (key.charCodeAt(key.length - 1) === 46) key = key.slice(0, key.length - 1)
        const deadline = st.now() + (deadlineMs || this.timeoutMs * this.attempts * 3)
        // one query in flight: a second caller waits for it (and then finds it cached when it was its name)
        while (this.busy && st.now() < deadline) await ds.sleep(5)
        let now = st.now()
        const hit = this.cName.indexOf(key)
        if (hit >= 0 && this.cExpires[hit] > now) {
            this.cUsed[hit] = now
            const a = this.cAddr[hit]
            stats[a >= 0 ? DnsMib.CacheHits : DnsMib.NegativeHits]++
            return new DnsResult(a >= 0 ? DnsOutcome.Ok : -a, a >= 0 ? a : 0, this.cExpires[hit] - now)
        }
        let r = this.busy ? DnsOutcome.Timeout : this.servers.length === 0 ? DnsOutcome.NoServers : this.socket === null ? DnsOutcome.NoSocket : DnsOutcome.Ok
        if (r !== DnsOutcome.Ok) return new DnsResult(r, 0, 0)
        this.qlen = encodeQuery(this.query, 0, name)
        if (this.qlen < 0) return new DnsResult(DnsOutcome.BadName, 0, 0)
        this.busy = true
        r = DnsOutcome.Timeout
        const n = this.servers.length
        for (let k = 0; k < this.attempts * n && st.now() < deadline; k++) {
            // RFC 5452 §9.2: a fresh ID (and source port, exchange()) for every datagram
            this.query[0] = Math.random() * 256
            this.query[1] = Math.random() * 256
            const g = await this.exchange(this.servers[k % n], DNS_PORT, this.query, this.qlen, Math.min(st.now() + this.timeoutMs, deadline))
            if (g < 0) continue
            r = g
            if (g === DnsOutcome.ServFail || g === DnsOutcome.Refused) {
                // the next server may know better
                stats[DnsMib.ServFail]++
                continue
            }
            break
        }
        this.busy = false
        now = st.now()
        const a = this.answer
        let ttl = 0
        if (r === DnsOutcome.Ok) {
            ttl = Math.min(Math.max(a.ttl * 1000, MIN_TTL_MS), MAX_TTL_MS)
            this.store(key, a.address, ttl, now)
            return new DnsResult(r, a.address, ttl)
        }
        if (r === DnsOutcome.NxDomain || r === DnsOutcome.NoData) {
            if (r === DnsOutcome.NxDomain) stats[DnsMib.NxDomain]++
            // RFC 2308 §5: without an SOA the answer is not cached
            ttl = Math.min(a.negTtl * 1000, MAX_NEG_TTL_MS)
            if (ttl > 0) this.store(key, -r, ttl, now)
            else ttl = 0
        }
        if (r === DnsOutcome.Truncated) stats[DnsMib.Truncated]++
        return new DnsResult(r, 0, ttl)
    }
}
