// The protocol soak, part "lan" (`npm run soak -- --part lan`): the board joins the virtual LAN by
// DHCP (src/dhcp/client.ts), resolves the collector's name (src/dns/resolver.ts), keeps an SNTP
// clock (src/ntp/client.ts) and sends telemetry every 100 ms, its device plugged straight into the
// virtual LAN (wire-device.ts: no chip fits beside all that), every task running in real time,
// while the LAN misbehaves, one episode at a time:
//   - vanish:      the DHCP server stops answering until the lease has run out (RFC 2131 §4.4.5),
//                  and a while longer: the address and routes go, telemetry meets NoAddress;
//   - nak:         the server NAKs the renewal (and everything after) for a while (§4.4.5, §3.1);
//   - claim:       another host claims our address twice within DEFEND_INTERVAL (RFC 5227 §2.4
//                  (b): defended once, then given up: DHCPDECLINE, a new lease);
//   - dns_silent:  the name server stops answering (the resolver's Timeout);
//   - ntp_wrong:   the NTP server's clock is off by up to an hour (SNTP follows it: RFC 4330 has
//                  no sanity check; the clock must say exactly the server's time, and the true time
//                  again once the server is right);
//   - ntp_rate, ntp_deny: Kiss-o'-Death RATE (the poll interval doubles) and DENY (the server is
//                  dropped, until the next lease names it again: the firmware's onLease hook).
// Checks: after every DHCP episode the client is BOUND again within a bound; every telemetry
// datagram offered has one SendResult, NoAddress exactly while the interface has no address (and
// nothing else then); every resolver and clock outcome is counted by kind, and only the kinds the
// faults explain occur; an Ok answer is the collector's address; an Ok sync's clock is the server's
// time (its skew) within 250 ms; after the faults, telemetry, DNS and SNTP work again. The heap check
// is host/soak/run.ts's (the same probe as test/robust/soak.ts). Randomness (fault order, durations,
// the DHCP client's xid and jitter) comes from the seed.

import * as ds from "@devicescript/core"
import { Rng } from "../fuzz/rng"
import { WireDevice } from "./wire-device"
import { testConfig, BOARD_IP, GATEWAY_IP, COLLECTOR_IP } from "../support/config"
import { BOARD_MAC, GATEWAY_MAC, COLLECTOR_MAC } from "../support/rig"
import { NetStack } from "../../src/stack"
import { SendResult } from "../../src/ipv4/output"
import { Segment } from "../../src/sim/lan"
import { VirtualHost } from "../../src/sim/host"
import { HostilePeer } from "../../src/sim/faults"
import { DhcpServer } from "../../src/sim/dhcpd"
import { VirtualServices, VIRTUAL_COLLECTOR } from "../../src/sim/services"
import { DhcpClient, DhcpMib, DhcpState, dhcpStateName, formatDhcp } from "../../src/dhcp/client"
import { DnsResolver, formatDnsStats } from "../../src/dns/resolver"
import { DnsOutcome } from "../../src/dns/message"
import { SntpClient, SntpOutcome, formatSntpStats } from "../../src/ntp/client"
import { TelemetryClient } from "../../src/telemetry/client"
import { StatsdEncoder } from "../../src/telemetry/statsd"
import { formatDeviceStats } from "../../src/dev/netdev"

const NS_IP = 0xc0000235 // 192.0.2.53: DNS and NTP
const ROGUE_MAC = hex`02 66 66 66 66 66`
const COLLECTOR_NAME = "collector.sim.lan"
/** Wall-clock time at ds.millis() 0 for the NTP server (2026-11-21 00:00:00 UTC). */
const BASE_UNIX_MS = 1795219200000
/** DHCP: retransmission base (RFC 2131's 4 s scaled to 200 ms), lease 4 s, T1 2 s, T2 3 s. */
const DHCP_BASE_MS = 200
const LEASE_S = 4
/** How long the client may take to be BOUND again once a fault ends (RFC 2131 §4.1's 3.2 s + ±25 %, probes, slack). */
const REBIND_MS = 9000

export class LanOptions {
    seconds = 10
    seed = 1
    warmOnly = false
    progressMs = 5000
}

export const LAN_FAULTS = ["vanish", "nak", "claim", "dns_silent", "ntp_wrong", "ntp_rate", "ntp_deny"]
const NF = 7

