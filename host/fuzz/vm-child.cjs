// Runs one compiled DeviceScript program (.devs) in the DeviceScript WASM VM, WITHOUT the GC stress
// that `devicescript run --test` always turns on (a collection on every allocation makes the fuzz
// and the soak ~25x slower), and without any transport (no devtools, no TCP port to collide on).
//
//   node host/fuzz/vm-child.cjs <program.devs> [--gc-stress]
//
// The VM is the one inside the pinned @devicescript/cli bundle (runtime/devicescript-vm, the same
// code `devicescript run` uses): this file cuts that module out of the bundle and instantiates it.
// Everything the VM prints (dmesg: the program's console output as "> ...", panics, heap
// statistics when memory runs out) goes to stdout, one line each. Exit code: 0 when the program
// calls ds.restart() (its normal end here), 3 on a panic (the code is printed as "@@vm panic N"),
// 4 when the VM could not be loaded or the program not deployed. The parent kills it on its own
// deadline.
"use strict"
const fs = require("fs")
const path = require("path")

function cliPath() {
    let dir = __dirname
    for (;;) {
        const p = path.join(dir, "node_modules", "@devicescript", "cli", "built", "devicescript-cli.cjs")
        if (fs.existsSync(p)) return p
        const up = path.dirname(dir)
        if (up === dir) throw new Error("@devicescript/cli not found above " + __dirname)
        dir = up
    }
}

function loadVmFactory() {
    const cli = cliPath()
    const src = fs.readFileSync(cli, "utf8")
    const startMark = "// runtime/devicescript-vm/built/devicescript-vm.js\n"
    const a = src.indexOf(startMark)
    if (a < 0) throw new Error("the DeviceScript VM module was not found in " + cli)
    const open = "(exports, module2) {"
    const bodyStart = src.indexOf(open, a)
    // the module ends where the next bundled module's banner starts
    const next = src.indexOf("\n// ", bodyStart)
    const bodyEnd = src.lastIndexOf("}\n});", next)
    if (bodyStart < 0 || next < 0 || bodyEnd < bodyStart) throw new Error("cannot cut the VM module out of " + cli)
    const body = src.slice(bodyStart + open.length, bodyEnd)
    const mod = { exports: {} }
    // eslint-disable-next-line no-new-func
    new Function("exports", "module2", "require", "__filename", "__dirname", "process", body)(mod.exports, mod, require, cli, path.dirname(cli), process)
    if (typeof mod.exports !== "function") throw new Error("the VM module did not export its factory")
    return mod.exports
}

function main() {
    const file = process.argv[2]
    const gcStress = process.argv.includes("--gc-stress")
    let factory
    let binary
    try {
        factory = loadVmFactory()
        binary = fs.readFileSync(file)
    } catch (e) {
        process.stdout.write("@@vm error " + (e && e.message) + "\n")
        process.exit(4)
    }
    factory().then(inst => {
        let done = false
        inst.dmesg = s => process.stdout.write(s + "\n")
        inst.sendPacket = () => {}
        inst.panicHandler = code => {
            if (done) return
            done = true
            try {
                inst.devsStop()
            } catch {}
            if (code) process.stdout.write("@@vm panic " + code + "\n")
            else process.stdout.write("@@vm restart\n")
            // let stdout drain before leaving
            process.stdout.write("", () => process.exit(code ? 3 : 0))
        }
        inst.devsStop()
        inst.devsGcStress(gcStress)
        inst.devsSetDeviceId("12abdd2289421234")
        inst.devsStart()
        const r = inst.devsDeploy(binary)
        if (r) {
            process.stdout.write("@@vm error deploy " + r + "\n")
            process.exit(4)
        }
    }, e => {
        process.stdout.write("@@vm error " + (e && e.message) + "\n")
        process.exit(4)
    })
}

main()
