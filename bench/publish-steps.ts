// Bytecode steps per 64-byte MQTT publish through the whole board path: MqttClient.publish -> the TCP
// connection's send ring and segment output -> IPv4 output -> qdisc -> drain -> the device (the
// copying TestDevice of bench/steps.ts, so the figure is the stack's and not a chip model's), with
// the technique of bench/steps.ts: a fresh step budget (128 Ki, then the VM panics InfiniteLoop) is
// spent on K publishes and then on counted filler iterations; steps per publish = O * (N0 - N) / K,
// O = budget / N0 from bench/steps.ts's calibration run (its loops have the same shape as these).
// host/bench/steps.ts patches SPEC per run.
//
// The connection is set up first as a broker would answer it: SYN-ACK (MSS 1460, window 65,535)
// and CONNACK injected into the stack as frames from the collector (test/tcp/peer.ts builds them).
// Cases, topic "board/temperature" (17 bytes), 64-byte payload:
//   1 QoS 0, no ACK from the peer (the segments stay in flight: the transmit path alone)
//   2 QoS 1, no ACK and no PUBACK (into the outbox, copied to tx, sent)
//   3 QoS 0, and the peer's ACK of each publish's segment received (stack.receive: Ethernet, IPv4
//     input, the TCP checksum, TCP input) before the next: the steady state of a telemetry stream
//   4 QoS 1 and the peer's TCP ACK (no PUBACK: the message stays in the outbox, 64 deep)
// Cases 1, 2 and 4 use an 8,192-byte send ring (the default 1,460 B would fill before K publishes
// without ACKs), and 1 and 2 turn Nagle off (with data unacknowledged it would hold each publish
// back until a full segment); case 3 the default TcpConfig. The peer's ACK frames are built before the budget
// starts (one per publish: its acknowledgment number differs).

import * as ds from "@devicescript/core"
import { tcpTable, TcpConfig } from "../src/tcp/table"
import { TcpConn } from "../src/tcp/conn"
import { MqttClient } from "../src/mqtt/client"
import { COLLECTOR_IP } from "../test/support/config"
import { segment, add32, PEER_ISS, PEER_PORT, SYN, ACK, PSH } from "../test/tcp/peer"
import { TestDevice } from "../src/dev/testdev"
import { Cfg, makeStack } from "./common"

const SPEC = "@@pubspec:00:000000"
const CASE = parseInt(SPEC.slice(10, 12))
const K = parseInt(SPEC.slice(13, 19))
const QOS = CASE === 2 || CASE === 4 ? 1 : 0
const ACKED = CASE === 3 || CASE === 4
const TOPIC = "board/temperature"

await ds.sleep(0)
const stack = makeStack(Cfg.Default)
const drain = stack.drain
const kcfg = new TcpConfig()
if (CASE !== 3) kcfg.sndBuf = 8192
const tcp = tcpTable(stack, kcfg)
let conn: TcpConn = null
const client = new MqttClient({ host: COLLECTOR_IP, port: PEER_PORT, clientId: "board1", keepAlive: 0, outboxMessages: 64, outboxBytes: 8192 }, async (h, p) => {
    conn = tcp.connect(COLLECTOR_IP, PEER_PORT)
    if (!ACKED) conn.noDelay = true
    return conn
})
client.start()
for (let i = 0; i < 100 && conn === null; i++) await ds.sleep(10)
await drain.run()
const mss = hex`02 04 05 b4`
stack.receive(segment(PEER_PORT, conn.localPort, PEER_ISS, add32(conn.iss, 1), SYN | ACK, 65535, mss, null), 0, 58)
// the client writes CONNECT once the connection is open; the broker acknowledges it with CONNACK
for (let i = 0; i < 100 && conn.sndNxt === add32(conn.iss, 1); i++) await ds.sleep(10)
await drain.run()
const peerSeq = add32(PEER_ISS, 1 + 4)
const connack = segment(PEER_PORT, conn.localPort, add32(PEER_ISS, 1), conn.sndNxt, ACK | PSH, 65535, null, hex`20 02 00 00`)
stack.receive(connack, 0, connack.length)
for (let i = 0; i < 100 && !client.connected(); i++) await ds.sleep(10)
if (!client.connected()) throw new Error("publish-steps: the client did not connect")

const payload = Buffer.alloc(64)
/** Bytes one publish puts on the connection (measured on the first). */
let L = 0
async function warm(): Promise<void> {
    for (let i = 0; i < 2; i++) {
        const before = conn.sndNxt
        await client.publish(TOPIC, payload, QOS)
        await drain.run()
        L = (conn.sndNxt - before) | 0
        if (ACKED) {
            const a = segment(PEER_PORT, conn.localPort, peerSeq, conn.sndNxt, ACK, 65535, null, null)
            stack.receive(a, 0, a.length)
        }
        await ds.sleep(0)
    }
}
await warm()
const acks: Buffer[] = []
if (ACKED) for (let i = 0; i < K; i++) acks.push(segment(PEER_PORT, conn.localPort, peerSeq, add32(conn.sndNxt, (i + 1) * L), ACK, 65535, null, null))
const alen = 54
const frames = (stack.dev as TestDevice).accepted
const head = "@@steps start case=" + CASE + " k=" + K + " qos=" + QOS + " acked=" + (ACKED ? 1 : 0)
console.log(head + " bytes=" + L + " sndbuf=" + kcfg.sndBuf + " cwnd=" + conn.cwnd + " frames=" + frames)
await ds.sleep(0)
let n = 0
if (CASE === 1 || CASE === 2) {
    while (true) {
        if (n < K) {
            await client.publish(TOPIC, payload, QOS)
            await drain.run()
        }
        n++
        console.log("@@n " + n)
    }
} else if (CASE === 3 || CASE === 4) {
    while (true) {
        if (n < K) {
            await client.publish(TOPIC, payload, QOS)
            await drain.run()
            stack.receive(acks[n], 0, alen)
        }
        n++
        console.log("@@n " + n)
    }
}
