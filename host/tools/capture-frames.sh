#!/usr/bin/env bash
# capture-frames.sh - capture real Linux-generated Ethernet frames for test fixtures.
#
# Run as root:  sudo host/tools/capture-frames.sh [--pcap FILE] [--ts FILE]
#
# Builds two throw-away network namespaces joined by a veth pair:
#   dsnet-cap-a: veth dscap-a, 02:00:00:00:00:0a, 192.0.2.1/24
#   dsnet-cap-b: veth dscap-b, 02:00:00:00:00:0b, 192.0.2.2/24
# (RFC 5737 documentation range only), with TX checksum offload OFF on both
# ends so UDP/ICMP checksums on the wire are complete, not CHECKSUM_PARTIAL.
# tcpdump records on B's interface while A generates:
#   a. ARP request (A who-has 192.0.2.2) + ARP reply from B (caches flushed first)
#   b. UDP 40000 -> 8125, payload "board.uptime:42|g" (17 bytes)
#   c. UDP 40000 -> 8125, payload "opt", IP_OPTIONS = Record Route (7, len 11,
#      ptr 4, two empty slots) + End-of-Options pad
#   d. ping -c 1 -s 24 -p <pattern>: ICMP echo request + echo reply from B
#   e. UDP 40001 -> 9000, 4000 bytes (i & 0xff), IP_PMTUDISC_DONT on MTU 1500
#      -> three IPv4 fragments
# Then prints every captured frame as hex, tcpdump -vvv's decoding and
# tshark's checksum verdicts.
#   --pcap FILE  keep the raw capture
#   --ts FILE    (re)write the DeviceScript fixture module (test/wire/captures.ts)
#
# Namespaces (and with them the veth pair) are removed on exit, also on failure.
set -euo pipefail

NS_A=dsnet-cap-a
NS_B=dsnet-cap-b
IF_A=dscap-a
IF_B=dscap-b
MAC_A=02:00:00:00:00:0a
MAC_B=02:00:00:00:00:0b
IP_A=192.0.2.1
IP_B=192.0.2.2
PING_PATTERN=0123456789abcdef

PCAP_OUT=""
TS_OUT=""
while [ $# -gt 0 ]; do
    case "$1" in
    --pcap) PCAP_OUT="$2"; shift 2 ;;
    --ts) TS_OUT="$2"; shift 2 ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

if [ "$(id -u)" -ne 0 ]; then
    echo "must run as root (network namespaces, raw capture)" >&2
    exit 1
fi

# ---- dependencies (apt-get only if something is missing) -------------------
missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v ethtool >/dev/null || missing+=(ethtool)
command -v ping >/dev/null || missing+=(iputils-ping)
command -v python3 >/dev/null || missing+=(python3)
command -v timeout >/dev/null || missing+=(coreutils)
if [ -n "$TS_OUT" ] && ! command -v tshark >/dev/null; then missing+=(tshark); fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    timeout 300 apt-get update -qq
    timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

WORK=$(mktemp -d /tmp/dsnet-cap.XXXXXX)
PCAP="$WORK/capture.pcap"
TCPDUMP_PID=""
RECV_PID=""

# stop one of our background jobs: SIGTERM, up to 5 s, then SIGKILL
stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    set +e
    stop_pid "$TCPDUMP_PID"
    stop_pid "$RECV_PID"
    ip netns del "$NS_A" 2>/dev/null
    ip netns del "$NS_B" 2>/dev/null
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

inA() { ip netns exec "$NS_A" "$@"; }
inB() { ip netns exec "$NS_B" "$@"; }

# ---- topology --------------------------------------------------------------
# leftovers from an interrupted run
ip netns del "$NS_A" 2>/dev/null || true
ip netns del "$NS_B" 2>/dev/null || true
ip netns add "$NS_A"
ip netns add "$NS_B"
for ns in "$NS_A" "$NS_B"; do
    # no IPv6 chatter (router solicitations, MLD, DAD) on the capture
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip -n "$NS_A" link add name "$IF_A" address "$MAC_A" mtu 1500 type veth \
    peer name "$IF_B" netns "$NS_B" address "$MAC_B" mtu 1500
inA ethtool -K "$IF_A" tx off >/dev/null
inB ethtool -K "$IF_B" tx off >/dev/null
ip -n "$NS_A" addr add "$IP_A/24" dev "$IF_A"
ip -n "$NS_B" addr add "$IP_B/24" dev "$IF_B"
ip -n "$NS_A" link set "$IF_A" up
ip -n "$NS_B" link set "$IF_B" up

