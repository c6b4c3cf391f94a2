// The stack configured as one of the two Linux hosts of test/wire/captures.ts, sending the same
// traffic: its frames must equal the kernel's byte for byte, except the IP ID (Linux's comes from
// its own counter) and the header checksum that covers it (checked independently instead).
import { describe, test, expect, beforeEach } from "@devicescript/test"
import {
    ARP_REQUEST,
    ARP_REPLY,
    UDP_STATSD,
    UDP_WITH_OPTIONS,
    ICMP_ECHO_REQUEST,
    ICMP_ECHO_REPLY,
    UDP_FRAG_0,
    UDP_FRAG_1,
    UDP_FRAG_2,
} from "../wire/captures"
import { yieldToScheduler, Rig } from "../support/rig"
import { testConfig } from "../support/config"
import { refChecksum, be16 } from "../support/ref"
import { SendResult } from "../../src/ipv4/output"
import { PmtuDisc, setIpOptions } from "../../src/udp/socket"
import { neighState, NudState } from "../../src/neigh/neighbour"
import { parseIpv4 } from "../../src/wire/addr"
import { bytesEqual } from "../../src/wire/bytes"
import { IpMib, IcmpMib } from "../../src/ipv4/mib"

const A_IP = parseIpv4("192.0.2.1")
const B_IP = parseIpv4("192.0.2.2")
const A_MAC = hex`02 00 00 00 00 0a`
const B_MAC = hex`02 00 00 00 00 0b`

function host(ip: number, mac: Buffer, peerIp: number, peerMac: Buffer, staticPeer: boolean): Rig {
    const c = testConfig()
    c.mac = mac
    c.address = ip
    c.gateway = 0
    if (staticPeer) c.arp = [{ ip: peerIp, mac: peerMac }]
    return new Rig(c)
}

/** Equal to Linux's frame apart from IP ID (bytes 18-19) and IP checksum (24-25), which must be valid. */
function sameAsLinux(ours: Buffer, linux: Buffer): boolean {
    if (ours.length !== linux.length) return false
    if (!bytesEqual(ours, 0, linux, 0, 18) || !bytesEqual(ours, 20, linux, 20, 4)) return false
    if (!bytesEqual(ours, 26, linux, 26, linux.length - 26)) return false
    const hlen = (ours[14] & 15) * 4
    return refChecksum(ours, 14, hlen) === 0
}

describe("the stack as Linux host A", () => {
    beforeEach(yieldToScheduler)

    test("ARP request byte for byte; Linux's reply resolves the neighbour and releases the datagram", async () => {
        const rig = host(A_IP, A_MAC, B_IP, B_MAC, false)
        const s = rig.stack.udpSocket(40000)
        expect(s.sendTo(B_IP, 8125, Buffer.from("board.uptime:42|g"))).toBe(SendResult.Queued)
        await rig.flush()
        const req = rig.take()[0]
        expect(req.length).toBe(ARP_REQUEST.length)
        expect(bytesEqual(req, 0, ARP_REQUEST, 0, ARP_REQUEST.length)).toBe(true)
        rig.dev.inject(ARP_REPLY)
        expect(neighState(rig.stack.neigh, rig.stack.neigh.lookup(B_IP))).toBe(NudState.Reachable)
        await rig.flush()
        const f = rig.take()[0]
        expect(sameAsLinux(f, UDP_STATSD)).toBe(true)
    })

    test("UDP datagram with an odd-length payload", async () => {
        const rig = host(A_IP, A_MAC, B_IP, B_MAC, true)
        rig.stack.udpSocket(40000).sendTo(B_IP, 8125, Buffer.from("board.uptime:42|g"))
        await rig.flush()
        expect(sameAsLinux(rig.take()[0], UDP_STATSD)).toBe(true)
    })

    test("UDP datagram with IP options (the Record Route bytes Linux put on the wire)", async () => {
        const rig = host(A_IP, A_MAC, B_IP, B_MAC, true)
        const s = rig.stack.udpSocket(40000)
        expect(setIpOptions(s, UDP_WITH_OPTIONS, 34, 12)).toBe(true)
        s.sendTo(B_IP, 8125, Buffer.from("opt"))
        await rig.flush()
        expect(sameAsLinux(rig.take()[0], UDP_WITH_OPTIONS)).toBe(true)
    })

    test("a 4,000-byte datagram fragments at the same boundaries as Linux (0, 1480, 2960)", async () => {
        const rig = host(A_IP, A_MAC, B_IP, B_MAC, true)
        const s = rig.stack.udpSocket(40001)
        s.pmtudisc = PmtuDisc.Dont
        const data = Buffer.alloc(4000)
        for (let i = 0; i < 4000; i++) data[i] = i & 0xff
        await yieldToScheduler()
        expect(s.sendTo(B_IP, 9000, data)).toBe(SendResult.Sent)
        await rig.flush()
        const fs = rig.take()
        expect(fs.length).toBe(3)
        // (byte comparisons are script loops: yield between them to stay under the step budget)
        expect(sameAsLinux(fs[0], UDP_FRAG_0)).toBe(true)
        await yieldToScheduler()
        expect(sameAsLinux(fs[1], UDP_FRAG_1)).toBe(true)
        await yieldToScheduler()
        expect(sameAsLinux(fs[2], UDP_FRAG_2)).toBe(true)
        await yieldToScheduler()
        // one ID for the three fragments
        expect(be16(fs[1], 18)).toBe(be16(fs[0], 18))
        expect(be16(fs[2], 18)).toBe(be16(fs[0], 18))
        const st = rig.stack.ip.stats
        expect(st[IpMib.FragOKs]).toBe(1)
        expect(st[IpMib.FragCreates]).toBe(3)
        // reassemble: the payloads at their offsets give back the UDP header + data
        const whole = Buffer.alloc(4008)
        for (const f of fs) {
            const off = (be16(f, 20) & 0x1fff) * 8
            whole.blitAt(off, f, 34, be16(f, 16) - 20)
        }
        expect(bytesEqual(whole, 8, data, 0, 4000)).toBe(true)
    })
})

describe("the stack as Linux host B", () => {
    beforeEach(yieldToScheduler)

    test("answers Linux's ARP request with Linux's reply, byte for byte, and learns the asker", async () => {
        const rig = host(B_IP, B_MAC, A_IP, A_MAC, false)
        rig.dev.inject(ARP_REQUEST)
        await rig.flush()
        const r = rig.take()[0]
        expect(bytesEqual(r, 0, ARP_REPLY, 0, ARP_REPLY.length)).toBe(true)
        expect(r.length).toBe(ARP_REPLY.length)
        expect(neighState(rig.stack.neigh, rig.stack.neigh.lookup(A_IP))).toBe(NudState.Stale)
    })

    test("answers Linux's ping with the same echo reply", async () => {
        const rig = host(B_IP, B_MAC, A_IP, A_MAC, true)
        rig.dev.inject(ICMP_ECHO_REQUEST)
        await rig.flush()
        const r = rig.take()[0]
        expect(sameAsLinux(r, ICMP_ECHO_REPLY)).toBe(true)
        expect(rig.stack.input.icmp[IcmpMib.InEchos]).toBe(1)
        expect(rig.stack.input.icmp[IcmpMib.OutEchoReps]).toBe(1)
    })
})
