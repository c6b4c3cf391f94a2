// The DeviceScript custom boards in boards/<id>.board.json: what the DeviceScript CLI itself requires
// of a board file (it checks every file in boards/ on each build, run and flash), and what this
// firmware requires of the pins devicescript.json names (roles) on it. Every problem names the board
// file, the field in it and the pin.
//
// DeviceScript's rules, as its CLI (2.16.x) applies them: the id (the file name) is a word; `archId`
// names a known architecture; `productId` is 0x3xxxxxxx; `devName` is set; every pin is an integer
// GPIO the chip has, not a flash/PSRAM/USB pin, and no GPIO carries two labels (the nested `pin*`
// fields such as `led.pin` and `log.pinTX` count too); settings keys (`pins.<label>`,
// `sPin.<label>`) fit in 15 characters. `sPin.<label>` = 0/1 drives the pin to that level when the
// runtime starts, before the program runs.
//
// The firmware's rules: the roles devicescript.json names exist on the board; sck, mosi, cs and reset
// can drive an output; the chip select idles high (`sPin` 1) and the reset line, when there is one, is
// not held low; on the RP2040, sck/mosi/miso are SPI0 pins in their SPI function (the runtime picks
// the SPI block from the sck pin and its receive DMA reads SPI0 whatever the block, so SPI1 is out).
// The chip select is driven as a plain GPIO by src/drivers/spi-hw.ts: any output pin will do.

import * as fs from "node:fs"
import * as path from "node:path"
import type { BoardPins, ChipKind, PinRoleNames } from "../../src/config/types"

export const BOARD_SUFFIX = ".board.json"

/** A problem in a board file: `file` is the board file as shown to the user, `path` the field in it. */
export interface BoardError {
    file: string
    path: string
    value: unknown
    message: string
}

export type PinRoles = PinRoleNames
export type Role = keyof PinRoles

export const ROLE_NAMES: Record<Role, string> = {
    sck: "SPI clock",
    mosi: "SPI data out (MOSI)",
    miso: "SPI data in (MISO)",
    cs: "chip select",
    int: "interrupt",
    reset: "reset",
}
/** Roles the firmware drives as outputs. */
const OUTPUT_ROLES: Role[] = ["sck", "mosi", "cs", "reset"]
/** Roles every board must have; int and reset may be left out (PINS gives -1). */
export const REQUIRED_ROLES: Role[] = ["sck", "mosi", "miso", "cs"]
export const ALL_ROLES: Role[] = ["sck", "mosi", "miso", "cs", "int", "reset"]

// ---------------------------------------------------------------------------------------------------
// Architectures (facts from the DeviceScript CLI's arch table and the chips' datasheets)

interface ArchInfo {
    name: string
    /** GPIOs that exist and DeviceScript accepts. */
    gpios: Set<number>
    /** GPIOs that can only be inputs. */
    inputOnly: Set<number>
    /** Why a GPIO cannot be used at all (DeviceScript rejects it, or it is the serial console). */
    reserved: Map<number, string>
    /** Extra rule for the SPI roles (`what` names the role for the message), or undefined. */
    spiPinProblem?: (role: Role, gpio: number, what: string) => string | undefined
    /** Flash set aside for the program (bytes). */
    programFlash: number
}

function range(a: number, b: number): number[] {
    const out: number[] = []
    for (let i = a; i <= b; i++) out.push(i)
    return out
}

/** RP2040 GPIO n in its SPI function: block (n >> 3) & 1, signal n & 3 (0 RX, 1 CSn, 2 SCK, 3 TX). */
const RP2040_SPI_SIGNAL: Partial<Record<Role, { signal: number; name: string }>> = {
    miso: { signal: 0, name: "RX (MISO)" },
    sck: { signal: 2, name: "SCK" },
    mosi: { signal: 3, name: "TX (MOSI)" },
}