for spec in "$NS_A:$IF_A" "$NS_B:$IF_B"; do
    ns=${spec%%:*} dev=${spec##*:}
    off=$(ip netns exec "$ns" ethtool -k "$dev" | awk -F': ' '/^tx-checksumming:/ {print $2}')
    echo "# $ns/$dev: tx-checksumming: $off" >&2
    case "$off" in off*) ;; *) echo "TX checksum offload still on for $dev" >&2; exit 1 ;; esac
done

# wait (bounded) for both ends to have carrier
for _ in $(seq 1 50); do
    if ip -n "$NS_A" link show "$IF_A" | grep -q LOWER_UP &&
        ip -n "$NS_B" link show "$IF_B" | grep -q LOWER_UP; then break; fi
    sleep 0.1
done

ip -n "$NS_A" neigh flush all
ip -n "$NS_B" neigh flush all

# ---- receiver on B (so B does not answer with ICMP port unreachable) -------
ip netns exec "$NS_B" timeout 20 python3 - "$IP_B" "$WORK/recv.ready" >"$WORK/recv.log" 2>&1 <<'PY' &
import select, socket, sys, time
ip, ready = sys.argv[1], sys.argv[2]
socks = []
for port in (8125, 9000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    socks.append(s)
open(ready, "w").close()
deadline = time.monotonic() + 15
got = 0
while got < 3 and time.monotonic() < deadline:
    r, _, _ = select.select(socks, [], [], max(0.0, deadline - time.monotonic()))
    for s in r:
        data, peer = s.recvfrom(65535)
        got += 1
        print("B received %d bytes on port %d from %s:%d" % (len(data), s.getsockname()[1], *peer))
        if len(data) == 4000 and data != bytes(i & 0xFF for i in range(4000)):
            print("  ERROR: 4000-byte payload mismatch")
PY
RECV_PID=$!

# ---- capture on B ------------------------------------------------------------
ip netns exec "$NS_B" tcpdump -i "$IF_B" -n -s 0 -U --immediate-mode -w "$PCAP" 'not ip6' 2>"$WORK/tcpdump.err" &
TCPDUMP_PID=$!
for _ in $(seq 1 100); do
    grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && [ -e "$WORK/recv.ready" ] && break
    sleep 0.1
done
grep -q "listening on" "$WORK/tcpdump.err" || { cat "$WORK/tcpdump.err" >&2; echo "tcpdump did not start" >&2; exit 1; }
[ -e "$WORK/recv.ready" ] || { cat "$WORK/recv.log" >&2; echo "receiver did not start" >&2; exit 1; }
sleep 0.3

# ---- traffic from A ---------------------------------------------------------
# b (the first packet also triggers a: ARP request/reply), then c.
inA timeout 10 python3 - "$IP_A" "$IP_B" <<'PY'
import socket, sys
src, dst = sys.argv[1], sys.argv[2]
IP_OPTIONS = getattr(socket, "IP_OPTIONS", 4)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 40000))
s.sendto(b"board.uptime:42|g", (dst, 8125))
# Record Route: type 7, length 11, pointer 4, two empty 4-byte slots; then EOL pad to 12
rr = bytes([7, 11, 4]) + bytes(8) + bytes([0])
try:
    s.setsockopt(socket.IPPROTO_IP, IP_OPTIONS, rr)
    print("IP_OPTIONS set:", s.getsockopt(socket.IPPROTO_IP, IP_OPTIONS, 40).hex(" "), file=sys.stderr)
except OSError as e:
    print("IP_OPTIONS refused:", e, file=sys.stderr)
    sys.exit(3)
s.sendto(b"opt", (dst, 8125))
s.close()
PY
sleep 0.2

# d
inA timeout 10 ping -n -c 1 -W 3 -s 24 -p "$PING_PATTERN" "$IP_B" >&2
sleep 0.2

# e
inA timeout 10 python3 - "$IP_A" "$IP_B" <<'PY'
import socket, sys
src, dst = sys.argv[1], sys.argv[2]
IP_MTU_DISCOVER = getattr(socket, "IP_MTU_DISCOVER", 10)
IP_PMTUDISC_DONT = getattr(socket, "IP_PMTUDISC_DONT", 0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 40001))
s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
s.sendto(bytes(i & 0xFF for i in range(4000)), (dst, 9000))
s.close()
PY

# let everything arrive, then stop the receiver and the capture (bounded)
for _ in $(seq 1 50); do
    kill -0 "$RECV_PID" 2>/dev/null || break
    sleep 0.1
