// Scripted name and time servers for the virtual LAN, so that `npm start` runs a devicescript.json
// whose collector is a host name: a DNS server (RFC 1035) that answers A queries for the collector's
// name with the virtual collector's address (TTL 60) and NXDOMAIN for any other name, and an NTP
// server (RFC 5905 server mode, stratum 2) whose clock is the host's time when the entry was written
// plus the simulator's milliseconds. Each is a VirtualHost (host.ts) at the configured server address.
// Only an entry that calls simulateNamed() links them (host/sim/start.ts writes one for a name).
// The protocol soak (test/robust/soak-lan.ts) turns on their faults: a DNS server that stops
// answering, an NTP server whose clock is wrong by `ntpSkewMs`, or that answers Kiss-o'-Death.

import * as ds from "@devicescript/core"
import { StackConfig } from "../config/types"
import { NetStack } from "../stack"
import { Segment } from "./lan"
import { VirtualHost } from "./host"
import { BoardFactory, simulate, SimulationOptions } from "./main"
import { startNamedTelemetry, telemetryEncoder } from "../start"
import { encodeName, nameEq, nameEnd, DNS_MAX_NAME } from "../dns/message"
import { NTP_PACKET_LEN, NTP_UNIX_OFFSET_S } from "../ntp/client"
import { setU32 } from "../wire/bytes"

/** The address the virtual DNS server gives the collector's name (192.0.2.20, the sample collector). */
export const VIRTUAL_COLLECTOR = 0xc0000214

function peerMac(ip: number): Buffer {
    const m = hex`02 00 5e 20 00 00`.slice(0)
    setU32(m, 2, ip)
    m[2] = 0x20
    return m
}

export class VirtualServices {
    readonly name = Buffer.alloc(DNS_MAX_NAME)
    private readonly reply = Buffer.alloc(512)
    readonly dnsHost: VirtualHost
    readonly ntpHost: VirtualHost
    queries = 0
    answered = 0
    nxdomain = 0
    ntpRequests = 0
    /** Faults: no DNS answers; NTP time off by this many ms; a Kiss-o'-Death code instead of the time (RFC 5905 §7.4: "RATE", "DENY"), "" none. */
    dnsSilent = false
    ntpSkewMs = 0
    ntpKiss = ""
    /** The skew of the last NTP answer with a time in it. */
    lastSkewMs = 0

    /** `baseUnixMs`: the wall-clock time at ds.millis() 0. */
    constructor(
        readonly segment: Segment,
        name: string,
        readonly address: number,
        dnsServer: number,
        ntpServer: number,
        readonly baseUnixMs: number
    ) {
        encodeName(this.name, 0, name)
        const self = this
        const dns = new VirtualHost(segment, peerMac(dnsServer), dnsServer, 600)
        this.dnsHost = dns
        dns.onUdp = (src, sport, dport, buf, off, len) => {
            if (dport === 53) self.dnsQuery(dns, src, sport, buf, off, len)
        }
        const ntp = ntpServer === dnsServer ? dns : new VirtualHost(segment, peerMac(ntpServer), ntpServer, 128)
        this.ntpHost = ntp
        const prev = ntp.onUdp
        ntp.onUdp = (src, sport, dport, buf, off, len) => {
            if (dport === 123) self.ntpRequest(ntp, src, sport, buf, off, len)
            else if (prev !== null) prev(src, sport, dport, buf, off, len)
        }
    }

    private dnsQuery(h: VirtualHost, src: number, sport: number, buf: Buffer, off: number, len: number): void {
        this.queries++
        if (this.dnsSilent) return
        const q = nameEnd(buf, off + 12, off + len)
        if (len < 12 || q < 0 || q + 4 > off + len || q - off > 512) return
        const n = q + 4 - off
        const r = this.reply
        r.blitAt(0, buf, off, n)
        r[2] = 0x81
        const hit = nameEq(buf, off, off + 12, off + len, this.name, 0, 0, DNS_MAX_NAME) && buf[q + 1] === 1
        r[3] = hit ? 0x80 : 0x83
        r.fillAt(6, 6, 0)
        let end = n
        if (hit) {
            // one A record, its owner a pointer to the question (RFC 1035 §4.1.4), TTL 60
            r[7] = 1
            r.blitAt(n, hex`c0 0c 00 01 00 01 00 00 00 3c 00 04`, 0, 12)
            setU32(r, n + 12, this.address)
            end = n + 16
            this.answered++
        } else this.nxdomain++
        h.sendUdp(src, 53, sport, r, 0, end)
    }

    private ntpRequest(h: VirtualHost, src: number, sport: number, buf: Buffer, off: number, len: number): void {
        if (len < NTP_PACKET_LEN || (buf[off] & 7) !== 3) return
        this.ntpRequests++
        const ms = this.baseUnixMs + ds.millis() + this.ntpSkewMs
        const whole = Math.floor(ms / 1000)
        const sec = whole + NTP_UNIX_OFFSET_S
        // (not ms % 1000: DeviceScript's % is off for numbers past 2^31)
        const frac = Math.floor(((ms - whole * 1000) / 1000) * 4294967296)
        const r = this.reply
        r.fillAt(0, NTP_PACKET_LEN, 0)
        // LI 0, VN 4, mode 4 (server); stratum 2; poll 6; precision 2^-20; reference ID 192.0.2.1
        r.blitAt(0, hex`24 02 06 ec 00 00 00 00 00 00 00 00 c0 00 02 01`, 0, 16)
        if (this.ntpKiss.length === 4) {
            // stratum 0, the code as four ASCII letters in the reference ID
            r[1] = 0
            r.blitAt(12, Buffer.from(this.ntpKiss), 0, 4)
        } else this.lastSkewMs = this.ntpSkewMs
        // origin = the request's transmit timestamp (RFC 5905 §8); reference, receive, transmit = now
        r.blitAt(24, buf, off + 40, 8)
        for (let t = 16; t < 48; t += 8) {
            if (t === 24) continue
            setU32(r, t, sec)
            setU32(r, t + 4, frac)
        }
        h.sendUdp(src, 123, sport, r, 0, NTP_PACKET_LEN)
    }
}

/**
 * simulate() for a configuration whose collector is a host name: the virtual collector at
 * VIRTUAL_COLLECTOR, the name and time servers at dns.servers[0] and ntp.servers[0] (or the
 * gateway), and the telemetry following the name (startNamedTelemetry).
 */
export async function simulateNamed(config: StackConfig, makeBoard: BoardFactory, opts: SimulationOptions, baseUnixMs: number): Promise<NetStack> {
    const ns = config.dnsServers ? config.dnsServers[0] : config.gateway
    const ts = config.ntpServers ? config.ntpServers[0] : ns
    const name = config.collectorName
    // the board's peers are made from the configuration: the collector where the name points
    config.collector = VIRTUAL_COLLECTOR
    opts.services = seg => {
        new VirtualServices(seg, name, VIRTUAL_COLLECTOR, ns, ts, baseUnixMs)
        console.log("@@info virtual DNS " + (ns >>> 24) + "." + ((ns >>> 16) & 255) + "." + ((ns >>> 8) & 255) + "." + (ns & 255) + " answers " + name)
    }
    opts.telemetry = (stack, c, dhcp) => {
        // the telemetry starts with no address for the collector: the name gives it
        c.collector = 0
        if (!c.ntpServers) c.ntpServers = [ts]
        if (!c.dnsServers) c.dnsServers = [ns]
        return startNamedTelemetry(stack, c, telemetryEncoder(c), dhcp).telemetry
    }
    return await simulate(config, makeBoard, opts)
}
