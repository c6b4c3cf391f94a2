// devicescript.json -> src/config/generated.ts
//
//   tsx host/config/generate.ts [--config FILE] [--out FILE] [--check]
//
// Validates the configuration (host/config/validate.ts) and writes the DeviceScript module the firmware
// imports: `export const CONFIG: StackConfig = { ... }`. On errors it prints one line per error to
// stderr and exits 1 without writing. `--check` validates only.

import * as fs from "node:fs"
import * as path from "node:path"
import type { BoardPins, PinRoleNames, StackConfig } from "../../src/config/types"
import { ConfigError, REPO_ROOT, StackConfigHost, ValidateResult, formatError, formatIpv4, validateConfig } from "./validate"
import { readArgs } from "../cli"

export const DEFAULT_CONFIG = path.join(REPO_ROOT, "devicescript.json")
export const DEFAULT_OUT = path.join(REPO_ROOT, "src", "config", "generated.ts")

function hex32(n: number): string {
    return "0x" + (n >>> 0).toString(16).padStart(8, "0")
}

function macLiteral(mac: number[]): string {
    return "hex`" + mac.map(b => b.toString(16).padStart(2, "0")).join(" ") + "`"
}

function str(s: string): string {
    return JSON.stringify(s)
}

export interface RenderOptions {
    /** Shown in the header: the file the module was generated from. Default `devicescript.json`. */
    source?: string
    /**
     * GPIO numbers of the roles on the board (ValidateResult.pins). Without them PINS is undefined
     * and the firmware refuses to start on a board (the simulator does not need them).
     */
    pins?: BoardPins
}