done
sleep 0.5
# (SIGTERM, not SIGINT: background jobs of a non-interactive shell ignore SIGINT)
stop_pid "$TCPDUMP_PID"
TCPDUMP_PID=""
stop_pid "$RECV_PID"
RECV_PID=""
cat "$WORK/recv.log" >&2
grep -v "listening on" "$WORK/tcpdump.err" >&2 || true

# ---- report -----------------------------------------------------------------
echo "# kernel $(uname -r); offload: tx-checksumming off on $IF_A and $IF_B"
echo
echo "## tcpdump -n -e -vvv"
tcpdump -r "$PCAP" -n -e -vvv -t 2>/dev/null
echo
echo "## frames (hex, as captured, no FCS)"
python3 - "$PCAP" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
magic = struct.unpack("<I", data[:4])[0]
end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
off, n = 24, 0
while off + 16 <= len(data):
    _, _, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    n += 1
    print("frame %d: %d bytes%s" % (n, incl, "" if incl == orig else " (truncated from %d)" % orig))
    for i in range(0, len(frame), 16):
        print("  " + frame[i:i + 16].hex(" "))
PY

if command -v tshark >/dev/null; then
    echo
    echo "## tshark checksum verification (checksum.status: 1 = Good, 0 = Bad, 2 = Unverified)"
    tshark -r "$PCAP" -n -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
        -T fields -E header=y -E separator=' ' -e frame.number -e frame.len -e _ws.col.Protocol \
        -e ip.id -e ip.flags.df -e ip.flags.mf -e ip.frag_offset \
        -e ip.checksum -e ip.checksum.status -e udp.checksum -e udp.checksum.status \
        -e icmp.checksum -e icmp.checksum.status 2>/dev/null | column -t
fi

[ -n "$PCAP_OUT" ] && cp "$PCAP" "$PCAP_OUT" && echo "# pcap saved to $PCAP_OUT" >&2

if [ -n "$TS_OUT" ]; then
    python3 - "$PCAP" "$TS_OUT" "$(uname -r)" "$IP_A" "$IP_B" "$MAC_A" "$MAC_B" <<'PY'
import re, struct, subprocess, sys, textwrap
pcap, out, kver, IP_A, IP_B, MAC_A, MAC_B = sys.argv[1:8]

def frames():
    data = open(pcap, "rb").read()
    end = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off, res = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        res.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return res

FIELDS = ["frame.len", "eth.src", "eth.dst", "arp.opcode", "arp.src.proto_ipv4", "arp.dst.proto_ipv4",
          "ip.hdr_len", "ip.len", "ip.id", "ip.ttl", "ip.flags.df", "ip.flags.mf", "ip.frag_offset",
          "ip.checksum", "ip.checksum.status", "ip.opt.type", "ip.opt.ptr", "ip.rec_rt",
          "udp.srcport", "udp.dstport", "udp.length", "udp.checksum", "udp.checksum.status",
          "icmp.type", "icmp.ident", "icmp.seq", "icmp.checksum", "icmp.checksum.status",
          "ip.reassembled.length"]
