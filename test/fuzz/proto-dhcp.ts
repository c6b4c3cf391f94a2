// Fuzz target "dhcp": the DHCP client's reply parsing (src/dhcp/client.ts receive, findOption).
// A case: 1-8 server replies mutated as test/dhcp/robust.test.ts mutates them (dhcpMutatedReply:
// lying option lengths, overload 52 with garbage in sname/file, missing END, truncation), some
// mutated again byte-wise (mutateBytes), handed to one client over the run, in whatever state the
// earlier cases left it (ticks and time pass between messages).
// Oracles:
//  D1  nothing throws
//  D2  every message is counted (errors, ignored, offers, acks or naks move)
//  D3  findOption never points outside the message, and its answer does not depend on any byte
//      past the message's length (the tail is poisoned twice with different values)
//  D4  the interface address is 0, the offered one or a link-local fallback

import * as ds from "@devicescript/core"
import { Rng } from "./rng"
import { ProtoTarget, fuzzProto, replayProto, noteInput, mutateBytes, pairs } from "./proto"
import { FailureSink } from "./common"
import { DhcpRig, OFFERED, dhcpCounted, dhcpMutatedReply, dhcpOptionsOutside } from "../dhcp/support"
import { DhcpMib, findOption } from "../../src/dhcp/client"

class DhcpTarget implements ProtoTarget {
    frames = 0
    input = ""
    readonly d: DhcpRig
    private readonly lenOut = [0]

    constructor() {
        this.d = new DhcpRig({ fallbackMs: 0 }, true)
        this.d.client.begin(this.d.now())
    }

    async run(rng: Rng): Promise<string> {
        const d = this.d
        const rnd = () => rng.next() >>> 1
        const n = 1 + rng.below(8)
        for (let k = 0; k < n; k++) {
            // the step watchdog: yield before every message (each walks its options some 20 times)
            await ds.sleep(0)
            const m = dhcpMutatedReply(rnd, this.lenOut)
            let len = this.lenOut[0]
            if (rng.chance(30)) len = mutateBytes(rng, m, 0, len, m.length, 1 + rng.below(4))
            noteInput(this, m, 0, len)
            if (dhcpOptionsOutside(rnd, m, len) > 0) return "findOption points outside the message"
            await ds.sleep(0)
            // D3: poison past the length twice; the answers must not change
            const code = rng.below(257)
            m.fillAt(len, m.length - len, 0x00)
            const a1 = findOption(m, 0, len, code)
            const w1 = findOption(m, 0, len, 256)
            m.fillAt(len, m.length - len, 0xff)
            if (findOption(m, 0, len, code) !== a1 || findOption(m, 0, len, 256) !== w1) return "findOption read past the message's length"
            // receive() alone between two yields: a message whose option walks outrun the step watchdog panics here
            await ds.sleep(0)
            const before = dhcpCounted(d)
            d.client.receive(m, 0, len, 67)
            if (dhcpCounted(d) === before) return "a reply was not counted"
            const a = d.rig.stack.ifa.address
            if (!(a === 0 || a === OFFERED || a >>> 16 === 0xa9fe)) return "the interface took an address no ACK gave: " + a
            if (rng.chance(20)) {
                d.client.tick(d.now())
                await d.rig.flush()
                d.rig.take()
                d.rig.advance(rng.below(2000))
            }
        }
        return null
    }

    detail(): string {
        const s = this.d.client.stats
        return pairs("errors ignored offers acks naks leases", [s[DhcpMib.errors], s[DhcpMib.ignored], s[DhcpMib.offers], s[DhcpMib.acks], s[DhcpMib.naks], s[DhcpMib.leases]])
    }
}

function make(): ProtoTarget {
    return new DhcpTarget()
}

export async function fuzzDhcp(seed: number, first: number, count: number, deadlineMs: number, sink: FailureSink) {
    return await fuzzProto("dhcp", make, seed, first, count, deadlineMs, sink)
}

export async function replayDhcp(seed: number, index: number): Promise<string> {
    return await replayProto(make, seed, index)
}