/** The text of `src/config/generated.ts` for a validated configuration. */
export function renderConfigModule(c: StackConfigHost, opts: RenderOptions = {}): string {
    const source = opts.source ?? "devicescript.json"
    const addr = (n: number, none?: string) =>
        `${hex32(n)}, // ${formatIpv4(n)}${n === 0 && none ? ` (${none})` : ""}`

    const routes = c.routes.length
        ? "[\n" +
          c.routes
              .map(r => {
                  const what = `${formatIpv4(r.dest)}/${r.prefix}` + (r.gateway ? ` via ${formatIpv4(r.gateway)}` : "")
                  return (
                      `        { dest: ${hex32(r.dest)}, prefix: ${r.prefix}, gateway: ${hex32(r.gateway)}, ` +
                      `kind: ${str(r.kind)}, metric: ${r.metric}, ttl: ${r.ttl} }, // ${r.kind} ${what}\n`
                  )
              })
              .join("") +
          "    ],"
        : "[],"
    const arp = c.arp.length
        ? "[\n" +
          c.arp
              .map(a => `        { ip: ${hex32(a.ip)}, mac: ${macLiteral(a.mac)} }, // ${formatIpv4(a.ip)}\n`)
              .join("") +
          "    ],"
        : "[],"

    // One entry per StackConfig field, in the interface's order; the type makes tsc flag a field that
    // is missing here or no longer in the interface.
    const fields: { [K in keyof StackConfig]: string } = {
        board: `${str(c.board)},`,
        chip: `${str(c.chip)},`,
        spiHz: `${c.spiHz},`,
        mac: `${macLiteral(c.mac)},`,
        address: addr(c.address),
        prefix: `${c.prefix},`,
        gateway: addr(c.gateway, "none"),
        mtu: `${c.mtu},`,
        routes,
        arp,
        fibCapacity: `${c.fibCapacity},`,
        neighCapacity: `${c.neighCapacity},`,
        hookRuleCapacity: `${c.hookRuleCapacity},`,
        neighRetransMs: `${c.neighRetransMs},`,
        neighProbes: `${c.neighProbes},`,
        neighReachableMs: `${c.neighReachableMs},`,
        neighPendingPackets: `${c.neighPendingPackets},`,
        neighPendingBytes: `${c.neighPendingBytes},`,
        qdiscLimitPackets: `${c.qdiscLimitPackets},`,
        qdiscLimitBytes: `${c.qdiscLimitBytes},`,
        defaultTtl: `${c.defaultTtl},`,
        maxDatagram: `${c.maxDatagram},`,
        icmpRatePerSec: `${c.icmpRatePerSec},`,
        collector: addr(c.collector),
        collectorPort: `${c.collectorPort},`,
        telemetryFormat: `${str(c.telemetryFormat)},`,
        telemetryIntervalMs: `${c.telemetryIntervalMs},`,
        telemetryPrefix: `${str(c.telemetryPrefix)},`,
    }
    const d = c.dhcp
    if (d)
        fields.dhcp = `{ hostName: ${str(d.hostName)}, retransmitMs: ${d.retransmitMs}, fallbackMs: ${d.fallbackMs}, fallbackAddress: ${hex32(d.fallbackAddress)} }, // fallback ${d.fallbackAddress === 0 ? "link-local" : formatIpv4(d.fallbackAddress)}`
    const m = c.mqtt
    if (m)
        fields.mqtt = `{ clientId: ${str(m.clientId)}, topic: ${str(m.topic)}, qos: ${m.qos}, keepAlive: ${m.keepAlive}, perMetric: ${m.perMetric}, username: ${str(m.username)}, password: ${str(m.password)} },`
    const addrs = (l: number[]) => `[${l.map(hex32).join(", ")}], // ${l.map(formatIpv4).join(", ")}`
    if (c.collectorName !== undefined) fields.collectorName = `${str(c.collectorName)},`
    if (c.dnsServers) fields.dnsServers = addrs(c.dnsServers)
    if (c.ntpServers) fields.ntpServers = addrs(c.ntpServers)
    // blank lines between the groups of the interface
    const groupStarts = new Set(["mac", "routes", "fibCapacity", "neighRetransMs", "qdiscLimitPackets", "defaultTtl", "collector"])
    const body = (Object.keys(fields) as (keyof StackConfig)[])
        .map(k => (groupStarts.has(k) ? "\n" : "") + `    ${k}: ${fields[k]}\n`)
        .join("")

    const p = opts.pins
    const pins = p
        ? `/** GPIO numbers of devicescript.json's pins (${(Object.keys(c.pins) as (keyof PinRoleNames)[]).map(k => `${k} ${c.pins[k]}`).join(", ")}) on boards/${c.board}.board.json; -1 = not connected. */\n` +
          `export const PINS: BoardPins = { sck: ${p.sck}, mosi: ${p.mosi}, miso: ${p.miso}, cs: ${p.cs}, int: ${p.int}, reset: ${p.reset} }\n`
        : `/** No board file was read: the firmware runs in the simulator only. */\n` +
          `export const PINS: BoardPins | undefined = undefined\n`

    return (
        `// Generated by host/config/generate.ts from ${source} - do not edit.\n` +
        `// Change ${source} and run \`npm run config\` instead.\n` +
        `import { BoardPins, ChipKind, StackConfig } from "./types"\n` +
        `\n` +
        `export const CONFIG: StackConfig = {\n` +
        body +
        `}\n` +
        `\n` +
        pins +
        `\n` +
        `/** CONFIG.chip as a constant: the compiler folds CHIP === "..." and links one driver. */\n` +
        `export const CHIP: ChipKind = ${str(c.chip)}\n` +
        `/** interface.address is "dhcp": the compiler folds DHCP and links the DHCP client only then. */\n` +
        `export const DHCP = ${c.dhcp ? "true" : "false"}\n` +
        `\n` +
        `/** A collector given by name: the compiler folds this and links the resolver (and clock) only then. */\n` +
        `export const COLLECTOR_BY_NAME = ${c.collectorName !== undefined}\n` +
        `/** telemetry.format is "mqtt": the compiler folds MQTT and links TCP and the MQTT client only then. */\n` +
        `export const MQTT = ${c.mqtt ? "true" : "false"}\n` +
        `/** telemetry.format is "influx": the compiler folds INFLUX and links one line encoder (Influx or StatsD). */\n` +
        `export const INFLUX = ${c.telemetryFormat === "influx"}\n`
    )
}

