// MAC (EUI-48) and IPv4 addresses. An IPv4 address is held as an unsigned 32-bit number in host
// order (192.0.2.1 = 0xc0000201); a MAC is 6 bytes in a Buffer.

export const MAC_LEN = 6

/**
 * Bad address text; `text` is what was given.
 * @devsWhenUsed
 */
export class AddressError extends Error {
    text: string
    constructor(message: string, text: string) {
        super(message)
        this.name = "AddressError"
        this.text = text
    }
}

function digit(c: number): number {
    return c >= 48 && c <= 57 ? c - 48 : -1
}

function hexDigit(c: number): number {
    if (c >= 48 && c <= 57) return c - 48
    if (c >= 97 && c <= 102) return c - 87
    if (c >= 65 && c <= 70) return c - 55
    return -1
}

/** Parse dotted-quad text: four decimal octets 0-255, no leading zeros, nothing else. */
export function parseIpv4(text: string): number {
    let value = 0
    let octets = 0
    let i = 0
    const n = text.length
    while (octets < 4) {
        const start = i
        let octet = 0
        while (i < n && digit(text.charCodeAt(i)) >= 0) {
            octet = octet * 10 + digit(text.charCodeAt(i))
            i++
        }
        const width = i - start
        if (width === 0 || width > 3 || octet > 255 || (width > 1 && text.charCodeAt(start) === 48))
            throw new AddressError(`not a dotted-quad IPv4 address: "${text}"`, text)
        value = value * 256 + octet
        octets++
        if (octets < 4) {
            if (i >= n || text.charCodeAt(i) !== 46)
                throw new AddressError(`not a dotted-quad IPv4 address: "${text}"`, text)
            i++
        }
    }
    if (i !== n) throw new AddressError(`not a dotted-quad IPv4 address: "${text}"`, text)
    return value >>> 0
}

export function formatIpv4(addr: number): string {
    return `${(addr >>> 24) & 0xff}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`
}

/** Parse "02:00:5e:10:00:0a" (either case) into `out` at `off`. */
export function parseMacInto(text: string, out: Buffer, off: number): void {
    if (text.length !== 17) throw new AddressError(`not a MAC address (aa:bb:cc:dd:ee:ff): "${text}"`, text)
    for (let k = 0; k < MAC_LEN; k++) {
        const hi = hexDigit(text.charCodeAt(k * 3))
        const lo = hexDigit(text.charCodeAt(k * 3 + 1))
        const sep = k < 5 ? text.charCodeAt(k * 3 + 2) : 58
        if (hi < 0 || lo < 0 || sep !== 58)
            throw new AddressError(`not a MAC address (aa:bb:cc:dd:ee:ff): "${text}"`, text)
        out[off + k] = (hi << 4) | lo
    }
}

export function parseMac(text: string): Buffer {
    const b = Buffer.alloc(MAC_LEN)
    parseMacInto(text, b, 0)
    return b
}

const HEX = "0123456789abcdef"

export function formatMac(b: Buffer, off: number): string {
    let s = ""
    for (let k = 0; k < MAC_LEN; k++) {
        const v = b[off + k]
        if (k > 0) s += ":"
        s += HEX.charAt(v >> 4) + HEX.charAt(v & 15)
    }
    return s
}

/** "0x" and two hex digits (DeviceScript numbers have no toString(16)). */
export function formatHex8(v: number): string {
    return "0x" + HEX.charAt((v >> 4) & 15) + HEX.charAt(v & 15)
}

/** I/G bit: group (multicast or broadcast) addresses have bit 0 of the first octet set. */
export function macIsGroup(b: Buffer, off: number): boolean {
    return (b[off] & 1) !== 0
}

export function macIsBroadcast(b: Buffer, off: number): boolean {
    // two overlapping 32-bit reads cover the six bytes
    return (b.getAt(off, "u32") & b.getAt(off + 2, "u32")) >>> 0 === 0xffffffff
}

/** The six bytes at `aOff` in `a` equal those at `bOff` in `b`. */
export function macEqual(a: Buffer, aOff: number, b: Buffer, bOff: number): boolean {
    return a.getAt(aOff, "u32") === b.getAt(bOff, "u32") && a.getAt(aOff + 4, "u16") === b.getAt(bOff + 4, "u16")
}

/** Prefix length to netmask: 24 -> 0xffffff00. */
export function prefixMask(prefix: number): number {
    return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

/**
 * A source address no host can have (RFC 1122 §3.2.1.3; Linux's martian sources): this network
 * (0/8), loopback (127/8), multicast (224/4), reserved and limited broadcast (240/4), our own
 * address, and the directed broadcast of our subnet.
 */
export function ipv4IsMartian(addr: number, ours: number, prefix: number): boolean {
    const top = addr >>> 24
    if (top === 0 || top === 127 || top >= 224) return true
    if (addr === ours) return true
    if (prefix < 31) {
        const host = (0xffffffff >>> prefix) >>> 0
        if ((addr | host) >>> 0 === (ours | host) >>> 0 && (addr & host) >>> 0 === host) return true
    }
    return false
}

/** 224.0.0.0/4, RFC 5771. */
export function ipv4IsMulticast(addr: number): boolean {
    return addr >>> 28 === 0xe
}

/** RFC 1112 §6.4: 01:00:5e followed by the low 23 bits of the group address. */
export function ipv4MulticastMac(addr: number, out: Buffer, off: number): void {
    out[off] = 0x01
    out[off + 1] = 0x00
    out[off + 2] = 0x5e
    out[off + 3] = (addr >>> 16) & 0x7f
    out[off + 4] = addr >>> 8
    out[off + 5] = addr
}
