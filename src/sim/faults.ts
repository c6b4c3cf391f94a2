// Fault injection for the soak (test/robust/soak.ts): a hostile host on the virtual LAN, and the
// chip faults both register-level models can be told to have.
//
// HostilePeer puts on the wire what a board meets on a hostile or broken LAN: floods of ARP
// requests for other hosts, ARP replies nobody asked for, replies claiming someone else's address
// from its own MAC ("the wrong MAC"), gratuitous ARP claiming the board's own address, ping floods
// from real and spoofed sources, and bursts of full-size frames faster than the board drains its RX
// buffer. It answers nothing and keeps counts of what it sent. One frame buffer, allocated once.
// The bulk methods yield after every frame: the chip model stores each one synchronously (the
// ENC28J60 model computes its CRC-32 a nibble at a time), which would trip the step watchdog.
//
// ChipFaults is the chip side: pull and plug the cable, lose SENDOKs / abort transmissions, reset
// the chip under the driver's feet (power glitch), and say what the model saw. Implementations use
// the models' own hooks (W5500Model: setLink(), sendOkLoss, reset(); Enc28j60Model: setLink(),
// abortNext, powerOn()); they live with the soak (test/robust/soak-*.ts) so that a program holds
// one chip's code only (a DeviceScript image has room for at most 64 KB of functions).

import * as ds from "@devicescript/core"
import { Segment, LanPort } from "./lan"
import { ArpOperation, ArpRepr, ARP_LEN } from "../wire/arp"
import { ethernetEmit, EtherType, ETHERNET_HEADER_LEN } from "../wire/ethernet"
import { Ipv4Repr, IPV4_HEADER_LEN } from "../wire/ipv4"
import { icmpEchoEmit, IcmpType, ICMP_HEADER_LEN } from "../wire/icmp"
import { setU16 } from "../wire/bytes"

const BROADCAST = hex`ff ff ff ff ff ff`
const ZERO_MAC = hex`00 00 00 00 00 00`
const MIN_FRAME = 60

export class HostilePeer implements LanPort {
    // what it sent, by kind
    arpFloodRequests = 0
    unsolicitedReplies = 0
    wrongMacReplies = 0
    claims = 0
    pings = 0
    burstFrames = 0
    framesSeen = 0

    private readonly out: Buffer
    private readonly arp = new ArpRepr()
    private readonly ip = new Ipv4Repr()
    private ident = 1

    /** `frameBytes`: its frame buffer, the size of burst frames (default 1514; small saves heap). */
    constructor(
        readonly segment: Segment,
        readonly mac: Buffer,
        frameBytes?: number
    ) {
        this.out = Buffer.alloc(Math.max(frameBytes || ETHERNET_HEADER_LEN + 1500, MIN_FRAME))
        segment.attach(this)
    }

    receiveFromWire(frame: Buffer, off: number, len: number): void {
        this.framesSeen++
    }

    private transmit(len: number): void {
        if (len < MIN_FRAME) {
            this.out.fillAt(len, MIN_FRAME - len, 0)
            len = MIN_FRAME
        }
        this.segment.transmit(this, this.out, 0, len)
    }

    private arpFrame(op: number, ethDst: Buffer, senderMac: Buffer, senderIp: number, targetMac: Buffer, targetIp: number): void {
        const a = this.arp
        a.operation = op
        a.senderMac.blitAt(0, senderMac, 0, 6)
        a.senderIp = senderIp
        a.targetMac.blitAt(0, targetMac, 0, 6)
        a.targetIp = targetIp
        ethernetEmit(this.out, 0, ethDst, 0, this.mac, EtherType.Arp)
        a.emit(this.out, ETHERNET_HEADER_LEN)
        this.transmit(ETHERNET_HEADER_LEN + ARP_LEN)
    }

    /** `n` broadcast who-has requests for hosts that are not the board, from senders in [senderBase, +n). */
    async arpFlood(n: number, senderBase: number, targetBase: number): Promise<void> {
        const m = Buffer.alloc(6)
        m[0] = 0x02
        m[1] = 0x77
        for (let i = 0; i < n; i++) {
            m[5] = i
            this.arpFrame(ArpOperation.Request, BROADCAST, m, (senderBase + i) >>> 0, ZERO_MAC, (targetBase + i) >>> 0)
            this.arpFloodRequests++
            await ds.sleep(0)
        }
    }

