// The DeviceScript custom boards in boards/: each is what the DeviceScript CLI accepts and what the
// firmware needs for the pins devicescript.json names (host/config/boards.ts), the CLI itself agrees
// (`devicescript build` checks every board file in boards/), a broken pin mapping is reported with
// the board file, the field and the pin, and `npm run build` compiles the firmware for a board.

import { strict as assert } from "node:assert"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { BoardError, boardChip, checkBoardFile, checkBoardJson, formatBoardError, listBoards } from "../../host/config/boards"
import { REPO_ROOT, formatError, validateConfig } from "../../host/config/validate"
import { build } from "../../host/build/build"

const BOARDS_DIR = path.join(REPO_ROOT, "boards")
const CONFIG: any = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "devicescript.json"), "utf8"))
const ROLES = CONFIG.pins as Record<string, string>
const CLI = path.join(REPO_ROOT, "node_modules", "@devicescript", "cli", "devicescript")
const IDS = listBoards(BOARDS_DIR)

const readBoard = (id: string): any => JSON.parse(fs.readFileSync(path.join(BOARDS_DIR, `${id}.board.json`), "utf8"))
const lines = (errors: BoardError[]) => errors.map(formatBoardError).join("\n") || "(no errors)"

/** A throw-away DeviceScript project holding these board files and an empty program. */
function tmpProject(boards: Record<string, unknown>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "devs-boards-"))
    fs.mkdirSync(path.join(dir, "boards"))
    fs.mkdirSync(path.join(dir, "src"))
    fs.writeFileSync(path.join(dir, "devsconfig.json"), "{}\n")
    fs.writeFileSync(path.join(dir, "src", "main.ts"), 'console.log("board check")\n')
    for (const [id, json] of Object.entries(boards))
        fs.writeFileSync(path.join(dir, "boards", `${id}.board.json`), typeof json === "string" ? json : JSON.stringify(json, null, 4))
    return dir
}

/** `devicescript build` in `dir`: the CLI's own check of the board files. */
function devsBuild(dir: string, ...args: string[]) {
    const r = spawnSync(process.execPath, [CLI, "build", "--no-colors", ...args], { cwd: dir, encoding: "utf8" })
    return { status: r.status, output: (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, "") }
}

describe("boards: the board files", () => {
    it("are the four supported boards", () => {
        assert.deepEqual(IDS, ["esp32_devkit_enc28j60", "esp32_devkit_w5500", "pico_enc28j60", "w5500_evb_pico"])
        assert.ok(IDS.includes(CONFIG.board), `devicescript.json selects ${CONFIG.board}`)
    })

    for (const id of IDS) {
        it(`${id}: valid for DeviceScript and for the pins devicescript.json names`, () => {
            const b = readBoard(id)
            const { errors, pins } = checkBoardFile(path.join(BOARDS_DIR, `${id}.board.json`), `boards/${id}.board.json`, CONFIG.pins)
            assert.deepEqual(errors, [], lines(errors))
            assert.ok(pins)
            // the roles resolve to the board's GPIOs, no GPIO twice
            for (const [role, label] of Object.entries(ROLES)) {
                assert.ok(label in b.pins, `pins.${label} missing`)
                assert.equal((pins as any)[role], b.pins[label], role)
            }
            const gpios = Object.values(b.pins) as number[]
            assert.equal(new Set(gpios).size, gpios.length, "a GPIO used twice")
            // the chip select idles high from boot, the reset line is not held low
            assert.equal(b.sPin?.[ROLES.cs], 1)
            assert.notEqual(b.sPin?.[ROLES.reset], 0)
            // the form DeviceScript needs
            assert.match(b.productId, /^0x3[0-9a-f]{7}$/)
            assert.equal(typeof b.devName, "string")
            assert.equal(b.id, undefined, "the id comes from the file name")
            assert.ok(["esp32", "rp2040"].includes(b.archId))
        })

        it(`${id}: devicescript.json built for it (its chip) validates, and gives the board's pin numbers`, () => {
            const chip = boardChip(id)
            assert.ok(chip, `${id} names no chip`)
            const r = validateConfig({ ...CONFIG, board: id, chip })
            assert.deepEqual(r.errors.map(e => formatError(e)), [])
            const b = readBoard(id)
            assert.deepEqual(r.pins, {
                sck: b.pins[ROLES.sck],
                mosi: b.pins[ROLES.mosi],
                miso: b.pins[ROLES.miso],
                cs: b.pins[ROLES.cs],
                int: b.pins[ROLES.int],
                reset: b.pins[ROLES.reset],
            })
        })
    }

    it("RP2040 boards put SCK, MOSI and MISO on SPI0 pins in their SPI function", () => {
        // RP2040 datasheet, GPIO functions: SPI0 RX GP0/4/16/20, CSn GP1/5/17/21, SCK GP2/6/18/22, TX GP3/7/19/23
        const SPI0 = { miso: [0, 4, 16, 20], cs: [1, 5, 17, 21], sck: [2, 6, 18, 22], mosi: [3, 7, 19, 23] }
        const rp = IDS.filter(id => readBoard(id).archId === "rp2040")
        assert.deepEqual(rp, ["pico_enc28j60", "w5500_evb_pico"])
        for (const id of rp) {
            const b = readBoard(id)
            for (const role of ["sck", "mosi", "miso", "cs"] as const)
                assert.ok(SPI0[role].includes(b.pins[ROLES[role]]), `${id}: ${role} on GP${b.pins[ROLES[role]]}`)
        }
    })

    it("the W5500-EVB-Pico follows WIZnet's pinout (GP16 MISO, GP17 CS, GP18 SCK, GP19 MOSI, GP20 RST, GP21 INT)", () => {
        const b = readBoard("w5500_evb_pico")
        const got = Object.fromEntries(Object.entries(ROLES).map(([role, label]) => [role, b.pins[label]]))
        assert.deepEqual(got, { sck: 18, mosi: 19, miso: 16, cs: 17, int: 21, reset: 20 })
    })

    it("each board id names its chip", () => {
        assert.deepEqual(
            IDS.map(id => [id, boardChip(id)]),
            [
                ["esp32_devkit_enc28j60", "enc28j60"],
                ["esp32_devkit_w5500", "w5500"],
                ["pico_enc28j60", "enc28j60"],
                ["w5500_evb_pico", "w5500"],
            ]
        )
        assert.equal(boardChip("my_board"), undefined)
    })
})

