// The counter lines (src/dev/counters.ts): names cut from one string, in order.

import { describe, test, expect } from "@devicescript/test"
import { formatCounters, formatLinkStats, LinkMib, newMib } from "../../src/dev/counters"

describe("formatCounters", () => {
    test("name, then each counter's name and value in order", () => {
        expect(formatCounters("x", "a bb ccc", [1, 2, 3])).toBe("x: a 1 bb 2 ccc 3")
        expect(formatCounters("y", "a", [5])).toBe("y: a 5")
        // more counters than names: the names say how many are printed
        expect(formatCounters("z", "a b", [5, 6, 7])).toBe("z: a 5 b 6")
    })

    test("the link group as ip -s link names its counters", () => {
        const m = newMib(LinkMib.Count)
        for (let i = 0; i < LinkMib.Count; i++) m[i] = i * 7
        expect(formatLinkStats(m)).toBe(
            "link: rx_packets 0 rx_bytes 7 rx_errors 14 rx_dropped 21 rx_otherhost_dropped 28 rx_over_errors 35 " +
                "tx_packets 42 tx_bytes 49 tx_errors 56 tx_dropped 63 tx_carrier_errors 70 tx_timeouts 77 carrier_changes 84"
        )
    })
})
