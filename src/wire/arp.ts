// ARP for IPv4 over Ethernet, RFC 826. Only hardware type 1 (Ethernet, 6-byte addresses) and
// protocol type 0x0800 (IPv4, 4-byte addresses) are handled; anything else is `Unsupported`.

import { getU16, getU32, setU16, setU32 } from "./bytes"
import { WireError } from "./error"

export const enum ArpField {
    HardwareType = 0,
    ProtocolType = 2,
    HardwareLen = 4,
    ProtocolLen = 5,
    Operation = 6,
    SenderMac = 8,
    SenderIp = 14,
    TargetMac = 18,
    TargetIp = 24,
}
export const ARP_LEN = 28

export const enum ArpOperation {
    Request = 1,
    Reply = 2,
}

export function arpCheck(buf: Buffer, off: number, len: number): WireError {
    if (len < ARP_LEN || off + ARP_LEN > buf.length) return WireError.Truncated
    if (
        getU16(buf, off + ArpField.HardwareType) !== 1 ||
        getU16(buf, off + ArpField.ProtocolType) !== 0x0800 ||
        buf[off + ArpField.HardwareLen] !== 6 ||
        buf[off + ArpField.ProtocolLen] !== 4
    )
        return WireError.Unsupported
    const op = getU16(buf, off + ArpField.Operation)
    if (op !== ArpOperation.Request && op !== ArpOperation.Reply) return WireError.BadOperation
    return WireError.Ok
}

/**
 * Write exactly ARP_LEN bytes at `off`: an Ethernet/IPv4 ARP packet, the sender's MAC from
 * `senderMac`, the target's from `targetMac` at `targetMacOff` (they may overlap the packet read).
 */
export function arpEmit(
    buf: Buffer,
    off: number,
    op: ArpOperation,
    senderMac: Buffer,
    senderIp: number,
    targetMac: Buffer,
    targetMacOff: number,
    targetIp: number
): void {
    // the target first: it may be the sender of a packet being answered in the same buffer
    buf.blitAt(off + ArpField.TargetMac, targetMac, targetMacOff, 6)
    setU32(buf, off + ArpField.TargetIp, targetIp)
    setU16(buf, off + ArpField.HardwareType, 1)
    setU16(buf, off + ArpField.ProtocolType, 0x0800)
    buf[off + ArpField.HardwareLen] = 6
    buf[off + ArpField.ProtocolLen] = 4
    setU16(buf, off + ArpField.Operation, op)
    buf.blitAt(off + ArpField.SenderMac, senderMac, 0, 6)
    setU32(buf, off + ArpField.SenderIp, senderIp)
}

/**
 * The high-level form of an ARP packet; the MAC buffers are owned and reused, never reallocated.
 * @devsWhenUsed
 */
export class ArpRepr {
    operation = 0
    senderMac = Buffer.alloc(6)
    senderIp = 0
    targetMac = Buffer.alloc(6)
    targetIp = 0

    /** Check and decode; on anything but `Ok` the fields are left as they were. */
    parse(buf: Buffer, off: number, len: number): WireError {
        const e = arpCheck(buf, off, len)
        if (e !== WireError.Ok) return e
        this.operation = getU16(buf, off + ArpField.Operation)
        this.senderMac.blitAt(0, buf, off + ArpField.SenderMac, 6)
        this.senderIp = getU32(buf, off + ArpField.SenderIp)
        this.targetMac.blitAt(0, buf, off + ArpField.TargetMac, 6)
        this.targetIp = getU32(buf, off + ArpField.TargetIp)
        return WireError.Ok
    }

    /** Write exactly ARP_LEN bytes at `off`. */
    emit(buf: Buffer, off: number): void {
        arpEmit(buf, off, this.operation, this.senderMac, this.senderIp, this.targetMac, 0, this.targetIp)
    }
}
