// Validation of devicescript.json: ajv checks the shape against devicescript.schema.json (and fills in
// defaults), then the semantic checks below look at what the schema cannot express (subnets, routes,
// table capacities, the board file). Every error names the field (a path like `routes[1].dest`) and
// the offending value.

import * as fs from "node:fs"
import * as path from "node:path"
import Ajv, { ErrorObject, ValidateFunction } from "ajv"
import type { BoardPins, ChipKind, MqttTelemetryConfig, PinRoleNames, RouteKind, StackConfig } from "../../src/config/types"
import { BOARD_SUFFIX, PinRoles, Role, boardChip, checkBoardJson } from "./boards"

export const REPO_ROOT = path.resolve(__dirname, "..", "..")
export const SCHEMA_PATH = path.join(__dirname, "devicescript.schema.json")
export const DEFAULT_BOARDS_DIR = path.join(REPO_ROOT, "boards")

/** Six octets. */
export type MacBytes = number[]

export interface StaticNeighbourHost {
    ip: number
    mac: MacBytes
}

/**
 * `StackConfig` as the host holds it: MACs are byte arrays (a DeviceScript `Buffer` in the firmware),
 * and the pin role names (the generator turns them into PINS; the firmware does not carry them).
 */
export type StackConfigHost = Omit<StackConfig, "mac" | "arp"> & {
    mac: MacBytes
    arp: StaticNeighbourHost[]
    pins: PinRoleNames
}

export interface ConfigError {
    /** Dotted path of the field, e.g. `interface.address`, `routes[1].dest`; "" for the whole file. */
    path: string
    /** The offending value (undefined for a missing field). */
    value: unknown
    /** What is wrong; it contains the value. */
    message: string
    /** The file the error is in when it is not the configuration itself (a board file), as shown. */
    file?: string
}

export interface ValidateOptions {
    /**
     * Folder holding `<board>.board.json` files. Default: `boards/` at the repo root. `null` skips the
     * board checks. The checks are skipped too while the folder holds no `*.board.json`.
     */
    boardsDir?: string | null
}

export interface ValidateResult {
    config?: StackConfigHost
    errors: ConfigError[]
    /** GPIO numbers of the roles on the board, when its board file was checked (see boardsDir). */
    pins?: BoardPins
    /** The board's DeviceScript architecture, when its board file was checked. */
    archId?: string
}

/** The JSON as a person writes it, after the schema has accepted it and filled in the defaults. */
interface UserConfig {
    board: string
    chip: ChipKind
    pins: PinRoleNames
    spi: { hz: number }
    interface: { mac: string; address: string; prefix: number; gateway?: string; mtu: number }
    dhcp: { hostName: string; retransmitMs: number; fallbackMs: number; fallbackAddress?: string }
    routes: { dest: string; via?: string; type: RouteKind; metric: number; ttl: number }[]
    arp: { ip: string; mac: string }[]
    tables: { fib: number; neighbours: number; hookRules: number }
    neighbour: {
        retransmitMs: number
        probes: number
        reachableMs: number
        pendingPackets: number
        pendingBytes: number
    }
    qdisc: { limitPackets: number; limitBytes: number }
    ip: { defaultTtl: number; maxDatagram: number; icmpRatePerSecond: number }
    telemetry: {
        collector: string
        port?: number
        format: "statsd" | "influx" | "mqtt"
        intervalMs: number
        prefix: string
        mqtt?: {
            clientId?: string
            topicPrefix?: string
            qos: number
            keepAlive: number
            perMetric: boolean
            username?: string
            password?: string
        }
    }
    dns?: { servers?: string[] }
    ntp?: { servers?: string[] }
}

/** Ethernet header bytes on top of the MTU: one full frame is `mtu + ETH_HLEN`. */
export const ETH_HLEN = 14
/** The ENC28J60's SPI clock limit. */
export const ENC28J60_MAX_SPI_HZ = 20000000

// ---------------------------------------------------------------------------------------------------
// Addresses

