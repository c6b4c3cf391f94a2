// DHCP client, RFC 2131 (options RFC 2132): the states of §4.4 (Figure 5) — INIT, SELECTING,
// REQUESTING, BOUND, RENEWING, REBINDING, INIT-REBOOT, REBOOTING — plus the ARP check of §4.4.1
// done as RFC 5227 says (probes, then announcements; a conflict sends DHCPDECLINE), and the
// fallback when no server answers: a static address, else an RFC 3927 link-local address.
//
// The lease drives the stack: the interface address (InDevice), the connected and default routes
// (the FIB generation changes, so every socket's cached route is checked again) and the MTU are
// installed when BOUND and removed when the lease runs out or is released. onLease hands the
// lease (DNS, NTP servers, domain) to whoever needs it.
//
// Non-blocking: begin() returns at once, the client moves on tick() (its own fiber calls it every
// 100 ms after start(); tests call it with their clock). One 300-byte message buffer, allocated once.

import * as ds from "@devicescript/core"
import { UdpSocket, UdpTable } from "../udp/socket"
import { InDevice } from "../ipv4/ifaddr"
import { Fib } from "../ipv4/fib"
import { Ipv4Output } from "../ipv4/output"
import { acceptedUnconfigured } from "../ipv4/input"
import { Arp, ArpMib } from "../ipv4/arp"
import { NetDevice } from "../dev/netdev"
import { fibDeleteConnected, fibDelete, FibError, RouteType } from "../ipv4/fib"
import { formatCounters, newMib } from "../dev/counters"
import { formatIpv4, prefixMask } from "../wire/addr"
import { bytesEqual, getU32, setU32 } from "../wire/bytes"
import { ArpOperation } from "../wire/arp"
import { inc } from "../util/mib"

export const DHCP_SERVER_PORT = 67
export const DHCP_CLIENT_PORT = 68
/** A BOOTP message is at least 300 bytes (RFC 1542 §2.1: relays may drop shorter); ours are exactly that. */
export const DHCP_MSG_LEN = 300
/** RFC 2131 §3: the options start after the fixed part and the magic cookie 99.130.83.99. */
const OPTIONS = 240
const MAGIC = 0x63825363

/** DHCP message types, option 53 (RFC 2132 §9.6). */
export const enum DhcpType {
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
}

/** RFC 2131 §4.4 (Figure 5); Checking: the ARP probe of §4.4.1 before BOUND; Stopped: released. */
export const enum DhcpState {
    Init,
    Selecting,
    Requesting,
    Checking,
    Bound,
    Renewing,
    Rebinding,
    InitReboot,
    Rebooting,
    Stopped,
}

const STATE_NAMES = "INIT SELECTING REQUESTING CHECKING BOUND RENEWING REBINDING INIT-REBOOT REBOOTING STOPPED"

export function dhcpStateName(s: DhcpState): string {
    return STATE_NAMES.split(" ")[s]
}

/** Indices of DhcpStats: what the client sent and received, and why it dropped what it dropped. */
export const enum DhcpMib {
    discovers,
    requests,
    declines,
    releases,
    offers,
    acks,
    naks,
    /** Retransmissions (RFC 2131 §4.1), of every message. */
    retransmits,
    /** Replies that were not ours: another xid or hardware address, not a reply, another server. */
    ignored,
    /** Malformed messages: short, bad cookie, options running past the end, missing type. */
    errors,
    /** Leases bound (a renewal counts too). */
    leases,
    expired,
    /** RFC 5227: the offered address answered ARP (DHCPDECLINE sent). */
    conflicts,
    /** Times the fallback address was put on the interface. */
    fallbacks,
    /** Messages the stack did not take (queue full, link down). */
    send_errors,
    Count,
}

export type DhcpStats = number[]

/**
 * What the server gave (RFC 2132 options), the lease the stack runs on. Times in ms of the stack's clock.
 * @devsWhenUsed
 */
