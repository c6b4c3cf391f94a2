// Real Ethernet frames captured from the Linux kernel (6.18.44-fc-v669) on a veth pair between two
// network namespaces, TX checksum offload off. Regenerate with:
//     sudo host/tools/capture-frames.sh --ts test/wire/captures.ts
// Frames are exactly as captured on B's interface (no FCS, no padding added).
// Decoded values below come from tshark 4 / tcpdump -vvv, not from our own code.
// See test/captures/README.md.

// ARP request, 192.0.2.1 (02:00:00:00:00:0a) asks who-has 192.0.2.2.
// Linux 6.18.44-fc-v669, captured on B's veth by host/tools/capture-frames.sh. Frame length 42
//     bytes (NOT padded to the 60-byte Ethernet minimum).
// tcpdump -n -e -vvv: 02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42:
//     Ethernet (len 6), IPv4 (len 4), Request who-has 192.0.2.2 tell 192.0.2.1, length 28
export const ARP_REQUEST = hex`
    ff ff ff ff ff ff 02 00 00 00 00 0a 08 06 00 01
    08 00 06 04 00 01 02 00 00 00 00 0a c0 00 02 01
    00 00 00 00 00 00 c0 00 02 02
`

// ARP reply, 192.0.2.2 is-at 02:00:00:00:00:0b, sent by B to 02:00:00:00:00:0a.
// Linux 6.18.44-fc-v669, captured on B's veth by host/tools/capture-frames.sh. Frame length 42
//     bytes (NOT padded to the 60-byte Ethernet minimum).
// tcpdump -n -e -vvv: 02:00:00:00:00:0b > 02:00:00:00:00:0a, ethertype ARP (0x0806), length 42:
//     Ethernet (len 6), IPv4 (len 4), Reply 192.0.2.2 is-at 02:00:00:00:00:0b, length 28
export const ARP_REPLY = hex`
    02 00 00 00 00 0a 02 00 00 00 00 0b 08 06 00 01
    08 00 06 04 00 02 02 00 00 00 00 0b c0 00 02 02
    02 00 00 00 00 0a c0 00 02 01
`

// UDP 192.0.2.1:40000 -> 192.0.2.2:8125, payload "board.uptime:42|g" (17 bytes, odd).
// Linux 6.18.44-fc-v669, captured on B's veth by host/tools/capture-frames.sh. Frame length 59
//     bytes (NOT padded to the 60-byte Ethernet minimum).
// IPv4: ihl 20 bytes, total length 45, id 0x3a22 (14882), ttl 64, DF 1, MF 0, frag offset 0, header
//     checksum 0x7c9a (tshark: Good).
// UDP: 40000 -> 8125, length 25, checksum 0x6cba (tshark: Good).
// tcpdump -n -e -vvv: 02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype IPv4 (0x0800), length 59:
//     (tos 0x0, ttl 64, id 14882, offset 0, flags [DF], proto UDP (17), length 45) 192.0.2.1.40000
//     > 192.0.2.2.8125: [udp sum ok] UDP, length 17
export const UDP_STATSD = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 08 00 45 00
    00 2d 3a 22 40 00 40 11 7c 9a c0 00 02 01 c0 00
    02 02 9c 40 1f bd 00 19 6c ba 62 6f 61 72 64 2e
    75 70 74 69 6d 65 3a 34 32 7c 67
`

// UDP 192.0.2.1:40000 -> 192.0.2.2:8125 with IPv4 options (setsockopt IP_OPTIONS = Record Route
//     type 7 len 11 ptr 4, 2 empty slots, + EOL), payload "opt".
// Linux 6.18.44-fc-v669, captured on B's veth by host/tools/capture-frames.sh. Frame length 57
//     bytes (NOT padded to the 60-byte Ethernet minimum).
// IPv4: ihl 32 bytes, total length 43, id 0x3a23 (14883), ttl 64, DF 1, MF 0, frag offset 0, header
//     checksum 0x68ce (tshark: Good).
// IP options (tshark): types 7,0, RR pointer 8, recorded route 192.0.2.1.
// UDP: 40000 -> 8125, length 11, checksum 0xdc65 (tshark: Good).
// tcpdump -n -e -vvv: 02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype IPv4 (0x0800), length 57:
//     (tos 0x0, ttl 64, id 14883, offset 0, flags [DF], proto UDP (17), length 43, options (RR
//     192.0.2.1, 0.0.0.0,EOL)) 192.0.2.1.40000 > 192.0.2.2.8125: [udp sum ok] UDP, length 3
export const UDP_WITH_OPTIONS = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 08 00 48 00
    00 2b 3a 23 40 00 40 11 68 ce c0 00 02 01 c0 00
    02 02 07 0b 08 c0 00 02 01 00 00 00 00 00 9c 40
    1f bd 00 0b dc 65 6f 70 74
`