class LanSoak {
    readonly seg = new Segment()
    readonly device: WireDevice
    readonly stack: NetStack
    readonly gateway: VirtualHost
    readonly dhcpd: DhcpServer
    readonly services: VirtualServices
    readonly collector: VirtualHost
    readonly rogue: HostilePeer
    readonly dhcp: DhcpClient
    readonly dns: DnsResolver
    readonly clock: SntpClient
    readonly telemetry: TelemetryClient
    readonly rng: Rng
    running = true
    // telemetry, by SendResult; NoAddress while an address was installed, another result while none was
    readonly results: number[] = []
    offered = 0
    wrongNoAddress = 0
    // resolver outcomes (DnsOutcome), clock outcomes (SntpOutcome); wrong answers
    readonly dnsOut: number[] = []
    readonly ntpOut: number[] = []
    dnsWrong = 0
    ntpSkewSyncs = 0
    ntpBad = 0
    ntpWorst = 0
    // DHCP episodes: per fault kind, done and recovered (BOUND again within REBIND_MS); leases lost
    readonly faultCounts: number[] = []
    readonly recoveredCounts: number[] = []
    leasesLost = 0
    worstRebindMs = 0
    exceptions = 0
    lastException = ""
    failures: string[] = []

    constructor(readonly o: LanOptions) {
        const self = this
        const rng = new Rng(o.seed)
        this.rng = rng
        const c = testConfig()
        c.address = 0
        c.gateway = 0
        c.qdiscLimitBytes = 2048
        c.neighPendingBytes = 2048
        c.neighPendingPackets = 4
        this.device = new WireDevice(this.seg, BOARD_MAC, rng)
        this.stack = new NetStack(c, this.device)
        // the DHCP server on the gateway; DNS and NTP at 192.0.2.53; the collector; a host that claims our address
        this.gateway = new VirtualHost(this.seg, GATEWAY_MAC, GATEWAY_IP, 400)
        this.gateway.keep = 0
        this.dhcpd = new DhcpServer(this.seg, this.gateway, {
            pool: BOARD_IP,
            prefix: 24,
            router: GATEWAY_IP,
            leaseSec: LEASE_S,
            t1Sec: LEASE_S / 2,
            t2Sec: (LEASE_S * 3) / 4,
            dns: [NS_IP],
            ntp: [NS_IP],
            domain: "sim.lan",
        })
        this.services = new VirtualServices(this.seg, COLLECTOR_NAME, VIRTUAL_COLLECTOR, NS_IP, NS_IP, BASE_UNIX_MS)
        this.services.dnsHost.keep = 0
        this.services.dnsHost.keepBytes = 0
        this.collector = new VirtualHost(this.seg, COLLECTOR_MAC, COLLECTOR_IP, 128)
        this.collector.keep = 0
        this.collector.keepBytes = 0
        this.rogue = new HostilePeer(this.seg, ROGUE_MAC, 60)
        this.dhcp = new DhcpClient(this.stack, { hostName: "soak", baseMs: DHCP_BASE_MS, fallbackMs: 0 })
        this.dhcp.random = () => self.rng.next() / 4294967296
        this.dns = new DnsResolver(this.stack.udp, { timeoutMs: 500, attempts: 2 })
        this.clock = new SntpClient(this.stack.udp, { timeoutMs: 500 })
        // as startNamedTelemetry does: each lease's servers replace the resolver's and the clock's
        this.dhcp.onLease = lease => {
            if (lease === null) {
                self.leasesLost++
                return
            }
            self.dns.setServers(lease.dns)
            self.clock.setServers(lease.ntp)
        }
        this.telemetry = new TelemetryClient(this.stack, { collector: COLLECTOR_IP, port: 8125, encoder: new StatsdEncoder("soak"), intervalMs: 100 })
        this.telemetry.add("dhcp_state", () => self.dhcp.state)
        this.telemetry.addCounter("leases", () => self.dhcp.stats[DhcpMib.leases])
        this.telemetry.onDatagram = (buf, len, res) => {
            self.offered++
            self.results[res]++
            if ((res === SendResult.NoAddress) !== (self.stack.ifa.address === 0)) self.wrongNoAddress++
        }
        for (let i = 0; i < 13; i++) this.results.push(0)
        for (let i = 0; i < 12; i++) this.dnsOut.push(0)
        for (let i = 0; i < 6; i++) this.ntpOut.push(0)
        for (let i = 0; i < NF; i++) {
            this.faultCounts.push(0)
            this.recoveredCounts.push(0)
        }
    }