/** Offset and description of the first syntax error in `text` read as strict JSON, or undefined. */
export function jsonSyntaxError(text: string): { offset: number; what: string } | undefined {
    let i = 0
    const fail = (what: string): never => {
        throw { offset: i, what }
    }
    const found = () => (i >= text.length ? "the end of the file" : JSON.stringify(text[i]))
    const ws = () => {
        while (i < text.length && " \t\r\n".includes(text[i])) i++
    }
    const string = () => {
        i++ // opening quote
        while (i < text.length) {
            const ch = text[i]
            if (ch === '"') {
                i++
                return
            }
            if (ch === "\\") {
                i++
                if (text[i] === "u") {
                    if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail("bad \\u escape in a string")
                    i += 5
                } else if (i < text.length && '"\\/bfnrt'.includes(text[i])) i++
                else fail(`bad escape in a string`)
            } else if (ch < " ") fail("line break or control character inside a string")
            else i++
        }
        fail("unterminated string")
    }
    const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y
    const value = (): void => {
        ws()
        const ch = text[i]
        if (ch === "{") {
            i++
            ws()
            if (text[i] === "}") return void i++
            for (;;) {
                ws()
                if (text[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`)
                string()
                ws()
                if (text[i] !== ":") fail(`expected ':' after the property name, found ${found()}`)
                i++
                value()
                ws()
                if (text[i] === ",") i++
                else if (text[i] === "}") return void i++
                else fail(`expected ',' or '}' after a property value, found ${found()}`)
            }
        } else if (ch === "[") {
            i++
            ws()
            if (text[i] === "]") return void i++
            for (;;) {
                value()
                ws()
                if (text[i] === ",") i++
                else if (text[i] === "]") return void i++
                else fail(`expected ',' or ']' after an array element, found ${found()}`)
            }
        } else if (ch === '"') string()
        else if (ch === "-" || (ch >= "0" && ch <= "9")) {
            NUMBER.lastIndex = i
            const m = NUMBER.exec(text)
            if (!m) fail(`bad number`)
            i += m![0].length
        } else if (text.startsWith("true", i)) i += 4
        else if (text.startsWith("false", i)) i += 5
        else if (text.startsWith("null", i)) i += 4
        else fail(`expected a value, found ${found()}`)
    }
    try {
        value()
        ws()
        if (i < text.length) fail(`unexpected ${found()} after the end of the JSON value`)
        return undefined
    } catch (e) {
        if (e && typeof (e as any).offset === "number") return e as { offset: number; what: string }
        throw e
    }
}

function jsonErrorMessage(e: Error, text: string): string {
    const where = jsonSyntaxError(text)
    if (!where) return `invalid JSON: ${e.message.split("\n")[0]}`
    const before = text.slice(0, where.offset).split("\n")
    return `invalid JSON at line ${before.length} column ${before[before.length - 1].length + 1}: ${where.what}`
}

export type LoadResult = ValidateResult

/** Reads and validates a configuration file. */
export function loadConfigFile(file: string, boardsDir?: string | null): LoadResult {
    let text: string
    try {
        text = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "") // an editor's byte-order mark
    } catch (e) {
        return { errors: [{ path: "", value: file, message: `cannot read the file: ${(e as Error).message}` }] }
    }
    let json: unknown
    try {
        json = JSON.parse(text)
    } catch (e) {
        return { errors: [{ path: "", value: undefined, message: jsonErrorMessage(e as Error, text) }] }
    }
    return validateConfig(json, { boardsDir })
}

/** A path as the user will recognise it: relative to the working directory when inside it. */
function shownPath(p: string, base = process.cwd()): string {
    const rel = path.relative(base, p)
    return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : p
}

const USAGE = `usage: tsx host/config/generate.ts [--config FILE] [--out FILE] [--check]
  --config FILE   configuration to read (default: devicescript.json at the repo root)
  --out FILE      module to write (default: src/config/generated.ts)
  --check         validate only, write nothing`

/** A bad command line (usageMessage) or --help (undefined). */
class UsageError extends Error {
    constructor(readonly usageMessage?: string) {
        super(usageMessage ?? "usage")
    }
}

/** The CLI; returns the exit code. */
export function main(argv: string[]): number {
    let v
    try {
        v = readArgs(argv, { config: { type: "string" }, out: { type: "string" }, check: { type: "boolean" } }, (msg?: string): never => {
            throw new UsageError(msg)
        })
    } catch (e) {
        if (!(e instanceof UsageError)) throw e
        if (e.usageMessage === undefined) {
            console.log(USAGE)
            return 0
        }
        console.error(`generate: ${e.usageMessage}\n${USAGE}`)
        return 2
    }
    const configFile = v.config !== undefined ? path.resolve(v.config) : DEFAULT_CONFIG
    const outFile = v.out !== undefined ? path.resolve(v.out) : DEFAULT_OUT
    const check = !!v.check

    const label = shownPath(configFile)
    const { config, errors, pins } = loadConfigFile(configFile)
    if (!config || errors.length) {
        for (const e of errors) console.error(formatError(e, label))
        return 1
    }
    if (check) {
        console.log(`${label}: ok`)
        return 0
    }
    const source = shownPath(configFile, REPO_ROOT)
    const text = renderConfigModule(config, { source, pins })
    const outLabel = shownPath(outFile)
    let old: string | undefined
    try {
        old = fs.readFileSync(outFile, "utf8")
    } catch {
        old = undefined
    }
    if (old === text) {
        console.log(`${outLabel} is up to date`)
        return 0
    }
    fs.mkdirSync(path.dirname(outFile), { recursive: true })
    fs.writeFileSync(outFile, text)
    console.log(`wrote ${outLabel} from ${label}`)
    return 0
}

if (require.main === module) process.exitCode = main(process.argv.slice(2))