// ICMP echo request 192.0.2.1 -> 192.0.2.2 (ping -c 1 -s 24 -p 0123456789abcdef; 24 data bytes =
//     16-byte timeval + pattern).
// Linux 6.18.44-fc-v669, captured on B's veth by host/tools/capture-frames.sh. Frame length 66
//     bytes.
// IPv4: ihl 20 bytes, total length 52, id 0x4872 (18546), ttl 64, DF 1, MF 0, frag offset 0, header
//     checksum 0x6e53 (tshark: Good).
// ICMP: type 8, id 9276, seq 1, checksum 0x5daf (tshark: Good).
// tcpdump -n -e -vvv: 02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype IPv4 (0x0800), length 66:
//     (tos 0x0, ttl 64, id 18546, offset 0, flags [DF], proto ICMP (1), length 52) 192.0.2.1 >
//     192.0.2.2: ICMP echo request, id 9276, seq 1, length 32
export const ICMP_ECHO_REQUEST = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 08 00 45 00
    00 34 48 72 40 00 40 01 6e 53 c0 00 02 01 c0 00
    02 02 08 00 5d af 24 3c 00 01 46 bb 01 6b 00 00
    00 00 8b c7 04 00 00 00 00 00 01 23 45 67 89 ab
    cd ef
`

// ICMP echo reply 192.0.2.2 -> 192.0.2.1 (B's kernel answering ICMP_ECHO_REQUEST).
// Linux 6.18.44-fc-v669, captured on B's veth by host/tools/capture-frames.sh. Frame length 66
//     bytes.
// IPv4: ihl 20 bytes, total length 52, id 0xad43 (44355), ttl 64, DF 0, MF 0, frag offset 0, header
//     checksum 0x4982 (tshark: Good).
// ICMP: type 0, id 9276, seq 1, checksum 0x65af (tshark: Good).
// tcpdump -n -e -vvv: 02:00:00:00:00:0b > 02:00:00:00:00:0a, ethertype IPv4 (0x0800), length 66:
//     (tos 0x0, ttl 64, id 44355, offset 0, flags [none], proto ICMP (1), length 52) 192.0.2.2 >
//     192.0.2.1: ICMP echo reply, id 9276, seq 1, length 32
export const ICMP_ECHO_REPLY = hex`
    02 00 00 00 00 0a 02 00 00 00 00 0b 08 00 45 00
    00 34 ad 43 00 00 40 01 49 82 c0 00 02 02 c0 00
    02 01 00 00 65 af 24 3c 00 01 46 bb 01 6b 00 00
    00 00 8b c7 04 00 00 00 00 00 01 23 45 67 89 ab
    cd ef
