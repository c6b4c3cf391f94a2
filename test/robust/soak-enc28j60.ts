// The ENC28J60 under the soak: its register-level model on the segment, the driver with its default
// options (half duplex, poll task every 5 ms, PHSTAT2 every second or on LINKIF), and the model's
// fault hooks. The model is allocated when this module loads (one 8 KB block, before anything big).

import { SoakChip, SoakChipFactory } from "./soak"
import { ChipFaults } from "../../src/sim/faults"
import { Segment } from "../../src/sim/lan"
import { SimSpiBus } from "../../src/sim/spi"
import { Enc28j60Model } from "../../src/sim/enc28j60"
import { Enc28j60Device } from "../../src/drivers/enc28j60/device"
import { NetDevice } from "../../src/dev/netdev"
import { StackConfig } from "../../src/config/types"

const MODEL = new Enc28j60Model()

export class Enc28j60Faults implements ChipFaults {
    readonly name = "enc28j60"
    constructor(
        readonly model: Enc28j60Model,
        readonly driver: Enc28j60Device
    ) {}
    setLink(up: boolean): void {
        this.model.setLink(up)
    }
    loseSends(n: number): void {
        this.model.abortNext += n
    }
    reset(): void {
        this.model.powerOn()
    }
    clear(): void {
        this.model.abortNext = 0
        this.model.setLink(true)
    }
    clearDiagnostics(): void {
        // the driver keeps no message; the model none either
    }
    summary(): string {
        const m = this.model
        let s = "srcCount " + m.srcCount + " txFrames " + m.txFrames + " txAborts " + m.txAborts
        s += " txLinkDown " + m.txLinkDown + " rxFrames " + m.rxFrames + " rxOverflows " + m.rxOverflows
        s += " rxLinkDown " + m.rxLinkDown + " rxDisabled " + m.rxDisabled + " rxFiltered " + m.rxFiltered
        return s + " misuse " + m.misuse
    }
}

class Enc28j60Soak implements SoakChip {
    readonly faults: ChipFaults
    readonly driver: NetDevice
    readonly telemetry = true
    readonly burstYieldEvery = 3
    constructor(seg: Segment, cfg: StackConfig) {
        const m = MODEL
        m.defaults()
        m.powerOn()
        m.resetCounters()
        m.attach(seg)
        const d = new Enc28j60Device(new SimSpiBus(m), cfg.mac, { mtu: cfg.mtu })
        this.driver = d
        this.faults = new Enc28j60Faults(m, d)
    }
    modelHeapBytes(): number {
        return 0
    }
}

export const ENC28J60_SOAK: SoakChipFactory = (seg, cfg) => new Enc28j60Soak(seg, cfg)
