// The configuration for a project that uses this package as a library: the same fields as this
// repository's devicescript.json (host/config/devicescript.schema.json), written in the firmware,
// every one but the chip and the address defaulted as the schema defaults it, and checked when the
// stack is built with the messages the host validator gives (field, value, what is wrong).

import { ChipKind, DhcpConfig, RouteConfig, RouteKind, StackConfig, StaticNeighbourConfig } from "./types"
import { AddressError, macIsGroup, parseIpv4, parseMac, prefixMask } from "../wire/addr"
import { DEFAULT_SPI_HZ } from "../drivers/spi-hw"

export interface StackOptions {
    chip: ChipKind
    /**
     * "192.0.2.10/24", the address alone with `prefix`, or "dhcp": an address from a DHCP server
     * (start it with startDhcp()); then `dhcp.fallbackAddress`, if given, is checked as an address is.
     */
    address: string
    /** With address "dhcp": option 12, the first retransmission (4000 ms), the fallback after fallbackMs (30000; 0 never) to fallbackAddress (default an RFC 3927 link-local address). */
    dhcp?: { hostName?: string; retransmitMs?: number; fallbackMs?: number; fallbackAddress?: string }
    /** Default 24 (or the /N of `address`). */
    prefix?: number
    gateway?: string
    /** A MAC of the board's own (locally administered unicast 02:...); default 02:00:5e:10:00:0a. */
    mac?: string
    /** Default 1500. */
    mtu?: number
    /** Board id of the board file (for messages); default the chip's ESP32 board. */
    board?: string
    /** SPI clock; default 16 MHz. */
    spiHz?: number
    routes?: { dest: string; via?: string; type?: RouteKind; metric?: number; ttl?: number }[]
    arp?: { ip: string; mac: string }[]
    tables?: { fib?: number; neighbours?: number; hookRules?: number }
    neighbour?: { retransmitMs?: number; probes?: number; reachableMs?: number; pendingPackets?: number; pendingBytes?: number }
    qdisc?: { limitPackets?: number; limitBytes?: number }
    ip?: { defaultTtl?: number; maxDatagram?: number; icmpRatePerSecond?: number }
    /** `collector` is "192.0.2.20" or "192.0.2.20:8125". Without telemetry the collector is 0. */
    telemetry?: { collector: string; port?: number; format?: "statsd" | "influx"; intervalMs?: number; prefix?: string }
}

/**
 * A configuration the stack cannot run with: `field` names it as devicescript.json does.
 * @devsWhenUsed
 */
export class ConfigError extends Error {
    constructor(
        readonly field: string,
        message: string
    ) {
        super("stackConfig: " + field + ": " + message)
        this.name = "ConfigError"
    }
}

const ETH_HLEN = 14

function ipv4(field: string, text: string): number {
    try {
        return parseIpv4(text)
    } catch (e) {
        throw new ConfigError(field, (e as AddressError).message)
    }
}

function int(field: string, v: number, dflt: number, min: number, max: number): number {
    if (v === undefined || v === null) return dflt
    if (Math.floor(v) !== v || v < min || v > max) throw new ConfigError(field, v + " is not an integer in " + min + ".." + max)
    return v
}

