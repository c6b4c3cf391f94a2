// The fuzzer's seed corpus: the real Linux frames of test/wire/captures.ts plus hand-made frames for
// the paths the captures do not reach (RFC 5227 probes, gratuitous and spoofed ARP, martian sources,
// broadcast echo, options at IHL 15, VLAN, IPv6, runts, a last fragment). Every frame is addressed
// to host B of the captures (02:00:00:00:00:0b, 192.0.2.2/24), which is what the fuzz stack is.
// The hand-made frames were built with correct checksums (RFC 1071) by a throw-away Node script;
// their meaning is in their names. Hex literals are read-only: the fuzzer copies before mutating.

import {
    ARP_REQUEST,
    ARP_REPLY,
    UDP_STATSD,
    UDP_WITH_OPTIONS,
    ICMP_ECHO_REQUEST,
    ICMP_ECHO_REPLY,
    UDP_FRAG_0,
    UDP_FRAG_1,
    UDP_FRAG_2,
} from "../wire/captures"

export const ARP_PROBE_FOR_B = hex`
    ff ff ff ff ff ff 02 00 00 00 00 0a 08 06 00 01
    08 00 06 04 00 01 02 00 00 00 00 0a 00 00 00 00
    00 00 00 00 00 00 c0 00 02 02
`
export const ARP_GRATUITOUS_A = hex`
    ff ff ff ff ff ff 02 00 00 00 00 0a 08 06 00 01
    08 00 06 04 00 01 02 00 00 00 00 0a c0 00 02 01
    00 00 00 00 00 00 c0 00 02 01
`
export const ARP_CLAIMS_B = hex`
    ff ff ff ff ff ff 02 66 66 66 66 66 08 06 00 01
    08 00 06 04 00 02 02 66 66 66 66 66 c0 00 02 02
    ff ff ff ff ff ff c0 00 02 02
`
export const ARP_SPOOF_PERMANENT = hex`
    02 00 00 00 00 0b 02 66 66 66 66 66 08 06 00 01
    08 00 06 04 00 02 02 66 66 66 66 66 c0 00 02 03
    02 00 00 00 00 0b c0 00 02 02
`
export const ARP_REQUEST_FROM_BROADCAST_IP = hex`
    ff ff ff ff ff ff 02 66 66 66 66 66 08 06 00 01
    08 00 06 04 00 01 02 66 66 66 66 66 c0 00 02 ff
    00 00 00 00 00 00 c0 00 02 02
`
export const ARP_REQUEST_FOR_OTHER = hex`
    ff ff ff ff ff ff 02 66 66 66 66 66 08 06 00 01
    08 00 06 04 00 01 02 66 66 66 66 66 c0 00 02 4d
    00 00 00 00 00 00 c0 00 02 63
`
export const UDP_NO_CHECKSUM_PADDED = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 08 00 45 00
    00 21 12 34 40 00 40 11 a4 94 c0 00 02 01 c0 00
    02 02 9c 40 1f bd 00 0d 00 00 78 3a 31 7c 63 ee
    ee ee ee ee ee ee ee ee ee ee ee ee
`
export const UDP_IHL15_OPTIONS = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 08 00 4f 00
    00 4b 12 34 40 00 40 11 3f 34 c0 00 02 01 c0 00
    02 02 44 24 05 00 01 01 01 01 01 01 01 01 01 01
    01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01
    01 01 01 01 01 01 01 01 01 01 9c 40 00 09 00 0f
    19 3a 6f 70 74 69 6f 6e 73
`
export const ICMP_ECHO_TO_SUBNET_BROADCAST = hex`
    ff ff ff ff ff ff 02 00 00 00 00 0a 08 00 45 00
    00 20 12 34 40 00 40 01 a3 a8 c0 00 02 01 c0 00
    02 ff 08 00 19 2d 00 01 00 01 70 69 6e 67
`
export const ICMP_ECHO_FROM_OURSELVES = hex`
    02 00 00 00 00 0b 02 66 66 66 66 66 08 00 45 00
    00 20 12 34 40 00 40 01 a4 a4 c0 00 02 02 c0 00
    02 02 08 00 1c 1d 00 02 00 01 6c 6f 6f 70
`
export const ICMP_ECHO_FROM_BROADCAST = hex`
    02 00 00 00 00 0b 02 66 66 66 66 66 08 00 45 00
    00 21 12 34 40 00 40 01 66 a6 ff ff ff ff c0 00
    02 02 08 00 a9 1b 00 03 00 01 73 6d 75 72 66
`
export const ICMP_DEST_UNREACH = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 08 00 45 00
    00 38 12 34 40 00 40 01 a4 8d c0 00 02 01 c0 00
    02 02 03 03 40 84 00 00 00 00 45 00 00 1c 00 00
    00 00 40 11 00 00 0c 00 00 02 0c 00 00 01 0f a0
    0f a0 00 08 00 00