function rp2040SpiPinProblem(role: Role, gpio: number, what: string): string | undefined {
    const want = RP2040_SPI_SIGNAL[role]
    if (!want) return undefined
    const spi0 = range(0, 29).filter(n => ((n >> 3) & 1) === 0 && (n & 3) === want.signal)
    const list = spi0.map(n => "GP" + n).join(", ")
    if (((gpio >> 3) & 1) === 0 && (gpio & 3) === want.signal) return undefined
    const actually = ((gpio >> 3) & 1) === 0 ? "SPI0" : "SPI1"
    const sig = ["RX (MISO)", "CSn", "SCK", "TX (MOSI)"][gpio & 3]
    return `GP${gpio} is ${actually} ${sig}, not SPI0 ${want.name} (DeviceScript's RP2040 SPI works on SPI0 only): the ${what} must be one of ${list}`
}

const RP2040: ArchInfo = {
    name: "RP2040",
    gpios: new Set(range(0, 29)),
    inputOnly: new Set(),
    reserved: new Map(),
    spiPinProblem: rp2040SpiPinProblem,
    programFlash: 32 * 4096,
}

export const ARCHS: Record<string, ArchInfo> = {
    esp32: {
        name: "ESP32",
        gpios: new Set([...range(0, 19), 21, 22, 23, 25, 26, 27, ...range(32, 39)]),
        inputOnly: new Set(range(34, 39)),
        reserved: new Map<number, string>([
            ...range(6, 11).map(n => [n, `GPIO${n} is wired to the module's SPI flash`] as [number, string]),
            [16, "GPIO16 is a PSRAM pin on ESP32-WROVER modules (DeviceScript rejects it)"],
            [17, "GPIO17 is a PSRAM pin on ESP32-WROVER modules (DeviceScript rejects it)"],
            [1, "GPIO1 is UART0 TX, the serial port DeviceScript deploys and logs over"],
            [3, "GPIO3 is UART0 RX, the serial port DeviceScript deploys and logs over"],
        ]),
        programFlash: 64 * 4096,
    },
    rp2040: RP2040,
    rp2040w: {
        ...RP2040,
        name: "RP2040 + CYW43",
        reserved: new Map([23, 24, 25, 29].map(n => [n, `GP${n} belongs to the Pico W's wireless chip`] as [number, string])),
    },
}
/** Architectures DeviceScript knows; only those in ARCHS get the pin checks above. */
export const KNOWN_ARCH_IDS = ["esp32", "esp32c3", "esp32s2", "esp32s3", "rp2040", "rp2040w"]

// ---------------------------------------------------------------------------------------------------

/** The chip a board id names (`esp32_devkit_w5500` -> w5500), or undefined when it names none or both. */
export function boardChip(id: string): ChipKind | undefined {
    const chips: ChipKind[] = ["w5500", "enc28j60"]
    const words = id.toLowerCase().split(/[^a-z0-9]+/)
    const named = chips.filter(c => words.includes(c))
    return named.length === 1 ? named[0] : undefined
}

/** Ids of the board files in `dir`, sorted. */
export function listBoards(dir: string): string[] {
    try {
        return fs
            .readdirSync(dir)
            .filter(f => f.endsWith(BOARD_SUFFIX))
            .map(f => f.slice(0, -BOARD_SUFFIX.length))
            .sort()
    } catch {
        return []
    }
}

function show(v: unknown): string {
    if (v === undefined) return "undefined"
    const s = JSON.stringify(v)
    return s.length > 60 ? s.slice(0, 57) + "..." : s
}

/** "is missing" for undefined, else the value and "is not valid". */
function missing(v: unknown): string {
    return v === undefined ? "is missing" : `${show(v)} is not valid`
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v)
}

export interface BoardCheck {
    errors: BoardError[]
    /** GPIO numbers per role, when the roles were given and all resolved. */
    pins?: BoardPins
    archId?: string
}

/**
 * Checks one parsed board file. `file` is the file as shown in messages; its base name gives the id.
 * `roles` (devicescript.json's `pins`) adds the firmware's checks; without it only DeviceScript's
 * rules apply.
 */