/** Why `s` is not a canonical dotted-quad IPv4 address, or undefined when it is one. */
export function ipv4Problem(s: string): string | undefined {
    const parts = s.split(".")
    if (parts.length !== 4) return `it has ${parts.length} part${parts.length === 1 ? "" : "s"}, expected 4`
    for (const p of parts) {
        if (p === "") return "it has an empty octet"
        if (!/^[0-9]+$/.test(p)) return `octet ${JSON.stringify(p)} is not a decimal number`
        if (p.length > 1 && p[0] === "0") return `octet ${JSON.stringify(p)} has a leading zero`
        if (Number(p) > 255) return `octet ${p} is over 255`
    }
    return undefined
}

/** The address as an unsigned 32-bit number, or undefined if it is not a canonical dotted quad. */
export function parseIpv4(s: string): number | undefined {
    if (ipv4Problem(s) !== undefined) return undefined
    const [a, b, c, d] = s.split(".").map(Number)
    return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0
}

export function formatIpv4(n: number): string {
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".")
}

export function ipv4Message(s: string): string | undefined {
    const p = ipv4Problem(s)
    return p === undefined ? undefined : `${JSON.stringify(s)} is not a dotted-quad IPv4 address (${p})`
}

/**
 * Why `s` is neither a dotted-quad IPv4 address nor a host name (RFC 1123 §2.1: labels of letters,
 * digits and hyphens, 1-63 characters, not starting or ending with a hyphen; 253 characters in all;
 * not all digits and dots), or undefined when it is one of them.
 */
export function hostMessage(s: string): string | undefined {
    const q = JSON.stringify(s)
    if (/^[0-9.]+$/.test(s)) return ipv4Message(s)
    const name = s.endsWith(".") ? s.slice(0, -1) : s
    if (name.length === 0 || name.length > 253) return `${q} is not a dotted-quad IPv4 address nor a host name (1 to 253 characters)`
    for (const l of name.split(".")) {
        if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))
            return `${q} is not a dotted-quad IPv4 address nor a host name (label ${JSON.stringify(l)}: 1-63 letters, digits or inner hyphens)`
    }
    return undefined
}

/** Why `s` is not `a.b.c.d/len`, as a whole message, or undefined when it is fine. */
export function cidrMessage(s: string): string | undefined {
    const q = JSON.stringify(s)
    const slash = s.split("/")
    if (slash.length !== 2) return `${q} is not in CIDR form a.b.c.d/len (e.g. 198.51.100.0/24)`
    const [addr, len] = slash
    const p = ipv4Problem(addr)
    if (p !== undefined) return `${q} is not a dotted-quad IPv4 address in CIDR form (${p})`
    if (!/^(0|[1-9][0-9]*)$/.test(len)) return `${q}: prefix length ${JSON.stringify(len)} is not a number`
    if (Number(len) > 32) return `${q}: prefix length ${len} is over 32`
    return undefined
}

export function parseCidr(s: string): { addr: number; prefix: number } | undefined {
    if (cidrMessage(s) !== undefined) return undefined
    const [addr, len] = s.split("/")
    return { addr: parseIpv4(addr)!, prefix: Number(len) }
}

export function prefixMask(prefix: number): number {
    return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

function network(addr: number, prefix: number): number {
    return (addr & prefixMask(prefix)) >>> 0
}

function broadcastOf(addr: number, prefix: number): number {
    return (network(addr, prefix) | ~prefixMask(prefix)) >>> 0
}

function cidrText(addr: number, prefix: number): string {
    return `${formatIpv4(addr)}/${prefix}`
}

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/

export function macMessage(s: string): string | undefined {
    return MAC_RE.test(s)
        ? undefined
        : `${JSON.stringify(s)} is not a MAC address (expected six two-digit hex octets separated by ':', e.g. 02:00:5e:10:00:0a)`
}

export function parseMac(s: string): MacBytes | undefined {
    return MAC_RE.test(s) ? s.split(":").map(h => parseInt(h, 16)) : undefined
}

/** Why a (well-formed) MAC cannot be a host's address, or undefined. */
function macHostProblem(mac: MacBytes): string | undefined {
    if (mac.every(b => b === 0xff)) return "is the broadcast MAC address"
    if (mac[0] & 1) return "is a multicast MAC address (group bit set in the first octet)"
    if (mac.every(b => b === 0)) return "is the all-zeros MAC address"
    return undefined
}

// ---------------------------------------------------------------------------------------------------
// Messages

function show(v: unknown): string {
    if (v === undefined) return "undefined"
    const s = JSON.stringify(v)
    return s.length > 80 ? s.slice(0, 77) + "..." : s
}

function pathOf(segments: (string | number)[]): string {
    let out = ""
    for (const s of segments) {
        if (typeof s === "number") out += `[${s}]`
        else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)) out += out ? `.${s}` : s
        else out += `[${JSON.stringify(s)}]`
    }
    return out
}

