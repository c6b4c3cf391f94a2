// The outgoing-datagram descriptor: the fields of an sk_buff that the output path needs, for one
// datagram, preallocated per socket and reused. The IP payload is `head` (the transport header,
// written by the transport) followed by `payloadLen` bytes at `payloadOff` in the caller's
// `payload`: fragments are cut from these two pieces directly, without a second copy.

import { NO_ROUTE } from "./fib"
import { NO_NEIGH } from "../neigh/neighbour"

export class OutPacket {
    src = 0
    dst = 0
    protocol = 0
    tos = 0
    ttl = 0
    dontFragment = false
    ident = 0
    /** Transport header bytes. */
    readonly head = Buffer.alloc(8)
    headLen = 0
    payload: Buffer = null
    payloadOff = 0
    payloadLen = 0
    /** IP options, unpadded (the socket's own copy). */
    options: Buffer = null
    optionsLen = 0
    /** Set by routing. */
    route = NO_ROUTE
    /** The neighbour the last datagram went to (ip_finish_output2's lookup, kept like a dst's neighbour). */
    neigh = NO_NEIGH
    /**
     * Blocking sends only: allow the fragments to be enqueued a few at a time as the qdisc drains
     * (continueOutput), instead of all-or-nothing. Progress: the next fragment's payload offset and
     * the header it goes out with.
     */
    partialOk = false
    fragNext = 0
    /** The Ethernet header the frames go out with (the neighbour's hh cache, or a group address). */
    hh: Buffer = null
    hhOff = 0

    /** The UDP source port (hook rules match it); 0 for other protocols. */
    srcPort(): number {
        return this.protocol === 17 ? (this.head[0] << 8) | this.head[1] : 0
    }

    /** The UDP destination port; 0 for other protocols. */
    dstPort(): number {
        return this.protocol === 17 ? (this.head[2] << 8) | this.head[3] : 0
    }

    /** IP payload length: transport header + data. */
    ipPayloadLen(): number {
        return this.headLen + this.payloadLen
    }
}
