// A register-level model of the WIZnet W5500 for the simulator: the SPI frame format byte by byte,
// the common and socket register blocks with their reset values, the 16 KB TX and 16 KB RX
// memories, and socket 0 in MACRAW mode on the virtual LAN. Section numbers are those of the
// W5500 datasheet v1.0.9; "[inf]" marks behaviour inferred from drivers, not documented.
//
// Time. The model has no fiber of its own: it advances when the host talks to it. Its clock is
// `clock()` (ms, ds.millis by default; a test may inject one) plus the SPI time it has seen
// (bytes at `spiHz` plus `txnOverheadUs` per chip-select window), so that "after the wire time"
// is deterministic when the test freezes the clock. Events (command accepted, SENDOK) are
// evaluated when a transaction starts.
//
// Checks. Anything a driver must not do is counted in `protocolErrors` (with `lastProtocolError`
// describing the latest) and, for the common mistakes, in a dedicated counter.
//
// Not modelled: the TCP/UDP/IPRAW modes and sockets 1-7 (their registers and buffers exist, their
// commands are flagged), INTLEVEL timing, WOL, PPPoE, the PHY's auto-negotiation timing.
//
// Memory. The chip's 2 x 16 KB would leave too little of the simulator's 64 KB heap for the stack,
// so the model backs them with 512-byte pages taken from a pool on first write and returned when
// the chip is done with their bytes: TX bytes once their SEND has completed, RX bytes once a RECV
// has released them, both at OPEN. Such bytes read back as 0 instead of their stale content;
// nothing else differs. A driver test needs a few pages; filling the RX buffer takes all 32 of
// that side.
//
// The parts, each building on the one before: w5500/paged-memory.ts (the memories), core.ts
// (state, knobs, counters, PHY), commands.ts (socket 0: commands and the wire), registers.ts
// (common and socket registers); the SPI framing and the test-side controls are here.

import * as ds from "@devicescript/core"
import { SpiTarget } from "./spi"
import { LanPort, Segment } from "./lan"
import { getU16 } from "../wire/bytes"
import { W5500Registers } from "./w5500/registers"
import { MEM_SIZE } from "./w5500/paged-memory"
import { Common, CTRL_OM_MASK, CTRL_WRITE, Sn } from "../drivers/w5500/regs"

export interface W5500ModelOptions {
    /** Milliseconds; default ds.millis. */
    clock?: () => number
    /** SPI clock used to turn bytes into time; default 20 MHz. */
    spiHz?: number
    /** Time charged per chip-select window (host and CS set-up); default 2 µs. */
    txnOverheadUs?: number
    /** How long Sn_CR stays non-zero after a command; default 10 µs. */
    crBusyUs?: number
}

export class W5500Model extends W5500Registers implements SpiTarget, LanPort {
    // SPI frame parser (§2.2)
    private phase = 0
    private addr = 0
    private block = 0
    private write = false
    private fixedLeft = 0
    private om = 0
    private tearAddr = -1
    private tearAction: () => void = null

    constructor(segment?: Segment, opts?: W5500ModelOptions) {
        super()
        const o = opts || {}
        this.clock = o.clock || ds.millis
        this.spiHz = o.spiHz || 20000000
        this.txnOverheadUs = o.txnOverheadUs === undefined ? 2 : o.txnOverheadUs
        this.crBusyUs = o.crBusyUs === undefined ? 10 : o.crBusyUs
        if (segment) {
            this.segment = segment
            segment.attach(this)
        }
        this.reset()
        this.mrRstLeft = 0 // power-on: the reset is long over by the time the host looks
    }

    /** Let `us` of time pass (for tests with a frozen clock). */
    advance(us: number): void {
        this.spiUs += us
        this.tick()
    }

    /** The test plugs or pulls the cable (and says what the link partner negotiates). */
    setLink(up: boolean, speed100?: boolean, fullDuplex?: boolean): void {
        this.cable = up
        if (speed100 !== undefined) this.speed100 = speed100
        if (fullDuplex !== undefined) this.fullDuplex = fullDuplex
        this.tick()
    }

    /** Run `action` right after the next SPI read of socket 0 register `addr` (a torn 16-bit read). */
    armTear(addr: number, action: () => void): void {
        this.tearAddr = addr
        this.tearAction = action
    }

    /** INTn is asserted (low) while an enabled socket interrupt is pending (§4.1 SIR/SIMR). */
    interruptAsserted(): boolean {
        return (this.sir() & this.common[Common.SIMR]) !== 0
    }

    // ---- SpiTarget

