// A stub resolver (RFC 1035 §7, RFC 1123 §6.1.3) for A records over UDP, with the spoofing
// defences of RFC 5452: a random query ID and a random source port for every datagram sent, a reply
// taken only from the server and port asked, with our ID and our question; one query in flight at a
// time (so one per name). Answers are cached for their TTL (clamped), negative answers for the SOA's
// negative TTL (RFC 2308 §5, clamped shorter). Never blocks: resolve() is a promise with a deadline.
//
// Like Linux's glibc stub: servers are tried in order, `attempts` rounds over the list, each
// datagram given `timeoutMs`; SERVFAIL and REFUSED move on to the next server (RFC 1035 §7.2).

import * as ds from "@devicescript/core"
import { NetStack } from "../stack"
import { UdpSocket, udpRebind } from "../udp/socket"
import { SendResult } from "../ipv4/output"
import { newMib, formatCounters } from "../dev/counters"
import { parseIpv4 } from "../wire/addr"
import { DnsAnswer, DnsOutcome, DNS_MAX_QUERY, DNS_PORT, encodeQuery, parseReply } from "./message"

export interface DnsOptions {
    /** Name servers, in the order tried (at most DNS_MAX_SERVERS kept). */
    servers?: number[]
    /** Wait for one reply, ms (default 2,000). */
    timeoutMs?: number
    /** Rounds over the server list (default 2). */
    attempts?: number
    /** Cache entries (default 8); when full the least recently used entry goes. */
    cacheSize?: number
    /** TTL clamp, seconds (defaults 5 and 86,400). */
    minTtl?: number
    maxTtl?: number
    /** Negative answers are kept at most this long, seconds (default 60). */
    maxNegTtl?: number
}

/** RFC 1035 §7.2 / glibc MAXNS. */
export const DNS_MAX_SERVERS = 3
const POLL_MS = 5
const EPHEMERAL_FIRST = 49152

/** Indices of DnsStats. */
export const enum DnsMib {
    Queries,
    /** Datagrams sent (first tries and retries). */
    OutQueries,
    Retries,
    CacheHits,
    NegativeHits,
    Timeouts,
    /** Replies from another address or port than the server asked (RFC 5452 §9.1). */
    BadSource,
    /** Replies whose ID or question is not ours, or that came when nothing was asked. */
    Mismatches,
    Malformed,
    NxDomain,
    ServFail,
    Truncated,
    /** Cache entries pushed out (LRU) while still valid. */
    Evictions,
    SendErrors,
    Count,
}

export type DnsStats = number[]

export function formatDnsStats(s: DnsStats): string {
    return formatCounters("Dns", "Queries OutQueries Retries CacheHits NegativeHits Timeouts BadSource Mismatches Malformed NxDomain ServFail Truncated Evictions SendErrors", s)
}

/** The end of one resolve(). */
export class DnsResult {
    constructor(
        readonly outcome: DnsOutcome,
        /** The address (Ok), else 0. */
        readonly address: number,
        /** How long the answer may be used, ms (positive and negative answers). */
        readonly ttlMs: number
    ) {}
}

function random16(): number {
    return Math.floor(Math.random() * 0x10000) & 0xffff
}

/** A dotted quad resolves to itself (RFC 1123 §2.1); -1 otherwise. */
function literalAddress(name: string): number {
    for (let i = 0; i < name.length; i++) {
        const c = name.charCodeAt(i)
        if (c !== 46 && (c < 48 || c > 57)) return -1
    }
    try {
        return parseIpv4(name)
    } catch (e) {
        return -1
    }
}

export class DnsResolver {
    readonly stats: DnsStats = newMib(DnsMib.Count)
    servers: number[] = []
    readonly timeoutMs: number
    readonly attempts: number
    private readonly minTtl: number
    private readonly maxTtl: number
    private readonly maxNegTtl: number
    readonly socket: UdpSocket
    private readonly query = Buffer.alloc(DNS_MAX_QUERY)
    private qlen = 0
    private readonly answer = new DnsAnswer()
    /** The server (and port 53) the query in flight went to; 0 when nothing is in flight. */
    private asked = 0
    private busy = false
    /** The outcome of the reply to the query in flight, -1 while none came. */
    private got = -1
    // the cache: parallel arrays, one slot an entry; names lower-case without the final dot
    private readonly cName: string[] = []
    private readonly cAddr: number[] = []
    private readonly cOutcome: number[] = []
    private readonly cExpires: number[] = []
    private readonly cUsed: number[] = []