`
export const VLAN_TAGGED = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 81 00 00 05
    08 00 45 00 00 20 12 34 40 00 40 11 a4 95 c0 00
    02 01 c0 00 02 02 00 01 00 09 00 0c a3 ed 76 6c
    61 6e
`
export const IPV6_TO_B = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 86 dd 60 00
    00 00 00 08 3a 40 fe 80 00 00 00 00 00 00 00 00
    00 00 00 00 00 01 ff 02 00 00 00 00 00 00 00 00
    00 00 00 00 00 01 80 00 00 00 00 00 00 00
`
export const RUNT_13 = hex`
    02 00 00 00 00 00 0b 02 00 00 00 00 00
`
export const UDP_LAST_FRAGMENT_ODD = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 08 00 45 00
    00 26 12 34 00 b9 40 11 e3 d6 c0 00 02 01 c0 00
    02 02 74 61 69 6c 20 6f 66 20 61 20 64 61 74 61
    67 72 61 6d
`

/** Every seed, and its name (the fuzzer prints the name of the seed a failing input came from). */
export const CORPUS: Buffer[] = [
    ARP_REQUEST,
    ARP_REPLY,
    UDP_STATSD,
    UDP_WITH_OPTIONS,
    ICMP_ECHO_REQUEST,
    ICMP_ECHO_REPLY,
    UDP_FRAG_0,
    UDP_FRAG_1,
    UDP_FRAG_2,
    ARP_PROBE_FOR_B,
    ARP_GRATUITOUS_A,
    ARP_CLAIMS_B,
    ARP_SPOOF_PERMANENT,
    ARP_REQUEST_FROM_BROADCAST_IP,
    ARP_REQUEST_FOR_OTHER,
    UDP_NO_CHECKSUM_PADDED,
    UDP_IHL15_OPTIONS,
    ICMP_ECHO_TO_SUBNET_BROADCAST,
    ICMP_ECHO_FROM_OURSELVES,
    ICMP_ECHO_FROM_BROADCAST,
    ICMP_DEST_UNREACH,
    VLAN_TAGGED,
    IPV6_TO_B,
    RUNT_13,
    UDP_LAST_FRAGMENT_ODD,
]

export const CORPUS_NAMES = [
    "ARP_REQUEST",
    "ARP_REPLY",
    "UDP_STATSD",
    "UDP_WITH_OPTIONS",
    "ICMP_ECHO_REQUEST",
    "ICMP_ECHO_REPLY",
    "UDP_FRAG_0",
    "UDP_FRAG_1",
    "UDP_FRAG_2",
    "ARP_PROBE_FOR_B",
    "ARP_GRATUITOUS_A",
    "ARP_CLAIMS_B",
    "ARP_SPOOF_PERMANENT",
    "ARP_REQUEST_FROM_BROADCAST_IP",
    "ARP_REQUEST_FOR_OTHER",
    "UDP_NO_CHECKSUM_PADDED",
    "UDP_IHL15_OPTIONS",
    "ICMP_ECHO_TO_SUBNET_BROADCAST",
    "ICMP_ECHO_FROM_OURSELVES",
    "ICMP_ECHO_FROM_BROADCAST",
    "ICMP_DEST_UNREACH",
    "VLAN_TAGGED",
    "IPV6_TO_B",
    "RUNT_13",
    "UDP_LAST_FRAGMENT_ODD",
]
