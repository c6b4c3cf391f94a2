// The stack for one interface: builds every table and queue from the configuration at start-up,
// connects the device (NetDeviceOwner: netif_rx, queue stop/wake, carrier), and runs the two
// background tasks: the transmit drain (NET_TX_SOFTIRQ) and the timer tick (neighbour timers).

import * as ds from "@devicescript/core"
import { StackConfig, RouteKind } from "./config/types"
import { NetDevice, NetDeviceOwner } from "./dev/netdev"
import { LinkStats, LinkMib, newMib } from "./dev/counters"
import { FifoQdisc, packetPoolSize } from "./dev/qdisc"
import { TxDrain } from "./dev/drain"
import { Fib, FibError, fibErrorName, RouteType } from "./ipv4/fib"
import { Ipv4Output } from "./ipv4/output"
import { Ipv4Input } from "./ipv4/input"
import { neighAddPermanent, neighMarkStale, NeighTable } from "./neigh/neighbour"
import { Arp } from "./ipv4/arp"
import { UdpSocket, UdpTable } from "./udp/socket"
import { ETHERNET_HEADER_LEN, EtherType } from "./wire/ethernet"
import { linkReceive } from "./dev/rx"
import { prefixMask } from "./wire/addr"
import { InDevice } from "./ipv4/ifaddr"

/** How often the timer task runs (neighbour timers are in whole retransmit periods). */
export const TICK_MS = 100
/** Sockets the firmware may have open at once. */
export const UDP_SOCKETS = 8

export function routeType(kind: RouteKind): RouteType {
    switch (kind) {
        case "blackhole":
            return RouteType.Blackhole
        case "unreachable":
            return RouteType.Unreachable
        case "prohibit":
            return RouteType.Prohibit
    }
    return RouteType.Unicast
}

/**
 * The configuration could not be applied (the validator should have caught it first).
 * @devsWhenUsed
 */
export class StackConfigError extends Error {
    constructor(message: string) {
        super(message)
        this.name = "StackConfigError"
    }
}

/** A protocol above IP that registers itself (tcp/table.ts tcpTable): its timers and counters (TcpStats, for formatStack). */
export interface StackProtocol {
    tick(now: number): void
    readonly stats: number[]
}

/** @devsWhenUsed */
export class NetStack implements NetDeviceOwner {
    /** The link group (ip -s link): the receive side here, the transmit side in the drain. */
    readonly link: LinkStats = newMib(LinkMib.Count)
    /** The interface's address and IP counters, which output, input and ARP all read (in_device). */
    readonly ifa = new InDevice()
    readonly fib: Fib
    /** With the packet pool: every frame the stack holds, queued for the device or waiting for ARP. */
    readonly qdisc: FifoQdisc
    readonly drain: TxDrain
    readonly arp: Arp
    /** ARP's neighbour table. */
    readonly neigh: NeighTable
    readonly ip: Ipv4Output
    readonly udp: UdpTable
    readonly input: Ipv4Input
    /** TCP, when the firmware calls tcpTable(); null otherwise. */
    tcp: StackProtocol = null
    /** Milliseconds; tests replace it to drive the timers. */
    clock: () => number = ds.millis
    private running = false
    /** More lines for formatStack() (src/stackformat.ts), from parts built outside the stack (the DHCP client's state and lease). */
    readonly reports: (() => string)[] = []