    constructor(readonly stack: NetStack, opts?: DnsOptions) {
        const o = opts || {}
        this.timeoutMs = o.timeoutMs || 2000
        this.attempts = o.attempts || 2
        this.minTtl = o.minTtl === undefined ? 5 : o.minTtl
        this.maxTtl = o.maxTtl || 86400
        this.maxNegTtl = o.maxNegTtl === undefined ? 60 : o.maxNegTtl
        const n = o.cacheSize || 8
        for (let i = 0; i < n; i++) {
            this.cName.push(null)
            this.cAddr.push(0)
            this.cOutcome.push(0)
            this.cExpires.push(0)
            this.cUsed.push(0)
        }
        this.setServers(o.servers || [])
        this.socket = stack.udpSocket(0)
        const self = this
        if (this.socket !== null) this.socket.onMessage = (buf, off, len, src, port) => self.receive(buf, off, len, src, port)
    }

    /** The servers to ask from now on (from a DHCP lease, option 6, or the configuration); zeros dropped. */
    setServers(list: number[]): void {
        const s: number[] = []
        for (let i = 0; i < list.length && s.length < DNS_MAX_SERVERS; i++) if (list[i] !== 0) s.push(list[i] >>> 0)
        this.servers = s
    }

    /** Forget every cached answer (a new lease, a new network). */
    flush(): void {
        for (let i = 0; i < this.cName.length; i++) this.cName[i] = null
    }

    private receive(buf: Buffer, off: number, len: number, src: number, port: number): void {
        if (this.asked === 0 || this.got >= 0) {
            this.stats[DnsMib.Mismatches]++
            return
        }
        if (src !== this.asked || port !== DNS_PORT) {
            this.stats[DnsMib.BadSource]++
            return
        }
        const r = parseReply(buf, off, len, this.query, this.qlen, this.answer)
        if (r === DnsOutcome.Mismatch) this.stats[DnsMib.Mismatches]++
        else if (r === DnsOutcome.Malformed) this.stats[DnsMib.Malformed]++
        else this.got = r
    }

    private find(key: string, now: number): number {
        for (let i = 0; i < this.cName.length; i++) {
            if (this.cName[i] === key) {
                if (this.cExpires[i] > now) return i
                this.cName[i] = null
                return -1
            }
        }
        return -1
    }

    /** Keep an answer for `ttl` s (clamped); when full, an expired slot, else the least recently used. */
    private store(key: string, outcome: DnsOutcome, addr: number, ttlMs: number, now: number): void {
        let slot = -1
        for (let i = 0; i < this.cName.length && slot < 0; i++) if (this.cName[i] === null || this.cName[i] === key || this.cExpires[i] <= now) slot = i
        if (slot < 0) {
            slot = 0
            for (let i = 1; i < this.cName.length; i++) if (this.cUsed[i] < this.cUsed[slot]) slot = i
            this.stats[DnsMib.Evictions]++
        }
        this.cName[slot] = key
        this.cAddr[slot] = addr
        this.cOutcome[slot] = outcome
        this.cExpires[slot] = now + ttlMs
        this.cUsed[slot] = now
    }

    private clampTtl(s: number, min: number, max: number): number {
        return (s < min ? min : s > max ? max : s) * 1000
    }

