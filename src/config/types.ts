// The shape of the firmware's configuration. `devicescript.json` at the repo root is validated and
// turned into `src/config/generated.ts` (one `CONFIG: StackConfig` constant) by
// `host/config/generate.ts`; nothing here is edited by hand per deployment.

/** Chips the stack has drivers for. */
export type ChipKind = "w5500" | "enc28j60"

/** FIB route types (Linux RTN_*). */
export type RouteKind = "unicast" | "blackhole" | "unreachable" | "prohibit"

export interface RouteConfig {
    /** Destination network, host byte order unsigned 32-bit. */
    dest: number
    prefix: number
    /** Gateway address, 0 when the destination is on-link. */
    gateway: number
    kind: RouteKind
    metric: number
    /** TTL override for packets using this route, 0 = interface default. */
    ttl: number
}

export interface StaticNeighbourConfig {
    ip: number
    mac: Buffer
}

/**
 * Names of the board pins the driver uses (keys of the board file's `pins`), devicescript.json
 * `pins`; `int` and `reset` are left out when the board does not connect them. Host side only: the
 * generator turns them into BoardPins (`PINS`), which is what the firmware reads.
 */
export interface PinRoleNames {
    sck: string
    mosi: string
    miso: string
    cs: string
    int?: string
    reset?: string
}

/**
 * GPIO numbers of the roles in PinRoleNames on the selected board, read from its board file by
 * the generator (`PINS` in generated.ts); -1 for a role the board does not connect (int, reset).
 */
export interface BoardPins {
    sck: number
    mosi: number
    miso: number
    cs: number
    int: number
    reset: number
}

/** devicescript.json `dhcp` (with `interface.address: "dhcp"`): the DHCP client's settings (src/dhcp). */
export interface DhcpConfig {
    /** Option 12; "" for none. */
    hostName: string
    /** First retransmission delay (RFC 2131 §4.1: 4000 ms), doubled up to 16 times it. */
    retransmitMs: number
    /** Without a lease after this long, the fallback address (0: never). */
    fallbackMs: number
    /** Static fallback address (with interface.prefix and interface.gateway); 0: RFC 3927 link-local. */
    fallbackAddress: number
}

/** devicescript.json `telemetry.mqtt` (with `telemetry.format: "mqtt"`): the MQTT client's settings. */
export interface MqttTelemetryConfig {
    /** 3.1.3.1; default "ds-" and the MAC in hex. */
    clientId: string
    /** The topic each round's JSON object goes to: telemetry.mqtt.topicPrefix + "/telemetry". */
    topic: string
    /** 0 or 1. */
    qos: number
    /** Seconds, 0 = off (3.1.2.10). */
    keepAlive: number
    /** Also each metric on `<topic>/<name>`. */
    perMetric: boolean
    /** "" for none. */
    username: string
    /** "" for none. */
    password: string
}

export interface StackConfig {
    /** Board id (a `boards/<id>.board.json`). */
    board: string
    chip: ChipKind
    spiHz: number

    mac: Buffer
    /** 0 with `dhcp`: the address comes from a lease. */
    address: number
    prefix: number
    /** Default gateway, 0 for none. */
    gateway: number
    mtu: number

    routes: RouteConfig[]
    arp: StaticNeighbourConfig[]

    fibCapacity: number
    neighCapacity: number
    hookRuleCapacity: number

    neighRetransMs: number
    neighProbes: number
    neighReachableMs: number
    neighPendingPackets: number
    neighPendingBytes: number

    qdiscLimitPackets: number
    qdiscLimitBytes: number

    defaultTtl: number
    maxDatagram: number
    icmpRatePerSec: number

    collector: number
    collectorPort: number
    telemetryFormat: "statsd" | "influx" | "mqtt"
    telemetryIntervalMs: number
    telemetryPrefix: string

    /** Present when devicescript.json's interface.address is "dhcp". */
    dhcp?: DhcpConfig
    /** Present when telemetry.format is "mqtt" (collector and collectorPort are the broker). */
    mqtt?: MqttTelemetryConfig
    /** The collector's host name when devicescript.json gives one (`collector` is then 0 until resolved). */
    collectorName?: string
    /** DNS servers (dns.servers), tried in order. */
    dnsServers?: number[]
    /** SNTP servers (ntp.servers). */
    ntpServers?: number[]
}