export function checkBoardJson(json: unknown, file: string, roles?: PinRoles): BoardCheck {
    const errors: BoardError[] = []
    const err = (p: string, value: unknown, message: string) => errors.push({ file, path: p, value, message })
    const id = path.basename(file).endsWith(BOARD_SUFFIX) ? path.basename(file).slice(0, -BOARD_SUFFIX.length) : path.basename(file)

    if (!isObject(json)) {
        err("", json, "is not a JSON object")
        return { errors }
    }
    if (!/^\w+$/.test(id)) err("", id, `the board id ${show(id)} (the file name) must be letters, digits and _`)
    if (json.id !== undefined && json.id !== id)
        err("id", json.id, `${show(json.id)} differs from the file name ${show(id)}; DeviceScript takes the id from the file name (leave "id" out)`)
    if (typeof json.devName !== "string" || json.devName === "")
        err("devName", json.devName, `${missing(json.devName)}: a board needs a name (DeviceScript will not flash a board without devName)`)
    const pid = json.productId
    const pidNum = typeof pid === "string" && /^0x[0-9a-fA-F]{8}$/.test(pid) ? parseInt(pid, 16) : typeof pid === "number" ? pid : NaN
    if (!(pidNum >= 0x30000000 && pidNum <= 0x3fffffff))
        err("productId", pid, `${missing(pid)}: a board needs a product id "0x3xxxxxxx" (eight hex digits starting with 3)`)

    const archId = json.archId
    let arch: ArchInfo | undefined
    if (typeof archId !== "string" || !KNOWN_ARCH_IDS.includes(archId))
        err("archId", archId, `${missing(archId)}: a custom board needs its DeviceScript architecture, one of ${KNOWN_ARCH_IDS.join(", ")}`)
    else arch = ARCHS[archId]

    const pins = json.pins
    if (!isObject(pins)) {
        err("pins", pins, `${missing(pins)}: the board needs a "pins" object of label: GPIO number`)
        return { errors, archId: typeof archId === "string" ? archId : undefined }
    }

    // every GPIO-carrying field: pins.<label>, and nested pin* fields (led.pin, log.pinTX, ...)
    const owner = new Map<number, string>()
    const checkGpio = (field: string, v: unknown) => {
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
            err(field, v, `${show(v)} is not a GPIO number`)
            return
        }
        if (arch && !arch.gpios.has(v)) err(field, v, `GPIO${v} does not exist on the ${arch.name} (or DeviceScript does not allow it)`)
        else if (arch && arch.reserved.has(v)) err(field, v, `${arch.reserved.get(v)}: it cannot be used here`)
        const prev = owner.get(v)
        if (prev !== undefined) err(field, v, `GPIO${v} is already ${prev}; a GPIO can carry one label only`)
        else owner.set(v, field)
    }
    for (const [label, v] of Object.entries(pins)) {
        if (label.startsWith("#")) continue
        if (("pins." + label).length > 15)
            err(`pins.${label}`, v, `the label ${show(label)} is over 10 characters: DeviceScript's settings keys ("pins.${label}") hold 15`)
        checkGpio(`pins.${label}`, v)
    }
    const walk = (obj: unknown, at: string) => {
        if (Array.isArray(obj)) obj.forEach((e, i) => walk(e, `${at}[${i}]`))
        else if (isObject(obj))
            for (const [k, v] of Object.entries(obj)) {
                if (k.startsWith("#") || k.startsWith("$")) continue
                const p = at ? `${at}.${k}` : k
                if (k !== "pins" && k.startsWith("pin")) checkGpio(p, v)
                else walk(v, p)
            }
    }
    for (const [k, v] of Object.entries(json)) {
        if (k === "pins" || k === "sPin" || k.startsWith("$") || k.startsWith("#")) continue
        walk(v, k)
    }

    const sPin = json.sPin
    if (sPin !== undefined && !isObject(sPin)) err("sPin", sPin, `${show(sPin)} is not an object of label: 0 or 1`)
    const spins: Record<string, unknown> = isObject(sPin) ? sPin : {}
    for (const [label, v] of Object.entries(spins)) {
        if (label.startsWith("#")) continue
        if (!Object.prototype.hasOwnProperty.call(pins, label))
            err(`sPin.${label}`, v, `${show(label)} is not a label in "pins"`)
        else if (v !== 0 && v !== 1) err(`sPin.${label}`, v, `${show(v)} is not a boot level (0 or 1)`)
    }

    if (!roles) return { errors, archId: archId as string }

    // --- the roles devicescript.json names
    const gpioOf: Partial<Record<Role, number>> = {}
    for (const role of ALL_ROLES) {
        const label = roles[role]
        const what = `${ROLE_NAMES[role]} (devicescript.json pins.${role} = ${show(label)})`
        if (label === undefined) continue
        if (!Object.prototype.hasOwnProperty.call(pins, label)) {
            err(`pins.${label}`, undefined, `is missing: the ${what} names it`)
            continue
        }
        const g = pins[label]
        if (typeof g !== "number" || !Number.isInteger(g)) continue // reported above
        gpioOf[role] = g
        const field = `pins.${label}`
        if (arch && (!arch.gpios.has(g) || arch.reserved.has(g))) continue // reported above
        if (arch && OUTPUT_ROLES.includes(role) && arch.inputOnly.has(g))
            err(field, g, `GPIO${g} is input-only on the ${arch.name} and cannot be the ${what}`)
        const spi = arch?.spiPinProblem?.(role, g, what)
        if (spi) err(field, g, spi)
    }
    if (roles.cs !== undefined && gpioOf.cs !== undefined && spins[roles.cs] !== 1)
        err(
            `sPin.${roles.cs}`,
            spins[roles.cs],
            `${spins[roles.cs] === undefined ? "is missing" : show(spins[roles.cs])}: the chip select (pins.${roles.cs}, GPIO${gpioOf.cs}) must idle high from boot: set "sPin": { "${roles.cs}": 1 }`
        )
    if (roles.reset !== undefined && gpioOf.reset !== undefined && spins[roles.reset] === 0)
        err(`sPin.${roles.reset}`, 0, `0 holds the chip in reset (pins.${roles.reset}, GPIO${gpioOf.reset}) until the program runs: use 1 or leave it out`)

    const complete = REQUIRED_ROLES.every(r => gpioOf[r] !== undefined)
    const pinsOut: BoardPins | undefined =
        complete && errors.length === 0
            ? {
                  sck: gpioOf.sck!,
                  mosi: gpioOf.mosi!,
                  miso: gpioOf.miso!,
                  cs: gpioOf.cs!,
                  int: gpioOf.int ?? -1,
                  reset: gpioOf.reset ?? -1,
              }
            : undefined
    return { errors, pins: pinsOut, archId: archId as string }
}

/** Reads and checks `<dir>/<id>.board.json`; `shown` is how the file is named in messages. */
export function checkBoardFile(file: string, shown: string, roles?: PinRoles): BoardCheck {
    let text: string
    try {
        text = fs.readFileSync(file, "utf8")
    } catch (e) {
        return { errors: [{ file: shown, path: "", value: undefined, message: `cannot read the file: ${(e as Error).message}` }] }
    }
    let json: unknown
    try {
        json = JSON.parse(text)
    } catch (e) {
        return { errors: [{ file: shown, path: "", value: undefined, message: `invalid JSON: ${(e as Error).message}` }] }
    }
    return checkBoardJson(json, shown, roles)
}

/** One line: `boards/x.board.json: pins.SPI_SCK: GPIO17 is ...`. */
export function formatBoardError(e: BoardError): string {
    return e.path ? `${e.file}: ${e.path}: ${e.message}` : `${e.file}: ${e.message}`
}

/** Program flash of a board's architecture in bytes, or undefined. */
export function programFlashBytes(archId: string | undefined): number | undefined {
    return archId ? ARCHS[archId]?.programFlash : undefined
}