describe("boards: a broken board file is reported with the file, the field and the pin", () => {
    /** Checks a modified copy of a repo board: exactly one error, at `field`, with the `mentions`. */
    function expectOne(id: string, change: (b: any) => void, field: string, ...mentions: (string | RegExp)[]): string {
        const b = readBoard(id)
        change(b)
        const { errors, pins } = checkBoardJson(b, `boards/${id}.board.json`, CONFIG.pins)
        assert.equal(errors.length, 1, lines(errors))
        assert.equal(pins, undefined, "no pin numbers from a broken board")
        const line = formatBoardError(errors[0])
        assert.ok(line.startsWith(`boards/${id}.board.json: ${field}: `), line)
        assert.ok(!line.includes("\n"), line)
        for (const m of mentions) assert.ok(typeof m === "string" ? line.includes(m) : m.test(line), `${line}\n  lacks ${m}`)
        return line
    }

    it("RP2040: SCK, MOSI, MISO outside SPI0's function for the role", () => {
        expectOne("pico_enc28j60", b => (b.pins.SPI_SCK = 26), "pins.SPI_SCK", "GP26", "SPI1 SCK", "GP2, GP6, GP18, GP22", "pins.sck")
        expectOne("pico_enc28j60", b => (b.pins.SPI_MISO = 3), "pins.SPI_MISO", "GP3", "SPI0 TX (MOSI)", "GP0, GP4, GP16, GP20", "pins.miso")
        expectOne("w5500_evb_pico", b => (b.pins.SPI_MOSI = 15), "pins.SPI_MOSI", "GP15", "SPI1", "GP3, GP7, GP19, GP23", "pins.mosi")
        expectOne("w5500_evb_pico", b => (b.pins.SPI_SCK = 30), "pins.SPI_SCK", "GPIO30 does not exist on the RP2040")
    })

    it("ESP32: flash, PSRAM and UART0 pins, input-only pins for an output, GPIOs the chip lacks", () => {
        expectOne("esp32_devkit_w5500", b => (b.pins.ETH_RST = 16), "pins.ETH_RST", "GPIO16", "PSRAM")
        expectOne("esp32_devkit_w5500", b => (b.pins.SPI_SCK = 6), "pins.SPI_SCK", "GPIO6", "SPI flash")
        expectOne("esp32_devkit_enc28j60", b => (b.pins.ETH_CS = 1), "pins.ETH_CS", "GPIO1", "UART0")
        expectOne("esp32_devkit_w5500", b => (b.pins.SPI_MOSI = 34), "pins.SPI_MOSI", "GPIO34", "input-only", "pins.mosi")
        expectOne("esp32_devkit_w5500", b => (b.pins.ETH_RST = 20), "pins.ETH_RST", "GPIO20 does not exist on the ESP32")
        // an input-only pin is fine for an input role
        const b = readBoard("esp32_devkit_w5500")
        b.pins.ETH_INT = 35
        assert.deepEqual(checkBoardJson(b, "x.board.json", CONFIG.pins).errors, [])
    })

    it("a GPIO used twice, also by a nested pin field (led.pin)", () => {
        expectOne("esp32_devkit_w5500", b => (b.pins.ETH_INT = 5), "pins.ETH_INT", "GPIO5 is already pins.ETH_CS")
        expectOne("pico_enc28j60", b => (b.led.pin = 18), "led.pin", "GPIO18 is already pins.SPI_SCK")
    })

    it("a role devicescript.json names that the board lacks", () => {
        expectOne(
            "pico_enc28j60",
            b => {
                delete b.pins.ETH_CS
                delete b.sPin.ETH_CS
            },
            "pins.ETH_CS",
            "is missing",
            `devicescript.json pins.cs = "ETH_CS"`
        )
    })

    it("a chip select that does not idle high at boot, a reset held low", () => {
        expectOne("w5500_evb_pico", b => (b.sPin.ETH_CS = 0), "sPin.ETH_CS", "GPIO17", "idle high")
        expectOne("w5500_evb_pico", b => delete b.sPin.ETH_CS, "sPin.ETH_CS", "is missing", "idle high")
        expectOne("esp32_devkit_w5500", b => (b.sPin.ETH_RST = 0), "sPin.ETH_RST", "GPIO26", "reset")
        expectOne("esp32_devkit_w5500", b => (b.sPin.ETH_INT = 2), "sPin.ETH_INT", "0 or 1")
    })

    it("what DeviceScript requires: productId 0x3..., devName, a known archId, short labels, the id from the file name", () => {
        expectOne("esp32_devkit_w5500", b => (b.productId = "0x12345678"), "productId", `"0x12345678"`, "0x3xxxxxxx")
        expectOne("esp32_devkit_w5500", b => delete b.devName, "devName", "is missing")
        expectOne("esp32_devkit_w5500", b => (b.archId = "esp8266"), "archId", `"esp8266"`, "rp2040")
        expectOne("esp32_devkit_w5500", b => (b.pins.ETHERNET_LED = 27), "pins.ETHERNET_LED", "15")
        expectOne("esp32_devkit_w5500", b => (b.id = "esp32_w5500"), "id", "file name")
    })

    it("npm run config names the board file, the field and the pin (validateConfig + formatError)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "devs-boards-"))
        try {
            const b = readBoard(CONFIG.board)
            b.pins.ETH_RST = 17
            fs.writeFileSync(path.join(dir, `${CONFIG.board}.board.json`), JSON.stringify(b))
            const r = validateConfig(CONFIG, { boardsDir: dir })
            assert.equal(r.config, undefined)
            assert.equal(r.pins, undefined)
            const shown = r.errors.map(e => formatError(e))
            assert.equal(shown.length, 1, shown.join("\n"))
            assert.match(shown[0], new RegExp(`${CONFIG.board}\\.board\\.json: pins\\.ETH_RST: GPIO17 is a PSRAM pin`))
            // and a chip the board's id contradicts
            const wrongChip = validateConfig({ ...CONFIG, board: "pico_enc28j60", chip: "w5500" })
            assert.deepEqual(
                wrongChip.errors.map(e => [e.path, e.value]),
                [["chip", "w5500"]],
                wrongChip.errors.map(e => formatError(e)).join("\n")
            )
            assert.match(formatError(wrongChip.errors[0]), /ENC28J60/)
        } finally {
            fs.rmSync(dir, { recursive: true, force: true })
        }
    })
})

