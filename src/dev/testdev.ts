// A network device for tests and benchmarks: it records the frames it is given, and can refuse
// frames (NETDEV_TX_BUSY), fill up and stop the queue, or lose carrier.

import { NetDevice, NetDeviceOwner, XmitStatus } from "./netdev"

/** @devsWhenUsed */
export class TestDevice implements NetDevice {
    readonly name = "test"
    readonly bringUp = "test device: no chip, no bus"
    readonly mtu: number
    owner: NetDeviceOwner = null
    /** Copies of every accepted frame, oldest first (test-only: allocates). */
    frames: Buffer[] = []
    /** When false the frames are counted but not kept (benchmarks). */
    keepFrames = true
    /** Frames accepted in total. */
    accepted = 0
    /** Answer Busy to the next `refuse` frames. */
    refuse = 0
    /** Throw from the next `throwNext` startXmit calls (a driver that breaks its contract). */
    throwNext = 0
    /** Stop the queue after this many frames in flight (0 = unlimited); complete() frees them. */
    txSlots = 0
    inFlight = 0
    private link = true
    /** Called with every accepted frame (valid for the call only), for checks without copies. */
    onFrame: (frame: Buffer, off: number, len: number) => void = null
    /** Where copies go when keepFrames is false (the "device that only copies the frame"). */
    readonly sink = Buffer.alloc(1514)

    constructor(readonly mac: Buffer, mtu?: number) {
        this.mtu = mtu || 1500
    }

    async open(owner: NetDeviceOwner): Promise<void> {
        this.openNow(owner)
    }

    /** What open() does, synchronously: tests and benchmarks drive a stack they never start. */
    openNow(owner: NetDeviceOwner): void {
        this.owner = owner
    }
    async stop(): Promise<void> {}

    carrier(): boolean {
        return this.link
    }

    /** The test pulls or plugs the cable. */
    setCarrier(up: boolean): void {
        if (this.link === up) return
        this.link = up
        if (this.owner) this.owner.carrierChanged(up)
    }

    async startXmit(frame: Buffer, off: number, len: number): Promise<XmitStatus> {
        if (this.throwNext > 0) {
            this.throwNext--
            throw new Error("test device: injected driver fault")
        }
        if (!this.link) return XmitStatus.LinkDown
        if (this.refuse > 0) {
            this.refuse--
            return XmitStatus.Busy
        }
        if (this.txSlots > 0 && this.inFlight >= this.txSlots) return XmitStatus.Busy
        if (this.keepFrames) {
            const copy = Buffer.alloc(len)
            copy.blitAt(0, frame, off, len)
            this.frames.push(copy)
        } else {
            this.sink.blitAt(0, frame, off, len)
        }
        this.accepted++
        if (this.onFrame !== null) this.onFrame(frame, off, len)
        if (this.txSlots > 0) {
            this.inFlight++
            if (this.inFlight >= this.txSlots && this.owner) this.owner.stopQueue()
        }
        return XmitStatus.Ok
    }

    readonly counterNames = "accepted in_flight"
    /** (allocates: for printing only) */
    counters(): number[] {
        return [this.accepted, this.inFlight]
    }

    /** The "hardware" finished `n` frames: free slots and wake the queue (TX-complete interrupt). */
    complete(n: number): void {
        this.inFlight = Math.max(0, this.inFlight - n)
        if (this.owner) this.owner.wakeQueue()
    }

    /** Deliver a frame as if received from the wire. */
    inject(frame: Buffer): void {
        if (this.owner) this.owner.receive(frame, 0, frame.length)
    }

    clear(): void {
        this.frames = []
    }
}
