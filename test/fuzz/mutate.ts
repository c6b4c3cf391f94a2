// Input generation for the fuzzer: a frame is a corpus seed (mostly), random bytes, or a random
// but well-formed Ethernet/IPv4 frame, then 1-4 mutations stacked: bit flips, interesting values,
// truncation, extension, length fields lying in both directions, odd IPv4 header lengths with
// random option lists, fragment bits, EtherType, addresses (ours, broadcast, multicast, martian),
// ARP fields, ICMP types, splices from other seeds. Afterwards the IPv4 header checksum and the
// UDP/ICMP checksum are usually fixed up, so the mutations reach the layers behind the checksums.
//
// Everything happens in one preallocated buffer: the frame sits at PAD inside it, with PAD bytes of
// margin on each side that the wire oracles poison (a parser reading outside its window would see
// them). Nothing is allocated per input.

import * as ds from "@devicescript/core"
import { Rng } from "./rng"
import { getU16, setU16, setU32, getU32 } from "../../src/wire/bytes"
import { onesSum, pseudoHeaderSum, finish, udpChecksumField } from "../../src/wire/checksum"

export const PAD = 64
/** Longest input: longer than any Ethernet frame, so hostile lengths reach the parsers. */
export const MAX_INPUT = 1600

// mutation operators (bits of Mutator.ops, printed with a failure)
export const enum Op {
    BitFlip = 0,
    RandomByte,
    Interesting,
    Truncate,
    Extend,
    IpTotalLength,
    IpHeaderLength,
    UdpLength,
    Fragment,
    EtherType,
    DstMac,
    IpDst,
    IpSrc,
    IpProto,
    ArpFields,
    IcmpType,
    Splice,
    CopyWithin,
    IpVersion,
    SrcMacOurs,
    COUNT,
}

/** Addresses the mutator steers fields to: the fuzz stack's own and its neighbourhood. */
export interface Addresses {
    mac: Buffer
    ip: number
    prefix: number
    gateway: number
}

const INTERESTING8 = hex`00 01 02 04 05 06 07 08 0e 0f 10 11 13 14 1b 1c 1d 1f 20 3f 40 7f 80 81 c0 fe ff`
const INTERESTING16 = [0, 1, 7, 8, 13, 14, 19, 20, 27, 28, 59, 60, 61, 0x5db, 0x5dc, 0x5dd, 0x5ea, 0x5eb, 0x7fff, 0x8000, 0xfffe, 0xffff]
const CUTS = [0, 1, 6, 12, 13, 14, 15, 19, 20, 21, 27, 28, 33, 34, 35, 41, 42, 43, 45, 59, 60]
const ETHERTYPES = [0x0800, 0x0806, 0x86dd, 0x8100, 0x0000, 0x05dc, 0x88cc, 0xffff]

export class Mutator {
    readonly work = Buffer.alloc(PAD + MAX_INPUT + PAD)
    /** Scratch for moving bytes inside work (blitAt is not promised to handle overlap). */
    private readonly tmp = Buffer.alloc(MAX_INPUT)
    /** Length of the current input (at PAD in work). */
    len = 0
    /** Corpus index the input came from, -1 random, -2 generated. */
    origin = -1
    /** Bit i set when operator i was applied. */
    ops = 0

    constructor(
        readonly corpus: Buffer[],
        readonly a: Addresses
    ) {}

    /**
     * A new input, all from `rng`. Yields between the steps: a full-size random frame plus eight
     * mutations is tens of thousands of bytecode steps (the watchdog allows 128 Ki per slice).
     */
    async generate(rng: Rng): Promise<void> {
        const w = this.work
        this.ops = 0
        const pick = rng.below(100)
        if (pick < 86) {
            const k = rng.below(this.corpus.length)
            const c = this.corpus[k]
            this.origin = k
            this.len = c.length
            w.blitAt(PAD, c, 0, c.length)
        } else if (pick < 93) {
            this.origin = -1
            this.len = rng.chance(50) ? rng.below(80) : rng.below(MAX_INPUT + 1)
            this.fillRandom(rng, PAD, this.len)
        } else {
            this.origin = -2
            this.structured(rng)
        }
        const n = 1 + rng.below(rng.chance(30) ? 8 : 3)
        for (let i = 0; i < n; i++) {
            await ds.sleep(0)
            this.mutate(rng)
        }
        await ds.sleep(0)
        if (rng.chance(75)) this.fixIpChecksum()
        if (rng.chance(65)) this.fixTransport(rng)
    }

