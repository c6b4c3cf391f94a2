// Regression (found by the soak, test/robust/soak.ts): the chip resets under the driver (a
// brown-out: every register back to its reset value, the socket/receiver off, the MAC address
// gone). The driver must notice, initialise the chip again, and traffic must flow both ways.
// Tasks off, polls by hand: deterministic. Chip-specific parts come through ResetChip.

import * as ds from "@devicescript/core"
import { testConfig, BOARD_IP, COLLECTOR_IP } from "../support/config"
import { COLLECTOR_MAC } from "../support/rig"
import { StackConfig } from "../../src/config/types"
import { NetStack } from "../../src/stack"
import { NetDevice } from "../../src/dev/netdev"
import { Segment } from "../../src/sim/lan"
import { VirtualHost } from "../../src/sim/host"
import { SendResult } from "../../src/ipv4/output"
import { formatDeviceStats } from "../../src/dev/netdev"

export interface ResetChip {
    readonly dev: NetDevice
    poll(): Promise<number>
    /** The brown-out. */
    reset(): void
}

export type ResetChipFactory = (seg: Segment, cfg: StackConfig) => ResetChip

/** Null when traffic flows again after the reset, else what does not. */
export async function chipResetRecovers(factory: ResetChipFactory): Promise<string> {
    const seg = new Segment()
    const cfg = testConfig()
    cfg.qdiscLimitBytes = 3072
    cfg.neighPendingBytes = 1600
    cfg.neighPendingPackets = 2
    const chip = factory(seg, cfg)
    const stack = new NetStack(cfg, chip.dev)
    const col = new VirtualHost(seg, COLLECTOR_MAC, COLLECTOR_IP, 128)
    col.keepBytes = 0
    let got = 0
    const sock = stack.udpSocket(9000)
    sock.onMessage = (buf, off, len, src, port) => {
        got++
    }
    await chip.dev.open(stack)
    const pump = async (n: number) => {
        for (let i = 0; i < n; i++) {
            await chip.poll()
            await stack.drain.run()
            await ds.sleep(2)
        }
    }
    if (sock.sendTo(COLLECTOR_IP, 8125, Buffer.from("before")) !== SendResult.Queued) return "the first datagram was not queued for ARP"
    await pump(4)
    if (col.udpReceived !== 1) return "no traffic even before the reset"
    chip.reset()
    // the driver gets a while to notice (link polls, a SEND that never completes), then must work
    for (let round = 0; round < 12; round++) {
        sock.sendTo(COLLECTOR_IP, 8125, Buffer.from("after"))
        await pump(6)
        if (col.udpReceived > 1) break
    }
    if (col.udpReceived < 2) return "after the reset no datagram reached the collector (" + formatDeviceStats(stack.dev) + ")"
    const before = got
    for (let round = 0; round < 6 && got === before; round++) {
        col.sendUdp(BOARD_IP, 7000, 9000, Buffer.from("to the board"), 0, 12)
        await pump(4)
    }
    if (got === before) return "after the reset nothing sent to the board arrived (" + formatDeviceStats(stack.dev) + ")"
    return null
}
