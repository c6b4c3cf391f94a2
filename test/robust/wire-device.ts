// The board's device in the protocol soaks (soak-lan.ts, soak-mqtt.ts): a NetDevice plugged straight
// into the virtual LAN, without a chip model or driver (the UDP soak, soak.ts, soaks those; a
// program with a chip, DHCP, DNS, SNTP or TCP, MQTT and the peers passes DeviceScript's 64 KB of
// function bytecode). Received frames wait in a 4 KB ring, as in a chip's RX buffer, until a 1 ms
// task hands them to the stack (so the stack's input never runs inside its own output, which a
// peer answering synchronously would cause). Frames that do not fit are dropped and counted. A
// lossy link: each frame, either way, is lost with probability `lossPercent` (seeded).

import * as ds from "@devicescript/core"
import { NetDevice, NetDeviceOwner, XmitStatus } from "../../src/dev/netdev"
import { LanPort, Segment } from "../../src/sim/lan"
import { Rng } from "../fuzz/rng"

const RING = 4096

export class WireDevice implements NetDevice, LanPort {
    readonly name = "wire"
    readonly bringUp = "wire: on the virtual LAN, no chip"
    readonly mtu = 1500
    owner: NetDeviceOwner = null
    /** Frames lost on purpose, each way, when non-zero (percent). */
    lossPercent = 0
    txFrames = 0
    rxFrames = 0
    txLost = 0
    rxLost = 0
    rxOverflows = 0
    private readonly ring = Buffer.alloc(RING)
    private head = 0
    private tail = 0
    private running = false

    constructor(
        readonly segment: Segment,
        readonly mac: Buffer,
        readonly rng: Rng
    ) {
        segment.attach(this)
    }

    async open(owner: NetDeviceOwner): Promise<void> {
        this.owner = owner
        this.running = true
        this.poll.start()
    }
    async stop(): Promise<void> {
        this.running = false
    }
    carrier(): boolean {
        return true
    }

    private lose(): boolean {
        return this.lossPercent > 0 && this.rng.below(100) < this.lossPercent
    }

    async startXmit(frame: Buffer, off: number, len: number): Promise<XmitStatus> {
        this.txFrames++
        if (this.lose()) this.txLost++
        else this.segment.transmit(this, frame, off, len)
        return XmitStatus.Ok
    }

    receiveFromWire(frame: Buffer, off: number, len: number): void {
        // ours or broadcast
        if ((frame[off] & 1) === 0 && (frame.getAt(off, "u32") !== this.mac.getAt(0, "u32") || frame.getAt(off + 4, "u16") !== this.mac.getAt(4, "u16"))) return
        if (!this.running) return
        if (this.lose()) {
            this.rxLost++
            return
        }
        if (this.tail + 2 + len > RING) {
            this.rxOverflows++
            return
        }
        this.ring.setAt(this.tail, "u16", len)
        this.ring.blitAt(this.tail + 2, frame, off, len)
        this.tail += 2 + len
    }

    private async poll(): Promise<void> {
        while (this.running) {
            // frames that arrive while these are handled are appended and handled in this pass
            while (this.head < this.tail) {
                const len = this.ring.getAt(this.head, "u16")
                const at = this.head + 2
                this.head = at + len
                this.rxFrames++
                this.owner.receive(this.ring, at, len)
            }
            this.head = this.tail = 0
            await ds.sleep(1)
        }
    }

    readonly counterNames = "tx rx lost_tx lost_rx rx_overflows"
    counters(): number[] {
        return [this.txFrames, this.rxFrames, this.txLost, this.rxLost, this.rxOverflows]
    }
}
