// The firmware's layering, checked on its source: data flows one way, so a layer imports only the
// layers below it; each counter group (a `const enum XxxMib`) is written only by the layer that
// declares it; no callback or collaborator is filled in after construction (`x.y = this`).
// The order is the transmit path's (README, architecture), with the protocols above UDP and the
// composition roots (stack.ts, start.ts, board.ts, main.ts, index.ts) on top.

import { strict as assert } from "node:assert"
import * as fs from "node:fs"
import * as path from "node:path"

const SRC = path.join(__dirname, "..", "..", "src")

/** Layers bottom-up: a file may import its own layer and those before it. */
const ORDER = ["wire", "util", "config", "dev", "drivers", "neigh", "ipv4", "udp", "dhcp", "dns", "ntp", "tcp", "mqtt", "stack", "telemetry", "app", "sim"]
/** Files that build things from the configuration: composition roots, like the top-level files. */
const APP_FILES = new Set(["config/options.ts", "config/generated.ts", "drivers/select.ts"])

function sources(dir = SRC): string[] {
    const out: string[] = []
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name)
        if (e.isDirectory()) out.push(...sources(p))
        else if (e.name.endsWith(".ts")) out.push(p)
    }
    return out
}

function layerOf(file: string): string {
    const rel = path.relative(SRC, file).split(path.sep).join("/")
    if (APP_FILES.has(rel)) return "app"
    const parts = rel.split("/")
    if (parts.length > 1) return parts[0]
    return rel === "stack.ts" ? "stack" : "app"
}

describe("layering of src/ (imports, counter groups, construction)", function () {
    const files = sources()

    it("every folder of src/ is a known layer", () => {
        const unknown = [...new Set(files.map(layerOf))].filter(l => !ORDER.includes(l))
        assert.deepEqual(unknown, [])
    })

    it("no layer imports a layer above it", () => {
        const up: string[] = []
        for (const f of files) {
            const from = layerOf(f)
            for (const m of fs.readFileSync(f, "utf8").matchAll(/from "(\.[^"]+)"/g)) {
                const to = layerOf(path.resolve(path.dirname(f), m[1]) + ".ts")
                if (ORDER.indexOf(to) > ORDER.indexOf(from)) up.push(`${path.relative(SRC, f)} (${from}) imports ${m[1]} (${to})`)
            }
        }
        assert.deepEqual(up, [])
    })

    it("each counter group is written only in the layer that declares it", () => {
        const owner = new Map<string, string>()
        for (const f of files) for (const m of fs.readFileSync(f, "utf8").matchAll(/export const enum (\w+Mib)\b/g)) owner.set(m[1], layerOf(f))
        assert.ok(owner.size >= 7, `counter groups found: ${[...owner.keys()].join(" ")}`)
        const stray: string[] = []
        for (const f of files) {
            if (layerOf(f) === "sim") continue
            // mib[X.k]++ and friends, or util/mib.ts's inc(mib, X.k)
            for (const m of fs.readFileSync(f, "utf8").matchAll(/\[(\w+Mib)\.\w+\]\s*(\+\+|--|\+=|-=|=[^=])|\binc\([^,()]+, (\w+Mib)\./g)) {
                const g = m[1] ?? m[3]
                const o = owner.get(g)
                if (o !== undefined && o !== layerOf(f)) stray.push(`${path.relative(SRC, f)} writes ${g} (owned by ${o})`)
            }
        }
        assert.deepEqual(stray, [])
    })

    it("nothing hands itself to another part after construction (x.y = this)", () => {
        const late: string[] = []
        for (const f of files) {
            if (layerOf(f) === "sim") continue
            const text = fs.readFileSync(f, "utf8")
            for (const m of text.matchAll(/^\s*(?:this\.)?\w+\.\w+ = this\s*$/gm)) late.push(`${path.relative(SRC, f)}: ${m[0].trim()}`)
        }
        assert.deepEqual(late, [])
    })

    it("every firmware class is tagged @devsWhenUsed (the compiler then links only the methods reachable code names)", () => {
        const untagged: string[] = []
        for (const f of sources()) {
            if (layerOf(f) === "sim") continue
            const lines = fs.readFileSync(f, "utf8").split("\n")
            lines.forEach((l, i) => {
                if (!/^(export )?(abstract )?class /.test(l)) return
                // the class's doc comment: the lines above it back to its "/**"
                let k = i - 1
                while (k >= 0 && !lines[k].trimStart().startsWith("/**") && lines[k].trimEnd().length > 0) k--
                if (!lines.slice(Math.max(k, 0), i).some(x => x.includes("@devsWhenUsed"))) untagged.push(`${path.relative(SRC, f)}:${i + 1}: ${l.trim()}`)
            })
        }
        assert.deepEqual(untagged, [])
    })
})
