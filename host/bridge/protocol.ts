// The stream between the simulator (src/sim/hostlink.ts) and the host bridge: records of
//   length u16 BE (bytes after this field) | type u8 | body (length - 1 bytes)
//   1 FRAME    one Ethernet frame without FCS, 14..1514 bytes
//   2 HELLO    board -> host, the first record: version u8, window u16 BE, the board's MAC (6 bytes)
//   3 CREDIT   board -> host: u16 BE, bytes of host records (headers included) the board consumed
//   4 CONTROL  either way: UTF-8 text (test programs)
// The host never has more than `window` bytes of records sent and not credited: the simulator hands
// the program whatever Node read at once, on a 64 KB heap. src/sim/hostlink.ts holds the board's
// copy of these numbers; test/host/bridge.spec.ts checks that the two agree.

export const HOSTLINK_VERSION = 1

export const enum RecordType {
    Frame = 1,
    Hello = 2,
    Credit = 3,
    Control = 4,
}

export const RECORD_HEADER_LEN = 3
export const MIN_FRAME = 14
export const MAX_FRAME = 1514
/** The shortest frame on a real wire (64 bytes with the FCS): shorter ones are padded, as a MAC does. */
export const MIN_WIRE_FRAME = 60

export interface Hello {
    version: number
    window: number
    mac: string
}

export type BoardRecord =
    | { type: RecordType.Frame; frame: Buffer }
    | { type: RecordType.Hello; hello: Hello }
    | { type: RecordType.Credit; bytes: number }
    | { type: RecordType.Control; text: string }
    | { type: number; body: Buffer }

export function encodeRecord(type: RecordType, body: Buffer): Buffer {
    if (body.length + 1 > 0xffff) throw new RangeError(`record body of ${body.length} bytes is over 65534`)
    const r = Buffer.alloc(RECORD_HEADER_LEN + body.length)
    r.writeUInt16BE(body.length + 1, 0)
    r[2] = type
    body.copy(r, RECORD_HEADER_LEN)
    return r
}

/** A FRAME record; frames under 60 bytes are zero-padded to 60 (the minimum on a wire). */
export function encodeFrame(frame: Buffer): Buffer {
    if (frame.length < MIN_FRAME || frame.length > MAX_FRAME) throw new RangeError(`frame of ${frame.length} bytes (14..1514)`)
    const len = Math.max(frame.length, MIN_WIRE_FRAME)
    const r = Buffer.alloc(RECORD_HEADER_LEN + len)
    r.writeUInt16BE(len + 1, 0)
    r[2] = RecordType.Frame
    frame.copy(r, RECORD_HEADER_LEN)
    return r
}

export function encodeHello(h: Hello): Buffer {
    const b = Buffer.alloc(9)
    b[0] = h.version
    b.writeUInt16BE(h.window, 1)
    Buffer.from(h.mac.split(":").map(x => parseInt(x, 16))).copy(b, 3)
    return encodeRecord(RecordType.Hello, b)
}

export function encodeCredit(bytes: number): Buffer {
    const b = Buffer.alloc(2)
    b.writeUInt16BE(bytes, 0)
    return encodeRecord(RecordType.Credit, b)
}

export class ProtocolError extends Error {
    constructor(message: string) {
        super(message)
        this.name = "ProtocolError"
    }
}

/** Splits the byte stream into records, whatever the chunking. */
export class RecordDecoder {
    private buf: Buffer = Buffer.alloc(0)

    /** Append a chunk; returns the whole records it completes. Throws ProtocolError on a broken stream. */
    push(chunk: Buffer): BoardRecord[] {
        this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk
        const out: BoardRecord[] = []
        let at = 0
        while (this.buf.length - at >= 2) {
            const len = this.buf.readUInt16BE(at)
            if (len < 1) throw new ProtocolError(`record with length 0 at stream offset ${at}`)
            if (this.buf.length - at < 2 + len) break
            out.push(parseRecord(this.buf[at + 2], this.buf.subarray(at + RECORD_HEADER_LEN, at + 2 + len)))
            at += 2 + len
        }
        this.buf = at === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(at))
        return out
    }

    /** Bytes held of an incomplete record. */
    get pending(): number {
        return this.buf.length
    }
}

function parseRecord(type: number, body: Buffer): BoardRecord {
    switch (type) {
        case RecordType.Frame:
            return { type, frame: Buffer.from(body) }
        case RecordType.Hello: {
            if (body.length < 9) throw new ProtocolError(`HELLO of ${body.length} bytes (9 expected)`)
            const mac = [...body.subarray(3, 9)].map(x => x.toString(16).padStart(2, "0")).join(":")
            return { type, hello: { version: body[0], window: body.readUInt16BE(1), mac } }
        }
        case RecordType.Credit:
            if (body.length !== 2) throw new ProtocolError(`CREDIT of ${body.length} bytes (2 expected)`)
            return { type, bytes: body.readUInt16BE(0) }
        case RecordType.Control:
            return { type, text: body.toString("utf8") }
    }
    return { type, body: Buffer.from(body) }
}
