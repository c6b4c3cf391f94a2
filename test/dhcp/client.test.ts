import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { yieldToScheduler, macAt } from "../support/rig"
import { refChecksum, refUdpChecksumOk, be16, be32 } from "../support/ref"
import { DhcpRig, OFFERED, SERVER_IP, BOARD_MAC } from "./support"
import { DhcpLease, DhcpMib, DhcpState, dhcpRelease } from "../../src/dhcp/client"
import { SendResult } from "../../src/ipv4/output"
import { fibGateway, NO_ROUTE } from "../../src/ipv4/fib"
import { IpMib } from "../../src/ipv4/mib"
import { VirtualHost } from "../../src/sim/host"
import { setU32 } from "../../src/wire/bytes"
import { TelemetryClient } from "../../src/telemetry/client"
import { arpFrame } from "../support/rig"
import { ArpOperation } from "../../src/wire/arp"
import { formatStack } from "../../src/stackformat"
import { StatsdEncoder } from "../../src/telemetry/statsd"

// RFC 2131/2132 client against the scripted server on the virtual LAN. Expected bytes are written
// out here from the RFCs, not produced by the client's code.

/** The options every DISCOVER of a client with host name "board1" carries, RFC 2132 encodings. */
const DISCOVER_OPTIONS = hex`
    35 01 01
    3d 07 01 02 00 5e 10 00 0a
    0c 06 62 6f 61 72 64 31
    37 0a 01 03 06 0f 2a 33 36 3a 3b 1a
    ff`

/** Option bytes at 282 (14 + 20 + 8 + 240) of frame f equal `want`, and everything after is padding. */
function optionsAre(f: Buffer, want: Buffer): boolean {
    for (let i = 0; i < want.length; i++) if (f[282 + i] !== want[i]) return false
    for (let i = 282 + want.length; i < f.length; i++) if (f[i] !== 0) return false
    return true
}

/** A 342-byte DHCP message frame from the board: Ethernet, IPv4, UDP 68 -> 67, the fixed part. */
function checkMessage(f: Buffer, ethDst: string, ipSrc: number, ipDst: number, xid: number, ciaddr: number): void {
    expect(f.length).toBe(14 + 20 + 8 + 300)
    expect(macAt(f, 0)).toBe(ethDst)
    expect(macAt(f, 6)).toBe("02:00:5e:10:00:0a")
    expect(be16(f, 12)).toBe(0x0800)
    expect(f[14]).toBe(0x45)
    expect(be16(f, 16)).toBe(328)
    expect(f[22]).toBe(64)
    expect(f[23]).toBe(17)
    expect(refChecksum(f, 14, 20)).toBe(0)
    expect(be32(f, 26)).toBe(ipSrc)
    expect(be32(f, 30)).toBe(ipDst)
    expect(be16(f, 34)).toBe(68)
    expect(be16(f, 36)).toBe(67)
    expect(be16(f, 38)).toBe(308)
    expect(refUdpChecksumOk(f, 34, 308, ipSrc, ipDst)).toBe(true)
    // op BOOTREQUEST, htype Ethernet, hlen 6, hops 0
    expect(be32(f, 42)).toBe(0x01010600)
    expect(be32(f, 46)).toBe(xid)
    // flags 0: we take unicast replies before we have the address
    expect(be16(f, 52)).toBe(0)
    expect(be32(f, 54)).toBe(ciaddr)
    expect(be32(f, 58)).toBe(0) // yiaddr
    expect(be32(f, 62)).toBe(0) // siaddr
    expect(be32(f, 66)).toBe(0) // giaddr
    expect(macAt(f, 70)).toBe("02:00:5e:10:00:0a")
    for (let i = 76; i < 278; i++) if (f[i] !== 0) expect(i).toBe(-1)
    expect(be32(f, 278)).toBe(0x63825363)
}

function secs(f: Buffer): number {
    return be16(f, 50)
}

/** random() = 0.5: xid 0x80000000, no jitter. */
const XID = 0x80000000

async function boundRig(): Promise<DhcpRig> {
    const d = new DhcpRig({ hostName: "board1" })
    d.client.begin(d.now())
    await d.pump()
    await d.run(7000)
    expect(d.client.state).toBe(DhcpState.Bound)
    d.take()
    return d
}

