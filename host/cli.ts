// Command-line reading for the host runners: Node's util.parseArgs (strict: an unknown option or a
// missing value is an error), with every error turned into the runner's own usage line.

import { parseArgs, ParseArgsConfig } from "node:util"

type Options = NonNullable<ParseArgsConfig["options"]>

/**
 * The options of `argv` as `spec` describes them (plus --help/-h, which calls `usage()`); an error
 * calls `usage(message)`, which exits.
 */
export function readArgs<T extends Options>(argv: string[], spec: T, usage: (msg?: string) => never) {
    let r
    try {
        r = parseArgs({ args: argv, options: { ...spec, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false })
    } catch (e) {
        const m = /'([^']*)'/.exec((e as Error).message)
        const code = (e as { code?: string }).code
        if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && m) usage(`${m[1].split(" ")[0]} needs a value`)
        if (m) usage(`unknown argument ${m[1]}`)
        usage((e as Error).message)
    }
    if ((r.values as Record<string, unknown>).help) usage()
    return r.values as { [K in keyof T]?: T[K] extends { multiple: true } ? (T[K] extends { type: "boolean" } ? boolean[] : string[]) : T[K] extends { type: "boolean" } ? boolean : string }
}

/** A runner's usage(): prints "`name`: message" (when given) and `lines`, exits with status 2. */
export function usageExit(name: string, lines: string): (msg?: string) => never {
    return (msg?: string): never => {
        if (msg) console.error(name + ": " + msg)
        console.error(lines)
        process.exit(2)
    }
}
