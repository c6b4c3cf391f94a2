// The simulated board: a chip's register-level model on the virtual LAN, behind a SimSpiBus, with
// the scripted peers a real deployment would have — the gateway and the telemetry collector from the
// configuration. Without them (`peers: false`) the segment holds the chip alone until something else
// attaches, e.g. the host link to a real network (hostlink.ts).
//
// The chip is chosen by the caller (w5500-board.ts, enc28j60-board.ts), not here: a DeviceScript
// program's code must stay under 64 KB (the bytecode format's limit), and a program holding both
// chip models and both drivers is close to it.

import { StackConfig } from "../config/types"
import { NetDevice } from "../dev/netdev"
import { SimSpiBus, SpiTarget } from "./spi"
import { SpiBus } from "../drivers/spi"
import { Segment, LanPort } from "./lan"
import { VirtualHost } from "./host"
import { DhcpServer } from "./dhcpd"

/** Locally administered MACs for the peers: 02:00:5e:00:00:<last octet of their address>. */
function peerMac(ip: number): Buffer {
    const m = Buffer.alloc(6)
    m[0] = 0x02
    m[2] = 0x5e
    m[5] = ip & 0xff
    return m
}

/** The simulator's DHCP server (on the gateway when there is none configured) and the address it offers. */
export const SIM_DHCP_SERVER = 0xc0000201 // 192.0.2.1
export const SIM_DHCP_POOL = 0xc0000232 // 192.0.2.50

export interface SimulatedBoardOptions {
    /** Create the virtual gateway and collector (default true); false when a real network has them. */
    peers?: boolean
    /**
     * The bus the driver talks through instead of the direct model bus (SimSpiBus), e.g.
     * native-spi.ts's nativeBus("rp2040"): the board's own HardwareSpiBus over a runtime's native SPI.
     * Passed in, so that a program that does not use it links none of it.
     */
    bus?: SimBusFactory
}

export type SimBusFactory = (config: StackConfig, model: SpiTarget) => SpiBus

/** The bus a simulated board's driver talks through: SimSpiBus unless `opts.bus` makes another. */
export function simulatedBus(config: StackConfig, model: SpiTarget, opts?: SimulatedBoardOptions): SpiBus {
    if (opts && opts.bus) return opts.bus(config, model)
    return new SimSpiBus(model)
}

export class SimulatedBoard {
    readonly gateway: VirtualHost
    readonly collector: VirtualHost
    /** With interface.address "dhcp": a DHCP server on the gateway (192.0.2.1 when none is configured). */
    readonly dhcpd: DhcpServer = null

    /** `model` is attached to `segment`; `device` drives it over `bus`. */
    constructor(
        readonly config: StackConfig,
        readonly segment: Segment,
        readonly model: SpiTarget & LanPort,
        readonly bus: SpiBus,
        readonly device: NetDevice,
        opts?: SimulatedBoardOptions
    ) {
        const peers = !(opts && opts.peers === false)
        const dhcp = peers && config.dhcp !== undefined
        const gw = config.gateway !== 0 ? config.gateway : dhcp ? SIM_DHCP_SERVER : 0
        this.gateway = peers && gw !== 0 ? new VirtualHost(this.segment, peerMac(gw), gw) : null
        if (dhcp)
            this.dhcpd = new DhcpServer(this.segment, this.gateway, { pool: SIM_DHCP_POOL, prefix: 24, router: gw, leaseSec: 120, dns: [gw], ntp: [gw], domain: "sim.lan" })
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
