// `npm run build`: compile the telemetry firmware for a board.
//
//   npm run build                         the board devicescript.json selects
//   npm run build -- --board ID           the board boards/ID.board.json
//   npm run build -- --all                every board in boards/
//
// First every board file is checked (DeviceScript's rules and the pins devicescript.json names, see
// host/config/boards.ts): `devicescript build` reads every file in boards/ and refuses to build when
// one is broken, so a broken board file is reported here with the field and the pin first.
//
// The selected board (devicescript.json's `board`) is built in place, like `npm run setup`:
// src/config/generated.ts (CONFIG + PINS) and .devicescript/bin/bytecode.devs. Any other board is
// built in out/<ID>/, a copy of the project whose generated.ts has that board's pins and the chip its
// id names (`*_w5500`, `*_enc28j60`); the network settings are devicescript.json's. The project's
// own src/config/generated.ts stays that of devicescript.json. The result is the DeviceScript bytecode
// (out/<ID>/.devicescript/bin/bytecode.devs), checked against the board's program flash.
//
// The bytecode is the same for every board except for CONFIG and PINS: the pin list lives in the
// runtime image, which `npx devicescript flash --board ID` patches with the board file.

import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { BOARD_SUFFIX, boardChip, checkBoardFile, formatBoardError, listBoards, programFlashBytes } from "../config/boards"
import { DEFAULT_CONFIG, DEFAULT_OUT, loadConfigFile, renderConfigModule } from "../config/generate"
import { DEFAULT_BOARDS_DIR, REPO_ROOT, formatError, validateConfig } from "../config/validate"
import { stripAnsi } from "../test/devs-run"
import { readArgs } from "../cli"

const BUILD_TIMEOUT_MS = 180000

const USAGE = `usage: npm run build -- [--board ID | --all] [--verbose]
  (no option)   build for the board devicescript.json selects, in place
  --board ID    build for boards/ID.board.json (in out/ID/ unless it is the selected board)
  --all         build for every board in boards/
  --verbose     show the DeviceScript compiler's output`

export interface BuildOptions {
    boards: "selected" | "all" | string[]
    verbose: boolean
    /** Where devicescript.json and boards/ are; default the repo root. */
    root?: string
    /** Print progress (default console.log). */
    log?: (s: string) => void
}

export interface BoardBuild {
    board: string
    chip: string
    archId?: string
    /** The compiled program. */
    bytecode: string
    bytes: number
    /** Program flash of the board's chip. */
    flashBytes?: number
    /** The project directory it was built in (the repo root or out/<board>). */
    dir: string
}

export interface BuildResult {
    ok: boolean
    builds: BoardBuild[]
    errors: string[]
}

export function parseArgs(argv: string[]): BuildOptions {
    // errors are thrown (main() prints them with the usage; "" is --help)
    const fail = (msg?: string): never => {
        throw new Error(msg ?? "")
    }
    const v = readArgs(argv, { all: { type: "boolean" }, board: { type: "string", short: "b", multiple: true }, verbose: { type: "boolean", short: "v" } }, fail)
    const o: BuildOptions = { boards: "selected", verbose: !!v.verbose }
    if (v.all) o.boards = "all"
    if (v.board && v.board.length) o.boards = [...v.board]
    return o
}

function rel(root: string, p: string): string {
    const r = path.relative(root, p)
    if (r === "") return "."
    return !r.startsWith("..") && !path.isAbsolute(r) ? r.split(path.sep).join("/") : p
}

/** Runs `devicescript build src/main.ts` in `dir`; resolves with the exit code and the output. */
function devsBuild(cli: string, dir: string): Promise<{ code: number; output: string }> {
    return new Promise(resolve => {
        const child = spawn(process.execPath, [cli, "build", "src/main.ts", "--no-colors"], {
            cwd: dir,
            stdio: ["ignore", "pipe", "pipe"],
            env: { ...process.env, NO_COLOR: "1" },
        })
        let output = ""
        child.stdout.on("data", d => (output += d))
        child.stderr.on("data", d => (output += d))
        // a compile takes seconds: a hung CLI is killed (and reported by its exit code)
        const watchdog = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS)
        child.on("close", code => {
            clearTimeout(watchdog)
            resolve({ code: code ?? 1, output: stripAnsi(output) })
        })
    })
}

/** Copies what `devicescript build` reads into `dest` (a throw-away project for one board). */
export function stageProject(root: string, dest: string): void {
    fs.rmSync(dest, { recursive: true, force: true })
    fs.mkdirSync(dest, { recursive: true })
    fs.cpSync(path.join(root, "src"), path.join(dest, "src"), {
        recursive: true,
        filter: src => path.resolve(src) !== path.resolve(root, "src", "config", "generated.ts"),
    })
    fs.cpSync(path.join(root, "boards"), path.join(dest, "boards"), { recursive: true })
    for (const f of ["devsconfig.json", "package.json"]) fs.copyFileSync(path.join(root, f), path.join(dest, f))
}

