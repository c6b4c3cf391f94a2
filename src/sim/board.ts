// The simulated board: the configured chip's register-level model on the virtual LAN, behind a
// SimSpiBus, with the scripted peers a real deployment would have — the gateway and the
// telemetry collector from the configuration. Without them (`peers: false`) the segment holds the
// chip alone until something else attaches, e.g. the host link to a real network (hostlink.ts).

import { StackConfig } from "../config/types"
import { NetDevice } from "../dev/netdev"
import { createDevice } from "../drivers/select"
import { SimSpiBus, SpiTarget } from "./spi"
import { Segment, LanPort } from "./lan"
import { VirtualHost } from "./host"
import { W5500Model } from "./w5500"
import { Enc28j60Model } from "./enc28j60"

/** Locally administered MACs for the peers: 02:00:5e:00:00:<last octet of their address>. */
function peerMac(ip: number): Buffer {
    const m = Buffer.alloc(6)
    m[0] = 0x02
    m[2] = 0x5e
    m[5] = ip & 0xff
    return m
}

export interface SimulatedBoardOptions {
    /** Create the virtual gateway and collector (default true); false when a real network has them. */
    peers?: boolean
}

export class SimulatedBoard {
    readonly segment = new Segment()
    readonly model: SpiTarget & LanPort
    readonly bus: SimSpiBus
    readonly device: NetDevice
    readonly gateway: VirtualHost
    readonly collector: VirtualHost

    constructor(readonly config: StackConfig, opts?: SimulatedBoardOptions) {
        if (config.chip === "enc28j60") this.model = new Enc28j60Model(this.segment)
        else this.model = new W5500Model(this.segment)
        this.bus = new SimSpiBus(this.model)
        this.device = createDevice(config, this.bus)
        const peers = !(opts && opts.peers === false)
        this.gateway = peers && config.gateway !== 0 ? new VirtualHost(this.segment, peerMac(config.gateway), config.gateway) : null
        this.collector = !peers
            ? null
            : config.collector !== config.gateway
              ? new VirtualHost(this.segment, peerMac(config.collector), config.collector)
              : this.gateway
        if (this.collector !== null) {
            this.collector.keep = 8
            this.collector.keepBytes = 1472
        }
    }
}
