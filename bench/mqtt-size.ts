// Bytecode of the MQTT client as a program that uses it links it (npm run bench -- --only size
// covers the board firmware; this measures src/mqtt/ alone): connect, publish QoS 0 and 1, subscribe.
import { startMQTTClient } from "../src/mqtt/client"
import { StreamStatus } from "../src/tcp/stream"

const c = await startMQTTClient({ host: "broker", keepAlive: 30 }, async (h, p) => StreamStatus.Unreachable)
await c.publish("t", "x")
await c.publish("t", { a: 1 }, 1)
await c.subscribe("cmd/#", async m => {
    console.log(m.topic)
})
await c.unsubscribe("cmd/#")
await c.stop()