describe("boards: the DeviceScript CLI agrees", function () {
    this.timeout(120000)
    let dirs: string[] = []
    after(() => dirs.forEach(d => fs.rmSync(d, { recursive: true, force: true })))

    it("devicescript build accepts every board file and reads its pins", () => {
        const dir = tmpProject(Object.fromEntries(IDS.map(id => [id, readBoard(id)])))
        dirs.push(dir)
        const r = devsBuild(dir, "-v")
        assert.equal(r.status, 0, r.output)
        for (const id of IDS) {
            assert.ok(r.output.includes(`custom board: ${id}`), `${id} not loaded:\n${r.output}`)
            const b = readBoard(id)
            for (const label of Object.values(ROLES)) assert.ok(r.output.includes(`${label}: GPIO${b.pins[label]}, `), `${id} ${label}`)
        }
        assert.ok(!/error/i.test(r.output.replace(/no-verify|errors?:\s*0/g, "")), r.output)
    })

    it("devicescript build rejects the broken pin mappings the host check reports, naming each file", () => {
        const psram = readBoard("esp32_devkit_w5500")
        psram.pins.ETH_RST = 16
        const twice = readBoard("w5500_evb_pico")
        twice.pins.ETH_INT = 17
        const dir = tmpProject({ esp32_devkit_w5500: psram, w5500_evb_pico: twice })
        dirs.push(dir)
        const r = devsBuild(dir)
        assert.notEqual(r.status, 0, r.output)
        assert.match(r.output, /esp32_devkit_w5500\.board\.json\(1\): ETH_RST=16 has 'psram' function/)
        assert.match(r.output, /w5500_evb_pico\.board\.json\(1\): GPIO17 marked as both ETH_CS and ETH_INT/)
        // the host check flags the same two
        assert.match(lines(checkBoardJson(psram, "a.board.json", CONFIG.pins).errors), /pins\.ETH_RST: GPIO16/)
        assert.match(lines(checkBoardJson(twice, "b.board.json", CONFIG.pins).errors), /pins\.ETH_INT: GPIO17 is already pins\.ETH_CS/)
    })
})

