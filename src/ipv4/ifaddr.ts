// The interface's IPv4 state: Linux's in_device / in_ifaddr, and the IP counter group. One object
// that IPv4 output (source address, broadcast), IPv4 input (is it for us, is the source possible) and
// ARP (what to answer, what to announce) all read, so an address that changes at run time changes for
// all of them at once; IPv4 output and input are the IP layer that writes its counters.

import { newMib } from "../dev/counters"
import { IpMib, IpStats } from "./mib"

export class InDevice {
    /** 0 while the interface has no address. */
    address = 0
    prefix = 32
    /** The subnet's directed broadcast; 255.255.255.255 on /31 and /32 (RFC 3021), or with no address. */
    broadcast = 0xffffffff
    /** The IP group (/proc/net/snmp Ip:), indexed by IpMib. */
    readonly stats: IpStats = newMib(IpMib.Count)

    set(address: number, prefix: number): void {
        this.address = address >>> 0
        this.prefix = prefix
        this.broadcast = prefix >= 31 ? 0xffffffff : (address | (0xffffffff >>> prefix)) >>> 0
    }

    clear(): void {
        this.address = 0
        this.prefix = 32
        this.broadcast = 0xffffffff
    }
}