    private caught(e: any): void {
        this.exceptions++
        this.lastException = (e as Error).message
    }

    /** The collector's name and a name that does not exist, every 200 ms; the cache emptied first. */
    async resolver(): Promise<void> {
        let k = 0
        while (this.running) {
            try {
                this.dns.flush()
                const r = await this.dns.resolve(COLLECTOR_NAME)
                this.dnsOut[r.outcome]++
                if (r.outcome === DnsOutcome.Ok && r.address !== VIRTUAL_COLLECTOR) this.dnsWrong++
                const n = await this.dns.resolve("nx" + (k++ % 10) + ".sim.lan")
                this.dnsOut[n.outcome]++
                if (n.outcome === DnsOutcome.Ok) this.dnsWrong++
            } catch (e) {
                this.caught(e)
            }
            await ds.sleep(200)
        }
    }

    /** An SNTP exchange every 300 ms; an Ok one must put the clock at the server's time (its skew included). */
    async timekeeper(): Promise<void> {
        while (this.running) {
            try {
                const r = await this.clock.syncOnce()
                this.ntpOut[r]++
                if (r === SntpOutcome.Ok) {
                    const skew = this.services.lastSkewMs
                    if (skew !== 0) this.ntpSkewSyncs++
                    // (whole ms: a fraction would box the number, and the heap check compares runs)
                    const err = Math.round(Math.abs(this.clock.now() - (BASE_UNIX_MS + ds.millis() + skew)))
                    if (err > this.ntpWorst) this.ntpWorst = err
                    if (err > 250) this.ntpBad++
                }
            } catch (e) {
                this.caught(e)
            }
            await ds.sleep(300)
        }
    }

    /** Until the client is BOUND, at most `ms`. */
    async untilBound(ms: number): Promise<boolean> {
        const end = ds.millis() + ms
        while (!this.bound() && ds.millis() < end) await ds.sleep(20)
        return this.bound()
    }

    /** Until the DHCP counter `mib` passes `above`, at most `ms`. */
    async untilCount(mib: number, above: number, ms: number): Promise<void> {
        const end = ds.millis() + ms
        while (this.dhcp.stats[mib] <= above && ds.millis() < end) await ds.sleep(20)
    }

    bound(): boolean {
        return this.dhcp.state === DhcpState.Bound
    }

    /** One episode; `kind` < 0 picks one from the PRNG. */
    async fault(kind: number): Promise<void> {
        const rng = this.rng
        const d = this.dhcp
        const srv = this.dhcpd
        const sv = this.services
        if (kind < 0) kind = rng.below(NF)
        this.faultCounts[kind]++
        // a DHCP episode starts from BOUND
        if (kind < 3) await this.untilBound(REBIND_MS)
        const t0 = ds.millis()
        switch (kind) {
            case 0: {
                const e0 = d.stats[DhcpMib.expired]
                srv.silent = true
                await this.untilCount(DhcpMib.expired, e0, LEASE_S * 1000 + 2000)
                // a while without an address: telemetry meets NoAddress
                await ds.sleep(rng.range(200, 1500))
                srv.silent = false
                break
            }
            case 1: {
                const n0 = d.stats[DhcpMib.naks]
                srv.nak = true
                await this.untilCount(DhcpMib.naks, n0, LEASE_S * 1000)
                await ds.sleep(rng.range(0, 1000))
                srv.nak = false
                break
            }
            case 2: {
                const c0 = d.stats[DhcpMib.conflicts]
                this.rogue.claim(BOARD_IP)
                await ds.sleep(rng.range(20, 300))
                this.rogue.claim(BOARD_IP)
                await this.untilCount(DhcpMib.conflicts, c0, 1000)
                break
            }
            case 3:
                sv.dnsSilent = true
                await ds.sleep(rng.range(1200, 3000))
                sv.dnsSilent = false
                break
            case 4:
                sv.ntpSkewMs = (rng.chance(50) ? 1 : -1) * rng.range(1000, 3600) * 1000
                await ds.sleep(rng.range(1000, 2500))
                sv.ntpSkewMs = 0
                break
            default:
                sv.ntpKiss = kind === 5 ? "RATE" : "DENY"
                await ds.sleep(rng.range(600, 1500))
                sv.ntpKiss = ""
                break
        }
        if (kind < 3) {
            if (await this.untilBound(REBIND_MS)) {
                this.recoveredCounts[kind]++
                const t = ds.millis() - t0
                if (t > this.worstRebindMs) this.worstRebindMs = t
            } else this.failures.push(LAN_FAULTS[kind] + ": not BOUND " + REBIND_MS + " ms after the fault (" + dhcpStateName(d.state) + ")")
        } else this.recoveredCounts[kind]++
        // keep the server's record of messages bounded (it is the simulator's, not the board's)
        while (srv.seen.length > 0) srv.seen.pop()
    }