describe("boards: npm run build", function () {
    this.timeout(180000)

    it("compiles the firmware for another board (pico_enc28j60) in out/, leaving src/config/generated.ts alone", async () => {
        const genFile = path.join(REPO_ROOT, "src", "config", "generated.ts")
        const before = fs.readFileSync(genFile, "utf8")
        const log: string[] = []
        const r = await build({ boards: ["pico_enc28j60"], verbose: false, log: s => log.push(s) })
        assert.deepEqual(r.errors, [], log.join("\n"))
        assert.equal(r.builds.length, 1)
        const [b] = r.builds
        assert.equal(b.board, "pico_enc28j60")
        assert.equal(b.chip, "enc28j60")
        assert.equal(b.archId, "rp2040")
        assert.equal(b.dir, path.join(REPO_ROOT, "out", "pico_enc28j60"))
        assert.ok(fs.existsSync(b.bytecode))
        assert.ok(b.bytes > 1000 && b.bytes <= b.flashBytes!, `${b.bytes} bytes of ${b.flashBytes}`)
        const gen = fs.readFileSync(path.join(b.dir, "src", "config", "generated.ts"), "utf8")
        assert.match(gen, /board: "pico_enc28j60",/)
        assert.match(gen, /chip: "enc28j60",/)
        assert.match(gen, /export const PINS: BoardPins = \{ sck: 18, mosi: 19, miso: 16, cs: 17, int: 21, reset: 20 \}/)
        assert.equal(fs.readFileSync(genFile, "utf8"), before, "src/config/generated.ts changed")
    })

    it("stops before compiling when a board file is broken, naming the file, the field and the pin", async () => {
        const boards = Object.fromEntries(IDS.map(id => [id, readBoard(id)]))
        ;(boards.pico_enc28j60 as any).pins.SPI_SCK = 26
        const dir = tmpProject(boards)
        try {
            fs.writeFileSync(path.join(dir, "devicescript.json"), JSON.stringify(CONFIG))
            const r = await build({ boards: "all", verbose: false, root: dir, log: () => {} })
            assert.equal(r.ok, false)
            assert.deepEqual(r.builds, [])
            assert.equal(r.errors.length, 1, r.errors.join("\n"))
            assert.match(r.errors[0], /pico_enc28j60\.board\.json: pins\.SPI_SCK: GP26 is SPI1 SCK/)
            const unknown = await build({ boards: ["pico_w5500"], verbose: false, log: () => {} })
            assert.match(unknown.errors.join("\n"), /no board "pico_w5500"/)
        } finally {
            fs.rmSync(dir, { recursive: true, force: true })
        }
    })
})

describe("boards: the library's pin table (src/config/boards.ts)", () => {
    it("holds every board file in boards/ with its GPIO numbers, and nothing else", () => {
        const src = fs.readFileSync(path.join(REPO_ROOT, "src", "config", "boards.ts"), "utf8")
        const rows = [...src.matchAll(/\["(\w+)", (\d+), (\d+), (\d+), (\d+), (-?\d+), (-?\d+)\]/g)].map(m => [m[1], ...m.slice(2).map(Number)])
        const roles = ["SPI_SCK", "SPI_MOSI", "SPI_MISO", "ETH_CS", "ETH_INT", "ETH_RST"]
        const fromFiles = IDS.map(id => {
            const pins = readBoard(id).pins
            return [id, ...roles.map(r => (pins[r] === undefined ? -1 : pins[r]))]
        })
        assert.deepEqual([...rows].sort(), [...fromFiles].sort())
    })
})