    /** A random frame that parses: Ethernet to us (or broadcast), IPv4 to us, UDP or ICMP. */
    private structured(rng: Rng): void {
        const w = this.work
        const F = PAD
        const plen = rng.below(rng.chance(80) ? 64 : 1473)
        const proto = rng.chance(50) ? 17 : 1
        const total = 20 + 8 + plen
        w.blitAt(F, this.a.mac, 0, 6)
        if (rng.chance(20)) w.fillAt(F, 6, 0xff)
        w.fillAt(F + 6, 6, 0)
        w[F + 6] = 0x02
        w[F + 11] = rng.byte()
        setU16(w, F + 12, 0x0800)
        const ip = F + 14
        w[ip] = 0x45
        w[ip + 1] = rng.byte()
        setU16(w, ip + 2, total)
        setU16(w, ip + 4, rng.next() & 0xffff)
        setU16(w, ip + 6, rng.chance(70) ? 0x4000 : 0)
        w[ip + 8] = rng.range(1, 255)
        w[ip + 9] = proto
        setU32(w, ip + 12, this.onLink(rng))
        setU32(w, ip + 16, this.a.ip)
        const t = ip + 20
        this.fillRandom(rng, t, 8 + plen)
        if (proto === 17) {
            setU16(w, t + 2, rng.chance(50) ? 9 : rng.next() & 0xffff)
            setU16(w, t + 4, 8 + plen)
        } else {
            w[t] = rng.chance(60) ? 8 : rng.below(20)
            w[t + 1] = 0
        }
        this.len = 14 + total
    }

    /** `n` random bytes at `at`, four at a time. */
    fillRandom(rng: Rng, at: number, n: number): void {
        const w = this.work
        let i = 0
        for (; i + 4 <= n; i += 4) w.setAt(at + i, "u32", rng.next())
        for (; i < n; i++) w[at + i] = rng.byte()
    }

    private onLink(rng: Rng): number {
        const host = (0xffffffff >>> this.a.prefix) >>> 0
        const net = (this.a.ip & ~host) >>> 0
        return (net + 1 + rng.below(host - 1)) >>> 0
    }

    /** Addresses that must never be treated as a neighbour (RFC 1122 §3.2.1.3, Linux martians). */
    private martian(rng: Rng): number {
        const host = (0xffffffff >>> this.a.prefix) >>> 0
        switch (rng.below(8)) {
            case 0:
                return this.a.ip
            case 1:
                return 0
            case 2:
                return 0xffffffff
            case 3:
                return (this.a.ip | host) >>> 0
            case 4:
                return 0xe0000001
            case 5:
                return 0x7f000001
            case 6:
                return 0xf0000001
        }
        return (rng.next() & 0x00ffffff) >>> 0
    }

    private address(rng: Rng): number {
        const k = rng.below(10)
        if (k < 3) return this.martian(rng)
        if (k < 6) return this.onLink(rng)
        if (k < 7) return this.a.gateway
        if (k < 8) return this.a.ip
        return rng.next() >>> 0
    }

    private ipAt(): number {
        return PAD + 14
    }

    /** The IPv4 header length when the input looks like IPv4 with room for it, else 0. */
    private ipHeaderLen(): number {
        const w = this.work
        if (this.len < 34 || getU16(w, PAD + 12) !== 0x0800) return 0
        const hl = (w[PAD + 14] & 15) * 4
        return hl >= 20 && 14 + hl <= this.len ? hl : 0
    }