    /** The checks that need the counts; failures as text. */
    check(recovered: boolean, dnsAfter: number, ntpAfter: number): void {
        const f = this.failures
        const t = this.telemetry.stats
        let sum = 0
        for (let k = 0; k < this.results.length; k++) sum += this.results[k]
        if (sum !== this.offered || t.datagrams_sent + t.datagrams_dropped !== this.offered) f.push("telemetry: " + this.offered + " offered, results add to " + sum + ", client counted " + (t.datagrams_sent + t.datagrams_dropped))
        if (this.wrongNoAddress !== 0) f.push("telemetry: " + this.wrongNoAddress + " datagrams whose NoAddress did not match the interface's address")
        if (this.leasesLost > 0 && this.results[SendResult.NoAddress] === 0) f.push("telemetry: the address was lost " + this.leasesLost + " times, yet no datagram met NoAddress")
        for (let k = 0; k < this.results.length; k++)
            if (k !== SendResult.Sent && k !== SendResult.Queued && k !== SendResult.NoAddress && this.results[k] > 0) f.push("telemetry: " + this.results[k] + " datagrams ended as SendResult " + k)
        // the resolver: only Ok, NxDomain and Timeout are explained by the faults
        for (let k = 0; k < this.dnsOut.length; k++)
            if (k !== DnsOutcome.Ok && k !== DnsOutcome.NxDomain && k !== DnsOutcome.Timeout && this.dnsOut[k] > 0) f.push("dns: " + this.dnsOut[k] + " outcomes of kind " + k)
        if (this.dnsWrong !== 0) f.push("dns: " + this.dnsWrong + " Ok answers with the wrong address")
        // the clock: NoServers only after a DENY dropped the server, Kiss only with a KoD fault
        for (let k = 0; k < this.ntpOut.length; k++)
            if (k === SntpOutcome.Unsynchronized || k === SntpOutcome.NoSocket) if (this.ntpOut[k] > 0) f.push("sntp: " + this.ntpOut[k] + " outcomes of kind " + k)
        if (this.ntpOut[SntpOutcome.Kiss] > 0 && this.faultCounts[5] + this.faultCounts[6] === 0) f.push("sntp: Kiss-o'-Death without the fault")
        if (this.ntpBad !== 0) f.push("sntp: " + this.ntpBad + " syncs more than 250 ms from the server's time (worst " + this.ntpWorst + " ms)")
        if (!recovered) f.push("after the faults: no telemetry reached the collector")
        if (dnsAfter !== DnsOutcome.Ok) f.push("after the faults: the collector's name gave outcome " + dnsAfter)
        if (ntpAfter !== SntpOutcome.Ok) f.push("after the faults: SNTP gave outcome " + ntpAfter)
        if (this.exceptions !== 0) f.push("exceptions in the soak's fibers, last: " + this.lastException)
    }

