// Bytecode of the MQTT client and the telemetry adapter as a program using them links them (the
// board firmware links neither): `npx devicescript build bench/mqtt-size.ts`, then the functions of
// bytecode-dbg.json by source file. Connect, publish QoS 0 and 1, subscribe, unsubscribe, telemetry.
import { startMQTTClient } from "../src/mqtt/client"
import { StreamStatus } from "../src/tcp/stream"
import { MqttTelemetry, addMqttMetrics } from "../src/telemetry/mqtt"

const c = await startMQTTClient({ host: "broker", keepAlive: 30 }, async (h, p) => StreamStatus.Unreachable)
await c.publish("t", "x")
await c.publish("t", { a: 1 }, 1)
await c.subscribe("cmd/#", async m => {
    console.log(m.topic)
})
await c.unsubscribe("cmd/#")
const t = new MqttTelemetry(c, { topic: "board/telemetry", intervalMs: 10000 })
addMqttMetrics(t, c)
t.start()
