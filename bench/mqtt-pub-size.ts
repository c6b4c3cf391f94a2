import { startMQTTClient } from "../src/mqtt/client"
import { StreamStatus } from "../src/tcp/stream"
const c = await startMQTTClient({ host: "broker", keepAlive: 30 }, async (h, p) => StreamStatus.Unreachable)
await c.publish("t", { a: 1 }, 1)
