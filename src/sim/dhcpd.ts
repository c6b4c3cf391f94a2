// A scripted DHCP server on the virtual LAN (RFC 2131 §4.3, the server side, for one pool): it
// answers DISCOVER with OFFER, REQUEST with ACK or NAK, notes DECLINE and RELEASE, and replies as
// §4.1 says (unicast to ciaddr, else to yiaddr and chaddr, NAK broadcast). It sends through a
// VirtualHost (which also answers ARP for the server's address, so a RENEWING client reaches it).
// For the simulator (npm start) and the DHCP tests; it allocates (test-only).

import { LanPort, Segment } from "./lan"
import { VirtualHost } from "./host"
import { getU16, getU32, setU32 } from "../wire/bytes"
import { ETHERNET_HEADER_LEN, ethernetEtherType, EtherType } from "../wire/ethernet"
import { ipv4Check, ipv4HeaderLen, ipv4Protocol, ipv4Dst } from "../wire/ipv4"
import { WireError } from "../wire/error"

export interface DhcpServerOptions {
    /** The address offered (one client). */
    pool: number
    prefix: number
    router: number
    leaseSec: number
    /** Options 58/59; 0 = not sent. */
    t1Sec?: number
    t2Sec?: number
    dns?: number[]
    ntp?: number[]
    domain?: string
    mtu?: number
}

export class DhcpServer implements LanPort {
    /** Answer nothing (a server that vanished). */
    silent = false
    /** Answer every REQUEST with NAK. */
    nak = false
    /** Message types received, in order (53's value). */
    readonly seen: number[] = []
    /** The last message received, whole (a copy). */
    last: Buffer = null
    /** Replies sent, by type. */
    offers = 0
    acks = 0
    naks = 0
    /** RFC 2131 §2: a client accepts 312 bytes of options, a 548-byte message; replies are at least 300 (RFC 1542 §2.1). */
    private readonly reply = Buffer.alloc(548)

    constructor(readonly segment: Segment, readonly host: VirtualHost, public opts: DhcpServerOptions) {
        segment.attach(this)
    }

    receiveFromWire(f: Buffer, off: number, len: number): void {
        if (len < ETHERNET_HEADER_LEN + 28 + 240 || ethernetEtherType(f, off) !== EtherType.Ipv4) return
        const ip = off + ETHERNET_HEADER_LEN
        if (ipv4Check(f, ip, len - ETHERNET_HEADER_LEN) !== WireError.Ok || ipv4Protocol(f, ip) !== 17) return
        const dst = ipv4Dst(f, ip)
        if (dst !== 0xffffffff && dst !== this.host.address) return
        const u = ip + ipv4HeaderLen(f, ip)
        if (getU16(f, u + 2) !== 67) return
        const m = u + 8
        const mlen = getU16(f, u + 4) - 8
        if (f[m] !== 1 || getU32(f, m + 236) !== 0x63825363) return
        const type = findOption(f, m, mlen, 53)
        if (type < 0) return
        const t = f[type]
        this.seen.push(t)
        this.last = f.slice(m, m + mlen)
        if (this.silent) return
        if (t === 1) this.answer(f, m, 2)
        else if (t === 3) {
            // the address asked for: option 50 (SELECTING, INIT-REBOOT) or ciaddr (RENEWING, REBINDING)
            const req = findOption(f, m, mlen, 50)
            const asked = req >= 0 ? getU32(f, req) : getU32(f, m + 12)
            const sid = findOption(f, m, mlen, 54)
            // SELECTING with another server's identifier: the client chose someone else (§4.3.2)
            if (sid >= 0 && getU32(f, sid) !== this.host.address) return
            this.answer(f, m, this.nak || asked !== this.opts.pool ? 6 : 5)
        }
    }

    /** An OFFER, ACK or NAK for the request at `m` (§4.3.1 Table 3), sent as §4.1 says. */
    private answer(f: Buffer, m: number, type: number): void {
        const b = this.reply
        const o = this.opts
        b.fillAt(0, b.length, 0)
        b[0] = 2
        b[1] = 1
        b[2] = 6
        b.blitAt(4, f, m + 4, 4) // xid
        b.blitAt(10, f, m + 10, 2) // flags
        b.blitAt(28, f, m + 28, 16) // chaddr
        const ciaddr = getU32(f, m + 12)
        if (type !== 6) setU32(b, 16, o.pool)
        setU32(b, 236, 0x63825363)
        let at = 240
        at = opt(b, at, 53, [type], 1)
        at = opt(b, at, 54, [this.host.address], 4)
        if (type !== 6) {
            at = opt(b, at, 51, [o.leaseSec], 4)
            if (o.t1Sec) at = opt(b, at, 58, [o.t1Sec], 4)
            if (o.t2Sec) at = opt(b, at, 59, [o.t2Sec], 4)
            at = opt(b, at, 1, [(0xffffffff << (32 - o.prefix)) >>> 0], 4)
            if (o.router !== 0) at = opt(b, at, 3, [o.router], 4)
            if (o.dns) at = opt(b, at, 6, o.dns, 4)
            if (o.ntp) at = opt(b, at, 42, o.ntp, 4)
            if (o.mtu) {
                b[at] = 26
                b[at + 1] = 2
                b[at + 2] = o.mtu >> 8
                b[at + 3] = o.mtu
                at += 4
            }
            if (o.domain) {
                const d = Buffer.from(o.domain)
                b[at] = 15
                b[at + 1] = d.length
                b.blitAt(at + 2, d, 0, d.length)
                at += 2 + d.length
            }
        }
        b[at] = 255
        const n = Math.max(300, at + 1)
        if (type === 2) this.offers++
        else if (type === 5) this.acks++
        else this.naks++
        const mac = f.slice(m + 28, m + 34)
        const bcast = hex`ff ff ff ff ff ff`
        if (type === 6 || (f[m + 10] & 0x80) !== 0) this.host.sendUdpTo(bcast, 0xffffffff, 67, 68, b, 0, n)
        else if (ciaddr !== 0) this.host.sendUdpTo(mac, ciaddr, 67, 68, b, 0, n)
        else this.host.sendUdpTo(mac, o.pool, 67, 68, b, 0, n)
    }
}

/** An option of addresses (or one 32-bit number) at `at`; returns the next offset. */
function opt(b: Buffer, at: number, code: number, values: number[], size: number): number {
    b[at] = code
    b[at + 1] = values.length * size
    for (let i = 0; i < values.length; i++) {
        if (size === 1) b[at + 2 + i] = values[i]
        else setU32(b, at + 2 + 4 * i, values[i])
    }
    return at + 2 + values.length * size
}

/** Offset of option `code`'s value in the message at `m` (options area only), or -1. */
export function findOption(f: Buffer, m: number, len: number, code: number): number {
    let i = m + 240
    const end = m + len
    while (i + 1 < end && f[i] !== 255) {
        if (f[i] === 0) {
            i++
            continue
        }
        if (f[i] === code) return i + 2
        i += 2 + f[i + 1]
    }
    return -1
}
