// The TCP counters as Linux prints them: /proc/net/snmp Tcp: (the TCP-MIB of RFC 4022) and a few
// of `netstat -s`'s TcpExt. Written by the TCP table and its connections only.

import { formatCounters } from "../dev/counters"

/** Indices of TcpStats: the Tcp group, then the TcpExt counters. */
export const enum TcpMib {
    ActiveOpens,
    AttemptFails,
    EstabResets,
    CurrEstab,
    InSegs,
    OutSegs,
    RetransSegs,
    InErrs,
    OutRsts,
    InCsumErrors,
    // TcpExt
    /** Retransmission timer expiries (TCPTimeouts). */
    TCPTimeouts,
    /** Fast retransmits on three duplicate ACKs (TCPFastRetrans). */
    TCPFastRetrans,
    /** RFC 5961 challenge ACKs sent (TCPChallengeACK). */
    TCPChallengeACK,
    /** Zero-window probes sent (TCPWinProbe). */
    TCPWinProbe,
    /** Keepalive probes sent (TCPKeepAlive). */
    TCPKeepAlive,
    /** Delayed ACKs sent by the timer (DelayedACKs). */
    DelayedACKs,
    /** Segments received out of order and dropped (TCPOFODrop: no reassembly queue here). */
    TCPOFODrop,
    /** Connections that timed out (TCPAbortOnTimeout). */
    TCPAbortOnTimeout,
    Count,
}

export type TcpStats = number[]

export function formatTcpStats(s: TcpStats): string {
    return formatCounters("Tcp", "ActiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors", s) +
        "\n" + formatCounters("TcpExt", "TCPTimeouts TCPFastRetrans TCPChallengeACK TCPWinProbe TCPKeepAlive DelayedACKs TCPOFODrop TCPAbortOnTimeout", s.slice(TcpMib.TCPTimeouts))
}