export async function build(o: BuildOptions): Promise<BuildResult> {
    const root = o.root ?? REPO_ROOT
    const log = o.log ?? ((s: string) => console.log(s))
    const errors: string[] = []
    const builds: BoardBuild[] = []
    const configFile = root === REPO_ROOT ? DEFAULT_CONFIG : path.join(root, "devicescript.json")
    const boardsDir = root === REPO_ROOT ? DEFAULT_BOARDS_DIR : path.join(root, "boards")
    const label = rel(process.cwd(), configFile)

    // devicescript.json as it is (selected board), and what the board files must carry
    const base = loadConfigFile(configFile, boardsDir)
    if (!base.config || base.errors.length) {
        for (const e of base.errors) errors.push(formatError(e, label))
        return { ok: false, builds, errors }
    }
    const json = JSON.parse(fs.readFileSync(configFile, "utf8").replace(/^\uFEFF/, ""))
    const roles = base.config.pins

    const ids = listBoards(boardsDir)
    for (const id of ids) {
        const file = path.join(boardsDir, id + BOARD_SUFFIX)
        for (const e of checkBoardFile(file, rel(process.cwd(), file), roles).errors) errors.push(formatBoardError(e))
    }
    const selected = base.config.board
    let targets = o.boards === "selected" ? [selected] : o.boards === "all" ? ids : o.boards
    for (const id of targets)
        if (!ids.includes(id))
            errors.push(`npm run build: no board ${JSON.stringify(id)}: boards/ has ${ids.map(b => b + BOARD_SUFFIX).join(", ") || "no board files"}`)
    if (errors.length) return { ok: false, builds, errors }
    // the selected board last, so .devicescript/bin/ ends up as devicescript.json's
    targets = [...targets.filter(t => t !== selected), ...targets.filter(t => t === selected)]

    const cli = path.join(root, "node_modules", "@devicescript", "cli", "devicescript")
    if (!fs.existsSync(cli)) {
        errors.push("npm run build: @devicescript/cli is not installed; run npm ci first")
        return { ok: false, builds, errors }
    }

    for (const id of targets) {
        const chip = id === selected ? json.chip : boardChip(id) ?? json.chip
        const what = `board ${id} (${chip})`
        const r = id === selected ? base : validateConfig({ ...json, board: id, chip }, { boardsDir })
        if (!r.config || r.errors.length) {
            for (const e of r.errors) errors.push(formatError(e, `${label} [built for ${id}]`))
            continue
        }
        const inPlace = id === selected
        const dir = inPlace ? root : path.join(root, "out", id)
        if (!inPlace) stageProject(root, dir)
        const genFile = inPlace && root === REPO_ROOT ? DEFAULT_OUT : path.join(dir, "src", "config", "generated.ts")
        let text = renderConfigModule(r.config, { source: "devicescript.json", pins: r.pins })
        if (!inPlace) text = `// npm run build for board ${id} (chip ${chip}) in ${rel(root, dir)}/, a copy of the project.\n` + text
        if (!fs.existsSync(genFile) || fs.readFileSync(genFile, "utf8") !== text) fs.writeFileSync(genFile, text)

        log(`building ${what} in ${rel(root, dir)}/ ...`)
        const t0 = Date.now()
        const { code, output } = await devsBuild(cli, dir)
        if (o.verbose) log(output.trimEnd())
        const bytecode = path.join(dir, ".devicescript", "bin", "bytecode.devs")
        if (code !== 0 || !fs.existsSync(bytecode)) {
            errors.push(`devicescript build failed for ${what} (exit ${code}):\n${output.trimEnd()}`)
            continue
        }
        const bytes = fs.statSync(bytecode).size
        const flashBytes = programFlashBytes(r.archId)
        const b: BoardBuild = { board: id, chip, archId: r.archId, bytecode, bytes, flashBytes, dir }
        builds.push(b)
        const pct = flashBytes ? ` = ${Math.round((100 * bytes) / flashBytes)}% of the ${flashBytes / 1024} KB program flash` : ""
        log(`  ${rel(root, bytecode)}: ${bytes} bytes${pct} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
        if (flashBytes && bytes > flashBytes) errors.push(`${what}: the program (${bytes} bytes) does not fit the ${flashBytes}-byte program flash`)
    }
    return { ok: errors.length === 0, builds, errors }
}

export async function main(argv: string[]): Promise<number> {
    let o: BuildOptions
    try {
        o = parseArgs(argv)
    } catch (e) {
        const msg = (e as Error).message
        console.error(msg ? `npm run build: ${msg}\n${USAGE}` : USAGE)
        return msg ? 2 : 0
    }
    const r = await build(o)
    for (const e of r.errors) console.error(e)
    return r.ok ? 0 : 1
}

if (require.main === module)
    main(process.argv.slice(2)).then(
        c => process.exit(c),
        e => {
            console.error(e)
            process.exit(1)
        }
    )
