// Typed outcomes of parsing bytes from the wire. Parsing never throws and never reads past the
// length it was given: a check function returns one of these, and only after `Ok` may the field
// accessors be used.

export const enum WireError {
    Ok = 0,
    /** Fewer bytes than the header (or a length field) needs. */
    Truncated = 1,
    /** IPv4 version field is not 4. */
    BadVersion = 2,
    /** IPv4 IHL below 5. */
    BadHeaderLength = 3,
    /** A length field smaller than its own header, or larger than the data. */
    BadLength = 4,
    BadChecksum = 5,
    /** An IPv4 option with a length that runs past the header or below 2. */
    BadOption = 6,
    /** A well-formed header for something this stack does not handle (e.g. ARP for another protocol). */
    Unsupported = 7,
    /** An ARP operation other than request or reply. */
    BadOperation = 8,
}

export function wireErrorName(e: WireError): string {
    switch (e) {
        case WireError.Ok:
            return "ok"
        case WireError.Truncated:
            return "truncated"
        case WireError.BadVersion:
            return "bad version"
        case WireError.BadHeaderLength:
            return "bad header length"
        case WireError.BadLength:
            return "bad length"
        case WireError.BadChecksum:
            return "bad checksum"
        case WireError.BadOption:
            return "bad option"
        case WireError.Unsupported:
            return "unsupported"
        case WireError.BadOperation:
            return "bad operation"
    }
    return "unknown"
}
