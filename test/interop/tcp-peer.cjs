// TCP servers for the TCP interop test, run inside the test's network namespace
// (`ip netns exec NS node tcp-peer.cjs ADDRESS WORKDIR SOURCE_BYTES`): real kernel sockets.
//   9100 sink:   stores what a connection sends in WORKDIR/sink-<n>.bin; on the peer's FIN, closes
//                its own side (FIN back) and prints {"event":"end","port":9100,"conn":n,"len":..,"file":..}
//   9101 source: sends SOURCE_BYTES bytes (byte i = (i * 13 + (i >> 8)) & 0xff), then half-closes
//                (FIN) and keeps reading until the peer closes: {"event":"sent"}, {"event":"closed"}
//   9102 reset:  accepts, then resets the connection (RST) after 300 ms: {"event":"reset"}
// Prints "ready" once listening. Ends on SIGTERM, when stdin closes, or after 600 s.
"use strict"
const net = require("node:net")
const fs = require("node:fs")
const path = require("node:path")

const [address, work, sourceBytes] = process.argv.slice(2)
const out = o => process.stdout.write(JSON.stringify(o) + "\n")
let conns = 0
let listening = 0
const listen = (port, handler) => {
    const s = net.createServer(handler)
    s.on("error", e => {
        console.error(`tcp-peer: ${address}:${port}: ${e.message}`)
        process.exit(1)
    })
    s.listen(port, address, () => {
        if (++listening === 3) out("ready")
    })
}
listen(9100, sock => {
    const n = ++conns
    const file = path.join(work, `sink-${n}.bin`)
    const chunks = []
    let len = 0
    sock.on("data", d => {
        chunks.push(d)
        len += d.length
    })
    sock.on("end", () => {
        fs.writeFileSync(file, Buffer.concat(chunks))
        out({ event: "end", port: 9100, conn: n, len, file })
        sock.end()
    })
    sock.on("error", e => out({ event: "error", port: 9100, conn: n, error: e.message }))
})
listen(9101, sock => {
    const n = Number(sourceBytes)
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = (i * 13 + (i >> 8)) & 0xff
    sock.write(b, () => out({ event: "sent", port: 9101, len: n }))
    sock.end()
    sock.on("data", () => {})
    sock.on("close", () => out({ event: "closed", port: 9101 }))
    sock.on("error", e => out({ event: "error", port: 9101, error: e.message }))
})
listen(9102, sock => {
    sock.on("error", () => {})
    setTimeout(() => {
        sock.resetAndDestroy()
        out({ event: "reset", port: 9102 })
    }, 300)
})
process.stdin.on("end", () => process.exit(0))
process.stdin.resume()
setTimeout(() => process.exit(0), 600000)
process.on("SIGTERM", () => process.exit(0))
