// A fixed configuration for tests, independent of the user's devicescript.json: the board is
// 192.0.2.10/24 (02:00:5e:10:00:0a), gateway 192.0.2.1, collector 192.0.2.20:8125.

import { StackConfig } from "../../src/config/types"

export const BOARD_IP = 0xc000020a
export const GATEWAY_IP = 0xc0000201
export const COLLECTOR_IP = 0xc0000214

export function testConfig(): StackConfig {
    return {
        board: "test",
        chip: "w5500",
        spiHz: 20000000,
        mac: hex`02 00 5e 10 00 0a`,
        address: BOARD_IP,
        prefix: 24,
        gateway: GATEWAY_IP,
        mtu: 1500,
        routes: [],
        arp: [],
        fibCapacity: 8,
        neighCapacity: 8,
        hookRuleCapacity: 8,
        neighRetransMs: 1000,
        neighProbes: 3,
        neighReachableMs: 30000,
        neighPendingPackets: 8,
        neighPendingBytes: 4608,
        qdiscLimitPackets: 16,
        qdiscLimitBytes: 4608,
        defaultTtl: 64,
        maxDatagram: 16000,
        icmpRatePerSec: 10,
        collector: COLLECTOR_IP,
        collectorPort: 8125,
        telemetryFormat: "statsd",
        telemetryIntervalMs: 1000,
        telemetryPrefix: "board",
    }
}