    print(seconds: number): void {
        const d = this.dhcp.stats
        console.log("@@soak part lan seconds " + seconds + " seed " + this.o.seed)
        let fl = "@@soak faults"
        for (let k = 0; k < NF; k++) fl += " " + LAN_FAULTS[k] + "=" + this.faultCounts[k] + "/" + this.recoveredCounts[k]
        console.log(fl + " (done/recovered)")
        let dl = "@@soak dhcp state " + dhcpStateName(this.dhcp.state) + " leases " + d[DhcpMib.leases] + " lost " + this.leasesLost + " expired " + d[DhcpMib.expired]
        dl += " naks " + d[DhcpMib.naks] + " conflicts " + d[DhcpMib.conflicts] + " declines " + d[DhcpMib.declines] + " discovers " + d[DhcpMib.discovers]
        console.log(dl + " requests " + d[DhcpMib.requests] + " retransmits " + d[DhcpMib.retransmits] + " worst_rebind_ms " + this.worstRebindMs)
        const r = this.results
        console.log("@@soak telemetry offered " + this.offered + " sent " + (r[SendResult.Sent] + r[SendResult.Queued]) + " no_address " + r[SendResult.NoAddress] + " wrong_no_address " + this.wrongNoAddress + " collector " + this.collector.udpReceived)
        const n = this.dnsOut
        console.log("@@soak dns ok " + n[DnsOutcome.Ok] + " nxdomain " + n[DnsOutcome.NxDomain] + " timeout " + n[DnsOutcome.Timeout] + " other " + (n[DnsOutcome.NoData] + n[DnsOutcome.ServFail] + n[DnsOutcome.Refused] + n[DnsOutcome.Truncated] + n[DnsOutcome.NoServers] + n[DnsOutcome.BadName] + n[DnsOutcome.NoSocket]) + " wrong " + this.dnsWrong)
        const s = this.ntpOut
        let sl = "@@soak sntp ok " + s[SntpOutcome.Ok] + " timeout " + s[SntpOutcome.Timeout] + " kiss " + s[SntpOutcome.Kiss] + " no_servers " + s[SntpOutcome.NoServers]
        console.log(sl + " other " + (s[SntpOutcome.Unsynchronized] + s[SntpOutcome.NoSocket]) + " skewed_syncs " + this.ntpSkewSyncs + " bad " + this.ntpBad + " worst_ms " + this.ntpWorst)
        console.log("@@soak stat " + formatDeviceStats(this.device))
        for (let i = 0; i < this.failures.length; i++) console.log("@@soak fail " + this.failures[i])
        console.log("@@soak stat " + formatDhcp(this.dhcp))
        console.log("@@soak stat " + formatDnsStats(this.dns.stats))
        console.log("@@soak stat " + formatSntpStats(this.clock.stats))
    }
}

/** The soak objects stay referenced here until the end of the program (the heap probe). */
export const keepLan: LanSoak[] = []

/** Set up, warm up (every fault once), soak for o.seconds (unless warmOnly), quiesce, check, print. */
export async function runLanSoak(o: LanOptions): Promise<number> {
    const k = new LanSoak(o)
    keepLan.push(k)
    const t0 = ds.millis()
    await k.stack.start()
    k.dhcp.start()
    k.telemetry.start()
    // the resolver and the clock from the first lease on (it names their servers)
    await k.untilBound(REBIND_MS)
    k.resolver.start()
    k.timekeeper.start()
    for (let f = 0; f < NF; f++) await k.fault(f)
    if (!o.warmOnly) {
        const end = ds.millis() + o.seconds * 1000
        let next = ds.millis() + o.progressMs
        while (ds.millis() < end) {
            try {
                await k.fault(-1)
            } catch (e) {
                k.exceptions++
                k.lastException = (e as Error).message
            }
            await ds.sleep(k.rng.range(100, 800))
            if (o.progressMs > 0 && ds.millis() >= next) {
                next += o.progressMs
                console.log("@@soak progress " + Math.round((ds.millis() - t0) / 1000) + " s telemetry " + k.offered + " leases " + k.dhcp.stats[DhcpMib.leases] + " lost " + k.leasesLost + " " + dhcpStateName(k.dhcp.state))
            }
        }
    }
    // quiesce: the faults are off; BOUND, then telemetry, the name and the time must all work
    await k.untilBound(REBIND_MS)
    k.running = false
    await ds.sleep(1200)
    k.clock.setServers([NS_IP])
    const c0 = k.collector.udpReceived
    await ds.sleep(500)
    const recovered = k.collector.udpReceived > c0
    k.dns.flush()
    const dnsAfter = (await k.dns.resolve(COLLECTOR_NAME)).outcome
    const ntpAfter = await k.clock.syncOnce()
    k.check(recovered, dnsAfter, ntpAfter)
    while (k.dhcpd.seen.length > 0) k.dhcpd.seen.pop()
    const seconds = Math.round((ds.millis() - t0) / 1000)
    k.print(seconds)
    // stop every fiber: what remains is what the board holds between two rounds
    k.telemetry.stop()
    k.dhcp.running = false
    await k.stack.stop()
    await ds.sleep(1500)
    // numbers boxed or not by their value (a PRNG state, an xid or deadline past 2^31 or with a
    // fraction) are zeroed in every run, so that the heap comparison sees growth, not that
    const d = k.dhcp as any
    d.xid = 0
    d.deadline = 0
    d.began = 0
    k.rng.s = 1
    k.clock.delayMs = 0
    return k.failures.length
}