`

// IPv4 fragment 1/3 of UDP 192.0.2.1:40001 -> 192.0.2.2:9000, 4000-byte payload (i & 0xff),
//     IP_PMTUDISC_DONT, MTU 1500; carries the UDP header.
// Linux 6.18.44-fc-v669, captured on B's veth by host/tools/capture-frames.sh. Frame length 1514
//     bytes.
// IPv4: ihl 20 bytes, total length 1500, id 0x3a4a (14922), ttl 64, DF 0, MF 1, frag offset 0,
//     header checksum 0x96c3 (tshark: Good).
// UDP header (in this fragment): 40001 -> 9000, length 4008, checksum 0x905b (tshark: Good,
//     verified over the reassembled datagram, 4008 bytes of IP payload).
// tcpdump -n -e -vvv: 02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype IPv4 (0x0800), length 1514:
//     (tos 0x0, ttl 64, id 14922, offset 0, flags [+], proto UDP (17), length 1500) 192.0.2.1.40001
//     > 192.0.2.2.9000: UDP, length 4000
export const UDP_FRAG_0 = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 08 00 45 00
    05 dc 3a 4a 20 00 40 11 96 c3 c0 00 02 01 c0 00
    02 02 9c 41 23 28 0f a8 90 5b 00 01 02 03 04 05
    06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
    16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25
    26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
    36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45
    46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55
    56 57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65
    66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75
    76 77 78 79 7a 7b 7c 7d 7e 7f 80 81 82 83 84 85
    86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95
    96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3 a4 a5
    a6 a7 a8 a9 aa ab ac ad ae af b0 b1 b2 b3 b4 b5
    b6 b7 b8 b9 ba bb bc bd be bf c0 c1 c2 c3 c4 c5
    c6 c7 c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 d5
    d6 d7 d8 d9 da db dc dd de df e0 e1 e2 e3 e4 e5
    e6 e7 e8 e9 ea eb ec ed ee ef f0 f1 f2 f3 f4 f5
    f6 f7 f8 f9 fa fb fc fd fe ff 00 01 02 03 04 05
    06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
    16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25
    26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
    36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45
    46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55
    56 57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65
    66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75
    76 77 78 79 7a 7b 7c 7d 7e 7f 80 81 82 83 84 85
    86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95
    96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3 a4 a5
    a6 a7 a8 a9 aa ab ac ad ae af b0 b1 b2 b3 b4 b5
    b6 b7 b8 b9 ba bb bc bd be bf c0 c1 c2 c3 c4 c5
    c6 c7 c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 d5
    d6 d7 d8 d9 da db dc dd de df e0 e1 e2 e3 e4 e5
    e6 e7 e8 e9 ea eb ec ed ee ef f0 f1 f2 f3 f4 f5
    f6 f7 f8 f9 fa fb fc fd fe ff 00 01 02 03 04 05
    06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
    16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25
    26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
    36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45
    46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55
    56 57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65
    66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75
    76 77 78 79 7a 7b 7c 7d 7e 7f 80 81 82 83 84 85
    86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95
    96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3 a4 a5
    a6 a7 a8 a9 aa ab ac ad ae af b0 b1 b2 b3 b4 b5
    b6 b7 b8 b9 ba bb bc bd be bf c0 c1 c2 c3 c4 c5
    c6 c7 c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 d5
    d6 d7 d8 d9 da db dc dd de df e0 e1 e2 e3 e4 e5
    e6 e7 e8 e9 ea eb ec ed ee ef f0 f1 f2 f3 f4 f5
    f6 f7 f8 f9 fa fb fc fd fe ff 00 01 02 03 04 05
    06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
    16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25
    26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
    36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45
    46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55
    56 57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65
    66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75
    76 77 78 79 7a 7b 7c 7d 7e 7f 80 81 82 83 84 85
    86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95
    96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3 a4 a5
    a6 a7 a8 a9 aa ab ac ad ae af b0 b1 b2 b3 b4 b5
    b6 b7 b8 b9 ba bb bc bd be bf c0 c1 c2 c3 c4 c5
    c6 c7 c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 d5
    d6 d7 d8 d9 da db dc dd de df e0 e1 e2 e3 e4 e5
    e6 e7 e8 e9 ea eb ec ed ee ef f0 f1 f2 f3 f4 f5
    f6 f7 f8 f9 fa fb fc fd fe ff 00 01 02 03 04 05
    06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
    16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25
    26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
    36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45
    46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55
    56 57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65
    66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75
    76 77 78 79 7a 7b 7c 7d 7e 7f 80 81 82 83 84 85
    86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95
    96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3 a4 a5
    a6 a7 a8 a9 aa ab ac ad ae af b0 b1 b2 b3 b4 b5
    b6 b7 b8 b9 ba bb bc bd be bf c0 c1 c2 c3 c4 c5
    c6 c7 c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 d5
    d6 d7 d8 d9 da db dc dd de df e0 e1 e2 e3 e4 e5
    e6 e7 e8 e9 ea eb ec ed ee ef f0 f1 f2 f3 f4 f5
    f6 f7 f8 f9 fa fb fc fd fe ff 00 01 02 03 04 05
    06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
    16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25
    26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
    36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45
    46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55
    56 57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65
    66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75
    76 77 78 79 7a 7b 7c 7d 7e 7f 80 81 82 83 84 85
    86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95
    96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3 a4 a5
    a6 a7 a8 a9 aa ab ac ad ae af b0 b1 b2 b3 b4 b5
    b6 b7 b8 b9 ba bb bc bd be bf
`