export class DhcpLease {
    address = 0
    prefix = 24
    /** Option 3, the first router; 0 for none. */
    router = 0
    /** Option 54. */
    server = 0
    /** Seconds (option 51); 0xffffffff is infinite. */
    leaseSec = 0
    t1Sec = 0
    t2Sec = 0
    /** Option 26, 0 when not given. */
    mtu = 0
    /** Option 6 and option 42 (at most 3 each), option 15. */
    readonly dns: number[] = []
    readonly ntp: number[] = []
    domain = ""
    /** When the lease was granted (the request's send time, RFC 2131 §4.4.1), T1, T2, expiry. */
    start = 0
    t1At = 0
    t2At = 0
    expiresAt = 0
}

export interface DhcpOptions {
    // (DeviceScript: a number at or over 2^31 is not truthy — addresses are compared with 0, never tested as booleans)
    /** Option 12 (RFC 2132 §3.14); none when empty. */
    hostName?: string
    /** The first retransmission delay (RFC 2131 §4.1: 4 s), doubling up to 16 times it; randomised by ±1/4. */
    baseMs?: number
    /** The address of the last lease, asked for first (INIT-REBOOT); 0 for none. */
    lastAddress?: number
    /** RFC 5227 probes before using an address (default true). */
    probe?: boolean
    /** Without a lease after this long, use the fallback address (default 30 s; 0: never). */
    fallbackMs?: number
    /** The static fallback (with its prefix and gateway); 0: an RFC 3927 link-local address. */
    fallbackAddress?: number
    fallbackPrefix?: number
    fallbackGateway?: number
}

// option codes (RFC 2132)
const OPT_PAD = 0
const OPT_MASK = 1
const OPT_ROUTER = 3
const OPT_DNS = 6
const OPT_HOSTNAME = 12
const OPT_DOMAIN = 15
const OPT_NTP = 42
const OPT_MTU = 26
const OPT_REQUESTED = 50
const OPT_LEASE = 51
const OPT_OVERLOAD = 52
const OPT_TYPE = 53
const OPT_SERVER = 54
const OPT_PARAMS = 55
const OPT_T1 = 58
const OPT_T2 = 59
const OPT_CLIENT_ID = 61
const OPT_END = 255
/** Option 55: subnet, router, DNS, domain, NTP, lease, server id, T1, T2, MTU. */
const PARAMS = hex`37 0a 01 03 06 0f 2a 33 36 3a 3b 1a`
/** Options 53 (type set per message) and the start of 61 (type 1, the MAC follows). */
const TYPE_AND_ID = hex`35 01 00 3d 07 01`
/** DhcpMib counter of each message type sent. */
const SENT_COUNTER = hex`00 00 00 01 02 00 00 03`

// RFC 5227 §1.1 constants, in units of `baseMs / 4` (1 s when baseMs is RFC 2131's 4 s)
const PROBE_NUM = 3
const ANNOUNCE_NUM = 2

/** The first address of RFC 3927's range 169.254.1.0 - 169.254.254.255. */
const LINK_LOCAL = 0xa9fe0100

/** The parts of the stack the client drives (NetStack is one). */
export interface DhcpStack {
    readonly ifa: InDevice
    readonly fib: Fib
    readonly ip: Ipv4Output
    readonly arp: Arp
    readonly udp: UdpTable
    readonly dev: NetDevice
    now(): number
}

