// The ENC28J60 side of the driver fuzz target (driver.ts): every packet in the 6.5 KB ring starts
// with a 6-byte receive status vector (next-packet pointer, byte count, status). The lying vectors
// are written straight into the model's buffer memory over the packet just stored; errata #14 left
// unworked makes the model corrupt vectors itself; bad CRCs come from its badCrcNext hook. D4 is
// the model's misuse counter (accesses the datasheet leaves undefined).

import { Rng } from "./rng"
import { ChipUnderTest, ChipFactory } from "./driver"
import { StackConfig } from "../../src/config/types"
import { Segment } from "../../src/sim/lan"
import { SimSpiBus } from "../../src/sim/spi"
import { Enc28j60Model } from "../../src/sim/enc28j60"
import { Enc28j60Device, Erratum, RX_END, Enc28j60Mib } from "../../src/drivers/enc28j60/device"
import { NetDevice } from "../../src/dev/netdev"

// The model's 8 KB buffer is allocated once, when this module loads (before anything big): the heap
// never compacts, and a late 8 KB block may find no room.
const MODEL = new Enc28j60Model()
/** The one model of the program (other tests of the same program reuse it). */
export const ENC28J60_MODEL = MODEL

const RX_SIZE = RX_END + 1
const COUNTS = [0, 1, 17, 18, 19, 63, 64, 65, 1517, 1518, 1519, 1520, 0x1fff, 0xffff]

class Enc28j60UnderTest implements ChipUnderTest {
    readonly name = "enc28j60"
    readonly minLen = 14
    readonly model: Enc28j60Model
    readonly driver: Enc28j60Device
    readonly dev: NetDevice

    constructor(seg: Segment, clock: () => number, cfg: StackConfig) {
        const m = MODEL
        m.defaults()
        m.powerOn()
        m.resetCounters()
        m.attach(seg)
        this.model = m
        cfg.chip = "enc28j60"
        this.driver = new Enc28j60Device(new SimSpiBus(m), cfg.mac, { pollMs: 0, linkPollMs: 1e9 })
        this.dev = this.driver
    }

    async poll(): Promise<number> {
        return await this.driver.poll()
    }
    rxFrames(): number {
        return this.driver.stats[Enc28j60Mib.rx_frames]
    }
    protocolFault(): string {
        return this.model.misuse > 0 ? "the driver misused the ENC28J60 (" + this.model.misuse + " undefined accesses)" : null
    }
    async lyingHeader(rng: Rng, inject: () => Promise<void>): Promise<void> {
        const at = this.model.rxWritePointer()
        const before = this.model.rxFrames
        await inject()
        if (this.model.rxFrames === before) return
        const mem = this.model.mem
        const k = rng.below(4)
        if (k === 0) {
            // the next-packet pointer (bytes 0-1, little-endian)
            const cur = mem[at] | (mem[(at + 1) % RX_SIZE] << 8)
            const choices = [cur + 1, cur - 1, cur + 2, cur ^ 1, RX_END + 1, 0x1fff, 0, at, rng.below(0x2000)]
            const v = choices[rng.below(choices.length)] & 0xffff
            mem[at] = v & 0xff
            mem[(at + 1) % RX_SIZE] = v >> 8
        } else if (k === 1) {
            // the byte count (bytes 2-3)
            const cur = mem[(at + 2) % RX_SIZE] | (mem[(at + 3) % RX_SIZE] << 8)
            const v = rng.chance(30) ? (cur + rng.range(-2, 2)) & 0xffff : COUNTS[rng.below(COUNTS.length)]
            mem[(at + 2) % RX_SIZE] = v & 0xff
            mem[(at + 3) % RX_SIZE] = v >> 8
        } else if (k === 2) {
            // the status (RXOK and friends)
            mem[(at + 4) % RX_SIZE] = rng.chance(50) ? 0 : rng.byte()
        } else {
            for (let i = 0; i < 6; i++) mem[(at + i) % RX_SIZE] = rng.byte()
        }
    }
    flipRingBit(rng: Rng): void {
        const rd = this.model.rxReadPointer()
        const wr = this.model.rxWritePointer()
        let used = wr - rd - 1
        if (used < 0) used += RX_SIZE
        if (used <= 0) return
        const at = (rd + 1 + rng.below(used)) % RX_SIZE
        this.model.mem[at] ^= 1 << rng.below(8)
    }
    burst(rng: Rng): number {
        // 6.5 KB of ring: 5 full frames overflow it
        return rng.range(4, 7)
    }
    badCrc(n: number): void {
        this.model.badCrcNext = n
    }
    erratum(on: boolean): void {
        this.driver.workarounds = on ? Erratum.All & ~Erratum.OddRxReadPointer14 : Erratum.All
    }
    clearFaults(): void {
        this.model.badCrcNext = 0
        this.driver.workarounds = Erratum.All
    }
    summary(): string {
        const d = this.driver.stats
        const m = this.model
        let s = "rx_frames " + d[Enc28j60Mib.rx_frames] + " rx_errors " + d[Enc28j60Mib.rx_errors] + " rx_over_errors " + d[Enc28j60Mib.rx_over_errors]
        s += " rx_resets " + d[Enc28j60Mib.rx_resets] + " model.rxOverflows " + m.rxOverflows + " model.rxTooLong " + m.rxTooLong
        return s + " model.ringCorruptions " + m.ringCorruptions + " model.rxDisabled " + m.rxDisabled
    }
}

export const ENC28J60_CHIP: ChipFactory = (seg, clock, cfg) => new Enc28j60UnderTest(seg, clock, cfg)