function pointerSegments(pointer: string): (string | number)[] {
    if (!pointer) return []
    return pointer
        .split("/")
        .slice(1)
        .map(s => s.replace(/~1/g, "/").replace(/~0/g, "~"))
        .map(s => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s))
}

function editDistance(a: string, b: string): number {
    const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j)
    for (let i = 1; i <= a.length; i++) {
        let prev = d[0]
        d[0] = i
        for (let j = 1; j <= b.length; j++) {
            const t = d[j]
            d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1))
            prev = t
        }
    }
    return d[b.length]
}

/** The closest candidate to `name` if it is a plausible typo of it. */
function closest(name: string, candidates: string[]): string | undefined {
    let best: string | undefined
    let bestD = Infinity
    for (const c of candidates) {
        const dist = editDistance(name, c)
        if (dist < bestD) {
            bestD = dist
            best = c
        }
    }
    return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}

function listNames(names: string[], max = 24): string {
    return names.length > max ? names.slice(0, max).join(", ") + `, ... (${names.length} in all)` : names.join(", ")
}

/**
 * One line: `devicescript.json: interface.address: "192.0.2.300" is not a dotted-quad IPv4 address`.
 * An error in a board file names that file instead of `file`.
 */
export function formatError(e: ConfigError, file = "devicescript.json"): string {
    const f = e.file ?? file
    return e.path ? `${f}: ${e.path}: ${e.message}` : `${f}: ${e.message}`
}

// ---------------------------------------------------------------------------------------------------
// Shape (ajv)

let compiled: ValidateFunction | undefined

function schemaValidator(): ValidateFunction {
    if (compiled) return compiled
    const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true })
    ajv.addFormat("ipv4", { type: "string", validate: (s: string) => ipv4Problem(s) === undefined })
    ajv.addFormat("ipv4-or-dhcp", { type: "string", validate: (s: string) => s === "dhcp" || ipv4Problem(s) === undefined })
    ajv.addFormat("ipv4-cidr", { type: "string", validate: (s: string) => cidrMessage(s) === undefined })
    ajv.addFormat("mac", { type: "string", validate: (s: string) => MAC_RE.test(s) })
    ajv.addFormat("host", { type: "string", validate: (s: string) => hostMessage(s) === undefined })
    const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8"))
    compiled = ajv.compile(schema)
    return compiled
}