/** @devsWhenUsed */
export class DhcpClient {
    state = DhcpState.Stopped
    readonly lease = new DhcpLease()
    readonly stats: DhcpStats = newMib(DhcpMib.Count)
    /** Called when a lease is bound or renewed (the lease), and when it is lost or released (null). */
    onLease: (lease: DhcpLease) => void = null
    /** The fallback address in use, 0 when none. */
    fallback = 0
    /** Random numbers in [0, 1): tests replace it. */
    random: () => number = Math.random
    readonly socket: UdpSocket
    private readonly msg = Buffer.alloc(DHCP_MSG_LEN)
    private readonly base: number
    // xid, began, acquiring, deadline and tries are first set by begin() (nothing reads them while STOPPED)
    private xid: number
    /** When the current exchange began (secs), and when the acquisition began (fallback). */
    private began: number
    private acquiring: number
    /** Next retransmission or timer; tries so far of the current message or probe. */
    private deadline: number
    private tries: number
    /** The offer being requested or checked: address and server. */
    private offered = 0
    private offerServer = 0
    /** Is the interface address ours (from a lease, or the fallback)? */
    installed = 0
    installedPrefix = 0
    installedGateway = 0
    /** (read by dhcpRelease) */
    running = false
    private readonly fallbackMs: number
    /** The last lease's address, asked for first (INIT-REBOOT) at begin(); 0 for none. */
    lastAddress: number
    private readonly staticAddress: number
    private hostName: Buffer
    constructor(readonly stack: DhcpStack, readonly opts: DhcpOptions) {
        this.base = opts.baseMs || 4000
        this.fallbackMs = opts.fallbackMs === undefined ? 30000 : opts.fallbackMs
        this.lastAddress = opts.lastAddress === undefined ? 0 : opts.lastAddress
        this.staticAddress = opts.fallbackAddress === undefined ? 0 : opts.fallbackAddress
        // option 12, at most 32 bytes of the name (empty: no option)
        const name = Buffer.from(opts.hostName || "")
        const n = Math.min(name.length, 32)
        this.hostName = Buffer.alloc(n > 0 ? n + 2 : 0)
        if (n > 0) {
            this.hostName[0] = OPT_HOSTNAME
            this.hostName[1] = n
            this.hostName.blitAt(2, name, 0, n)
        }
        this.socket = stack.udp.bind(DHCP_CLIENT_PORT)
        stack.ifa.acceptUnconfigured = acceptedUnconfigured
        const self = this
        this.socket.onMessage = (buf, off, len, src, port) => self.receive(buf, off, len, port)
    }

    /** Start acquiring (INIT-REBOOT with the last address, else INIT); returns at once. */
    begin(now: number): void {
        this.acquiring = now
        this.tries = 0
        this.stack.ifa.acceptPort = DHCP_CLIENT_PORT
        this.enter(this.lastAddress !== 0 ? DhcpState.InitReboot : DhcpState.Init, now)
    }

    /** begin(), and a fiber that runs tick() every 100 ms. */
    start(): void {
        this.begin(this.stack.now())
        this.running = true
        this.loop.start()
    }

    private async loop(): Promise<void> {
        while (this.running) {
            await ds.sleep(100)
            this.tick(this.stack.now())
        }
    }

    /** RFC 2131 §4.1: 4, 8, 16, 32, 64 s (base 4 s), each randomised by ±1 s (±base/4). */
    private backoff(): number {
        const b = this.base
        return b * (1 << Math.min(this.tries, 4)) + (this.random() * 2 - 1) * (b / 4)
    }

    /** Into `s` at `now` (a new exchange: INIT, INIT-REBOOT, RENEWING get a new xid), after `delay` ms. */
    private enter(s: DhcpState, now: number, delay?: number): void {
        this.state = s
        this.tries = 0
        if (s !== DhcpState.Rebinding) this.xid = (this.random() * 0x100000000) >>> 0
        this.began = now
        this.deadline = now + (delay || 0)
        this.tick(now)
    }

    /** The lease (or the offer) is gone: back to INIT, accepting replies before an address again. */
    private restart(now: number, delay: number): void {
        this.uninstall()
        this.acquiring = now
        this.stack.ifa.acceptPort = DHCP_CLIENT_PORT
        this.enter(DhcpState.Init, now, delay)
    }

