// The GPIO numbers of the board files in boards/ (the roles SPI_SCK, SPI_MOSI, SPI_MISO, ETH_CS,
// ETH_INT, ETH_RST), for a project that uses this package and copies those board files: this
// repository's own firmware gets them from the board file through `npm run config` (PINS). A host
// spec (test/host/boards.spec.ts) keeps this table equal to the files.

import { BoardPins } from "./types"

/** One row per board file: id, then sck mosi miso cs int reset. */
const BOARDS: [string, number, number, number, number, number, number][] = [
    ["esp32_devkit_w5500", 18, 23, 19, 5, 4, 26],
    ["esp32_devkit_enc28j60", 18, 23, 19, 5, 4, 26],
    ["w5500_evb_pico", 18, 19, 16, 17, 21, 20],
    ["pico_enc28j60", 18, 19, 16, 17, 21, 20],
]

/** The pins of board file `id`; throws for an id that is not one of boards/. */
export function boardPins(id: string): BoardPins {
    for (const b of BOARDS) if (b[0] === id) return { sck: b[1], mosi: b[2], miso: b[3], cs: b[4], int: b[5], reset: b[6] }
    throw new Error("boardPins: no board file '" + id + "' in this package (boards/: esp32_devkit_w5500, esp32_devkit_enc28j60, w5500_evb_pico, pico_enc28j60)")
}
