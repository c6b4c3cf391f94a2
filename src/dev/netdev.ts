// The network-device interface the drivers implement: Linux's net_device_ops reduced to what a
// single-port SPI MAC needs (ndo_open, ndo_start_xmit, ndo_stop) plus the callbacks a driver makes
// into the stack (netif_rx, netif_stop_queue / netif_wake_queue, netif_carrier_on/off).

import { formatCounters } from "./counters"

/** ndo_start_xmit's answer (NETDEV_TX_OK / NETDEV_TX_BUSY), plus the two ways a frame is lost. */
export const enum XmitStatus {
    /** The device took the frame (it is on the wire or in the device's own buffer). */
    Ok = 0,
    /** The device cannot take a frame now; the frame goes back to the head of the qdisc. */
    Busy = 1,
    /** No carrier: the frame is dropped and counted. */
    LinkDown = 2,
    /** The device failed (bus fault, timeout): the frame is dropped and counted. */
    Error = 3,
}

/** What a driver calls into the stack. */
export interface NetDeviceOwner {
    /** netif_rx: one received frame, without FCS. The buffer is the driver's, valid for this call only. */
    receive(frame: Buffer, off: number, len: number): void
    /** netif_stop_queue: the device's transmit buffer is full. */
    stopQueue(): void
    /** netif_wake_queue: room again; the drain resumes. */
    wakeQueue(): void
    /** netif_carrier_on / netif_carrier_off. */
    carrierChanged(up: boolean): void
}

export interface NetDevice {
    /** e.g. "w5500", "enc28j60", "test". */
    readonly name: string
    /** Our MAC address, 6 bytes. */
    readonly mac: Buffer
    /** Largest IPv4 packet the device sends (1500 on Ethernet). */
    readonly mtu: number
    /** ndo_open: bring the device up (reset, program MAC, start RX); from then on it reports to `owner`. */
    open(owner: NetDeviceOwner): Promise<void>
    /** ndo_stop. */
    stop(): Promise<void>
    /** Carrier as last seen by the driver. */
    carrier(): boolean
    /** ndo_start_xmit: one Ethernet frame without FCS, `len` bytes at `off`. */
    startXmit(frame: Buffer, off: number, len: number): Promise<XmitStatus>
    /**
     * The driver's own counters (ring overflows, timeouts, errata work-arounds), named in order by
     * counterNames (space-separated): formatDeviceStats prints them. Not a formatting method: the
     * board firmware never prints.
     */
    counters(): number[]
    readonly counterNames: string
    /** What open()'s bring-up self-test found, one line for a person ("" before open). */
    readonly bringUp: string
}

/**
 * An owner that only counts what a device reports: a device opened on its own (tests, benchmarks).
 * @devsWhenUsed
 */
export class CountingOwner implements NetDeviceOwner {
    frames = 0
    bytes = 0
    carrierChanges = 0
    receive(frame: Buffer, off: number, len: number): void {
        this.frames++
        this.bytes += len
    }
    stopQueue(): void {}
    wakeQueue(): void {}
    carrierChanged(up: boolean): void {
        this.carrierChanges++
    }
}

/** The device's counters, one line: "w5500: txFrames 12 txBytes 840 ...". */
export function formatDeviceStats(dev: NetDevice): string {
    return formatCounters(dev.name, dev.counterNames, dev.counters())
}