    /** The timers: retransmissions, probes, T1, T2, expiry, fallback. */
    tick(now: number): void {
        const s = this.state
        const L = this.lease
        if (s === DhcpState.Stopped) return
        // RFC 5227 §2.4 (b): another host claims the address in use: defend it once (an announcement);
        // a second claim within DEFEND_INTERVAL (10 s): give it up (a lease: DHCPDECLINE, INIT after 10 s)
        const claims = this.stack.arp.stats[ArpMib.conflicts]
        if (claims !== this.claims) {
            this.claims = claims
            if (this.installed !== 0) {
                if (now - this.defendedAt >= 10 * (this.base / 4)) {
                    this.defendedAt = now
                    this.stack.arp.announce()
                } else {
                    inc(this.stats, DhcpMib.conflicts)
                    this.offered = this.installed
                    if (this.fallback !== 0) {
                        this.uninstall()
                        this.fallback = 0
                        this.linkLocalSeed++
                        this.acquiring = now - this.fallbackMs
                    } else {
                        this.offerServer = this.lease.server
                        this.send(DhcpType.Decline, 0xffffffff, now)
                        this.restart(now, 10 * (this.base / 4))
                    }
                    return
                }
            }
        }
        // RFC 5227 §2.3: the second announcement, ANNOUNCE_INTERVAL (2 s) after the first
        if (this.announceAt !== 0 && now >= this.announceAt) {
            this.announceAt = 0
            this.stack.arp.announce()
        }
        if (this.installed !== 0 && this.fallback === 0 && s >= DhcpState.Bound && s <= DhcpState.Rebinding && now >= L.expiresAt) {
            // §4.4.5: the lease ran out: the address and routes go, start again
            inc(this.stats, DhcpMib.expired)
            this.restart(now, 0)
            return
        }
        const fb = this.fallbackMs
        if (fb > 0 && this.installed === 0 && s !== DhcpState.Checking && now - this.acquiring >= fb) {
            this.startFallback(now)
            return
        }
        if (now < this.deadline) return
        if (this.tries > 0 && s !== DhcpState.Checking) inc(this.stats, DhcpMib.retransmits)
        switch (s) {
            case DhcpState.Init:
            case DhcpState.Selecting:
                this.state = DhcpState.Selecting
                this.send(DhcpType.Discover, 0xffffffff, now)
                break
            case DhcpState.Requesting:
            case DhcpState.Rebooting:
                // §3.1 step 5, §3.2 step 4: no answer after four tries: start again
                if (this.tries >= 4) {
                    this.enter(DhcpState.Init, now)
                    return
                }
                this.send(DhcpType.Request, 0xffffffff, now)
                break
            case DhcpState.InitReboot:
                this.offered = this.lastAddress
                this.offerServer = 0
                this.state = DhcpState.Rebooting
                this.send(DhcpType.Request, 0xffffffff, now)
                break
            case DhcpState.Checking:
                this.check(now)
                return
            case DhcpState.Bound:
                if (now >= L.t1At) this.enter(DhcpState.Renewing, now)
                else this.deadline = L.t1At
                return
            case DhcpState.Renewing:
            case DhcpState.Rebinding:
                this.renew(now)
                return
        }
        this.deadline = now + this.backoff()
        this.tries++
    }

    /**
     * §4.4.5: RENEWING unicasts to the server until T2, REBINDING broadcasts until expiry; each
     * waits half the time left, at least 60 s (15 * base), and not past the next timer.
     */
    private renew(now: number): void {
        const L = this.lease
        if (this.state === DhcpState.Renewing && now >= L.t2At) {
            this.enter(DhcpState.Rebinding, now)
            return
        }
        const rebind = this.state === DhcpState.Rebinding
        const end = rebind ? L.expiresAt : L.t2At
        this.send(DhcpType.Request, rebind ? 0xffffffff : L.server, now)
        this.tries++
        this.deadline = Math.min(end, now + Math.max((end - now) / 2, 15 * this.base))
    }

    /**
     * RFC 5227 §2.1.1 and §2.3: PROBE_NUM probes 1-2 s apart (sender 0.0.0.0), then, if no host
     * answered for the address, ANNOUNCE_NUM announcements 2 s apart, the address in use from the
     * first. A conflict before that: DHCPDECLINE (RFC 2131 §3.1 step 5), start again after 10 s.
     */
    private check(now: number): void {
        const arp = this.stack.arp
        const unit = this.base / 4
        if (arp.probeConflicts > 0) {
            // both cleared: the next offer's probe must not see this conflict again
            arp.probeIp = 0
            arp.probeConflicts = 0
            inc(this.stats, DhcpMib.conflicts)
            if (!this.probingFallback) {
                this.send(DhcpType.Decline, 0xffffffff, now)
                this.restart(now, 10 * unit)
            } else {
                this.probingFallback = false
                // the fallback is taken: another link-local address (RFC 3927 §2.2.1) after a while
                this.fallback = 0
                this.linkLocalSeed++
                this.acquiring = now - this.fallbackMs + 10 * unit
                this.enter(DhcpState.Init, now)
            }
            return
        }
        if (this.tries < PROBE_NUM) {
            if (this.tries === 0) {
                arp.probeIp = this.offered
                arp.probeConflicts = 0
            }
            arp.send(ArpOperation.Request, BCAST, 0, this.offered, ZERO, 0, 0)
            this.tries++
            this.deadline = now + unit * (this.tries < PROBE_NUM ? 1 + this.random() : 2)
            return
        }
        arp.probeIp = 0
        if (this.probingFallback) {
            this.probingFallback = false
            const st = this.staticAddress !== 0
            this.install(this.fallback, st ? this.opts.fallbackPrefix : 16, st ? this.opts.fallbackGateway : 0, 0)
            inc(this.stats, DhcpMib.fallbacks)
            // DHCP goes on in the background
            this.enter(DhcpState.Init, now)
            return
        }
        this.bind(now)
    }