    /**
     * The A record of `name` (a dotted quad is its own answer): from the cache while its TTL lasts,
     * else asked of the servers; resolves by `deadlineMs` from now at the latest (default: every
     * server's every attempt).
     */
    async resolve(name: string, deadlineMs?: number): Promise<DnsResult> {
        const st = this.stack
        this.stats[DnsMib.Queries]++
        const lit = literalAddress(name)
        if (lit >= 0) return new DnsResult(DnsOutcome.Ok, lit, 0x7fffffff)
        let key = name.toLowerCase()
        if (key.charCodeAt(key.length - 1) === 46) key = key.slice(0, key.length - 1)
        const deadline = st.now() + (deadlineMs === undefined ? this.timeoutMs * this.attempts * (this.servers.length || 1) : deadlineMs)
        // one query in flight: a second caller waits for it (and then finds it cached when it was its name)
        while (this.busy && st.now() < deadline) await ds.sleep(POLL_MS)
        let now = st.now()
        const hit = this.find(key, now)
        if (hit >= 0) {
            this.cUsed[hit] = now
            const oc = this.cOutcome[hit]
            this.stats[oc === DnsOutcome.Ok ? DnsMib.CacheHits : DnsMib.NegativeHits]++
            return new DnsResult(oc, this.cAddr[hit], this.cExpires[hit] - now)
        }
        if (this.busy) return new DnsResult(DnsOutcome.Timeout, 0, 0)
        if (this.servers.length === 0) return new DnsResult(DnsOutcome.NoServers, 0, 0)
        if (this.socket === null) return new DnsResult(DnsOutcome.NoSocket, 0, 0)
        this.busy = true
        try {
            return await this.ask(name, key, deadline)
        } finally {
            this.busy = false
            this.asked = 0
        }
    }

    private async ask(name: string, key: string, deadline: number): Promise<DnsResult> {
        const st = this.stack
        this.qlen = encodeQuery(this.query, 0, name)
        if (this.qlen < 0) return new DnsResult(DnsOutcome.BadName, 0, 0)
        let failure = DnsOutcome.Timeout
        let sent = 0
        for (let round = 0; round < this.attempts; round++) {
            for (let k = 0; k < this.servers.length; k++) {
                let now = st.now()
                if (now >= deadline) break
                // RFC 5452 §9.2: a fresh ID and source port for every datagram
                const id = random16()
                this.query[0] = id >> 8
                this.query[1] = id
                let moved = false
                for (let tries = 0; tries < 8 && !moved; tries++) moved = udpRebind(this.socket, EPHEMERAL_FIRST + (random16() & 0x3fff))
                const server = this.servers[k]
                this.asked = server
                this.got = -1
                if (sent > 0) this.stats[DnsMib.Retries]++
                sent++
                const r = this.socket.sendTo(server, DNS_PORT, this.query, 0, this.qlen)
                this.stats[DnsMib.OutQueries]++
                if (r !== SendResult.Sent && r !== SendResult.Queued) this.stats[DnsMib.SendErrors]++
                const until = Math.min(now + this.timeoutMs, deadline)
                while (this.got < 0 && st.now() < until) await ds.sleep(POLL_MS)
                const g = this.got
                this.asked = 0
                now = st.now()
                if (g < 0) {
                    this.stats[DnsMib.Timeouts]++
                    continue
                }
                const a = this.answer
                if (g === DnsOutcome.Ok) {
                    const ttl = this.clampTtl(a.ttl, this.minTtl, this.maxTtl)
                    this.store(key, DnsOutcome.Ok, a.address, ttl, now)
                    return new DnsResult(DnsOutcome.Ok, a.address, ttl)
                }
                if (g === DnsOutcome.NxDomain || g === DnsOutcome.NoData) {
                    if (g === DnsOutcome.NxDomain) this.stats[DnsMib.NxDomain]++
                    // RFC 2308 §5: without an SOA the answer is not cached
                    const ttl = a.negTtl < 0 ? 0 : this.clampTtl(a.negTtl, 0, this.maxNegTtl)
                    if (ttl > 0) this.store(key, g, 0, ttl, now)
                    return new DnsResult(g, 0, ttl)
                }
                if (g === DnsOutcome.Truncated) {
                    this.stats[DnsMib.Truncated]++
                    return new DnsResult(g, 0, 0)
                }
                // SERVFAIL, REFUSED and the other errors: the next server may know better
                this.stats[DnsMib.ServFail]++
                failure = g
            }
        }
        return new DnsResult(failure, 0, 0)
    }

    format(): string {
        return formatDnsStats(this.stats)
    }
}
