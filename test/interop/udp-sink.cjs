// A UDP listener for the Linux interop test, run inside the test's network namespace
// (`ip netns exec NS node udp-sink.cjs ADDRESS PORT...`): a real kernel socket on each port. Prints
// "ready" once bound, then one JSON line per datagram: {"t": ms since start, "port", "from",
// "fromPort", "len", "data": base64}. Ends on SIGTERM, when stdin closes, or after 600 s.
"use strict"
const dgram = require("node:dgram")

const [address, ...ports] = process.argv.slice(2)
if (!address || ports.length === 0) {
    console.error("usage: node udp-sink.cjs ADDRESS PORT...")
    process.exit(2)
}
const t0 = Date.now()
let bound = 0
const socks = ports.map(p => {
    const s = dgram.createSocket("udp4")
    s.on("error", e => {
        console.error(`udp-sink: ${address}:${p}: ${e.message}`)
        process.exit(1)
    })
    s.on("message", (msg, r) => {
        const line = { t: Date.now() - t0, port: Number(p), from: r.address, fromPort: r.port, len: msg.length, data: msg.toString("base64") }
        process.stdout.write(JSON.stringify(line) + "\n")
    })
    s.bind(Number(p), address, () => {
        s.setRecvBufferSize(1 << 20)
        if (++bound === ports.length) process.stdout.write("ready\n")
    })
    return s
})
const end = () => {
    for (const s of socks) s.close()
    process.exit(0)
}
process.on("SIGTERM", end)
process.on("SIGINT", end)
process.stdin.on("end", end)
process.stdin.resume()
setTimeout(end, 600000).unref()
