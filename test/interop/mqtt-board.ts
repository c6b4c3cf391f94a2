// The board side of test/interop/mqtt.interop.ts (which generates the entry that calls it): a chip
// model joined to the host bridge, the stack with this stack's TCP (src/tcp/table.ts, from the TCP
// work), and the MQTT client of test/mqtt/mosquitto-board.ts connecting through it to Mosquitto in
// the namespace. Needs src/tcp/table.ts: the spec skips where it is missing.

import * as ds from "@devicescript/core"
import { StackConfig } from "../../src/config/types"
import { NetDevice } from "../../src/dev/netdev"
import { Segment } from "../../src/sim/lan"
import { HostLink } from "../../src/sim/hostlink"
import { startStack } from "../../src/start"
import { parseIpv4 } from "../../src/wire/addr"
import { tcpTable, TcpConfig } from "../../src/tcp/table"
import { ByteStream, StreamStatus } from "../../src/tcp/stream"
import { runMosquittoBoard } from "../mqtt/mosquitto-board"
import { formatStack } from "../../src/stackformat"

export async function runMqttInteropBoard(
    config: StackConfig,
    device: (segment: Segment) => NetDevice,
    bridgeHost: string,
    bridgePort: number,
    broker: string,
    brokerPort: number,
    burst: number,
    lossBurst: number
): Promise<void> {
    const segment = new Segment()
    const dev = device(segment)
    const link = new HostLink(segment, config.mac, bridgeHost, bridgePort)
    if (!(await link.start())) throw new Error(link.lastError)
    const stack = await startStack(config, dev)
    const tcp = tcpTable(stack, new TcpConfig())
    console.log("mqtt board: up")
    // the MQTT connector over this stack's TCP: a connection (still Connecting) or why not
    const connector = async (host: string | number, port: number): Promise<ByteStream | StreamStatus> => {
        const c = tcp.connect(typeof host === "number" ? host : parseIpv4(host), port)
        return c === null ? StreamStatus.Unreachable : c
    }
    await runMosquittoBoard(broker, brokerPort, burst, connector, lossBurst)
    console.log("mqtt board: " + formatStack(stack).split("\n").join(" | "))
    await ds.sleep(100)
}