    mutate(rng: Rng): void {
        const w = this.work
        const F = PAD
        const op = rng.below(Op.COUNT)
        this.ops |= 1 << op
        const L = this.len
        switch (op) {
            case Op.BitFlip:
                if (L > 0) w[F + rng.below(L)] ^= 1 << rng.below(8)
                break
            case Op.RandomByte:
                if (L > 0) w[F + rng.below(L)] = rng.byte()
                break
            case Op.Interesting:
                if (L > 1) {
                    // headers are where the lengths live: favour the first 64 bytes
                    const at = F + rng.below(rng.chance(70) ? Math.min(L - 1, 64) : L - 1)
                    if (rng.chance(50)) w[at] = INTERESTING8[rng.below(INTERESTING8.length)]
                    else setU16(w, at, INTERESTING16[rng.below(INTERESTING16.length)])
                }
                break
            case Op.Truncate:
                this.len = rng.chance(60) ? Math.min(L, CUTS[rng.below(CUTS.length)]) : rng.below(L + 1)
                break
            case Op.Extend: {
                const add = rng.chance(70) ? rng.range(1, 16) : rng.below(MAX_INPUT - L + 1)
                const n = Math.min(add, MAX_INPUT - L)
                if (rng.chance(50)) this.fillRandom(rng, F + L, n)
                else w.fillAt(F + L, n, rng.byte())
                this.len = L + n
                break
            }
            case Op.IpTotalLength:
                if (L >= 18) {
                    const hl = (w[F + 14] & 15) * 4
                    const choices = [0, 19, 20, hl - 1, hl, hl + 7, hl + 8, L - 14 - 1, L - 14, L - 14 + 1, 0xffff, rng.next() & 0xffff]
                    setU16(w, F + 16, choices[rng.below(choices.length)] & 0xffff)
                }
                break
            case Op.IpHeaderLength:
                this.headerLength(rng)
                break
            case Op.UdpLength: {
                const hl = this.ipHeaderLen()
                if (hl > 0 && 14 + hl + 6 <= L) {
                    const plen = L - 14 - hl
                    const choices = [0, 7, 8, 9, plen - 1, plen, plen + 1, getU16(w, F + 16) - hl, 0xffff, rng.next() & 0xffff]
                    setU16(w, F + 14 + hl + 4, choices[rng.below(choices.length)] & 0xffff)
                }
                break
            }
            case Op.Fragment:
                if (L >= 22) {
                    const k = rng.below(5)
                    const v = k === 0 ? 0x2000 : k === 1 ? rng.below(0x2000) : k === 2 ? 0x2000 | rng.below(0x2000) : k === 3 ? 0x4000 : 0x8000
                    setU16(w, F + 20, v)
                }
                break
            case Op.EtherType:
                if (L >= 14) setU16(w, F + 12, rng.chance(85) ? ETHERTYPES[rng.below(ETHERTYPES.length)] : rng.next() & 0xffff)
                break
            case Op.DstMac:
                if (L >= 6) {
                    const k = rng.below(5)
                    if (k === 0) w.blitAt(F, this.a.mac, 0, 6)
                    else if (k === 1) w.fillAt(F, 6, 0xff)
                    else if (k === 2) {
                        w[F] = 0x01
                        w[F + 1] = 0x00
                        w[F + 2] = 0x5e
                        w[F + 3] = rng.byte() & 0x7f
                        w[F + 4] = rng.byte()
                        w[F + 5] = rng.byte()
                    } else if (k === 3) {
                        w.blitAt(F, this.a.mac, 0, 6)
                        w[F + 5] ^= 1 << rng.below(8)
                    } else w.fillAt(F, 6, 0)
                }
                break
            case Op.IpDst:
                if (L >= 34) setU32(w, F + 30, this.address(rng))
                break
            case Op.IpSrc:
                if (L >= 30) setU32(w, F + 26, this.address(rng))
                break
            case Op.IpProto:
                if (L >= 24) {
                    const k = rng.below(5)
                    w[F + 23] = k === 0 ? 1 : k === 1 ? 17 : k === 2 ? 6 : k === 3 ? 0 : rng.byte()
                }
                break
            case Op.ArpFields:
                this.arpFields(rng)
                break
            case Op.IcmpType: {
                const hl = this.ipHeaderLen()
                if (hl > 0 && 14 + hl + 2 <= L) {
                    const t = F + 14 + hl
                    const types = hex`00 03 04 05 08 0b 0c 0d 0e 11 12 ff`
                    w[t] = rng.chance(80) ? types[rng.below(types.length)] : rng.byte()
                    w[t + 1] = rng.chance(70) ? 0 : rng.byte()
                }
                break
            }
            case Op.Splice: {
                const c = this.corpus[rng.below(this.corpus.length)]
                if (c.length > 0 && L > 0) {
                    const from = rng.below(c.length)
                    const at = rng.below(L)
                    const n = Math.min(rng.range(1, 64), c.length - from, MAX_INPUT - at)
                    w.blitAt(F + at, c, from, n)
                    if (at + n > L) this.len = at + n
                }
                break
            }
            case Op.CopyWithin:
                if (L > 2) {
                    const from = rng.below(L)
                    const at = rng.below(L)
                    const n = Math.min(rng.range(1, 32), L - from, L - at)
                    this.tmp.blitAt(0, w, F + from, n)
                    w.blitAt(F + at, this.tmp, 0, n)
                }
                break
            case Op.IpVersion:
                if (L >= 15) w[F + 14] = (w[F + 14] & 15) | (rng.below(16) << 4)
                break
            case Op.SrcMacOurs:
                if (L >= 12) w.blitAt(F + 6, this.a.mac, 0, 6)
                break
        }
    }

