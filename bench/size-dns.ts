// Bytecode probe (host/bench): the stack on a test device with the DNS resolver and SNTP clock used,
// so their functions are linked; sizes per module come from the build's debug information.
import { testConfig } from "../test/support/config"
import { NetStack } from "../src/stack"
import { TestDevice } from "../src/dev/testdev"
import { DnsResolver } from "../src/dns/resolver"
import { SntpClient } from "../src/ntp/client"

const c = testConfig()
const stack = new NetStack(c, new TestDevice(c.mac, c.mtu))
const dns = new DnsResolver(stack.udp, { servers: [0xc0000235] })
const ntp = new SntpClient(stack.udp, { servers: [0xc0000235] })
const r = await dns.resolve("collector.lan", 10)
ntp.start()
console.log(r.outcome + " " + ntp.now() + dns.format() + ntp.format())
