// What the memory variants of TCP and MQTT (host/bench/mem.ts, program "memtcp") build after their
// padding: the default stack on a copying TestDevice (the collector in a static ARP entry), TCP on it
// with the default TcpConfig (src/start.ts's startMqttTelemetry does the same), then one connection
// opened to the collector (its two rings allocated, the SYN sent), or an MQTT client with the default
// buffers (constructed: tx, rx and the QoS 1 outbox are allocated in the constructor). The program
// links bench/memstack.ts as the "memstack" program does, so that the difference of their statics is
// the statics of TCP and the MQTT client.

import { NetStack } from "../src/stack"
import { tcpTable, TcpConfig, TcpTable } from "../src/tcp/table"
import { TcpConn } from "../src/tcp/conn"
import { StreamStatus } from "../src/tcp/stream"
import { MqttClient } from "../src/mqtt/client"
import { COLLECTOR_IP } from "../test/support/config"
import { memStack } from "./memstack"

export class Tcp {
    constructor(
        readonly stack: NetStack,
        readonly tcp: TcpTable,
        readonly conns: TcpConn[],
        readonly mqtt: MqttClient
    ) {}
}

/** The stack with TCP, `conns` connections to the collector's port 1883, and an MQTT client if asked. */
export function memTcp(conns: number, mqtt: boolean): Tcp {
    const stack = memStack(false)
    const tcp = tcpTable(stack, new TcpConfig())
    const cs: TcpConn[] = []
    for (let i = 0; i < conns; i++) {
        const c = tcp.connect(COLLECTOR_IP, 1883)
        if (c === null) throw new Error("connect " + i + ": " + tcp.lastError)
        cs.push(c)
    }
    let m: MqttClient = null
    if (mqtt) m = new MqttClient({ host: COLLECTOR_IP, port: 1883, clientId: "board1", keepAlive: 60 }, async (h, p) => StreamStatus.Unreachable)
    return new Tcp(stack, tcp, cs, m)
}
