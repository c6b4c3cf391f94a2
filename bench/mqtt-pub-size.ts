// Bytecode of the publish-only MQTT client (MqttClient: no subscriptions) as a telemetry firmware
// links it: `npx devicescript build bench/mqtt-pub-size.ts`, then the functions of
// bytecode-dbg.json by source file (bench/mqtt-size.ts: the full client).
import { MqttClient } from "../src/mqtt/client"
import { StreamStatus } from "../src/tcp/stream"

const c = new MqttClient({ host: "broker", keepAlive: 30 }, async (h, p) => StreamStatus.Unreachable)
c.start()
await c.publish("t", { a: 1 }, 1)