cmd = ["tshark", "-r", pcap, "-n", "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
       "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
for f in FIELDS:
    cmd += ["-e", f]
rows = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
dec = [dict(zip(FIELDS, r.split("\t"))) for r in rows]

# tcpdump -vvv text per packet (continuation lines start with whitespace)
td, cur = [], None
for line in subprocess.run(["tcpdump", "-r", pcap, "-n", "-e", "-vvv", "-t"], capture_output=True,
                           text=True, check=True).stdout.splitlines():
    if line[:1].isspace() and cur is not None:
        cur.append(line.strip())
    else:
        cur = [line.strip()]
        td.append(cur)

fr = frames()
assert len(fr) == len(dec) == len(td), (len(fr), len(dec), len(td))

def status(s):
    return {"1": "Good", "0": "Bad", "2": "Unverified"}.get(s, s or "n/a")

pick = {}
for i, (f, d) in enumerate(zip(fr, dec)):
    ethertype = f[12:14]
    if ethertype == b"\x08\x06":
        op = f[20:22]
        if op == b"\x00\x01" and "ARP_REQUEST" not in pick and d["arp.src.proto_ipv4"] == IP_A:
            pick["ARP_REQUEST"] = i
        elif op == b"\x00\x02" and "ARP_REPLY" not in pick and d["arp.src.proto_ipv4"] == IP_B:
            pick["ARP_REPLY"] = i
        continue
    if ethertype != b"\x08\x00":
        continue
    ihl = (f[14] & 15) * 4
    proto = f[23]
    fragword = struct.unpack(">H", f[20:22])[0]
    mf, fo = bool(fragword & 0x2000), (fragword & 0x1FFF) * 8
    l4 = f[14 + ihl:]
    if proto == 17 and (mf or fo):
        pick.setdefault("UDP_FRAG_%d" % (fo // 1480), i)
    elif proto == 17 and l4[8:] == b"board.uptime:42|g":
        pick.setdefault("UDP_STATSD", i)
    elif proto == 17 and l4[8:] == b"opt":
        pick.setdefault("UDP_WITH_OPTIONS", i)
    elif proto == 1 and l4[0] == 8:
        pick.setdefault("ICMP_ECHO_REQUEST", i)
    elif proto == 1 and l4[0] == 0:
        pick.setdefault("ICMP_ECHO_REPLY", i)

ORDER = ["ARP_REQUEST", "ARP_REPLY", "UDP_STATSD", "UDP_WITH_OPTIONS", "ICMP_ECHO_REQUEST",
         "ICMP_ECHO_REPLY", "UDP_FRAG_0", "UDP_FRAG_1", "UDP_FRAG_2"]
miss = [n for n in ORDER if n not in pick]
if miss:
    sys.exit("missing frames: " + ", ".join(miss))

def ipline(d):
    fo = int(d["ip.frag_offset"])
    return "IPv4: ihl %d bytes, total length %s, id %s (%d), ttl %s, DF %s, MF %s, frag offset %d%s, " \
        "header checksum %s (tshark: %s)" % (
            int(d["ip.hdr_len"]), d["ip.len"], d["ip.id"], int(d["ip.id"], 16), d["ip.ttl"],
            d["ip.flags.df"], d["ip.flags.mf"], fo, " (x8 = %d bytes)" % (fo * 8) if fo else "",
            d["ip.checksum"], status(d["ip.checksum.status"]))

DESC = {
    "ARP_REQUEST": "ARP request, %s (%s) asks who-has %s" % (IP_A, MAC_A, IP_B),
    "ARP_REPLY": "ARP reply, %s is-at %s, sent by B to %s" % (IP_B, MAC_B, MAC_A),
    "UDP_STATSD": "UDP %s:40000 -> %s:8125, payload \"board.uptime:42|g\" (17 bytes, odd)" % (IP_A, IP_B),
    "UDP_WITH_OPTIONS": "UDP %s:40000 -> %s:8125 with IPv4 options (setsockopt IP_OPTIONS = Record Route "
                        "type 7 len 11 ptr 4, 2 empty slots, + EOL), payload \"opt\"" % (IP_A, IP_B),
    "ICMP_ECHO_REQUEST": "ICMP echo request %s -> %s (ping -c 1 -s 24 -p 0123456789abcdef; "
                         "24 data bytes = 16-byte timeval + pattern)" % (IP_A, IP_B),
    "ICMP_ECHO_REPLY": "ICMP echo reply %s -> %s (B's kernel answering ICMP_ECHO_REQUEST)" % (IP_B, IP_A),
    "UDP_FRAG_0": "IPv4 fragment 1/3 of UDP %s:40001 -> %s:9000, 4000-byte payload (i & 0xff), "
                  "IP_PMTUDISC_DONT, MTU 1500; carries the UDP header" % (IP_A, IP_B),
    "UDP_FRAG_1": "IPv4 fragment 2/3 of the 4000-byte UDP datagram (see UDP_FRAG_0)",
    "UDP_FRAG_2": "IPv4 fragment 3/3 (last) of the 4000-byte UDP datagram (see UDP_FRAG_0)",
}

def wrap(prefix, text):
    return textwrap.wrap(text, 100 - len(prefix), break_on_hyphens=False,
                         initial_indent="", subsequent_indent="    ")

o = []
o.append("// Real Ethernet frames captured from the Linux kernel (%s) on a veth pair between two" % kver)
o.append("// network namespaces, TX checksum offload off. Regenerate with:")
o.append("//     sudo host/tools/capture-frames.sh --ts test/wire/captures.ts")
o.append("// Frames are exactly as captured on B's interface (no FCS, no padding added).")
o.append("// Decoded values below come from tshark 4 / tcpdump -vvv, not from our own code.")
o.append("// See test/captures/README.md.")
o.append("")
consts = []
for name in ORDER:
    i = pick[name]
    f, d = fr[i], dec[i]
    lines = [DESC[name] + "."]
    lines.append("Linux %s, captured on B's veth by host/tools/capture-frames.sh. Frame length %d bytes%s."
                 % (kver, len(f), " (NOT padded to the 60-byte Ethernet minimum)" if len(f) < 60 else ""))
    if d["ip.id"]:
        lines.append(ipline(d) + ".")
        if d["ip.opt.type"]:
            lines.append("IP options (tshark): types %s, RR pointer %s, recorded route %s." %
                         (d["ip.opt.type"], d["ip.opt.ptr"], d["ip.rec_rt"] or "(none)"))
    if name == "UDP_FRAG_0":
        r = dec[pick["UDP_FRAG_2"]]  # tshark decodes UDP on the reassembling (last) fragment
        lines.append("UDP header (in this fragment): %s -> %s, length %s, checksum %s (tshark: %s, "
                     "verified over the reassembled datagram, %s bytes of IP payload)." %
                     (r["udp.srcport"], r["udp.dstport"], r["udp.length"], r["udp.checksum"],
                      status(r["udp.checksum.status"]), r["ip.reassembled.length"]))
        assert f[34 + 6:34 + 8].hex() == r["udp.checksum"][2:]
    elif d["udp.checksum"] and not name.startswith("UDP_FRAG"):
        lines.append("UDP: %s -> %s, length %s, checksum %s (tshark: %s)." %
                     (d["udp.srcport"], d["udp.dstport"], d["udp.length"], d["udp.checksum"],
                      status(d["udp.checksum.status"])))
        assert f[14 + int(d["ip.hdr_len"]) + 6:][:2].hex() == d["udp.checksum"][2:]
    if d["ip.checksum"]:
        assert f[24:26].hex() == d["ip.checksum"][2:]
    if d["icmp.checksum"]:
        lines.append("ICMP: type %s, id %s, seq %s, checksum %s (tshark: %s)." %
                     (d["icmp.type"], d["icmp.ident"], d["icmp.seq"], d["icmp.checksum"],
                      status(d["icmp.checksum.status"])))
    lines.append("tcpdump -n -e -vvv: " + " ".join(td[i]))
    for l in lines:
        for w in wrap("// ", l):
            o.append(("// " + w).rstrip())
    hexlines = [f[j:j + 16].hex(" ") for j in range(0, len(f), 16)]
    o.append("export const %s = hex`" % name)
    for h in hexlines:
        o.append("    " + h)
    o.append("`")
    o.append("")
    if name in ("UDP_STATSD", "UDP_WITH_OPTIONS", "UDP_FRAG_0", "UDP_FRAG_1", "UDP_FRAG_2"):
        consts.append((name, d))

o.append("// Independently verified checksum/ID values (tshark, checksum validation enabled: all Good)")
for name, d in consts:
    if d["ip.checksum.status"] != "1":
        sys.exit("tshark did not verify the IP checksum of " + name)
    if name == "UDP_FRAG_0":
        o.append("// the three fragments share one IP ID; the UDP checksum covers all 4008 UDP bytes")
        o.append("// and sits in UDP_FRAG_0's UDP header")
        o.append("export const UDP_FRAG_IP_ID = %s" % d["ip.id"])
        r = dec[pick["UDP_FRAG_2"]]
        if r["udp.checksum.status"] != "1":
            sys.exit("tshark did not verify the UDP checksum of the fragmented datagram")
        o.append("export const UDP_FRAG_UDP_CHECKSUM = %s" % r["udp.checksum"])
    if not name.startswith("UDP_FRAG"):
        o.append("export const %s_IP_ID = %s" % (name, d["ip.id"]))
    o.append("export const %s_IP_CHECKSUM = %s" % (name, d["ip.checksum"]))
    if d["udp.checksum"] and not name.startswith("UDP_FRAG"):
        if d["udp.checksum.status"] != "1":
            sys.exit("tshark did not verify the UDP checksum of " + name)
        o.append("export const %s_UDP_CHECKSUM = %s" % (name, d["udp.checksum"]))
for name in ("ICMP_ECHO_REQUEST", "ICMP_ECHO_REPLY"):
    d = dec[pick[name]]
    if d["icmp.checksum.status"] != "1" or d["ip.checksum.status"] != "1":
        sys.exit("tshark did not verify the checksums of " + name)
    o.append("export const %s_IP_CHECKSUM = %s" % (name, d["ip.checksum"]))
    o.append("export const %s_ICMP_CHECKSUM = %s" % (name, d["icmp.checksum"]))
too_long = [l for l in o if len(l) > 100]
if too_long:
    sys.exit("lines over 100 chars: %r" % too_long[:3])
open(out, "w").write("\n".join(o) + "\n")
print("# wrote %s (%s)" % (out, ", ".join("%s=%d" % (n, len(fr[pick[n]])) for n in ORDER)), file=sys.stderr)
PY
fi
