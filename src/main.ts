// The telemetry firmware. On a board it drives the configured chip over SPI; in the DeviceScript
// simulator (`npm start`, `devs run src/main.ts`) the chip is a register-level model on a virtual LAN.
// CONFIG and PINS (the GPIO numbers of the selected board) come from devicescript.json and
// boards/<board>.board.json through `npm run config`.

import * as ds from "@devicescript/core"
import { CONFIG, PINS } from "./config/generated"
import { simulate } from "./sim/main"
import { startBoard } from "./board"

if (ds.isSimulator()) await simulate(CONFIG, { seconds: 0, frames: false })
else await startBoard(CONFIG, PINS)