    /** `n` replies "ipBase+i is-at <ours>" sent to the board, which asked for none of them. */
    async unsolicited(n: number, ipBase: number, boardMac: Buffer, boardIp: number): Promise<void> {
        for (let i = 0; i < n; i++) {
            this.arpFrame(ArpOperation.Reply, boardMac, this.mac, (ipBase + i) >>> 0, boardMac, boardIp)
            this.unsolicitedReplies++
            await ds.sleep(0)
        }
    }

    /** "victim is-at <our MAC>", unicast to the board: someone else's address from the wrong MAC. */
    wrongMac(victim: number, boardMac: Buffer, boardIp: number): void {
        this.arpFrame(ArpOperation.Reply, boardMac, this.mac, victim >>> 0, boardMac, boardIp)
        this.wrongMacReplies++
    }

    /** Gratuitous ARP claiming the board's own address (an address conflict). */
    claim(boardIp: number): void {
        this.arpFrame(ArpOperation.Request, BROADCAST, this.mac, boardIp >>> 0, ZERO_MAC, boardIp >>> 0)
        this.claims++
    }

    /** `n` echo requests to the board, from `src` (spoofed or not), `dataLen` bytes each. */
    async pingFlood(n: number, src: number, boardMac: Buffer, boardIp: number, dataLen: number): Promise<void> {
        const o = this.out
        const at = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN
        dataLen = Math.min(dataLen, o.length - at - ICMP_HEADER_LEN)
        for (let i = 0; i < dataLen; i++) o[at + ICMP_HEADER_LEN + i] = i
        for (let k = 0; k < n; k++) {
            icmpEchoEmit(o, at, IcmpType.EchoRequest, 0x6666, k, dataLen)
            const ip = this.ip
            ip.src = src >>> 0
            ip.dst = boardIp >>> 0
            ip.protocol = 1
            ip.ttl = 64
            ip.ident = this.ident++ & 0xffff
            ip.totalLength = IPV4_HEADER_LEN + ICMP_HEADER_LEN + dataLen
            ip.dontFragment = false
            ip.moreFragments = false
            ip.fragmentOffset = 0
            ip.optionsLen = 0
            ip.emit(o, ETHERNET_HEADER_LEN)
            ethernetEmit(o, 0, boardMac, 0, this.mac, EtherType.Ipv4)
            this.transmit(at + ICMP_HEADER_LEN + dataLen)
            this.pings++
            await ds.sleep(0)
        }
    }

    /**
     * `n` frames of the buffer's size to the board's MAC back to back (an unknown EtherType: counted,
     * dropped), yielding after every `yieldEvery` frames (0: never; a yield lets the driver's poll
     * task empty the chip's buffer in between, which is not a burst any more).
     */
    async burst(n: number, boardMac: Buffer, yieldEvery: number): Promise<void> {
        const o = this.out
        ethernetEmit(o, 0, boardMac, 0, this.mac, 0x88b5)
        for (let i = 0; i < n; i++) {
            setU16(o, ETHERNET_HEADER_LEN, i)
            this.transmit(o.length)
            this.burstFrames++
            if (yieldEvery > 0 && (i + 1) % yieldEvery === 0) await ds.sleep(0)
        }
    }
}

/** The chip-level faults a soak injects; what the chip model saw. */
export interface ChipFaults {
    readonly name: string
    /** Plug or pull the cable. */
    setLink(up: boolean): void
    /** The next `n` transmissions never complete (W5500: SENDOK never comes; ENC28J60: aborted). */
    loseSends(n: number): void
    /** The chip resets under the driver (a brown-out): every register back to its reset value. */
    reset(): void
    /** Every fault cleared (cable in, no pending losses). */
    clear(): void
    /** The model's counters, one line. */
    summary(): string
    /** Forget the driver's and the model's "last error" messages (their length varies). */
    clearDiagnostics(): void
}