    /** IHL 0..15; growing or shrinking the header moves the rest and fills options with a random list. */
    private headerLength(rng: Rng): void {
        const w = this.work
        const F = PAD
        const L = this.len
        if (L < 15) return
        const ip = F + 14
        const oldHl = (w[ip] & 15) * 4
        const ihl = rng.chance(20) ? rng.below(5) : rng.range(5, 15)
        const hl = ihl * 4
        w[ip] = (w[ip] & 0xf0) | ihl
        if (hl < 20 || !rng.chance(70) || oldHl < 20 || 14 + oldHl > L) return
        // move the payload so it follows the new header, then write options
        const restFrom = ip + oldHl
        const rest = L - 14 - oldHl
        const keep = Math.max(0, Math.min(rest, MAX_INPUT - 14 - hl))
        if (hl !== oldHl && keep > 0) {
            this.tmp.blitAt(0, w, restFrom, keep)
            w.blitAt(ip + hl, this.tmp, 0, keep)
        }
        this.len = 14 + hl + keep
        if (hl > 20) this.options(rng, ip + 20, hl - 20)
        const total = getU16(w, ip + 2)
        if (rng.chance(60) && total >= oldHl) setU16(w, ip + 2, total - oldHl + hl)
    }

    /** A random option list: End, NOP, well-formed TLVs, and TLVs whose length lies. */
    private options(rng: Rng, at: number, n: number): void {
        const w = this.work
        let i = 0
        while (i < n) {
            const k = rng.below(10)
            if (k === 0) {
                w[at + i] = 0
                i++
            } else if (k < 4) {
                w[at + i] = 1
                i++
            } else if (i + 1 < n) {
                const types = hex`07 44 83 89 94 82 88 86 00 01`
                w[at + i] = rng.chance(80) ? types[rng.below(types.length)] : rng.byte()
                const room = n - i
                const len = rng.chance(75) ? rng.range(2, room) : rng.chance(50) ? rng.below(2) : rng.range(room, 255)
                w[at + i + 1] = len
                const body = Math.min(Math.max(len, 2), room)
                for (let j = 2; j < body; j++) w[at + i + j] = rng.byte()
                i += body
            } else {
                w[at + i] = rng.byte()
                i++
            }
        }
    }