// IPv4 fragment 2/3 of the 4000-byte UDP datagram (see UDP_FRAG_0).
// Linux 6.18.44-fc-v669, captured on B's veth by host/tools/capture-frames.sh. Frame length 1514
//     bytes.
// IPv4: ihl 20 bytes, total length 1500, id 0x3a4a (14922), ttl 64, DF 0, MF 1, frag offset 185 (x8
//     = 1480 bytes), header checksum 0x960a (tshark: Good).
// tcpdump -n -e -vvv: 02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype IPv4 (0x0800), length 1514:
//     (tos 0x0, ttl 64, id 14922, offset 1480, flags [+], proto UDP (17), length 1500) 192.0.2.1 >
//     192.0.2.2: ip-proto-17
export const UDP_FRAG_1 = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 08 00 45 00
    05 dc 3a 4a 20 b9 40 11 96 0a c0 00 02 01 c0 00
    02 02 c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd
    ce cf d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd
    de df e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 ea eb ec ed
    ee ef f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd
    fe ff 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d
    0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d
    1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d
    2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d
    3e 3f 40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d
    4e 4f 50 51 52 53 54 55 56 57 58 59 5a 5b 5c 5d
    5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d
    6e 6f 70 71 72 73 74 75 76 77 78 79 7a 7b 7c 7d
    7e 7f 80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d
    8e 8f 90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d
    9e 9f a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad
    ae af b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 ba bb bc bd
    be bf c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd
    ce cf d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd
    de df e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 ea eb ec ed
    ee ef f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd
    fe ff 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d
    0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d
    1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d
    2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d
    3e 3f 40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d
    4e 4f 50 51 52 53 54 55 56 57 58 59 5a 5b 5c 5d
    5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d
    6e 6f 70 71 72 73 74 75 76 77 78 79 7a 7b 7c 7d
    7e 7f 80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d
    8e 8f 90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d
    9e 9f a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad
    ae af b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 ba bb bc bd
    be bf c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd
    ce cf d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd
    de df e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 ea eb ec ed
    ee ef f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd
    fe ff 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d
    0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d
    1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d
    2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d
    3e 3f 40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d
    4e 4f 50 51 52 53 54 55 56 57 58 59 5a 5b 5c 5d
    5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d
    6e 6f 70 71 72 73 74 75 76 77 78 79 7a 7b 7c 7d
    7e 7f 80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d
    8e 8f 90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d
    9e 9f a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad
    ae af b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 ba bb bc bd
    be bf c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd
    ce cf d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd
    de df e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 ea eb ec ed
    ee ef f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd
    fe ff 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d
    0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d
    1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d
    2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d
    3e 3f 40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d
    4e 4f 50 51 52 53 54 55 56 57 58 59 5a 5b 5c 5d
    5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d
    6e 6f 70 71 72 73 74 75 76 77 78 79 7a 7b 7c 7d
    7e 7f 80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d
    8e 8f 90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d
    9e 9f a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad
    ae af b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 ba bb bc bd
    be bf c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd
    ce cf d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd
    de df e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 ea eb ec ed
    ee ef f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd
    fe ff 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d
    0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d
    1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d
    2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d
    3e 3f 40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d
    4e 4f 50 51 52 53 54 55 56 57 58 59 5a 5b 5c 5d
    5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d
    6e 6f 70 71 72 73 74 75 76 77 78 79 7a 7b 7c 7d
    7e 7f 80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d
    8e 8f 90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d
    9e 9f a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad
    ae af b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 ba bb bc bd
    be bf c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd
    ce cf d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd
    de df e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 ea eb ec ed
    ee ef f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd
    fe ff 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d
    0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d
    1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d
    2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d
    3e 3f 40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d
    4e 4f 50 51 52 53 54 55 56 57 58 59 5a 5b 5c 5d
    5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d
    6e 6f 70 71 72 73 74 75 76 77 78 79 7a 7b 7c 7d
    7e 7f 80 81 82 83 84 85 86 87
