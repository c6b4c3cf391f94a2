// What the memory variants of the LAN services (host/bench/mem.ts, program "memlan") build after
// their padding: a stack configured for DHCP (address 0, as devicescript.json's "dhcp" makes it) on
// a copying TestDevice, and on it the DHCP client, the DNS resolver and the SNTP clock as the
// firmware starts them (src/dhcpstart.ts, src/start.ts): the client and the clock started (their
// fibers running, the first DISCOVER and NTP request queued), the resolver with an empty cache.
// The program links bench/memstack.ts as the "memstack" program does, so that the difference of
// their statics is the statics of these three modules.

import { NetStack } from "../src/stack"
import { TestDevice } from "../src/dev/testdev"
import { DhcpClient } from "../src/dhcp/client"
import { DnsResolver } from "../src/dns/resolver"
import { SntpClient } from "../src/ntp/client"
import { GATEWAY_IP } from "../test/support/config"
import { Cfg, makeConfig } from "./common"

/** The default stack as a DHCP firmware has it before a lease: no address, no gateway. */
export function memStackDhcp(): NetStack {
    const cfg = makeConfig(Cfg.Default)
    cfg.address = 0
    cfg.gateway = 0
    const dev = new TestDevice(cfg.mac, cfg.mtu)
    dev.keepFrames = false
    return new NetStack(cfg, dev)
}

export class Lan {
    constructor(
        readonly stack: NetStack,
        readonly dhcp: DhcpClient,
        readonly dns: DnsResolver,
        readonly clock: SntpClient
    ) {}
}

/** The DHCP-configured stack with any of the three services (the settings of devicescript.json's sample). */
export function memLan(dhcp: boolean, dns: boolean, clock: boolean): Lan {
    const stack = memStackDhcp()
    let d: DhcpClient = null
    let r: DnsResolver = null
    let c: SntpClient = null
    if (dhcp) {
        d = new DhcpClient(stack, { hostName: "board1", fallbackAddress: 0xc000020a, fallbackPrefix: 24, fallbackGateway: GATEWAY_IP })
        d.start()
    }
    if (dns) r = new DnsResolver(stack.udp, { servers: [GATEWAY_IP] })
    if (clock) {
        // on the resolver's socket when there is one, as startNamedTelemetry starts them
        c = new SntpClient(stack.udp, { servers: [GATEWAY_IP], shareWith: r })
        c.start()
    }
    return new Lan(stack, d, r, c)
}