    private arpFields(rng: Rng): void {
        const w = this.work
        const F = PAD
        if (this.len < 42) {
            if (this.len < 14) return
            for (let i = this.len; i < 42; i++) w[F + i] = 0
            this.len = 42
        }
        if (rng.chance(40)) setU16(w, F + 12, 0x0806)
        const a = F + 14
        switch (rng.below(7)) {
            case 0:
                setU16(w, a + 6, [0, 1, 2, 3, 8, 0xffff][rng.below(6)])
                break
            case 1: {
                const k = rng.below(4)
                if (k === 0) setU16(w, a, rng.chance(50) ? 6 : rng.next() & 0xffff)
                else if (k === 1) setU16(w, a + 2, rng.chance(50) ? 0x86dd : rng.next() & 0xffff)
                else if (k === 2) w[a + 4] = rng.chance(50) ? 0 : rng.byte()
                else w[a + 5] = rng.chance(50) ? 16 : rng.byte()
                break
            }
            case 2:
                setU32(w, a + 14, this.address(rng))
                break
            case 3:
                setU32(w, a + 24, rng.chance(60) ? this.a.ip : this.address(rng))
                break
            case 4: {
                const k = rng.below(4)
                if (k === 0) w.fillAt(a + 8, 6, 0xff)
                else if (k === 1) w.blitAt(a + 8, this.a.mac, 0, 6)
                else if (k === 2) w.fillAt(a + 8, 6, 0)
                else for (let i = 0; i < 6; i++) w[a + 8 + i] = rng.byte()
                break
            }
            case 5:
                // a request for us, from a random on-link or martian sender
                setU16(w, a + 6, 1)
                setU32(w, a + 24, this.a.ip)
                setU32(w, a + 14, rng.chance(50) ? this.onLink(rng) : this.martian(rng))
                break
            case 6:
                // a reply to us (solicited or not)
                setU16(w, a + 6, 2)
                setU32(w, a + 24, this.a.ip)
                setU32(w, a + 14, this.address(rng))
                w.blitAt(a + 18, this.a.mac, 0, 6)
                break
        }
    }

    /** Make the IPv4 header checksum right again (when there is a header to fix). */
    fixIpChecksum(): void {
        const hl = this.ipHeaderLen()
        if (hl === 0) return
        const w = this.work
        const ip = this.ipAt()
        w[ip + 10] = 0
        w[ip + 11] = 0
        setU16(w, ip + 10, finish(onesSum(w, ip, hl, 0)))
    }

    /** Make the UDP (or ICMP) checksum right for the lengths the headers claim, when they fit. */
    fixTransport(rng: Rng): void {
        const hl = this.ipHeaderLen()
        if (hl === 0) return
        const w = this.work
        const ip = this.ipAt()
        const total = getU16(w, ip + 2)
        if (total < hl || 14 + total > this.len) return
        const t = ip + hl
        const plen = total - hl
        const proto = w[ip + 9]
        if (proto === 17 && plen >= 8) {
            const ulen = getU16(w, t + 4)
            if (ulen < 8 || ulen > plen) return
            w[t + 6] = 0
            w[t + 7] = 0
            if (rng.chance(15)) return // "no checksum"
            const sum = onesSum(w, t, ulen, pseudoHeaderSum(getU32(w, ip + 12), getU32(w, ip + 16), 17, ulen))
            setU16(w, t + 6, udpChecksumField(sum))
        } else if (proto === 1 && plen >= 8) {
            w[t + 2] = 0
            w[t + 3] = 0
            setU16(w, t + 2, finish(onesSum(w, t, plen, 0)))
        }
        // the IP header may cover a changed field only if the transport fix-up touched it: it does not
    }

    /** The input as lowercase hex (allocates: for failure reports only). */
    hex(): string {
        return this.work.slice(PAD, PAD + this.len).toString("hex")
    }
}