`

// IPv4 fragment 3/3 (last) of the 4000-byte UDP datagram (see UDP_FRAG_0).
// Linux 6.18.44-fc-v669, captured on B's veth by host/tools/capture-frames.sh. Frame length 1082
//     bytes.
// IPv4: ihl 20 bytes, total length 1068, id 0x3a4a (14922), ttl 64, DF 0, MF 0, frag offset 370 (x8
//     = 2960 bytes), header checksum 0xb701 (tshark: Good).
// tcpdump -n -e -vvv: 02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype IPv4 (0x0800), length 1082:
//     (tos 0x0, ttl 64, id 14922, offset 2960, flags [none], proto UDP (17), length 1068) 192.0.2.1
//     > 192.0.2.2: ip-proto-17
export const UDP_FRAG_2 = hex`
    02 00 00 00 00 0b 02 00 00 00 00 0a 08 00 45 00
    04 2c 3a 4a 01 72 40 11 b7 01 c0 00 02 01 c0 00
    02 02 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95
    96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3 a4 a5
    a6 a7 a8 a9 aa ab ac ad ae af b0 b1 b2 b3 b4 b5
    b6 b7 b8 b9 ba bb bc bd be bf c0 c1 c2 c3 c4 c5
    c6 c7 c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 d5
    d6 d7 d8 d9 da db dc dd de df e0 e1 e2 e3 e4 e5
    e6 e7 e8 e9 ea eb ec ed ee ef f0 f1 f2 f3 f4 f5
    f6 f7 f8 f9 fa fb fc fd fe ff 00 01 02 03 04 05
    06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
    16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25
    26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
    36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45
    46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55
    56 57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65
    66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75
    76 77 78 79 7a 7b 7c 7d 7e 7f 80 81 82 83 84 85
    86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95
    96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3 a4 a5
    a6 a7 a8 a9 aa ab ac ad ae af b0 b1 b2 b3 b4 b5
    b6 b7 b8 b9 ba bb bc bd be bf c0 c1 c2 c3 c4 c5
    c6 c7 c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 d5
    d6 d7 d8 d9 da db dc dd de df e0 e1 e2 e3 e4 e5
    e6 e7 e8 e9 ea eb ec ed ee ef f0 f1 f2 f3 f4 f5
    f6 f7 f8 f9 fa fb fc fd fe ff 00 01 02 03 04 05
    06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
    16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25
    26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
    36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45
    46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55
    56 57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65
    66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75
    76 77 78 79 7a 7b 7c 7d 7e 7f 80 81 82 83 84 85
    86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95
    96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3 a4 a5
    a6 a7 a8 a9 aa ab ac ad ae af b0 b1 b2 b3 b4 b5
    b6 b7 b8 b9 ba bb bc bd be bf c0 c1 c2 c3 c4 c5
    c6 c7 c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 d5
    d6 d7 d8 d9 da db dc dd de df e0 e1 e2 e3 e4 e5
    e6 e7 e8 e9 ea eb ec ed ee ef f0 f1 f2 f3 f4 f5
    f6 f7 f8 f9 fa fb fc fd fe ff 00 01 02 03 04 05
    06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
    16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25
    26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
    36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45
    46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55
    56 57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65
    66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75
    76 77 78 79 7a 7b 7c 7d 7e 7f 80 81 82 83 84 85
    86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95
    96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3 a4 a5
    a6 a7 a8 a9 aa ab ac ad ae af b0 b1 b2 b3 b4 b5
    b6 b7 b8 b9 ba bb bc bd be bf c0 c1 c2 c3 c4 c5
    c6 c7 c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 d5
    d6 d7 d8 d9 da db dc dd de df e0 e1 e2 e3 e4 e5
    e6 e7 e8 e9 ea eb ec ed ee ef f0 f1 f2 f3 f4 f5
    f6 f7 f8 f9 fa fb fc fd fe ff 00 01 02 03 04 05
    06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15
    16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25
    26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
    36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45
    46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55
    56 57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65
    66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75
    76 77 78 79 7a 7b 7c 7d 7e 7f 80 81 82 83 84 85
    86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95
    96 97 98 99 9a 9b 9c 9d 9e 9f
`

// Independently verified checksum/ID values (tshark, checksum validation enabled: all Good)
export const UDP_STATSD_IP_ID = 0x3a22
export const UDP_STATSD_IP_CHECKSUM = 0x7c9a
export const UDP_STATSD_UDP_CHECKSUM = 0x6cba
export const UDP_WITH_OPTIONS_IP_ID = 0x3a23
export const UDP_WITH_OPTIONS_IP_CHECKSUM = 0x68ce
export const UDP_WITH_OPTIONS_UDP_CHECKSUM = 0xdc65
// the three fragments share one IP ID; the UDP checksum covers all 4008 UDP bytes
// and sits in UDP_FRAG_0's UDP header
export const UDP_FRAG_IP_ID = 0x3a4a
export const UDP_FRAG_UDP_CHECKSUM = 0x905b
export const UDP_FRAG_0_IP_CHECKSUM = 0x96c3
export const UDP_FRAG_1_IP_CHECKSUM = 0x960a
export const UDP_FRAG_2_IP_CHECKSUM = 0xb701
export const ICMP_ECHO_REQUEST_IP_CHECKSUM = 0x6e53
export const ICMP_ECHO_REQUEST_ICMP_CHECKSUM = 0x5daf
export const ICMP_ECHO_REPLY_IP_CHECKSUM = 0x4982
export const ICMP_ECHO_REPLY_ICMP_CHECKSUM = 0x65af
