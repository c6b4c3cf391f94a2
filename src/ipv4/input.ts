// The receive side the transmit path needs: ip_rcv (RFC 1122 §3.2.1 checks, frames not for us
// dropped early and counted) and icmp_echo (RFC 792 echo reply, rate-limited as Linux's
// icmp_global_allow does). No reassembly: fragments are counted and dropped (ReasmFails).
// UDP datagrams go to the socket table.

import { IcmpStats, IpMib, IcmpMib, IpStats } from "./mib"
import { Ipv4Output, SendResult } from "./output"
import { OutPacket } from "./packet"
import { newMib } from "../dev/counters"
import { IpProtocol, Ipv4Field } from "../wire/ipv4"
import { takeToken, tokenBucket } from "../util/tokenbucket"
import { ipv4Check, ipv4IsFragment } from "../wire/ipv4"
import { getU16, getU32 } from "../wire/bytes"
import { WireError } from "../wire/error"
import { icmpCheck, IcmpField, IcmpType, ICMP_HEADER_LEN } from "../wire/icmp"
import { ipv4IsMartian, ipv4IsMulticast } from "../wire/addr"
import { NO_ROUTE } from "./fib"
import { InDevice } from "./ifaddr"
import { inc } from "../util/mib"

/** Where UDP datagrams go (the socket table). */
export interface UdpReceiver {
    /** udp_rcv: `len` bytes of UDP at `off`. */
    receive(buf: Buffer, off: number, len: number, src: number, dst: number): void
}

/** @devsWhenUsed */
export class Ipv4Input {
    /** Token bucket of echo replies (tokenbucket.ts). */
    readonly echoLimit: Buffer
    /** The echo reply being sent (icmpReceive). */
    readonly reply = new OutPacket(ICMP_HEADER_LEN)
    /** The IP group (the interface's: output writes it too). */
    readonly stats: IpStats
    /** The ICMP group (/proc/net/snmp Icmp:), indexed by IcmpMib. */
    readonly icmp: IcmpStats = newMib(IcmpMib.Count)
    /** Where TCP segments go once a TCP table registers (tcp/table.ts tcpTable); null: none linked. */
    tcp: UdpReceiver = null

    /** `out` sends the ICMP replies. */
    constructor(
        readonly ifa: InDevice,
        readonly out: Ipv4Output,
        readonly udp: UdpReceiver,
        echoRatePerSec: number
    ) {
        this.stats = ifa.stats
        this.echoLimit = tokenBucket(echoRatePerSec)
        this.reply.protocol = IpProtocol.Icmp
        this.reply.headLen = ICMP_HEADER_LEN
        // RFC 792: the checksum at offset 2 covers the ICMP message only
        this.reply.csumOff = 2
    }


    /** ip_rcv: `len` bytes of IPv4 at `off` (after the Ethernet header). */
    receive(buf: Buffer, off: number, len: number, now: number): void {
        const st = this.stats
        const ifa = this.ifa
        st[IpMib.InReceives]++
        const e = ipv4Check(buf, off, len)
        if (e !== WireError.Ok) {
            inc(st, IpMib.InHdrErrors)
            return
        }
        // the header's fields read in place (ipv4Check passed: they are there)
        const dst = getU32(buf, off + Ipv4Field.Dst)
        if (dst !== ifa.address && dst !== 0xffffffff && dst !== ifa.broadcast && !(ifa.acceptUnconfigured !== null && ifa.acceptUnconfigured(ifa, buf, off))) {
            inc(st, IpMib.InAddrErrors)
            return
        }
        // RFC 1122 §3.2.1.3: a source no host can have is silently discarded (answering it would
        // reflect to a whole subnet, to a group, or to ourselves)
        const src = getU32(buf, off + Ipv4Field.Src)
        if (ipv4IsMartian(src, ifa.address, ifa.prefix)) {
            inc(st, IpMib.InAddrErrors)
            return
        }
        if (ipv4IsFragment(buf, off)) {
            inc(st, IpMib.ReasmFails)
            return
        }
        const hlen = (buf[off] & 15) * 4
        const plen = getU16(buf, off + Ipv4Field.TotalLength) - hlen
        const proto = buf[off + Ipv4Field.Protocol]
        if (proto === IpProtocol.Icmp) {
            st[IpMib.InDelivers]++
            icmpReceive(this, buf, off + hlen, plen, src, dst, now)
        } else if (proto === IpProtocol.Udp) {
            st[IpMib.InDelivers]++
            this.udp.receive(buf, off + hlen, plen, src, dst)
        } else if (proto === IpProtocol.Tcp && this.tcp !== null) {
            st[IpMib.InDelivers]++
            this.tcp.receive(buf, off + hlen, plen, src, dst)
        } else inc(st, IpMib.InUnknownProtos)
    }
}

/** icmp_rcv -> icmp_echo. */
function icmpReceive(inp: Ipv4Input, buf: Buffer, off: number, len: number, src: number, dst: number, now: number): void {
    const s = inp.icmp
    inc(s, IcmpMib.InMsgs)
    if (icmpCheck(buf, off, len) !== WireError.Ok) {
        inc(s, IcmpMib.InErrors)
        return
    }
    const type = buf[off + IcmpField.Type]
    if (type === IcmpType.EchoReply) inc(s, IcmpMib.InEchoReps)
    if (type !== IcmpType.EchoRequest) return
    inc(s, IcmpMib.InEchos)
    // RFC 1122 §3.2.2.6: no reply to an echo sent to a broadcast address (smurf amplification);
    // Linux (icmp_echo_ignore_broadcasts) counts it in InErrors
    if (dst !== inp.ifa.address) {
        inc(s, IcmpMib.InErrors)
        return
    }
    if (!takeToken(inp.echoLimit, now)) {
        inc(s, IcmpMib.OutRateLimited)
        return
    }
    const p = inp.reply
    p.head.blitAt(0, buf, off, ICMP_HEADER_LEN)
    p.head[0] = IcmpType.EchoReply
    p.dst = src
    p.route = NO_ROUTE
    p.ttl = 0
    p.tos = 0
    p.dontFragment = false
    p.payload = buf
    p.payloadOff = off + ICMP_HEADER_LEN
    p.payloadLen = len - ICMP_HEADER_LEN
    const r = inp.out.queueXmit(p, now)
    if (r === SendResult.Sent || r === SendResult.Queued) {
        inc(s, IcmpMib.OutMsgs)
        inc(s, IcmpMib.OutEchoReps)
    } else inc(s, IcmpMib.OutErrors)
    p.payload = null
}

/**
 * A DHCP reply before the interface has its address (InDevice.acceptPort): UDP, unfragmented, to
 * that port, for a unicast destination (RFC 2131 §4.1: the server may unicast to yiaddr and our
 * MAC; the frame was for our MAC or dropped already). The source is still checked after this.
 * InDevice.acceptUnconfigured, installed by the DHCP client.
 */
export function acceptedUnconfigured(ifa: InDevice, buf: Buffer, off: number): boolean {
    const port = ifa.acceptPort
    if (port === 0 || buf[off + Ipv4Field.Protocol] !== IpProtocol.Udp || ipv4IsFragment(buf, off)) return false
    const u = off + (buf[off] & 15) * 4
    return u + 8 <= off + getU16(buf, off + Ipv4Field.TotalLength) && getU16(buf, u + 2) === port && !ipv4IsMulticast(getU32(buf, off + Ipv4Field.Dst))
}
