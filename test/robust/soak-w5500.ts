// The W5500 under the soak: its register-level model on the segment, the MACRAW driver with its
// default options (poll task every 1 ms, PHY every 100 ms), and the model's fault hooks.

import { SoakChip, SoakChipFactory } from "./soak"
import { ChipFaults } from "../../src/sim/faults"
import { Segment } from "../../src/sim/lan"
import { SimSpiBus } from "../../src/sim/spi"
import { W5500Model } from "../../src/sim/w5500"
import { W5500Device } from "../../src/drivers/w5500/device"
import { NetDevice } from "../../src/dev/netdev"
import { StackConfig } from "../../src/config/types"

export class W5500Faults implements ChipFaults {
    readonly name = "w5500"
    constructor(
        readonly model: W5500Model,
        readonly driver: W5500Device
    ) {}
    setLink(up: boolean): void {
        this.model.setLink(up)
    }
    loseSends(n: number): void {
        this.model.sendOkLoss += n
    }
    reset(): void {
        this.model.reset()
    }
    clear(): void {
        this.model.sendOkLoss = 0
        this.model.setLink(true)
    }
    clearDiagnostics(): void {
        this.model.lastProtocolError = ""
        this.driver.lastError = null
    }
    summary(): string {
        const m = this.model
        let s = "resets " + m.resets + " framesSent " + m.framesSent + " sendsStuck " + m.sendsStuck
        s += " framesStored " + m.framesStored + " rxDroppedFull " + m.rxDroppedFull + " rxFiltered " + m.rxFiltered
        s += " rxDroppedClosed " + m.rxDroppedClosed + " protocolErrors " + m.protocolErrors
        s += " pages " + (m.pagesBacked() + m.txMem.pool.length)
        return m.protocolErrors > 0 ? s + " lastProtocolError: " + m.lastProtocolError : s
    }
}

/** RX buffer (32) + the frames in flight on the TX side. */
const PREFILLED_PAGES = 36

class W5500Soak implements SoakChip {
    readonly faults: ChipFaults
    readonly driver: NetDevice
    readonly telemetry = false
    readonly burstYieldEvery = 0
    private readonly model: W5500Model
    constructor(seg: Segment, cfg: StackConfig) {
        const model = new W5500Model(seg)
        this.model = model
        // the model backs its 2 x 16 KB with 512-byte pages taken on first write; an RX overflow
        // takes all 32 of the RX side. Take them now, in one run of the heap, so that the soak
        // neither fragments the heap with late pages nor measures them as growth.
        for (let i = 0; i < PREFILLED_PAGES; i++) model.txMem.pool.push(Buffer.alloc(512))
        const d = new W5500Device(new SimSpiBus(model), cfg.mac, { mtu: cfg.mtu })
        this.driver = d
        this.faults = new W5500Faults(model, d)
    }
    modelHeapBytes(): number {
        // Buffer.alloc(512) takes 524 B of heap (12 B of header)
        return (this.model.pagesBacked() + this.model.txMem.pool.length) * 524
    }
}

export const W5500_SOAK: SoakChipFactory = (seg, cfg) => new W5500Soak(seg, cfg)