/** Builds the StackConfig for `o`: defaults filled in, every field checked. Throws ConfigError. */
export function stackConfig(o: StackOptions): StackConfig {
    if (o.chip !== "w5500" && o.chip !== "enc28j60") throw new ConfigError("chip", '"' + o.chip + '" is not one of "w5500", "enc28j60"')
    if (!o.address) throw new ConfigError("interface.address", "is required")
    const byDhcp = o.address === "dhcp"
    const dh = o.dhcp || {}
    // with DHCP the fallback address (if any) is the one the subnet rules are checked against
    const addrField = byDhcp ? "dhcp.fallbackAddress" : "interface.address"
    let text = byDhcp ? dh.fallbackAddress || "" : o.address
    let prefix = o.prefix
    const slash = text.indexOf("/")
    if (slash >= 0) {
        prefix = parseInt(text.slice(slash + 1))
        text = text.slice(0, slash)
    }
    prefix = int("interface.prefix", prefix, 24, 1, 32)
    const address = text ? ipv4(addrField, text) : 0
    const mask = prefixMask(prefix)
    const net = (address & mask) >>> 0
    const first = address >>> 24
    if (text && (first === 0 || first === 127 || first >= 224)) throw new ConfigError(addrField, '"' + text + '" is not a unicast address')
    if (text && prefix <= 30 && (address === net || address === (net | ~mask) >>> 0))
        throw new ConfigError(addrField, '"' + text + '" is the network or broadcast address of its subnet')
    const onLink = (field: string, s: string): number => {
        if (address === 0) throw new ConfigError(field, '"' + s + '": an on-link address needs the interface\'s subnet; with address "dhcp" give dhcp.fallbackAddress')
        const a = ipv4(field, s)
        if ((a & mask) >>> 0 !== net) throw new ConfigError(field, '"' + s + '" is not on-link: it is outside the interface subnet')
        if (a === address) throw new ConfigError(field, '"' + s + "\" is the interface's own address (interface.address)")
        return a
    }
    const gateway = o.gateway ? onLink("interface.gateway", o.gateway) : 0
    const macText = o.mac || "02:00:5e:10:00:0a"
    let mac: Buffer
    try {
        mac = parseMac(macText)
    } catch (e) {
        throw new ConfigError("interface.mac", (e as AddressError).message)
    }
    if (macIsGroup(mac, 0)) throw new ConfigError("interface.mac", '"' + macText + '" is a group address; the interface needs a unicast MAC address')
    const mtu = int("interface.mtu", o.mtu, 1500, 576, 1500)
    const frame = mtu + ETH_HLEN

    const t = o.tables || {}
    const fib = int("tables.fib", t.fib, 8, 1, 64)
    const neighbours = int("tables.neighbours", t.neighbours, 8, 1, 64)
    const hookRules = int("tables.hookRules", t.hookRules, 8, 0, 64)
    const routes: RouteConfig[] = []
    const rs = o.routes || []
    for (let i = 0; i < rs.length; i++) {
        const r = rs[i]
        const f = "routes[" + i + "]"
        const sl = r.dest.indexOf("/")
        if (sl < 0) throw new ConfigError(f + ".dest", '"' + r.dest + '" is not a CIDR (a.b.c.d/n)')
        const rp = int(f + ".dest", parseInt(r.dest.slice(sl + 1)), 0, 0, 32)
        const d = ipv4(f + ".dest", r.dest.slice(0, sl))
        if ((d & prefixMask(rp)) >>> 0 !== d) throw new ConfigError(f + ".dest", '"' + r.dest + '" has host bits set')
        const kind = r.type || "unicast"
        if (r.via && kind !== "unicast") throw new ConfigError(f + ".via", "not allowed: a " + kind + " route has no gateway")
        const via = r.via ? onLink(f + ".via", r.via) : 0
        routes.push({ dest: d, prefix: rp, gateway: via, kind, metric: int(f + ".metric", r.metric, 0, 0, 65535), ttl: int(f + ".ttl", r.ttl, 0, 0, 255) })
    }
    const needed = routes.length + 1 + (gateway !== 0 ? 1 : 0)
    if (needed > fib) throw new ConfigError("routes", routes.length + " routes + connected" + (gateway !== 0 ? " + default" : "") + " = " + needed + " exceeds tables.fib = " + fib)
    const arp: StaticNeighbourConfig[] = []
    const as = o.arp || []
    for (let i = 0; i < as.length; i++) {
        const ip = onLink("arp[" + i + "].ip", as[i].ip)
        let m: Buffer
        try {
            m = parseMac(as[i].mac)
        } catch (e) {
            throw new ConfigError("arp[" + i + "].mac", (e as AddressError).message)
        }
        arp.push({ ip, mac: m })
    }
    if (arp.length > neighbours) throw new ConfigError("arp", arp.length + " static entries exceed tables.neighbours = " + neighbours)

    const n = o.neighbour || {}
    const pendingBytes = int("neighbour.pendingBytes", n.pendingBytes, 4608, 1, 65536)
    if (pendingBytes < frame) throw new ConfigError("neighbour.pendingBytes", pendingBytes + " cannot hold one full frame of " + frame + " bytes")
    const q = o.qdisc || {}
    const limitBytes = int("qdisc.limitBytes", q.limitBytes, 4608, 1, 65536)
    if (limitBytes < frame) throw new ConfigError("qdisc.limitBytes", limitBytes + " cannot hold one full frame of " + frame + " bytes")
    const ip = o.ip || {}
    const maxDatagram = int("ip.maxDatagram", ip.maxDatagram, 16000, 576, 57000)
    if (maxDatagram < mtu) throw new ConfigError("ip.maxDatagram", maxDatagram + " is below interface.mtu = " + mtu)
    const spiHz = int("spi.hz", o.spiHz, DEFAULT_SPI_HZ, 100000, 80000000)
    if (o.chip === "enc28j60" && spiHz > 20000000) throw new ConfigError("spi.hz", spiHz + " is over the ENC28J60's SPI clock limit of 20000000 Hz")

    const tel = o.telemetry
    let collector = 0
    let port = 8125
    if (tel) {
        let c = tel.collector
        const colon = c.indexOf(":")
        if (colon >= 0) {
            port = parseInt(c.slice(colon + 1))
            c = c.slice(0, colon)
        }
        collector = ipv4("telemetry.collector", c)
        if (collector === address) throw new ConfigError("telemetry.collector", '"' + c + "\" is the interface's own address (interface.address)")
        if (address !== 0 && (collector & mask) >>> 0 !== net && gateway === 0 && routes.length === 0)
            throw new ConfigError("telemetry.collector", '"' + c + '" is not reachable: it is outside the interface subnet and there is no gateway or route')
        port = int("telemetry.port", tel.port === undefined ? port : tel.port, 8125, 1, 65535)
    }
    const format = tel && tel.format ? tel.format : "statsd"
    if (format !== "statsd" && format !== "influx") throw new ConfigError("telemetry.format", '"' + format + '" is not one of "statsd", "influx"')

    return {
        board: o.board || (o.chip === "w5500" ? "esp32_devkit_w5500" : "esp32_devkit_enc28j60"),
        chip: o.chip,
        spiHz,
        mac,
        address: byDhcp ? 0 : address,
        prefix,
        gateway,
        mtu,
        routes,
        arp,
        fibCapacity: fib,
        neighCapacity: neighbours,
        hookRuleCapacity: hookRules,
        neighRetransMs: int("neighbour.retransmitMs", n.retransmitMs, 1000, 100, 60000),
        neighProbes: int("neighbour.probes", n.probes, 3, 1, 10),
        neighReachableMs: int("neighbour.reachableMs", n.reachableMs, 30000, 1000, 3600000),
        neighPendingPackets: int("neighbour.pendingPackets", n.pendingPackets, 8, 1, 64),
        neighPendingBytes: pendingBytes,
        qdiscLimitPackets: int("qdisc.limitPackets", q.limitPackets, 16, 1, 256),
        qdiscLimitBytes: limitBytes,
        defaultTtl: int("ip.defaultTtl", ip.defaultTtl, 64, 1, 255),
        maxDatagram,
        icmpRatePerSec: int("ip.icmpRatePerSecond", ip.icmpRatePerSecond, 10, 0, 1000),
        collector,
        collectorPort: port,
        telemetryFormat: format,
        telemetryIntervalMs: int("telemetry.intervalMs", tel ? tel.intervalMs : undefined, 1000, 100, 3600000),
        telemetryPrefix: tel && tel.prefix !== undefined ? tel.prefix : "board",
        dhcp: byDhcp ? dhcpConfig(dh, address) : undefined,
    }
}

function dhcpConfig(d: { hostName?: string; retransmitMs?: number; fallbackMs?: number }, fallbackAddress: number): DhcpConfig {
    const hostName = d.hostName || ""
    // RFC 1123 label, as the schema's pattern: letters, digits, inner hyphens, at most 32 here
    let ok = hostName.length <= 32 && hostName.charAt(0) !== "-" && hostName.charAt(hostName.length - 1) !== "-"
    for (let i = 0; i < hostName.length && ok; i++) {
        const c = hostName.charCodeAt(i)
        ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45
    }
    if (!ok) throw new ConfigError("dhcp.hostName", '"' + hostName + '" is not a host name (RFC 1123: letters, digits and inner hyphens, at most 32)')
    return {
        hostName,
        retransmitMs: int("dhcp.retransmitMs", d.retransmitMs, 4000, 100, 64000),
        fallbackMs: int("dhcp.fallbackMs", d.fallbackMs, 30000, 0, 3600000),
        fallbackAddress,
    }
}
