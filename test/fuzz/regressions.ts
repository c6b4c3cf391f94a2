// Inputs the fuzzer found failing, kept as regression tests: test/fuzz/fuzz.test.ts (stack, wire)
// and test/fuzz/fuzz-<chip>.test.ts (drivers) replay every one of them on a fresh target and require
// every oracle to hold. `npm run fuzz` (host/fuzz/run.ts) appends new failures between the markers
// below; `why` is the oracle that broke when it was found, `seed`/`index` where it was found (they
// regenerate the same input while test/fuzz/mutate.ts is unchanged: the entries below came from
// its first version, before the fix each one names was made). Stack and wire entries
// replay `input` on a fresh stack. Driver entries ("w5500", "enc28j60") replay that one case of the
// driver target on a fresh rig: its actions come from the case's own generator, so they replay the
// same only while test/fuzz/driver.ts and mutate.ts generate the same actions (`input` is the last
// frame the case generated, for reading). Protocol entries ("dhcp", "dns", "ntp", "tcp", "mqtt",
// test/fuzz/proto-*.ts) likewise replay case `index` of `seed` on a fresh target
// (fuzz-parsers.test.ts, fuzz-tcp.test.ts, fuzz-mqtt.test.ts); `input` is the case's last input.

export interface Regression {
    /** "stack" and "wire": `input` is the frame; "w5500" / "enc28j60" and the protocol targets: the case. */
    target: string
    seed: number
    index: number
    why: string
    input: Buffer
}