describe("dhcp client", () => {
    beforeEach(yieldToScheduler)

    test("DISCOVER: every byte, from 0.0.0.0 to the limited broadcast; a send before an address is NoAddress", async () => {
        const d = new DhcpRig({ hostName: "board1" }, true)
        const s = d.rig.stack.udpSocket(5000)
        expect(s.sendTo(0xc0000214, 8125, hex`41`, 0, 1)).toBe(SendResult.NoAddress)
        expect(d.rig.stack.ip.stats[IpMib.OutNoRoutes]).toBe(1)
        d.client.begin(d.now())
        expect(d.client.state).toBe(DhcpState.Selecting)
        await d.pump()
        const fs = d.dhcp()
        expect(fs.length).toBe(1)
        checkMessage(fs[0], "ff:ff:ff:ff:ff:ff", 0, 0xffffffff, XID, 0)
        expect(secs(fs[0])).toBe(0)
        expect(optionsAre(fs[0], DISCOVER_OPTIONS)).toBe(true)
        expect(d.server.seen[0]).toBe(1)
        expect(d.client.stats[DhcpMib.discovers]).toBe(1)
    })

    test("retransmission: 4, 8, 16, 32, 64, 64 s (RFC 2131 §4.1), same xid, secs counting; jitter within ±1 s", async () => {
        const d = new DhcpRig({ fallbackMs: 0 }, true)
        d.client.begin(d.now())
        await d.pump()
        expect(d.dhcp().length).toBe(1)
        const t0 = d.now()
        const at: number[] = []
        const sec: number[] = []
        for (let k = 0; k < 3000 && at.length < 7; k++) {
            await d.run(100)
            const fs = d.dhcp()
            for (let i = 0; i < fs.length; i++) {
                at.push(d.now() - t0)
                sec.push(secs(fs[i]))
                expect(be32(fs[i], 46)).toBe(XID)
            }
        }
        // the first went at begin() (before run): the next at 4, 12, 28, 60, 124, 188 s
        expect(at.join(",")).toBe("4000,12000,28000,60000,124000,188000,252000")
        expect(sec.join(",")).toBe("4,12,28,60,124,188,252")
        expect(d.client.stats[DhcpMib.retransmits]).toBe(7)
        expect(d.client.stats[DhcpMib.discovers]).toBe(8)
        // random() = 0: each delay 1 s shorter; random() near 1: 1 s longer
        const e = new DhcpRig({ fallbackMs: 0 }, true)
        e.client.random = () => 0
        e.client.begin(e.now())
        await e.pump()
        e.take()
        await e.run(3000)
        expect(e.dhcp().length).toBe(1)
        const f = new DhcpRig({ fallbackMs: 0 }, true)
        f.client.random = () => 0.999
        f.client.begin(f.now())
        await f.pump()
        f.take()
        await f.run(4900)
        expect(f.dhcp().length).toBe(0)
        await f.run(200)
        expect(f.dhcp().length).toBe(1)
    })

    test("OFFER -> REQUEST (requested address, server id) -> ACK -> ARP probes -> BOUND: address, routes, MTU, lease", async () => {
        const d = new DhcpRig({ hostName: "board1" })
        const st = d.rig.stack
        let got: DhcpLease = null
        let calls = 0
        d.client.onLease = l => {
            got = l
            calls++
        }
        const gen0 = st.fib.genid
        d.client.begin(d.now())
        await d.pump()
        // DISCOVER, then the REQUEST that answers the OFFER (unicast to our MAC and 192.0.2.50: accepted)
        const first = d.take()
        const fs = first.filter(f => be16(f, 12) === 0x0800)
        expect(fs.length).toBe(2)
        expect(d.client.stats[DhcpMib.offers]).toBe(1)
        checkMessage(fs[1], "ff:ff:ff:ff:ff:ff", 0, 0xffffffff, XID, 0)
        expect(optionsAre(fs[1], hex`
            35 01 03
            3d 07 01 02 00 5e 10 00 0a
            32 04 c0 00 02 32
            36 04 c0 00 02 01
            0c 06 62 6f 61 72 64 31
            37 0a 01 03 06 0f 2a 33 36 3a 3b 1a
            ff`)).toBe(true)
        expect(d.client.stats[DhcpMib.acks]).toBe(1)
        expect(d.client.state).toBe(DhcpState.Checking)
        // not in use yet
        expect(st.ifa.address).toBe(0)
        // RFC 5227: three probes 1-2 s apart (random 0.5: 1.5 s), sender 0.0.0.0, target the offer
        await d.run(5000)
        const later = d.take()
        for (let i = 0; i < later.length; i++) first.push(later[i])
        const probes = first.filter(f => be16(f, 12) === 0x0806 && be16(f, 20) === 1 && be32(f, 28) === 0)
        expect(probes.length).toBe(3)
        expect(macAt(probes[0], 0)).toBe("ff:ff:ff:ff:ff:ff")
        expect(macAt(probes[0], 22)).toBe("02:00:5e:10:00:0a")
        expect(be32(probes[0], 38)).toBe(OFFERED)
        expect(macAt(probes[0], 32)).toBe("00:00:00:00:00:00")
        await d.run(2000)
        expect(d.client.state).toBe(DhcpState.Bound)
        expect(st.ifa.address).toBe(OFFERED)
        // RFC 5227 §2.3: two announcements (sender and target our address) 2 s apart
        await d.run(2500)
        const rest = d.take()
        for (let i = 0; i < rest.length; i++) first.push(rest[i])
        const ann = first.filter(f => be16(f, 12) === 0x0806 && be32(f, 28) === OFFERED && be32(f, 38) === OFFERED)
        expect(ann.length).toBe(2)
        expect(st.ifa.prefix).toBe(24)
        expect(st.ip.mtu).toBe(1400)
        expect(st.fib.genid > gen0).toBe(true)
        // connected route and default route via the router
        const c = st.fib.lookup(0xc0000263)
        expect(c !== NO_ROUTE && fibGateway(st.fib, c) === 0).toBe(true)
        const dr = st.fib.lookup(0x08080808)
        expect(fibGateway(st.fib, dr)).toBe(SERVER_IP)
        expect(calls).toBe(1)
        expect(got.leaseSec).toBe(600)
        expect(got.dns.join(",")).toBe([0xc0000202, 0xc0000203].join(","))
        expect(got.ntp.join(",")).toBe("" + 0xc0000204)
        expect(got.domain).toBe("lan")
        expect(got.t1At - got.start).toBe(300000)
        expect(got.t2At - got.start).toBe(525000)
        expect(got.expiresAt - got.start).toBe(600000)
        expect(st.ifa.acceptPort).toBe(0)
        // a datagram goes now (ARP for the collector first)
        const s = st.udpSocket(5000)
        expect(s.sendTo(0xc0000214, 8125, hex`41`, 0, 1)).toBe(SendResult.Queued)
        const txt = formatStack(st)
        expect(txt.indexOf("dhcp: BOUND 192.0.2.50/24 via 192.0.2.1 server 192.0.2.1 lease 600 s") >= 0).toBe(true)
        expect(txt.indexOf("Dhcp: discovers 1 requests 1 declines 0 releases 0 offers 1 acks 1") >= 0).toBe(true)
    })

    test("T1: RENEWING unicasts to the server (ciaddr, no 50/54) and the ACK moves T1 on", async () => {
        const d = await boundRig()
        const L = d.client.lease
        const t1 = L.t1At
        await d.run(t1 - d.now() - 100)
        expect(d.dhcp().length).toBe(0)
        await d.run(200)
        expect(d.client.state).toBe(DhcpState.Bound)
        const fs = d.dhcp()
        expect(fs.length).toBe(1)
        checkMessage(fs[0], "02:00:5e:00:00:01", OFFERED, SERVER_IP, 0x80000000, OFFERED)
        expect(optionsAre(fs[0], hex`
            35 01 03
            3d 07 01 02 00 5e 10 00 0a
            0c 06 62 6f 61 72 64 31
            37 0a 01 03 06 0f 2a 33 36 3a 3b 1a
            ff`)).toBe(true)
        expect(L.t1At - t1 >= 299000).toBe(true)
        expect(d.client.stats[DhcpMib.leases]).toBe(2)
        expect(d.rig.stack.ifa.address).toBe(OFFERED)
    })

    test("no answer: T2 broadcasts REBINDING requests; at expiry the address and routes go, back to INIT", async () => {
        const d = await boundRig()
        const st = d.rig.stack
        let lost = false
        d.client.onLease = l => {
            if (l === null) lost = true
        }
        d.server.silent = true
        const L = d.client.lease
        await d.run(L.t2At - d.now() + 100)
        expect(d.client.state).toBe(DhcpState.Rebinding)
        const fs = d.dhcp()
        const last = fs[fs.length - 1]
        checkMessage(last, "ff:ff:ff:ff:ff:ff", OFFERED, 0xffffffff, be32(last, 46), OFFERED)
        // renewing: unicast retransmissions, at most every 60 s, never after T2
        let unicast = 0
        for (let i = 0; i < fs.length - 1; i++) if (be32(fs[i], 30) === SERVER_IP) unicast++
        expect(unicast).toBe(3) // at T1 (300 s), 412.5 s (half of 225 s), 472.5 s (60 s min)
        const gen = st.fib.genid
        await d.run(L.expiresAt - d.now() + 100)
        expect(lost).toBe(true)
        expect(st.ifa.address).toBe(0)
        expect(st.fib.lookup(0xc0000263)).toBe(NO_ROUTE)
        expect(st.fib.lookup(0x08080808)).toBe(NO_ROUTE)
        expect(st.fib.genid > gen).toBe(true)
        expect(st.ip.mtu).toBe(1500)
        expect(d.client.stats[DhcpMib.expired]).toBe(1)
        expect(d.client.state).toBe(DhcpState.Selecting)
        const s = st.udpSocket(5000)
        expect(s.sendTo(0xc0000214, 8125, hex`41`, 0, 1)).toBe(SendResult.NoAddress)
    })

    test("NAK while renewing: the address goes, INIT again with a new DISCOVER", async () => {
        const d = await boundRig()
        d.server.nak = true
        await d.run(d.client.lease.t1At - d.now() + 100)
        expect(d.client.stats[DhcpMib.naks]).toBe(1)
        expect(d.rig.stack.ifa.address).toBe(0)
        expect(d.rig.stack.ifa.acceptPort).toBe(68)
        expect(d.dhcp().length).toBe(1)
        // 1 s later (so a server that NAKs everything cannot make us flood): DISCOVER, and a new lease
        d.server.nak = false
        await d.run(800)
        expect(d.dhcp().length).toBe(0)
        await d.run(200)
        expect(d.dhcp()[0][284]).toBe(1)
        await d.run(6000)
        expect(d.client.state).toBe(DhcpState.Bound)
    })

    test("an ARP answer for the offered address: DHCPDECLINE (50, 54), DISCOVER again after 10 s", async () => {
        const d = new DhcpRig({})
        // another host already holds 192.0.2.50
        new VirtualHost(d.seg, hex`02 00 5e 00 00 32`, OFFERED, 100)
        d.client.begin(d.now())
        await d.pump()
        await d.run(3000)
        expect(d.client.stats[DhcpMib.conflicts]).toBe(1)
        expect(d.rig.stack.ifa.address).toBe(0)
        const fs = d.dhcp()
        const dec = fs[fs.length - 1]
        checkMessage(dec, "ff:ff:ff:ff:ff:ff", 0, 0xffffffff, XID, 0)
        expect(optionsAre(dec, hex`
            35 01 04
            3d 07 01 02 00 5e 10 00 0a
            32 04 c0 00 02 32
            36 04 c0 00 02 01
            ff`)).toBe(true)
        expect(d.server.seen.join(",")).toBe("1,3,4")
        // the conflict was seen at the second probe (1.5 s): DISCOVER 10 s later
        await d.run(8000)
        expect(d.dhcp().length).toBe(0)
        await d.run(1500)
        expect(d.server.seen[3]).toBe(1)
    })

    test("after a declined offer, the next offer is probed afresh (the old conflict does not carry over) and bound", async () => {
        const d = new DhcpRig({})
        new VirtualHost(d.seg, hex`02 00 5e 00 00 32`, OFFERED, 100)
        d.client.begin(d.now())
        await d.pump()
        await d.run(3000)
        expect(d.client.stats[DhcpMib.conflicts]).toBe(1)
        expect(d.client.stats[DhcpMib.declines]).toBe(1)
        // the server offers another address next time (as dnsmasq does after a DHCPDECLINE)
        d.server.opts.pool = OFFERED + 1
        await d.run(20000)
        expect(d.client.stats[DhcpMib.conflicts]).toBe(1)
        expect(d.client.stats[DhcpMib.declines]).toBe(1)
        expect(d.client.state).toBe(DhcpState.Bound)
        expect(d.rig.stack.ifa.address).toBe(OFFERED + 1)
    })

    test("INIT-REBOOT: REQUEST for the last address (50, no 54); a NAK sends us to INIT", async () => {
        const d = new DhcpRig({ lastAddress: OFFERED, probe: false })
        d.client.begin(d.now())
        await d.pump()
        const fs = d.dhcp()
        checkMessage(fs[0], "ff:ff:ff:ff:ff:ff", 0, 0xffffffff, XID, 0)
        expect(optionsAre(fs[0], hex`
            35 01 03
            3d 07 01 02 00 5e 10 00 0a
            32 04 c0 00 02 32
            37 0a 01 03 06 0f 2a 33 36 3a 3b 1a
            ff`)).toBe(true)
        expect(d.client.state).toBe(DhcpState.Bound)
        expect(d.rig.stack.ifa.address).toBe(OFFERED)
        const e = new DhcpRig({ lastAddress: 0xc0000263, probe: false })
        e.client.begin(e.now())
        await e.pump()
        expect(e.client.stats[DhcpMib.naks]).toBe(1)
        await e.run(1500)
        // NAK -> INIT -> DISCOVER -> OFFER of .50 -> bound to .50
        expect(e.server.seen.join(",")).toBe("3,1,3")
        expect(e.rig.stack.ifa.address).toBe(OFFERED)
    })

    test("fallback: no server for 30 s -> probed 169.254/16 address from the MAC; a later lease replaces it", async () => {
        const d = new DhcpRig({}, true)
        const st = d.rig.stack
        d.client.begin(d.now())
        await d.run(36000)
        // 169.254.1.0 + ((0x5e ^ 0x00) << 8 | (0x10 ^ 0x0a)) = 169.254.1.0 + 0x5e1a
        const ll = 0xa9fe0100 + 0x5e1a
        expect(d.client.fallback).toBe(ll)
        expect(st.ifa.address).toBe(ll)
        expect(st.ifa.prefix).toBe(16)
        expect(d.client.stats[DhcpMib.fallbacks]).toBe(1)
        expect(formatStack(st).indexOf("(fallback)") >= 0).toBe(true)
        d.server.silent = false
        await d.run(70000)
        expect(d.client.state).toBe(DhcpState.Bound)
        expect(st.ifa.address).toBe(OFFERED)
        expect(d.client.fallback).toBe(0)
        expect(st.fib.lookup(0xa9fe0505)).toBe(st.fib.lookup(0x08080808))
    })

    test("static fallback address from the configuration", async () => {
        const d = new DhcpRig({ fallbackMs: 5000, fallbackAddress: 0xc000020a, fallbackPrefix: 24, fallbackGateway: SERVER_IP }, true)
        d.client.begin(d.now())
        await d.run(11000)
        expect(d.rig.stack.ifa.address).toBe(0xc000020a)
        expect(fibGateway(d.rig.stack.fib, d.rig.stack.fib.lookup(0x08080808))).toBe(SERVER_IP)
    })

    test("input before an address: only UDP to port 68 for another unicast address is taken; malformed replies counted", async () => {
        const d = new DhcpRig({}, true)
        const st = d.rig.stack
        d.client.begin(d.now())
        await d.pump()
        const before = st.ip.stats[IpMib.InAddrErrors]
        // UDP to 192.0.2.50 port 69: not for us
        d.host.sendUdpTo(BOARD_MAC, OFFERED, 67, 69, hex`00`, 0, 1)
        expect(st.ip.stats[IpMib.InAddrErrors]).toBe(before + 1)
        // to port 68 but a short message: delivered, then counted as malformed
        d.host.sendUdpTo(BOARD_MAC, OFFERED, 67, 68, hex`02 01 06 00`, 0, 4)
        expect(st.ip.stats[IpMib.InAddrErrors]).toBe(before + 1)
        expect(d.client.stats[DhcpMib.errors]).toBe(1)
        // an OFFER whose option runs past the end
        const m = Buffer.alloc(300)
        m[0] = 2
        m[1] = 1
        m[2] = 6
        setU32(m, 4, XID)
        m.blitAt(28, BOARD_MAC, 0, 6)
        m[236] = 0x63
        m[237] = 0x82
        m[238] = 0x53
        m[239] = 0x63
        m[240] = 53
        m[241] = 1
        m[242] = 2
        m[243] = 54
        m[244] = 200
        d.host.sendUdpTo(BOARD_MAC, OFFERED, 67, 68, m, 0, 300)
        expect(d.client.stats[DhcpMib.errors]).toBe(2)
        // option overload (52 = 1): the server id is in `file`
        m[243] = 52
        m[244] = 1
        m[245] = 1
        m[246] = 255
        setU32(m, 16, OFFERED)
        m[108] = 54
        m[109] = 4
        setU32(m, 110, SERVER_IP)
        m[114] = 255
        d.host.sendUdpTo(BOARD_MAC, OFFERED, 67, 68, m, 0, 300)
        expect(d.client.stats[DhcpMib.offers]).toBe(1)
        expect(d.client.state).toBe(DhcpState.Requesting)
        // another xid: ignored
        setU32(m, 4, 1)
        d.host.sendUdpTo(BOARD_MAC, OFFERED, 67, 68, m, 0, 300)
        expect(d.client.stats[DhcpMib.ignored]).toBe(1)
    })

    test("release: DHCPRELEASE (ciaddr, 54) unicast to the server, then the address goes", async () => {
        const d = await boundRig()
        dhcpRelease.start(d.client)
        for (let k = 0; k < 200 && d.client.state !== DhcpState.Stopped; k++) {
            await d.pump()
            await ds.sleep(5)
        }
        await d.pump()
        const fs = d.dhcp()
        const r = fs[fs.length - 1]
        checkMessage(r, "02:00:5e:00:00:01", OFFERED, SERVER_IP, XID, OFFERED)
        expect(optionsAre(r, hex`
            35 01 07
            3d 07 01 02 00 5e 10 00 0a
            36 04 c0 00 02 01
            ff`)).toBe(true)
        expect(be16(r, 50)).toBe(0)
        expect(d.server.seen[d.server.seen.length - 1]).toBe(7)
        expect(d.rig.stack.ifa.address).toBe(0)
        expect(d.client.state).toBe(DhcpState.Stopped)
    })
})