    csLow(): void {
        this.transactions++
        this.spiUs += this.txnOverheadUs
        this.tick()
        this.phase = 0
    }

    csHigh(): void {
        if (this.phase > 0 && this.phase < 3) this.flag("chip select released inside the frame header")
        this.phase = 0
    }

    transfer(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, len: number): void {
        this.bytes += len
        this.spiUs += (len * 8000000) / this.spiHz
        let i = 0
        while (i < len) {
            if (this.phase < 3) {
                this.headerByte(tx ? tx[txOff + i] : 0)
                // §2.2: MISO carries 0x01, 0x02, 0x03 while the header is clocked in
                if (rx) rx[rxOff + i] = this.phase
                i++
                continue
            }
            let n = len - i
            if (this.om !== 0 && n > this.fixedLeft) n = this.fixedLeft
            this.data(tx, txOff + i, rx, rxOff + i, n)
            i += n
            if (this.om !== 0) {
                this.fixedLeft -= n
                if (this.fixedLeft === 0) this.phase = 0 // §2.4: the next frame follows without CS
            }
        }
    }

    private headerByte(b: number): void {
        if (this.phase === 0) this.addr = b << 8
        else if (this.phase === 1) this.addr |= b
        else {
            this.block = b >> 3
            this.write = (b & CTRL_WRITE) !== 0
            this.om = b & CTRL_OM_MASK
            // §2.4: OM 01/10/11 = fixed 1, 2, 4 data bytes
            this.fixedLeft = this.om === 3 ? 4 : this.om
            if (this.block !== 0 && (this.block & 3) === 0) {
                this.reservedBlockAccesses++
                this.flag("reserved block select " + this.block)
            }
        }
        this.phase++
    }

    private data(tx: Buffer, txOff: number, rx: Buffer, rxOff: number, n: number): void {
        const blk = this.block
        const kind = blk & 3
        if (blk !== 0 && kind === 0) {
            // reserved block: reads return 0, writes go nowhere
            if (rx && !this.write) rx.fillAt(rxOff, n, 0)
            this.addr = (this.addr + n) & 0xffff
            return
        }
        if (kind === 2 || kind === 3) {
            this.bufferData(blk >> 2, kind === 2, tx, txOff, rx, rxOff, n)
            return
        }
        const sock = blk === 0 ? -1 : blk >> 2
        for (let j = 0; j < n; j++) {
            const a = this.addr
            if (this.write) {
                const v = tx ? tx[txOff + j] : 0
                if (sock < 0) this.writeCommon(a, v)
                else this.writeSocket(sock, a, v)
            } else {
                const v = sock < 0 ? this.readCommon(a) : this.readSocket(sock, a)
                if (rx) rx[rxOff + j] = v
                if (sock === 0 && a === this.tearAddr) {
                    const f = this.tearAction
                    this.tearAddr = -1
                    this.tearAction = null
                    f()
                }
            }
            this.addr = (a + 1) & 0xffff
        }
    }

    /** §3.3: socket n's buffer starts after the buffers of sockets 0..n-1; offsets wrap inside it. */
    private bufferData(sock: number, isTx: boolean, tx: Buffer, txOff: number, rx: Buffer, rxOff: number, n: number): void {
        const size = this.bufSize(sock, isTx)
        let base = 0
        for (let k = 0; k < sock; k++) base += this.bufSize(k, isTx)
        const mem = isTx ? this.txMem : this.rxMem
        if (size === 0 || base + size > MEM_SIZE) {
            this.flag("socket " + sock + (isTx ? " TX" : " RX") + " buffer access with no memory behind it")
            if (rx && !this.write) rx.fillAt(rxOff, n, 0)
            this.addr = (this.addr + n) & 0xffff
            return
        }
        let done = 0
        while (done < n) {
            const phys = this.addr & (size - 1)
            let c = size - phys
            if (c > n - done) c = n - done
            if (this.write) mem.write(base + phys, tx, txOff + done, c)
            else if (rx) mem.read(base + phys, rx, rxOff + done, c)
            this.addr = (this.addr + c) & 0xffff
            done += c
        }
    }

    /** Socket 0's pointers as the chip sees them (for tests): TX_RD, TX_WR, RX_RD (committed), RX_WR. */
    pointers(): number[] {
        return [this.txRd, getU16(this.sockets, Sn.TX_WR), this.rxRd, this.rxWr]
    }

    /** 512-byte pages backing the TX and RX memories now. */
    pagesBacked(): number {
        return this.txMem.backed() + this.rxMem.backed()
    }
}
