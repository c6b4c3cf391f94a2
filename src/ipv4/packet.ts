// The outgoing-datagram descriptor: the fields of an sk_buff that the output path needs, for one
// datagram, preallocated per socket and reused. The IP payload is `head` (the transport header,
// written by the transport) followed by `payloadLen` bytes at `payloadOff` in the caller's
// `payload`: fragments are cut from these two pieces directly, without a second copy.

import { NO_ROUTE } from "./fib"
import { NO_NEIGH } from "../neigh/neighbour"

/** How the transport's checksum is finished (OutPacket.csumFlags). */
export const enum Csum {
    /** The sum covers the IPv4 pseudo-header too (RFC 768, RFC 9293 §3.1). */
    Pseudo = 1,
    /** A result of zero is sent as all ones (RFC 768: zero means "no checksum"). */
    ZeroAsOnes = 2,
}

/**
 * OutPacket.hdr after the headers (at most 74 bytes): how long they are (0 = none kept), the FIB
 * generation and the neighbour's generation they are valid for, and RFC 1624's part of the IPv4
 * checksum (~HC + ~total [+ ~ID]: the checksum of a new length and ID is one sum away).
 */
export const enum Kept {
    Len = 74, // u8
    Fib = 76, // u32
    Neigh = 80, // u8
    Sum = 84, // u32
    Size = 88,
}

/** A buffer for OutPacket.hdr: the packet then keeps its headers for the fast path. */
export function keptHeaders(): Buffer {
    return Buffer.alloc(Kept.Size)
}

/** @devsWhenUsed */
export class OutPacket {
    // src, ident, hhNeigh and fragNext are written by IPv4 output (queueXmit) before it reads them
    src: number
    dst = 0
    protocol = 0
    tos = 0
    ttl = 0
    dontFragment = false
    ident: number
    /** Transport header bytes. */
    readonly head: Buffer
    headLen = 0
    /**
     * Where in `head` the transport's checksum goes, or -1 for none; finished by IPv4 output once the
     * addresses are final (Linux's CHECKSUM_PARTIAL: csum_start / csum_offset), as `csumFlags` say.
     */
    csumOff = -1
    csumFlags = 0
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
     * the neighbour whose header it goes out with (NO_NEIGH: a group address).
     */
    partialOk = false
    fragNext: number
    hhNeigh: number
    /**
     * The fast path of a connected socket (Ipv4Output.fastReserve; Linux: a valid sk_dst_cache and
     * the neighbour's hh_cache): when a transport gives a packet this buffer (keptHeaders()), a
     * datagram sent whole to a resolved neighbour leaves its Ethernet and IPv4 headers here, with
     * their bookkeeping after them (Kept); null for packets that keep nothing (ICMP replies).
     */
    hdr: Buffer = null

    /** `headRoom`: the largest transport header this packet carries. */
    constructor(headRoom: number) {
        this.head = Buffer.alloc(headRoom)
    }
}