    private linkLocalSeed = 0
    /** ArpMib.conflicts last seen, and when the address was last defended (RFC 5227 §2.4). */
    private claims = 0
    private defendedAt = -Infinity
    /** When the second RFC 5227 announcement is due (0: none). */
    private announceAt = 0
    /** Checking probes the fallback address (else the offer of an ACK). */
    private probingFallback = false

    /** RFC 3927 §2.1: 169.254.1.0 - 169.254.254.255, from the MAC (the same address each boot), or a static one. */
    private startFallback(now: number): void {
        let a = this.staticAddress
        if (a === 0) {
            const m = this.stack.dev.mac
            const h = ((m[2] ^ m[4]) << 8 | (m[3] ^ m[5])) + this.linkLocalSeed * 0x9e37
            a = LINK_LOCAL + (h % (254 * 256 - 256))
        }
        this.fallback = a >>> 0
        this.acquiring = Infinity
        // the probe runs beside the DHCP exchange: DHCP goes on from Selecting afterwards
        this.offered = this.fallback
        this.probingFallback = true
        this.state = DhcpState.Checking
        this.tries = 0
        this.deadline = now
    }

    /** The ACK's lease in use: the interface, routes, MTU, timers; announced (RFC 5227 §2.3). */
    private bind(now: number): void {
        const L = this.lease
        if (this.fallback !== 0 || (this.installed !== 0 && this.installed !== L.address)) this.uninstall()
        this.fallback = 0
        if (this.installed === 0) this.install(L.address, L.prefix, L.router, L.mtu)
        this.stack.ifa.acceptPort = 0
        inc(this.stats, DhcpMib.leases)
        this.state = DhcpState.Bound
        this.tries = 0
        this.deadline = L.t1At
        if (this.onLease !== null) this.onLease(L)
    }

    private install(address: number, prefix: number, gateway: number, mtu: number): void {
        const st = this.stack
        st.ifa.set(address, prefix)
        st.fib.add((address & prefixMask(prefix)) >>> 0, prefix, 0, RouteType.Unicast, 0, 0, true)
        const e = gateway !== 0 ? st.fib.add(0, 0, gateway, RouteType.Unicast, 0, 0, false) : 0
        if (e !== FibError.Ok) gateway = 0
        // RFC 1191 §3: never below 68; an MTU over the device's is not usable
        if (mtu >= 68 && mtu < st.dev.mtu) st.ip.mtu = mtu
        this.installed = address
        // RFC 5227 §2.3: announced now and once more 2 s later
        st.arp.announce()
        this.announceAt = this.stack.now() + this.base / 2
        this.installedPrefix = prefix
        this.installedGateway = gateway
    }

    /** The address, its routes and the MTU go (ip addr flush): cached routes are checked again. */
    uninstall(): void {
        const st = this.stack
        if (this.installed === 0) return
        if (this.installedGateway !== 0) fibDelete(st.fib, 0, 0, 0)
        fibDeleteConnected(st.fib, (this.installed & prefixMask(this.installedPrefix)) >>> 0, this.installedPrefix)
        st.ifa.set(0, 32)
        st.ip.mtu = st.dev.mtu
        st.fib.genid++
        this.installed = 0
        if (this.fallback === 0 && this.onLease !== null) this.onLease(null)
    }