function article(type: string): string {
    return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`
}

function shapeError(e: ErrorObject): ConfigError {
    const segs = pointerSegments(e.instancePath)
    const value = e.data
    const p = e.params as Record<string, any>
    switch (e.keyword) {
        case "required":
            return {
                path: pathOf([...segs, p.missingProperty]),
                value: undefined,
                message: "is required but missing",
            }
        case "additionalProperties": {
            const name: string = p.additionalProperty
            const allowed = Object.keys((e.parentSchema as any)?.properties ?? {}).filter(k => k !== "$schema")
            const guess = closest(name, allowed)
            return {
                path: pathOf([...segs, name]),
                value: (value as any)?.[name],
                message:
                    `unknown field ${JSON.stringify(name)} = ${show((value as any)?.[name])}` +
                    (guess ? ` (did you mean ${JSON.stringify(guess)}?)` : "") +
                    `; allowed: ${allowed.join(", ")}`,
            }
        }
        case "type": {
            const what = Array.isArray(value) ? "an array" : value === null ? "null" : undefined
            return {
                path: pathOf(segs),
                value,
                message: `${show(value)} is not ${article(String(p.type))}` + (what ? ` (it is ${what})` : ""),
            }
        }
        case "enum":
            return {
                path: pathOf(segs),
                value,
                message: `${show(value)} is not one of ${(p.allowedValues as unknown[]).map(show).join(", ")}`,
            }
        case "minimum":
        case "exclusiveMinimum":
            return { path: pathOf(segs), value, message: `${show(value)} is below the minimum ${p.limit}` }
        case "maximum":
        case "exclusiveMaximum":
            return { path: pathOf(segs), value, message: `${show(value)} is over the maximum ${p.limit}` }
        case "minLength":
            return {
                path: pathOf(segs),
                value,
                message: p.limit === 1 ? `${show(value)} is empty` : `${show(value)} is shorter than ${p.limit} characters`,
            }
        case "maxLength":
            return { path: pathOf(segs), value, message: `${show(value)} is longer than ${p.limit} characters` }
        case "pattern":
            return { path: pathOf(segs), value, message: `${show(value)} does not match the pattern ${p.pattern}` }
        case "format": {
            const s = String(value)
            const message =
                p.format === "ipv4"
                    ? ipv4Message(s)
                    : p.format === "ipv4-or-dhcp"
                    ? (ipv4Message(s) ?? "") + (/^[a-z]/i.test(s) ? ', nor "dhcp" (an address from a DHCP server)' : "")
                    : p.format === "ipv4-cidr"
                    ? cidrMessage(s)
                    : p.format === "mac"
                    ? macMessage(s)
                    : p.format === "host"
                    ? hostMessage(s)
                    : undefined
            return { path: pathOf(segs), value, message: message ?? `${show(value)} is not in the format ${p.format}` }
        }
        default:
            return { path: pathOf(segs), value, message: `${show(value)} ${e.message ?? "is invalid"}` }
    }
}

function shapeErrors(errors: ErrorObject[]): ConfigError[] {
    const out: ConfigError[] = []
    const typeFailed = new Set(errors.filter(e => e.keyword === "type").map(e => e.instancePath))
    const seen = new Set<string>()
    for (const e of errors) {
        // a value of the wrong type also fails `enum` etc.; the type error says it all
        if (e.keyword !== "type" && typeFailed.has(e.instancePath) && e.keyword !== "required") continue
        const ce = shapeError(e)
        const key = ce.path + "\n" + ce.message
        if (seen.has(key)) continue
        seen.add(key)
        out.push(ce)
    }
    return out
}

// ---------------------------------------------------------------------------------------------------
// Semantics

function semanticErrors(c: UserConfig, opts: ValidateOptions): ValidateResult {
    const errors: ConfigError[] = []
    const err = (p: string, value: unknown, message: string) => errors.push({ path: p, value, message })

    // --- interface
    const ifc = c.interface
    const mac = parseMac(ifc.mac)!
    const macProblem = macHostProblem(mac)
    if (macProblem) err("interface.mac", ifc.mac, `${show(ifc.mac)} ${macProblem}; the interface needs a unicast MAC address`)

    // "dhcp": the address comes from a lease; the static checks below apply to the fallback address
    // when one is given, and whatever needs an address on-link is refused without one
    const dhcp = ifc.address === "dhcp"
    const addrPath = dhcp ? "dhcp.fallbackAddress" : "interface.address"
    const addrText = dhcp ? c.dhcp.fallbackAddress : ifc.address
    const noAddr = addrText === undefined
    const addr = noAddr ? 0 : parseIpv4(addrText)!
    const prefix = ifc.prefix
    const net = network(addr, prefix)
    const bcast = broadcastOf(addr, prefix)
    const subnet = cidrText(net, prefix)
    const first = noAddr ? 1 : addr >>> 24
    if (first === 0) err(addrPath, addrText, `${show(addrText)} is in 0.0.0.0/8 ("this network"); the interface needs a unicast address`)
    else if (first === 127) err(addrPath, addrText, `${show(addrText)} is a loopback address; the interface needs a unicast address`)
    else if (first >= 224 && first < 240) err(addrPath, addrText, `${show(addrText)} is a multicast address; the interface needs a unicast address`)
    else if (first >= 240) err(addrPath, addrText, `${show(addrText)} is a reserved/broadcast address; the interface needs a unicast address`)
    else if (!noAddr && prefix <= 30 && addr === net) err(addrPath, addrText, `${show(addrText)} is the network address of ${subnet}`)
    else if (!noAddr && prefix <= 30 && addr === bcast) err(addrPath, addrText, `${show(addrText)} is the broadcast address of ${subnet}`)

    /** Checks for an address the stack must reach directly on the link (gateway, via, static neighbour). */
    const checkOnLink = (p: string, s: string): number => {
        const a = parseIpv4(s)!
        if (noAddr) err(p, s, `${show(s)} must be on-link, which needs a static address: with interface.address "dhcp" set dhcp.fallbackAddress`)
        else if (network(a, prefix) !== net) err(p, s, `${show(s)} is not on-link: it is outside the interface subnet ${subnet}`)
        else if (a === addr) err(p, s, `${show(s)} is the interface's own address (interface.address)`)
        else if (prefix <= 30 && a === net) err(p, s, `${show(s)} is the network address of ${subnet}`)
        else if (prefix <= 30 && a === bcast) err(p, s, `${show(s)} is the broadcast address of ${subnet}`)
        return a
    }

    const gateway = ifc.gateway !== undefined ? checkOnLink("interface.gateway", ifc.gateway) : 0

    // --- sizes
    const frame = ifc.mtu + ETH_HLEN
    if (c.ip.maxDatagram < ifc.mtu)
        err("ip.maxDatagram", c.ip.maxDatagram, `${c.ip.maxDatagram} is below interface.mtu = ${ifc.mtu}; the largest datagram must be at least one MTU`)
    if (c.qdisc.limitBytes < frame)
        err("qdisc.limitBytes", c.qdisc.limitBytes, `${c.qdisc.limitBytes} cannot hold one full frame of ${frame} bytes (interface.mtu ${ifc.mtu} + ${ETH_HLEN}-byte Ethernet header)`)
    if (c.neighbour.pendingBytes < frame)
        err("neighbour.pendingBytes", c.neighbour.pendingBytes, `${c.neighbour.pendingBytes} cannot hold one full frame of ${frame} bytes (interface.mtu ${ifc.mtu} + ${ETH_HLEN}-byte Ethernet header)`)

    // --- chip
    if (c.chip === "enc28j60" && c.spi.hz > ENC28J60_MAX_SPI_HZ)
        err("spi.hz", c.spi.hz, `${c.spi.hz} is over the ENC28J60's SPI clock limit of ${ENC28J60_MAX_SPI_HZ} Hz`)

    // --- pins: one pin per role
    const roles = Object.keys(c.pins) as (keyof PinRoleNames)[]
    const usedBy = new Map<string, string>()
    for (const role of roles) {
        const pin = c.pins[role]!
        const other = usedBy.get(pin)
        if (other !== undefined) err(`pins.${role}`, pin, `${show(pin)} is already used by pins.${other}`)
        else usedBy.set(pin, role)
    }
    const board = checkBoard(c, opts, err, errors)

    // --- routes
    const routes: StackConfigHost["routes"] = []
    const seenRoutes = new Map<string, number>()
    c.routes.forEach((r, i) => {
        const base = `routes[${i}]`
        const { addr: dest, prefix: rp } = parseCidr(r.dest)!
        const dnet = network(dest, rp)
        if (dnet !== dest)
            err(`${base}.dest`, r.dest, `${show(r.dest)} has host bits set (the network is ${cidrText(dnet, rp)})`)
        const key = cidrText(dnet, rp)
        const prev = seenRoutes.get(key)
        if (prev !== undefined) err(`${base}.dest`, r.dest, `${show(r.dest)} duplicates routes[${prev}] (${key})`)
        else if (!noAddr && dnet === net && rp === prefix)
            err(`${base}.dest`, r.dest, `${show(r.dest)} duplicates the connected route ${subnet} derived from interface.address/prefix`)
        else if (rp === 0 && ifc.gateway !== undefined)
            err(`${base}.dest`, r.dest, `${show(r.dest)} duplicates the default route derived from interface.gateway`)
        if (prev === undefined) seenRoutes.set(key, i)

        let via = 0
        if (r.via !== undefined) {
            if (r.type !== "unicast") err(`${base}.via`, r.via, `${show(r.via)} is not allowed: a ${r.type} route has no gateway`)
            else if (dhcp) err(`${base}.via`, r.via, `${show(r.via)}: a route through a gateway is installed at start-up, before a DHCP lease gives the address that makes it on-link; use a static interface.address`)
            else via = checkOnLink(`${base}.via`, r.via)
        }
        routes.push({ dest: dnet, prefix: rp, gateway: via, kind: r.type, metric: r.metric, ttl: r.ttl })
    })
    // a lease brings a connected and (usually) a default route
    const derived = dhcp ? 2 : 1 + (ifc.gateway !== undefined ? 1 : 0)
    const fibNeeded = c.routes.length + derived
    if (fibNeeded > c.tables.fib) {
        const n = c.routes.length
        err(
            "routes",
            n,
            `${n} route${n === 1 ? "" : "s"} + connected${ifc.gateway !== undefined ? " + default" : ""} = ${fibNeeded} exceeds tables.fib = ${c.tables.fib}`
        )
    }

    // --- static neighbours
    const arp: StaticNeighbourHost[] = []
    const seenArp = new Map<number, number>()
    c.arp.forEach((a, i) => {
        const ip = checkOnLink(`arp[${i}].ip`, a.ip)
        const prev = seenArp.get(ip)
        if (prev !== undefined) err(`arp[${i}].ip`, a.ip, `${show(a.ip)} duplicates arp[${prev}].ip`)
        else seenArp.set(ip, i)
        const m = parseMac(a.mac)!
        const problem = macHostProblem(m)
        if (problem) err(`arp[${i}].mac`, a.mac, `${show(a.mac)} ${problem}; a neighbour's address must be unicast`)
        arp.push({ ip, mac: m })
    })
    if (c.arp.length > c.tables.neighbours)
        err("arp", c.arp.length, `${c.arp.length} static entries exceed tables.neighbours = ${c.tables.neighbours}`)

    // --- telemetry collector
    const t = c.telemetry
    // a host name: resolved at run time (src/telemetry/named.ts), so the checks of an address wait till then
    const collectorName = parseIpv4(t.collector) === undefined ? t.collector : undefined
    const collector = collectorName === undefined ? parseIpv4(t.collector)! : 0
    const dnsServers = (c.dns?.servers ?? []).map(a => parseIpv4(a)!)
    const ntpServers = (c.ntp?.servers ?? []).map(a => parseIpv4(a)!)
    if (collectorName !== undefined) {
        if (dnsServers.length === 0 && (ifc.address as string) !== "dhcp")
            err("telemetry.collector", t.collector, `${show(t.collector)} is a host name, but dns.servers is empty and the address is not from DHCP: nothing could resolve it`)
    } else if (collector >>> 24 === 0) err("telemetry.collector", t.collector, `${show(t.collector)} is in 0.0.0.0/8 and cannot be a destination`)
    else if (collector >>> 24 === 127) err("telemetry.collector", t.collector, `${show(t.collector)} is a loopback address; the collector must be on the network`)
    else if (collector === addr) err("telemetry.collector", t.collector, `${show(t.collector)} is the interface's own address (interface.address)`)
    else {
        // longest-prefix match over what the FIB will hold
        let best: { prefix: number; kind: RouteKind; name: string } | undefined
        const consider = (d: number, p: number, kind: RouteKind, name: string) => {
            if (network(collector, p) === d && (!best || p > best.prefix)) best = { prefix: p, kind, name }
        }
        if (!noAddr) consider(net, prefix, "unicast", `the connected route ${subnet}`)
        if (ifc.gateway !== undefined) consider(0, 0, "unicast", "the default route")
        routes.forEach((r, i) => consider(r.dest, r.prefix, r.kind, `routes[${i}] (${cidrText(r.dest, r.prefix)})`))
        if (!best && !noAddr)
            err(
                "telemetry.collector",
                t.collector,
                `${show(t.collector)} is not reachable: it is outside ${subnet}, no route covers it and interface.gateway is not set`
            )
        else if (best && best.kind !== "unicast")
            err("telemetry.collector", t.collector, `${show(t.collector)} is not reachable: it matches ${best.name}, a ${best.kind} route`)
    }

    const mqtt = mqttSettings(c, mac, err)

    if (errors.length) return { errors }

    const config: StackConfigHost = {
        board: c.board,
        chip: c.chip,
        pins: { ...c.pins },
        spiHz: c.spi.hz,
        mac,
        address: dhcp ? 0 : addr,
        prefix,
        gateway,
        mtu: ifc.mtu,
        routes,
        arp,
        fibCapacity: c.tables.fib,
        neighCapacity: c.tables.neighbours,
        hookRuleCapacity: c.tables.hookRules,
        neighRetransMs: c.neighbour.retransmitMs,
        neighProbes: c.neighbour.probes,
        neighReachableMs: c.neighbour.reachableMs,
        neighPendingPackets: c.neighbour.pendingPackets,
        neighPendingBytes: c.neighbour.pendingBytes,
        qdiscLimitPackets: c.qdisc.limitPackets,
        qdiscLimitBytes: c.qdisc.limitBytes,
        defaultTtl: c.ip.defaultTtl,
        maxDatagram: c.ip.maxDatagram,
        icmpRatePerSec: c.ip.icmpRatePerSecond,
        collector,
        collectorPort: t.port ?? (t.format === "mqtt" ? MQTT_PORT : STATSD_PORT),
        telemetryFormat: t.format,
        telemetryIntervalMs: t.intervalMs,
        telemetryPrefix: t.prefix,
    }
    if (dhcp)
        config.dhcp = { hostName: c.dhcp.hostName, retransmitMs: c.dhcp.retransmitMs, fallbackMs: c.dhcp.fallbackMs, fallbackAddress: noAddr ? 0 : addr }
    if (mqtt) config.mqtt = mqtt
    if (collectorName !== undefined) config.collectorName = collectorName
    if (dnsServers.length > 0) config.dnsServers = dnsServers
    if (ntpServers.length > 0) config.ntpServers = ntpServers
    return { errors, config, pins: board.pins, archId: board.archId }
}

