// A connected byte stream as the protocols above TCP see it (MQTT, line-oriented clients): reads and
// writes copy between the caller's buffer and the connection's own bounded buffers, so nothing is
// allocated per call; `waitEvent` is the one place a reader or writer blocks.

export const enum StreamStatus {
    /** Connecting (SYN sent, no answer yet). */
    Connecting = 0,
    /** Data can flow both ways. */
    Open = 1,
    /** The peer closed its side (FIN received): what is buffered can still be read, writes still go. */
    PeerClosed = 2,
    /** Closed in order, nothing left to read. */
    Closed = 3,
    /** The peer reset the connection (RST), or refused it. */
    Reset = 4,
    /** Retransmissions or the connect attempt ran out of time. */
    TimedOut = 5,
    /** No route, no address, or the destination was unreachable. */
    Unreachable = 6,
}

export interface ByteStream {
    /** Bytes that can be read now without waiting. */
    readable(): number
    /** Copy up to `len` received bytes into `buf` at `off` and consume them; returns the count (0: none now). */
    read(buf: Buffer, off: number, len: number): number
    /** Free space in the send buffer now. */
    writable(): number
    /** Copy up to `len` bytes from `buf` at `off` into the send buffer; returns the count accepted (0: full). */
    write(buf: Buffer, off: number, len: number): number
    /** Wait until data arrives, send space frees, the status changes, or `timeoutMs` passes. */
    waitEvent(timeoutMs: number): Promise<void>
    status(): StreamStatus
    /** Orderly close: what was written is still delivered, then FIN. */
    close(): void
    /** Abortive close (RST), for a peer that must be dropped now. */
    abort(): void
}
