// The telemetry firmware for a board: the configured chip over SPI, the stack, the telemetry
// client. CONFIG and PINS (the GPIO numbers of the selected board) come from devicescript.json and
// boards/<board>.board.json through `npm run config`.
//
// The simulator has no SPI: there `npm start` runs the same stack and telemetry client on a
// register-level model of the chip (src/sim/main.ts, from an entry host/sim/start.ts generates), so
// this program carries no simulator code.

import * as ds from "@devicescript/core"
import { CONFIG, PINS } from "./config/generated"
import { startBoard } from "./board"

if (ds.isSimulator()) console.log("src/main.ts is the board firmware (the simulator has no SPI): run `npm start` instead")
else await startBoard(CONFIG, PINS)
