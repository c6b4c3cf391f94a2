// The W5500 side of the driver fuzz target (driver.ts): MACRAW keeps `[len + 2 (u16 BE)][frame]`
// records in a 16 KB ring; the lying headers come from the model's corruptRxHeader hook, bit flips
// go straight into its RX memory. D4 is the model's protocolErrors (any SPI access the datasheet
// forbids, a command while Sn_CR is busy, a SEND before SENDOK, RECV past RX_WR...).

import { Rng } from "./rng"
import { ChipUnderTest, ChipFactory } from "./driver"
import { StackConfig } from "../../src/config/types"
import { Segment } from "../../src/sim/lan"
import { SimSpiBus } from "../../src/sim/spi"
import { W5500Model } from "../../src/sim/w5500"
import { W5500Device, W5500Mib } from "../../src/drivers/w5500/device"
import { NetDevice } from "../../src/dev/netdev"

const HEADERS = [0, 1, 2, 3, 61, 62, 63, 64, 100, 1514, 1515, 1516, 1517, 1518, 0x7fff, 0x8000, 0xfffe, 0xffff]

class W5500UnderTest implements ChipUnderTest {
    readonly name = "w5500"
    readonly minLen = 60
    readonly model: W5500Model
    readonly driver: W5500Device
    readonly dev: NetDevice
    private readonly one = Buffer.alloc(1)

    constructor(seg: Segment, clock: () => number, cfg: StackConfig) {
        this.model = new W5500Model(seg, { clock: clock })
        this.driver = new W5500Device(new SimSpiBus(this.model), cfg.mac, { task: false, linkPollMs: 0, clock: clock })
        this.dev = this.driver
    }

    async poll(): Promise<number> {
        return await this.driver.poll()
    }
    rxFrames(): number {
        return this.driver.stats[W5500Mib.rxFrames]
    }
    protocolFault(): string {
        return this.model.protocolErrors > 0 ? "the driver broke the W5500 protocol: " + this.model.lastProtocolError : null
    }
    async lyingHeader(rng: Rng, inject: () => Promise<void>): Promise<void> {
        this.model.corruptRxHeader = rng.chance(70) ? HEADERS[rng.below(HEADERS.length)] : rng.next() & 0xffff
        await inject()
    }
    flipRingBit(rng: Rng): void {
        const p = this.model.pointers()
        const used = (p[3] - p[2]) & 0xffff
        if (used === 0) return
        const at = (p[2] + rng.below(used)) & 16383
        this.model.rxMem.read(at, this.one, 0, 1)
        this.one[0] ^= 1 << rng.below(8)
        this.model.rxMem.write(at, this.one, 0, 1)
    }
    burst(rng: Rng): number {
        // 16 KB of ring: 11 full frames overflow it
        return rng.range(9, 13)
    }
    badCrc(n: number): void {}
    erratum(on: boolean): void {}
    clearFaults(): void {
        this.model.corruptRxHeader = -1
    }
    summary(): string {
        const d = this.driver.stats
        const m = this.model
        let s = "rxFrames " + d[W5500Mib.rxFrames] + " rxLengthErrors " + d[W5500Mib.rxLengthErrors] + " rxResyncs " + d[W5500Mib.rxResyncs]
        s += " rxDeliverErrors " + d[W5500Mib.rxDeliverErrors] + " pollErrors " + d[W5500Mib.pollErrors] + " model.rxDroppedFull " + m.rxDroppedFull
        return s + " model.rxRunts " + m.rxRunts + " model.rxGiants " + m.rxGiants
    }
}

export const W5500_CHIP: ChipFactory = (seg, clock, cfg) => new W5500UnderTest(seg, clock, cfg)