describe("dhcp: telemetry before the address", () => {
    beforeEach(yieldToScheduler)

    test("the telemetry client keeps sampling, counts what it could not send (NoAddress), and sends once bound", async () => {
        const d = new DhcpRig({ probe: false })
        const t = new TelemetryClient(d.rig.stack, { collector: 0xc0000214, port: 8125, encoder: new StatsdEncoder("board"), intervalMs: 1000 })
        t.add("a", () => 1)
        t.add("b", () => 2)
        await t.sampleOnce()
        expect(t.stats.samples).toBe(2)
        expect(t.stats.datagrams_dropped).toBe(1)
        expect(t.stats.metrics_dropped).toBe(2)
        expect(t.stats.last_error).toBe(SendResult.NoAddress)
        d.client.begin(d.now())
        await d.pump()
        expect(d.client.state).toBe(DhcpState.Bound)
        await t.sampleOnce()
        expect(t.stats.datagrams_sent).toBe(1)
        expect(t.stats.metrics_dropped).toBe(2)
    })
})

describe("dhcp: a conflict on the bound address (RFC 5227 §2.4)", () => {
    beforeEach(yieldToScheduler)

    test("the first claim is defended (an announcement), a second within 10 s gives the address up: DHCPDECLINE, INIT", async () => {
        const d = await boundRig()
        const st = d.rig.stack
        const other = hex`02 00 5e 00 00 77`
        // another host announces our address
        d.rig.dev.inject(arpFrame(ArpOperation.Request, other, OFFERED, OFFERED))
        await d.run(100)
        const f1 = d.take()
        const ann = f1.filter(f => be16(f, 12) === 0x0806 && be32(f, 28) === OFFERED && macAt(f, 22) === "02:00:5e:10:00:0a")
        expect(ann.length).toBe(1)
        expect(st.ifa.address).toBe(OFFERED)
        expect(d.client.stats[DhcpMib.conflicts]).toBe(0)
        // again, 5 s later: given up
        await d.run(5000)
        d.take()
        d.rig.dev.inject(arpFrame(ArpOperation.Request, other, OFFERED, OFFERED))
        await d.run(100)
        expect(d.client.stats[DhcpMib.conflicts]).toBe(1)
        expect(st.ifa.address).toBe(0)
        expect(st.fib.lookup(0x08080808)).toBe(NO_ROUTE)
        const fs = d.dhcp()
        expect(fs.length).toBe(1)
        expect(optionsAre(fs[0], hex`
            35 01 04
            3d 07 01 02 00 5e 10 00 0a
            32 04 c0 00 02 32
            36 04 c0 00 02 01
            ff`)).toBe(true)
        expect(d.client.state).toBe(DhcpState.Init)
    })
})
