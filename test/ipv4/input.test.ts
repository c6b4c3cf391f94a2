import { describe, test, expect, beforeEach } from "@devicescript/test"
import { ICMP_ECHO_REQUEST, UDP_STATSD, UDP_FRAG_1 } from "../wire/captures"
import { yieldToScheduler, Rig } from "../support/rig"
import { testConfig } from "../support/config"
import { be16 } from "../support/ref"
import { parseIpv4 } from "../../src/wire/addr"
import { IpMib, IcmpMib } from "../../src/ipv4/mib"
import { UdpMib } from "../../src/udp/mib"

const A_IP = parseIpv4("192.0.2.1")
const B_IP = parseIpv4("192.0.2.2")

/** The stack as host B of the captures (the frames in captures.ts are addressed to it). */
function hostB(): Rig {
    const c = testConfig()
    c.mac = hex`02 00 00 00 00 0b`
    c.address = B_IP
    c.gateway = 0
    c.arp = [{ ip: A_IP, mac: hex`02 00 00 00 00 0a` }]
    return new Rig(c)
}

function copy(b: Buffer): Buffer {
    const c = Buffer.alloc(b.length)
    c.blitAt(0, b, 0, b.length)
    return c
}

describe("ip_rcv and icmp", () => {
    beforeEach(yieldToScheduler)

    test("a ping flood is rate-limited (10/s by default) and counted", async () => {
        const rig = hostB()
        for (let i = 0; i < 25; i++) rig.dev.inject(ICMP_ECHO_REQUEST)
        await rig.flush()
        expect(rig.take().length).toBe(10)
        const s = rig.stack.input.icmp
        expect(s[IcmpMib.InEchos]).toBe(25)
        expect(s[IcmpMib.OutEchoReps]).toBe(10)
        expect(s[IcmpMib.OutRateLimited]).toBe(15)
        rig.t += 500
        for (let i = 0; i < 25; i++) rig.dev.inject(ICMP_ECHO_REQUEST)
        await rig.flush()
        expect(rig.take().length).toBe(5)
    })

    test("an echo to the subnet broadcast is not answered (RFC 1122 §3.2.2.6)", async () => {
        const rig = hostB()
        const f = copy(ICMP_ECHO_REQUEST)
        f[33] = 255
        // fix the IPv4 header checksum for the new destination (one's-complement difference)
        const old = be16(f, 24)
        let sum = (~old & 0xffff) + (~0x0202 & 0xffff) + 0x02ff
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16)
        const c = ~sum & 0xffff
        f[24] = c >> 8
        f[25] = c & 0xff
        for (let i = 0; i < 6; i++) f[i] = 0xff
        rig.dev.inject(f)
        await rig.flush()
        expect(rig.take().length).toBe(0)
        expect(rig.stack.input.icmp[IcmpMib.InEchos]).toBe(1)
        expect(rig.stack.ip.stats[IpMib.InHdrErrors]).toBe(0)
    })

    test("header errors, other destinations, fragments, unknown protocols: each counted", () => {
        const rig = hostB()
        const bad = copy(UDP_STATSD)
        bad[22] = 1
        rig.dev.inject(bad)
        const other = copy(UDP_STATSD)
        other[33] = 3
        other[25] = other[25] - 1
        rig.dev.inject(other)
        rig.dev.inject(UDP_FRAG_1)
        const proto = copy(UDP_STATSD)
        proto[23] = 99
        proto[24] = 0x7c
        proto[25] = 0x9a - 82
        rig.dev.inject(proto)
        const st = rig.stack.ip.stats
        expect(st[IpMib.InReceives]).toBe(4)
        expect(st[IpMib.InHdrErrors]).toBe(1)
        expect(st[IpMib.InAddrErrors]).toBe(1)
        expect(st[IpMib.ReasmFails]).toBe(1)
        expect(st[IpMib.InUnknownProtos]).toBe(1)
    })

    test("udp_rcv: delivered to the bound socket, NoPorts otherwise, checksum errors counted", () => {
        const rig = hostB()
        rig.dev.inject(UDP_STATSD)
        expect(rig.stack.udp.stats[UdpMib.NoPorts]).toBe(1)
        const s = rig.stack.udpSocket(8125)
        let got = ""
        let from = 0
        let port = 0
        s.onMessage = (buf, off, len, src, sport) => {
            got = buf.slice(off, off + len).toString()
            from = src
            port = sport
        }
        rig.dev.inject(UDP_STATSD)
        expect(got).toBe("board.uptime:42|g")
        expect(from).toBe(A_IP)
        expect(port).toBe(40000)
        const corrupt = copy(UDP_STATSD)
        corrupt[45] ^= 1
        rig.dev.inject(corrupt)
        const u = rig.stack.udp.stats
        expect(u[UdpMib.InDatagrams]).toBe(1)
        expect(u[UdpMib.InErrors]).toBe(1)
    })
})