    /** Build and send a message of `type` to `dst` (255.255.255.255 or the server), port 67. */
    send(type: DhcpType, dst: number, now: number): void {
        const b = this.msg
        const s = this.state
        b.fillAt(0, DHCP_MSG_LEN, 0)
        b[0] = 1 // BOOTREQUEST
        b[1] = 1 // Ethernet
        b[2] = 6
        setU32(b, 4, this.xid)
        // secs: since the exchange began (§2); 0 in DECLINE and RELEASE (Table 5)
        if (type === DhcpType.Discover || type === DhcpType.Request) {
            const secs = Math.min(0xffff, Math.floor((now - this.began) / 1000))
            b[8] = secs >> 8
            b[9] = secs
        }
        // ciaddr: BOUND, RENEWING, REBINDING requests and the release (Table 5)
        if (type === DhcpType.Release || (type === DhcpType.Request && (s === DhcpState.Renewing || s === DhcpState.Rebinding)))
            setU32(b, 12, this.lease.address)
        b.blitAt(28, this.stack.dev.mac, 0, 6)
        setU32(b, 236, MAGIC)
        // option 53, then 61: type 1 (Ethernet) and the MAC (RFC 2132 §9.6, §9.14)
        b.blitAt(OPTIONS, TYPE_AND_ID, 0, 6)
        b[OPTIONS + 2] = type
        b.blitAt(OPTIONS + 6, this.stack.dev.mac, 0, 6)
        let o = OPTIONS + 12
        // requested address: a REQUEST in SELECTING or INIT-REBOOT, a DECLINE (Table 5)
        const requested = type === DhcpType.Decline || (type === DhcpType.Request && (s === DhcpState.Requesting || s === DhcpState.Rebooting))
        if (requested) o = putAddr(b, o, OPT_REQUESTED, this.offered)
        // server identifier: a REQUEST in SELECTING, a DECLINE, a RELEASE
        if (type === DhcpType.Decline || (type === DhcpType.Request && s === DhcpState.Requesting)) o = putAddr(b, o, OPT_SERVER, this.offerServer)
        if (type === DhcpType.Release) o = putAddr(b, o, OPT_SERVER, this.lease.server)
        if (type === DhcpType.Discover || type === DhcpType.Request) {
            // option 12 (built once), option 55
            const h = this.hostName
            b.blitAt(o, h, 0, h.length)
            o += h.length
            b.blitAt(o, PARAMS, 0, PARAMS.length)
            o += PARAMS.length
        }
        b[o] = OPT_END
        const r = this.socket.sendTo(dst, DHCP_SERVER_PORT, b, 0, DHCP_MSG_LEN)
        if (r !== 0 && r !== 1) inc(this.stats, DhcpMib.send_errors)
        // discovers, requests, declines, releases: DhcpMib 0-3 by message type
        this.stats[SENT_COUNTER[type]]++
    }