    /**
     * Built bottom-up, each part from what it sends through: the qdisc (and its packet pool), the
     * drain, ARP with its neighbour table, IPv4 output, UDP, IPv4 input. The configuration is read
     * here and not kept: it is the application's.
     */
    constructor(config: StackConfig, readonly dev: NetDevice) {
        const c = config
        this.fib = new Fib(c.fibCapacity)
        this.qdisc = new FifoQdisc(packetPoolSize(c.qdiscLimitPackets, c.qdiscLimitBytes, c.neighPendingPackets, c.neighPendingBytes), c.qdiscLimitPackets, c.qdiscLimitBytes)
        this.drain = new TxDrain(this.qdisc, dev, this.link)
        this.arp = new Arp(this.ifa, dev.mac, this.qdisc, c, c.icmpRatePerSec)
        this.neigh = this.arp.neigh
        this.ip = new Ipv4Output(this.ifa, this.fib, this.neigh, this.drain, dev.mtu, c)
        this.udp = new UdpTable(this.ip, UDP_SOCKETS, this)
        this.input = new Ipv4Input(this.ifa, this.ip, this.udp, c.icmpRatePerSec)
        // address 0: acquired at run time (src/dhcp); until then sends give SendResult.NoAddress
        if (c.address !== 0) this.setAddress(c.address, c.prefix, c.gateway)
        for (let i = 0; i < c.routes.length; i++) {
            const r = c.routes[i]
            const e = this.fib.add(r.dest, r.prefix, r.gateway, routeType(r.kind), r.metric, r.ttl, false)
            if (e !== FibError.Ok) throw new StackConfigError("routes[" + i + "]: cannot add route: " + fibErrorName(e))
        }
        for (let i = 0; i < c.arp.length; i++) {
            if (neighAddPermanent(this.neigh, c.arp[i].ip, c.arp[i].mac, 0) !== 0)
                throw new StackConfigError("arp[" + i + "]: cannot add static entry")
        }
    }

    /** The interface address: connected route and default route (what `ip addr add` + `ip route add default` do). */
    setAddress(address: number, prefix: number, gateway: number): void {
        this.ifa.set(address, prefix)
        const net = (address & prefixMask(prefix)) >>> 0
        if (this.fib.add(net, prefix, 0, RouteType.Unicast, 0, 0, true) !== FibError.Ok)
            throw new StackConfigError("cannot add the connected route")
        if (gateway !== 0 && this.fib.add(0, 0, gateway, RouteType.Unicast, 0, 0, false) !== FibError.Ok)
            throw new StackConfigError("cannot add the default route")
    }

    now(): number {
        return this.clock()
    }

    /** Open the device and start the drain and timer tasks. */
    async start(): Promise<void> {
        await this.dev.open(this)
        this.running = true
        if (this.dev.carrier()) this.arp.announce()
        this.drain.task.start()
        this.timerTask.start()
    }

    async stop(): Promise<void> {
        this.running = false
        this.drain.stopTask()
        await this.dev.stop()
    }

    private async timerTask(): Promise<void> {
        while (this.running) {
            await ds.sleep(TICK_MS)
            this.tick()
        }
    }

    /** Run the timers now (the timer task calls this every TICK_MS). */
    tick(): void {
        this.neigh.tick(this.clock())
        if (this.tcp !== null) this.tcp.tick(this.clock())
    }

    udpSocket(port?: number): UdpSocket {
        return this.udp.bind(port || 0)
    }

    // NetDeviceOwner

    /** netif_receive_skb: drop what is not for us before parsing further (dev/rx.ts), then by EtherType. */
    receive(frame: Buffer, off: number, len: number): void {
        const type = linkReceive(this.link, this.dev.mac, frame, off, len)
        if (type < 0) return
        const now = this.clock()
        if (type === EtherType.Arp) this.arp.receive(frame, off + ETHERNET_HEADER_LEN, len - ETHERNET_HEADER_LEN, now)
        else this.input.receive(frame, off + ETHERNET_HEADER_LEN, len - ETHERNET_HEADER_LEN, now)
    }

    stopQueue(): void {
        this.drain.stopQueue()
    }

    wakeQueue(): void {
        this.drain.wakeQueue()
    }

    /**
     * Carrier lost: the queue stops (frames already queued wait, new sends get LinkDown) and learnt
     * neighbours become STALE so they are re-verified. Carrier back: queue wakes, gratuitous ARP.
     * Either way cached routes (and the headers sockets keep with them) are checked again.
     */
    carrierChanged(up: boolean): void {
        this.drain.carrierChanged(up)
        this.fib.genid++
        if (up) this.arp.announce()
        else neighMarkStale(this.neigh)
    }
}
