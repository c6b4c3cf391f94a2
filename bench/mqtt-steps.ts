// Bytecode steps per 64-byte QoS 0 (and QoS 1) publish, with the technique of bench/steps.ts: a fresh
// step budget (128 Ki, then the VM panics) is spent on K publishes and then on counted filler
// iterations; steps per publish = O * (N0 - N) / K, O = budget / N0 from a run with K = 0.
// The stream is a sink (write takes everything), so this is the client's own cost: encode into the
// tx buffer (QoS 1: into the outbox, then copied to tx by pump) and the write call. By hand:
//   for K in 0 50; do sed "s/^const K = .*/const K = $K/" bench/mqtt-steps.ts > bench/.mqtt-steps-k.ts;
//     npx devicescript run bench/.mqtt-steps-k.ts --test -T 60000 | grep -c '@@n'; done
// Measured (CLI 2.16.4): N0 = 6,898 (O = 19.0 steps); QoS 0: N = 5,511 -> 527 steps a publish;
// QoS 1: N = 4,687 -> 840 steps a publish (topic of 17 bytes, 64-byte payload).
import * as ds from "@devicescript/core"
import { MqttClient } from "../src/mqtt/client"
import { ByteStream, StreamStatus } from "../src/tcp/stream"

const K = 0
const QOS = 0

class Sink implements ByteStream {
    inb = hex`20 02 00 00`
    inLen = 4
    written = 0
    readable(): number {
        return this.inLen
    }
    read(buf: Buffer, off: number, len: number): number {
        const n = Math.min(len, this.inLen)
        buf.blitAt(off, this.inb, 4 - this.inLen, n)
        this.inLen -= n
        return n
    }
    writable(): number {
        return 65536
    }
    write(buf: Buffer, off: number, len: number): number {
        this.written += len
        return len
    }
    async wait(ms: number): Promise<void> {
        await ds.sleep(Math.min(ms, 50))
    }
    status(): StreamStatus {
        return StreamStatus.Open
    }
    close(): void {}
    abort(): void {}
}

const sink = new Sink()
const c = new MqttClient({ host: "x", clientId: "board", keepAlive: 0, outboxMessages: 64, outboxBytes: 8192 }, async (h, p) => sink)
c.start()
while (!c.connected()) await ds.sleep(10)
const payload = Buffer.alloc(64)
// warm up, and acknowledge nothing: QoS 1 messages stay in the outbox (64 of room)
for (let i = 0; i < 2; i++) await c.publish("board/temperature", payload, QOS)
console.log("@@steps start k=" + K + " qos=" + QOS)
await ds.sleep(0)
let n = 0
while (true) {
    if (n < K) await c.publish("board/temperature", payload, QOS)
    n++
    console.log("@@n " + n)
}