/** telemetry.port's default: StatsD's UDP port, or with format "mqtt" the broker's TCP port (IANA "mqtt"). */
export const STATSD_PORT = 8125
export const MQTT_PORT = 1883

/** With telemetry.format "mqtt": telemetry.mqtt checked and its defaults filled; undefined otherwise. */
function mqttSettings(c: UserConfig, mac: MacBytes, err: (p: string, v: unknown, m: string) => void): MqttTelemetryConfig | undefined {
    const t = c.telemetry
    if (t.format !== "mqtt") {
        if (t.mqtt) err("telemetry.mqtt", t.mqtt, `is set but telemetry.format is ${show(t.format)}; set telemetry.format to "mqtt" or remove telemetry.mqtt`)
        return undefined
    }
    // a broker by name is checked above like any collector's name (dns.servers or DHCP to resolve it);
    // with DHCP too the firmware leaves less than the 8 KB kept for the user's code (npm run build, W5500:
    // DHCP + DNS + TCP + MQTT about 59 KB of functions), and this combination has no test on the virtual LAN
    if (parseIpv4(t.collector) === undefined && (c.interface.address as string) === "dhcp")
        err(
            "telemetry.collector",
            t.collector,
            `${show(t.collector)}: a broker by host name with interface.address "dhcp" is not supported: the DHCP client, DNS resolver, TCP and MQTT make a board firmware of about 59 KB of DeviceScript's 64 KB of function bytecode, less than 8 KB left for your own code; give the broker's IPv4 address, or a static interface.address with dns.servers`
        )
    const m = t.mqtt ?? { qos: 1, keepAlive: 60, perMetric: false }
    const clientId = m.clientId ?? "ds-" + Array.from(mac, b => b.toString(16).padStart(2, "0")).join("")
    const prefix = m.topicPrefix ?? "devicescript/" + clientId
    // 4.7.1: + and # are wildcards, which a PUBLISH topic must not hold (3.3.2.1); 4.7.2: a topic
    // starting with $ is the server's; 4.7.3: no U+0000. A trailing / would make an empty level.
    const bad = /[+#\u0000]/.exec(prefix)
    if (bad) err("telemetry.mqtt.topicPrefix", prefix, `${show(prefix)} holds ${show(bad[0])}: a wildcard or NUL cannot be in a topic one publishes to (MQTT 3.1.1 sections 4.7.1, 4.7.3)`)
    else if (prefix.startsWith("$")) err("telemetry.mqtt.topicPrefix", prefix, `${show(prefix)} starts with "$": such topics are the broker's (MQTT 3.1.1 section 4.7.2)`)
    else if (prefix.endsWith("/")) err("telemetry.mqtt.topicPrefix", prefix, `${show(prefix)} ends with "/": "/telemetry" is added to it`)
    // 3.1.2.9: a password needs a user name
    if (m.password !== undefined && m.username === undefined)
        err("telemetry.mqtt.password", m.password, "is set without telemetry.mqtt.username: MQTT 3.1.1 (section 3.1.2.9) sends a password only with a user name")
    return {
        clientId,
        topic: prefix + "/telemetry",
        qos: m.qos,
        keepAlive: m.keepAlive,
        perMetric: m.perMetric,
        username: m.username ?? "",
        password: m.password ?? "",
    }
}

function displayPath(p: string): string {
    const rel = path.relative(REPO_ROOT, p)
    return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : p
}

function checkBoard(
    c: UserConfig,
    opts: ValidateOptions,
    err: (p: string, v: unknown, m: string) => void,
    errors: ConfigError[]
): { pins?: BoardPins; archId?: string } {
    const dir = opts.boardsDir === undefined ? DEFAULT_BOARDS_DIR : opts.boardsDir
    if (dir === null) return {}
    let files: string[] = []
    try {
        files = fs.readdirSync(dir).filter(f => f.endsWith(BOARD_SUFFIX)).sort()
    } catch {
        files = []
    }
    if (!files.length) return {} // no boards yet: nothing to check against
    const name = `${c.board}${BOARD_SUFFIX}`
    const file = path.join(dir, name)
    const shown = displayPath(file)
    if (!files.includes(name)) {
        const ids = files.map(f => f.slice(0, -BOARD_SUFFIX.length))
        const guess = closest(c.board, ids)
        err(
            "board",
            c.board,
            `${show(c.board)} has no board file ${shown}` +
                (guess ? ` (did you mean ${JSON.stringify(guess)}?)` : "") +
                `; board files: ${files.map(f => displayPath(path.join(dir, f))).join(", ")}`
        )
        return {}
    }
    let board: any
    try {
        board = JSON.parse(fs.readFileSync(file, "utf8"))
    } catch (e) {
        err("board", c.board, `${show(c.board)}: cannot read ${shown}: ${(e as Error).message}`)
        return {}
    }
    const pins: Record<string, unknown> = board?.pins
    if (!pins || typeof pins !== "object" || Array.isArray(pins)) {
        err("board", c.board, `${show(c.board)}: ${shown} has no "pins" object`)
        return {}
    }
    const names = Object.keys(pins)
    const found: PinRoles = { ...c.pins }
    for (const role of Object.keys(c.pins) as Role[]) {
        const pin = c.pins[role]!
        if (Object.prototype.hasOwnProperty.call(pins, pin)) continue
        delete found[role]
        const guess = closest(pin, names)
        err(
            `pins.${role}`,
            pin,
            `${show(pin)} is not a pin of ${shown}` +
                (guess ? ` (did you mean ${JSON.stringify(guess)}?)` : "") +
                `; its pins: ${listNames(names)}`
        )
    }
    const chip = boardChip(c.board)
    if (chip !== undefined && chip !== c.chip)
        err("chip", c.chip, `${show(c.chip)} is not the chip of board ${show(c.board)}: its id names the ${chip === "w5500" ? "W5500" : "ENC28J60"} (${show(chip)})`)
    // the board file itself, and the roles' pins on it (their errors name the board file)
    const check = checkBoardJson(board, shown, found)
    for (const e of check.errors) errors.push({ path: e.path, value: e.value, message: e.message, file: e.file })
    return errors.length ? {} : { pins: check.pins, archId: check.archId }
}

// ---------------------------------------------------------------------------------------------------

/**
 * Validates the parsed devicescript.json. Returns the firmware configuration when there are no
 * errors. Shape errors (ajv) are reported alone; the semantic checks run once the shape is right.
 */
export function validateConfig(json: unknown, opts: ValidateOptions = {}): ValidateResult {
    const data = json === undefined ? undefined : JSON.parse(JSON.stringify(json)) // defaults are filled in place
    const validate = schemaValidator()
    if (!validate(data)) return { errors: shapeErrors(validate.errors ?? []) }
    return semanticErrors(data as UserConfig, opts)
}
