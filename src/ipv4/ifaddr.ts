// The interface's IPv4 state: Linux's in_device / in_ifaddr, and the IP counter group. One object
// that IPv4 output (source address, broadcast), IPv4 input (is it for us, is the source possible) and
// ARP (what to answer, what to announce) all read, so an address that changes at run time changes for
// all of them at once; IPv4 output and input are the IP layer that writes its counters.

import { newMib } from "../dev/counters"
import { IpMib, IpStats } from "./mib"

/** @devsWhenUsed */
export class InDevice {
    /** 0 while the interface has no address. */
    address = 0
    prefix = 32
    /** The subnet's directed broadcast; 255.255.255.255 on /31 and /32 (RFC 3021), or with no address. */
    broadcast = 0xffffffff
    /**
     * While not 0 (a DHCP client acquiring an address, src/dhcp), UDP datagrams to this port are
     * delivered whatever their unicast destination: a server may send DHCPOFFER/ACK to the address
     * it offers, to our MAC, before we have it (RFC 2131 §4.1). Nothing else is loosened.
     */
    acceptPort = 0
    /**
     * The check acceptPort asks for (ipv4/input.ts acceptedUnconfigured), installed by the DHCP
     * client: a firmware without DHCP links none of it. null: nothing before an address.
     */
    acceptUnconfigured: (ifa: InDevice, buf: Buffer, off: number) => boolean = null
    /** The IP group (/proc/net/snmp Ip:), indexed by IpMib. */
    readonly stats: IpStats = newMib(IpMib.Count)

    /** The address and prefix; set(0, 32) is no address (broadcast 255.255.255.255). */
    set(address: number, prefix: number): void {
        this.address = address >>> 0
        this.prefix = prefix
        this.broadcast = prefix >= 31 ? 0xffffffff : (address | (0xffffffff >>> prefix)) >>> 0
    }
}