    /** A datagram to port 68. Total: anything malformed is counted and dropped. */
    receive(b: Buffer, off: number, len: number, srcPort: number): void {
        const m = this.stats
        const s = this.state
        // ours: a BOOTREPLY from port 67 with our xid and MAC, the magic cookie (RFC 2131 §4.1), and
        // options that end inside the message (a code no option has walks them all)
        if (len < OPTIONS || getU32(b, off + 236) !== MAGIC || findOption(b, off, len, 256) === -2) {
            inc(m, DhcpMib.errors)
            return
        }
        const t = findOption(b, off, len, OPT_TYPE)
        const type = t < 0 ? 0 : b[t]
        const server = optU32(b, off, len, OPT_SERVER, 0)
        const yiaddr = getU32(b, off + 16)
        if (srcPort !== DHCP_SERVER_PORT || s === DhcpState.Stopped || b[off] !== 2 || getU32(b, off + 4) !== this.xid ||
            !bytesEqual(b, off + 28, this.stack.dev.mac, 0, 6) || yiaddr === 0 && type !== DhcpType.Nak) {
            inc(m, DhcpMib.ignored)
            return
        }
        const now = this.stack.now()
        if (type === DhcpType.Offer) {
            inc(m, DhcpMib.offers)
            // §4.4.1: the first offer in SELECTING; it must name its server
            if (s !== DhcpState.Selecting || server === 0) {
                inc(m, DhcpMib.ignored)
                return
            }
            this.offered = yiaddr
            this.offerServer = server
            this.state = DhcpState.Requesting
            this.tries = 0
            this.deadline = now
            this.tick(now)
            return
        }
        // waiting for an answer (REQUESTING, REBOOTING, RENEWING, REBINDING), from the server asked
        const renewing = s === DhcpState.Renewing || s === DhcpState.Rebinding
        if (!(renewing || s === DhcpState.Requesting || s === DhcpState.Rebooting) || (s === DhcpState.Requesting && server !== this.offerServer)) {
            inc(m, DhcpMib.ignored)
            return
        }
        if (type === DhcpType.Nak) {
            // §3.1 step 5, §4.4.5: the address is not ours (any more): start again, after a second
            // (base/4) so that a server that NAKs everything cannot make us flood the LAN
            inc(m, DhcpMib.naks)
            this.restart(now, this.base / 4)
            return
        }
        const lease = optU32(b, off, len, OPT_LEASE, -1)
        if (type !== DhcpType.Ack || lease < 0) {
            inc(m, DhcpMib.ignored)
            return
        }
        inc(m, DhcpMib.acks)
        // the lease (RFC 2132): times from the start of the exchange (§4.4.1), T1/T2 defaults 0.5 / 0.875
        const L = this.lease
        L.address = yiaddr
        const mask = findOption(b, off, len, OPT_MASK)
        L.prefix = maskPrefix(mask < 0 ? -1 : getU32(b, mask), yiaddr)
        L.router = optU32(b, off, len, OPT_ROUTER, 0)
        if (server !== 0) L.server = server
        const mtu = findOption(b, off, len, OPT_MTU)
        L.mtu = mtu < 0 ? 0 : (b[mtu] << 8) | b[mtu + 1]
        L.leaseSec = lease
        let t2 = optU32(b, off, len, OPT_T2, -1)
        if (t2 < 0 || t2 >= lease) t2 = lease * 0.875
        let t1 = optU32(b, off, len, OPT_T1, -1)
        if (t1 < 0 || t1 > t2) t1 = lease * 0.5
        L.t1Sec = t1
        L.t2Sec = t2
        const st = this.began
        L.start = st
        // an infinite lease (0xffffffff s) is 136 years of milliseconds: never reached
        L.t1At = st + t1 * 1000
        L.t2At = st + t2 * 1000
        L.expiresAt = st + lease * 1000
        addrList(L.dns, b, findOption(b, off, len, OPT_DNS))
        addrList(L.ntp, b, findOption(b, off, len, OPT_NTP))
        const d = findOption(b, off, len, OPT_DOMAIN)
        L.domain = d < 0 ? "" : b.slice(d, d + b[d - 1]).toString()
        if (renewing && this.installed === yiaddr) {
            this.state = DhcpState.Bound
            this.deadline = L.t1At
            inc(m, DhcpMib.leases)
            if (this.onLease !== null) this.onLease(L)
            return
        }
        this.offered = yiaddr
        if (renewing || this.opts.probe === false) {
            this.bind(now)
            return
        }
        this.state = DhcpState.Checking
        this.tries = 0
        this.deadline = now
        this.tick(now)
    }
}

/**
 * `dhcp: BOUND 192.0.2.50/24 via 192.0.2.1 server 192.0.2.1 lease 3600 s (renew in 1800 s)` and the
 * counters: the client's state, lease and counters, for formatStack(stack) (startDhcp registers it): a function,
 * not a method, so a firmware that never prints them (the board's main.ts: startDhcpClient) links
 * none of it.
 */
