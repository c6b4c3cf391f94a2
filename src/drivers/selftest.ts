// The bring-up self-test both drivers run in open(): the chip's identity, a pattern written to chip
// memory and read back at the configured clock, then the link. A failure says what to check.

import { formatHex8 } from "../wire/addr"

/**
 * Written and read back: alternating bits, all zeros and ones, and a walking one, so a stuck or
 * swapped MISO/MOSI bit, a byte shifted by a late-sampled clock and a missing chip all show.
 */
export const SELF_TEST_PATTERN = hex`55 aa 00 ff 01 02 04 08 10 20 40 80`
/** SELF_TEST_PATTERN as the read-back error prints it. */
const PATTERN_TEXT = "55 aa 00 ff 01 02 04 08 10 20 40 80"

function mhz(hz: number): string {
    return Math.round(hz / 100000) / 10 + " MHz"
}

/**
 * The bring-up self-test failed: `message` says what was seen and what to check.
 * @devsWhenUsed
 */
export class SelfTestError extends Error {
    constructor(message: string) {
        super(message)
        this.name = "SelfTestError"
    }
}

/** The hint every identity or read-back failure ends with. */
export function wiringHint(hz: number): string {
    return "check the wiring (short wires, a common ground, MISO/MOSI not swapped) or lower spi.hz in devicescript.json (now " + mhz(hz) + ")"
}

/** What an identity register that reads `v` says about the bus. */
export function identityHint(v: number, hz: number): string {
    if (v === 0xff) return "no chip answers (MISO stays high): check the chip's power, its chip select and MISO"
    if (v === 0x00) return "no chip answers (MISO stays low): check the chip's power, its reset line and MISO"
    return "another chip, or reads corrupted on the way: " + wiringHint(hz)
}

/** Throws SelfTestError unless `got[off..]` equals SELF_TEST_PATTERN. */
export function checkReadBack(chip: string, got: Buffer, off: number, hz: number): void {
    const p = SELF_TEST_PATTERN
    for (let i = 0; i < p.length; i++) {
        if (got[off + i] !== p[i]) {
            let read = ""
            for (let j = 0; j < p.length; j++) read += (j > 0 ? " " : "") + formatHex8(got[off + j]).slice(2)
            throw new SelfTestError(chip + ": SPI read-back mismatch at " + mhz(hz) + ": wrote " + PATTERN_TEXT + ", read " + read + ": " + wiringHint(hz))
        }
    }
}

/** The line a driver prints after a passing self-test. */
export function bringUpReport(chip: string, identity: string, hz: number, link: boolean, detail: string): string {
    return chip + ": " + identity + ", SPI read-back ok (" + SELF_TEST_PATTERN.length + " bytes at " + mhz(hz) + "), link " + (link ? "up" + detail : "down (no cable or no link partner)")
}