export const REGRESSIONS: Regression[] = [
    // @@regressions-begin (host/fuzz/run.ts appends here)
    {
        target: "stack",
        seed: 12345,
        index: 146,
        why: "a neighbour entry for an impossible address 0 (RFC 5227 ARP probe learnt as a neighbour)",
        input: hex`
            ff ff ff ff ff ff 02 00 00 00 00 0a 08 06 00 01 08 00 06 04 00 01 02 00
            00 00 00 0a 00 00 00 00 00 00 00 00 00 00 c0 00 02 02
        `,
    },
    {
        target: "stack",
        seed: 12345,
        index: 173,
        why: "counted as Ip.ReasmFails, expected Ip.InAddrErrors (source 255.255.255.255 accepted)",
        input: hex`
            02 00 00 00 00 0b 02 66 66 66 66 66 08 00 45 00 00 21 12 34 00 08 40 01
            a6 9e ff ff ff ff c0 00 02 02 08 00 a9 1b 00 03 00 01 73 6d 75 72 66
        `,
    },
    {
        target: "stack",
        seed: 12345,
        index: 214,
        why: "counted as Icmp.InMsgs, expected Ip.InAddrErrors (our own address as source accepted)",
        input: hex`
            02 00 00 00 00 0b 02 66 66 66 66 66 08 00 45 00 00 20 12 34 40 00 40 01
            a4 a4 c0 00 02 02 c0 00 02 02 0d ff 16 1e 00 02 00 01 6c 6f 6f 70
        `,
    },
    {
        target: "stack",
        seed: 12345,
        index: 255,
        why: "ARP reply to something that is not a request for our address from a possible sender (sender 192.0.2.255)",
        input: hex`
            ff ff ff ff ff ff 02 66 66 66 66 66 08 06 00 01 08 00 06 04 00 01 02 66
            66 66 66 66 c0 00 02 ff 00 00 00 00 00 66 c0 00 02 02 db db db db db db
            db db db db db db db db db
        `,
    },
    {
        target: "stack",
        seed: 12345,
        index: 277,
        why: "transmitted IPv4 to an impossible destination 0 (echo reply to source 0.0.0.0)",
        input: hex`
            02 00 00 00 00 0b 02 00 00 00 00 0b 08 00 45 00 00 20 12 34 40 00 40 01
            66 a7 00 00 00 00 c0 00 02 02 08 00 1c 1d 00 02 00 01 6c 6f 6f 70 0c fb
            ab e0 69 a4 ba 34 ee 00 c0 d9 41 28 22 b4 ff 20 a9 d7 bb ed bc 3b 46 47
            fd 6e 41 16 88 73 28 d0 45 bf 94 48 b0 61 e8 2c 2b 7c 83 2a 84 17 09 2b
            cb a1 f7 1e a0 ed 1d 82 e8 1e 80 9c 8b c2 8f a7 f6 49 33 dc 49 15 62 61
            57 10 5d 22 d7 a7 95 7a 1a 23 bf f9 5c 72 34 2e 32 26 50 54 a3 e0 d2 f4
            20 49 b2 81 89 59 df 29 9a 5c 9b 6e b1 60 0a db 84 b5 17 3b b6 57 a9 ea
            27 fd 59 d7 3d 96 65 f6 0a c0 ee 4b 90 70 ea 5a be 1d 11 fb b0 af 64 a7
            c6 55 36 3b bf 3c 91 15 da 90 9c 91 b6 1a 89 d2 e5 f5 04 58 d1 39 2c 6f
            3a 6b c0 0f e6 6d fc 4f dd 73 9e 7d 4e 7f ec 87 ca ab 47 fb 34 04 be 43
            b0 f6 b8 a8 ea b4 ee a5 f9 c5 37 a3 04 30 10 fc df e0 54 40 de 38 c8 c5
            ac bc 18 12 4f 62 12 db 65 7d 76 9a dc 9c 2f ef 9f 31 4e b8 d1 42 09 30
            b3 00 e8 a7 ba 5e ab f8 57 0d 5b d5 9b dc 7e d5 e9 5f f2 72 c8 62 06 a4
            01 f1 39 51 28 ef ef 65 cb b3 a6 95 8d 24 73 19 8a cf 2c 0c 7e 85 fb 70
            bd 85 8c f7 26 c7 9e cc 23 81 5e 41 bc 44 b3 d0 e3 4f 5c bd 68 ac ed 79
            c0 88 1e 08 a1 82 74 46 ab ec af 49 ad 22 11 d5 f6 f5 51 4a ad 67 66 46
            31 bd d1 6a f7 a2 48 d6 b8 f5 5f 36 fc 40 b7 53 3c b9 3e 0e 51 1f 5d b1
            93 6e 29 ce 96 d0 1d 4f af 78 76 d5 d6 44 02 64 95 06 4a 22 6f b8 2a b0
            14 f2 95 99 ba 70 89 1c 29 33 af 75 08 a3 22 5c 05 bd e1 ad d7 4f cb f9
            9a 45 7d 26 35 f2 8f 4b b9 07 76 ce 58 cd 38 8f 5d fe fd 9d 75 da 86 aa
            65 de 0f d3 39 99 6c f1 94 e3 b7 9c a3 74 3a d9 f1 aa e3 3d d0 61 ea 3a
            87 f8 94 eb 04 01 c5
        `,
    },
    {
        target: "stack",
        seed: 12345,
        index: 795,
        why: "transmitted IPv4 to a group MAC (echo reply to source 192.0.2.255)",
        input: hex`
            02 00 00 00 00 0b 02 00 00 00 00 0a 08 00 45 00 00 34 48 72 40 00 40 01
            6d 55 c0 00 02 ff c0 00 02 02 08 00 5d af 24 3c 00 01 46 bb 01 6b 00 00
            00 00 8b c7 04 00 00 00 00 00 01 23 45 67 89 ab cd ef
        `,
    },
    {
        target: "stack",
        seed: 12345,
        index: 846,
        why: "counted as Udp.InDatagrams, expected Ip.InAddrErrors (multicast source delivered)",
        input: hex`
            02 00 00 00 00 0b 02 00 00 00 00 41 08 00 45 e1 01 1d 02 b5 40 00 b9 11
            fd 16 e2 18 1c 08 c0 00 02 02 d6 cf 00 09 01 09 10 68 0b 18 82 d9 8a 4a
            7a a5 e6 c0 1b 98 59 55 10 a3 bc 4f 50 ab e2 11 50 56 56 02 f2 58 b8 ec
            80 90 45 e1 51 fc 7c 2b db 4b 43 4d 44 c4 ea ab 69 fd e5 1f c1 25 e4 93
            ea 6b 2b 63 54 fc 87 4a 15 c0 cb 8f ff 58 2d da 30 1b b2 41 28 db cb 71
            08 d4 66 4b d6 df 5f ff 41 cb 92 b4 89 37 d1 15 69 aa 84 e6 4e f7 2e ac
            dc fb b5 09 87 71 e8 e6 29 30 8d c0 43 02 4d 64 09 88 cb cf 20 eb 77 b0
            8e 3d e0 46 6d f6 ef 1e 6a 45 1e bb 93 87 a1 09 2b 73 d4 b5 ed 51 d2 01
            46 bc 2b 53 e4 4e 20 de 22 10 b3 1e ed b6 4a 57 05 2d 7d c4 ec 28 a6 02
            5d 19 ab 0d a6 99 75 ec 3b 58 9b c3 90 79 be a7 61 89 9d f0 7d 1e 4c 65
            ca 5c 7d 29 0e 6f 27 9f ee ea 01 51 88 ab 86 6a 4c df 6c 21 94 5f 0c e7
            50 15 e4 ca eb da 4a 83 b2 6e 50 88 18 47 82 ab 56 0e 1b a1 5a e2 43 e9
            75 e8 d4 c1 44 25 72 f2 51 7a 35
        `,
    },
    {
        target: "stack",
        seed: 12345,
        index: 15259,
        why: "neighbour 192.0.192.0 learnt a group (broadcast/multicast) MAC (ARP sender hardware address ff:ff:ff:ff:ff:ff)",
        input: hex`
            ff ff ff ff ff ff 02 66 66 66 66 66 08 06 00 01 08 00 06 04 00 01 ff ff
            ff ff ff ff c0 00 c0 00 02 35 00 00 00 00 c0 00 02 02
        `,
    },
    // @@regressions-end
]