export function formatDhcp(c: DhcpClient): string {
    const L = c.lease
    let s = "dhcp: " + dhcpStateName(c.state)
    if (c.installed !== 0) {
        s += " " + formatIpv4(c.installed) + "/" + c.installedPrefix
        if (c.installedGateway !== 0) s += " via " + formatIpv4(c.installedGateway)
        if (c.fallback !== 0) s += " (fallback)"
        else {
            s += " server " + formatIpv4(L.server) + " lease " + L.leaseSec + " s, renew in " + Math.round((L.t1At - c.stack.now()) / 1000) + " s"
            for (let i = 0; i < L.dns.length; i++) s += " dns " + formatIpv4(L.dns[i])
            for (let i = 0; i < L.ntp.length; i++) s += " ntp " + formatIpv4(L.ntp[i])
            if (L.domain) s += " domain " + L.domain
        }
    }
    return s + "\n" + formatCounters("Dhcp", "discovers requests declines releases offers acks naks retransmits ignored errors leases expired conflicts fallbacks send_errors", c.stats)
}

const BCAST = hex`ff ff ff ff ff ff`
const ZERO = hex`00 00 00 00 00 00`

function putAddr(b: Buffer, o: number, code: number, addr: number): number {
    b[o] = code
    b[o + 1] = 4
    setU32(b, o + 2, addr)
    return o + 6
}

/** Up to 3 addresses of the address-list option at `at` (-1: none) into `out` (reused: no allocation once it has 3). */
function addrList(out: number[], b: Buffer, at: number): void {
    const n = at < 0 ? 0 : Math.min(3, b[at - 1] >> 2)
    while (out.length > n) out.pop()
    for (let i = 0; i < n; i++) out[i] = getU32(b, at + 4 * i)
}

/**
 * Where the value of option `code` is in the message at `off` (its length at one before), -1 when
 * absent, -2 when an option runs past its area (RFC 2132 §2: code, length, value; PAD skipped, END
 * stops). The options field first, then, as option 52 (overload, §9.3) says, `file` and `sname`.
 */
export function findOption(b: Buffer, off: number, len: number, code: number): number {
    let over = 0
    for (let area = 0; area < 3; area++) {
        if (area > 0 && (over & area) === 0) continue
        let i = off + (area === 0 ? OPTIONS : area === 1 ? 108 : 44)
        const end = off + (area === 0 ? len : area === 1 ? 236 : 108)
        while (i < end && b[i] !== OPT_END) {
            if (b[i] === OPT_PAD) {
                i++
                continue
            }
            if (i + 2 > end || i + 2 + b[i + 1] > end) return -2
            if (b[i] === code) return i + 2
            if (area === 0 && b[i] === OPT_OVERLOAD) over = b[i + 2]
            i += 2 + b[i + 1]
        }
    }
    return -1
}

/** A 32-bit option's value (the first of a list), or `none`. */
function optU32(b: Buffer, off: number, len: number, code: number, none: number): number {
    const at = findOption(b, off, len, code)
    return at < 0 || b[at - 1] < 4 ? none : getU32(b, at)
}

/** Option 1 as a prefix length; a missing or non-contiguous mask: the address's class (RFC 2131 §2). */
function maskPrefix(mask: number, addr: number): number {
    if (mask >= 0) {
        let p = 0
        while (p < 32 && (mask & (0x80000000 >>> p)) !== 0) p++
        if (prefixMask(p) === mask >>> 0) return p
    }
    const top = addr >>> 24
    return top < 128 ? 8 : top < 192 ? 16 : 24
}

/**
 * DHCPRELEASE (RFC 2131 §4.4.6) to the server, then the address goes; the client stops. The
 * release waits (at most 1 s) for the server's MAC so it leaves before the address does. A
 * function, not a method: a firmware that never releases links none of it.
 */
export async function dhcpRelease(c: DhcpClient): Promise<void> {
    c.running = false
    const s = c.state
    if (c.installed !== 0 && c.fallback === 0 && s >= DhcpState.Bound && s <= DhcpState.Rebinding) {
        const st = c.stack
        const srv = c.lease.server
        c.send(DhcpType.Release, srv, st.now())
        const t = st.arp.neigh
        for (let k = 0; k < 100 && t.lookup(srv) >= 0 && !t.valid(t.lookup(srv)); k++) await ds.sleep(10)
        await ds.sleep(20)
    }
    c.uninstall()
    c.fallback = 0
    c.stack.ifa.acceptPort = 0
    c.state = DhcpState.Stopped
}

