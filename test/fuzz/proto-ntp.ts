// Fuzz target "ntp": the SNTP client's reply check (src/ntp/client.ts SntpClient.take, reached the
// way its socket reaches it: once a request is in flight). A case: a request's transmit timestamp
// (random), then a reply from a small corpus (a good reply, Kiss-o'-Death DENY, RSTR and RATE, LI 3,
// stratum 16, version 3, an echo of the request, a zero transmit timestamp) mutated byte-wise
// (mutateBytes) and sometimes given a wrong origin.
// Oracles (a reference reading of RFC 4330 §5 / RFC 5905 §7.3-§8, independent of the client's code):
//  T1  nothing throws
//  T2  the outcome is the reference's: BadFormat (short, not mode 4, version not 3/4), Bogus
//      (origin not our transmit timestamp, zero transmit timestamp), Kiss (stratum 0),
//      Unsynchronized (LI 3, stratum > 15), else Ok
//  T3  exactly the counter of that outcome moves, by one (and Replies for all but the first two)
//  T4  Ok: synchronised, a finite offset, a delay >= 0; only Ok changes the offset; a DENY/RSTR
//      removes the server, nothing else does

import { Rng } from "./rng"
import { ProtoTarget, fuzzProto, replayProto, noteInput, mutateBytes, pairs } from "./proto"
import { FailureSink } from "./common"
import { makeRig, Rig } from "../support/rig"
import { SntpClient, SntpMib, SntpOutcome, NtpField, NTP_PACKET_LEN } from "../../src/ntp/client"

const SERVER = 0xc0000201

/** The client with its reply check reachable: a request "in flight" with a given transmit timestamp. */
class FuzzSntp extends SntpClient {
    requested(transmit: Buffer): void {
        const pkt = (this as any).pkt as Buffer
        pkt.fillAt(0, NTP_PACKET_LEN, 0)
        pkt[0] = 0x23
        pkt.blitAt(NtpField.Transmit, transmit, 0, 8)
    }

    check(b: Buffer, off: number, len: number, src: number): number {
        return this.take(b, off, len, src)
    }
}

const GOOD = hex`24 02 06 ec 00 00 00 10 00 00 00 20 c0 00 02 01 ec de 41 b0 00 00 00 00 00 00 00 00 00 00 00 00 ec de 41 c0 40 00 00 00 ec de 41 c0 80 00 00 00`
export const NTP_CORPUS_NAMES = ["good", "kod-deny", "kod-rstr", "kod-rate", "li3", "stratum16", "v3", "echo", "zero-transmit"]
const OUTCOME_NAMES = "BadFormat Bogus Ok Kiss Unsynchronized"

/** Outcomes over the run (kept across the fresh targets a failure makes). */
const OUTCOMES = [0, 0, 0, 0, 0]

class NtpTarget implements ProtoTarget {
    frames = 0
    input = ""
    readonly rig: Rig
    readonly c: FuzzSntp
    private readonly tx = Buffer.alloc(8)
    private readonly w = Buffer.alloc(NTP_PACKET_LEN + 40)
    private readonly before: number[] = []

    constructor() {
        this.rig = makeRig()
        this.c = new FuzzSntp(this.rig.stack.udp, { servers: [SERVER] })
    }

    async run(rng: Rng): Promise<string> {
        const c = this.c
        c.setServers([SERVER])
        for (let i = 0; i < 8; i++) this.tx[i] = rng.byte()
        c.requested(this.tx)
        const w = this.w
        const kind = rng.below(NTP_CORPUS_NAMES.length)
        w.blitAt(0, GOOD, 0, NTP_PACKET_LEN)
        w.fillAt(NTP_PACKET_LEN, w.length - NTP_PACKET_LEN, 0)
        w.blitAt(NtpField.Origin, this.tx, 0, 8)
        if (kind >= 1 && kind <= 3) {
            w[1] = 0
            w.blitAt(NtpField.RefId, kind === 1 ? hex`44 45 4e 59` : kind === 2 ? hex`52 53 54 52` : hex`52 41 54 45`, 0, 4)
        } else if (kind === 4) w[0] = 0xe4
        else if (kind === 5) w[1] = 16
        else if (kind === 6) w[0] = 0x1c
        else if (kind === 7) {
            w.fillAt(0, NTP_PACKET_LEN, 0)
            w[0] = 0x23
            w.blitAt(NtpField.Transmit, this.tx, 0, 8)
        } else if (kind === 8) w.fillAt(NtpField.Transmit, 8, 0)
        let len = NTP_PACKET_LEN
        if (rng.chance(15)) w[NtpField.Origin + rng.below(8)] ^= 1 << rng.below(8)
        if (rng.chance(85)) len = mutateBytes(rng, w, 0, len, w.length, 1 + rng.below(4))
        noteInput(this, w, 0, len)

        // T2: the reference reading
        const vn = (w[0] >> 3) & 7
        let want = SntpOutcome.Ok
        let ref = 2
        let deny = false
        if (len < NTP_PACKET_LEN || (w[0] & 7) !== 4 || vn < 3 || vn > 4) {
            want = -1
            ref = 0
        } else {
            let same = true
            let zero = true
            for (let i = 0; i < 8; i++) {
                if (w[NtpField.Origin + i] !== this.tx[i]) same = false
                if (w[NtpField.Transmit + i] !== 0) zero = false
            }
            if (!same || zero) {
                want = -1
                ref = 1
            } else if (w[1] === 0) {
                want = SntpOutcome.Kiss
                ref = 3
                deny = (w[12] === 0x44 && w[13] === 0x45) || (w[12] === 0x52 && w[13] === 0x53)
            } else if (w[0] >> 6 === 3 || w[1] > 15) {
                want = SntpOutcome.Unsynchronized
                ref = 4
            }
        }
        const st = c.stats
        const b = this.before
        for (let i = 0; i < SntpMib.Count; i++) b[i] = st[i]
        const offset0 = c.offsetMs
        const r = c.check(w, 0, len, SERVER)
        if (r !== want) return "take() gave " + r + ", the reference " + want + " (" + OUTCOME_NAMES.split(" ")[ref] + ")"
        OUTCOMES[ref]++
        // T3
        const moved = [SntpMib.BadFormat, SntpMib.Bogus, SntpMib.Syncs, deny ? SntpMib.KissDeny : SntpMib.KissRate, SntpMib.Unsynchronized][ref]
        for (let i = 0; i < SntpMib.Count; i++) {
            const d = st[i] - b[i]
            const expected = i === moved || (i === SntpMib.Replies && ref >= 2) ? 1 : 0
            if (d !== expected) return "counter " + i + " moved by " + d + " (expected " + expected + ")"
        }
        // T4
        if (ref === 2) {
            if (!c.synced || !(Math.abs(c.offsetMs) < 1e16) || !(c.delayMs >= 0)) return "Ok without a usable offset and delay"
        } else if (c.offsetMs !== offset0) return "the offset changed on a reply that is not Ok"
        if ((c.servers.length === 0) !== (ref === 3 && deny)) return "the server list changed (" + c.servers.length + " servers)"
        return null
    }

    detail(): string {
        return pairs(OUTCOME_NAMES, OUTCOMES)
    }
}

function make(): ProtoTarget {
    return new NtpTarget()
}

export async function fuzzNtp(seed: number, first: number, count: number, deadlineMs: number, sink: FailureSink) {
    return await fuzzProto("ntp", make, seed, first, count, deadlineMs, sink)
}

export async function replayNtp(seed: number, index: number): Promise<string> {
    return await replayProto(make, seed, index)
}
