// The telemetry firmware. On a board it drives the configured chip over SPI; in the DeviceScript
// simulator (`npm start`, `devs run src/main.ts`) the chip is a register-level model on a virtual LAN.

import * as ds from "@devicescript/core"
import { CONFIG } from "./config/generated"
import { simulate } from "./sim/main"
import { startBoard } from "./board"

if (ds.isSimulator()) await simulate(CONFIG, { seconds: 0, frames: false })
else await startBoard(CONFIG)
