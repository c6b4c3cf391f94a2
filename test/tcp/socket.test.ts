import { describe, test, expect, beforeEach } from "@devicescript/test"
import * as ds from "@devicescript/core"
import { yieldToScheduler } from "../support/rig"
import { StreamStatus } from "../../src/tcp/stream"
import { TcpError } from "../../src/tcp/conn"
import { tcpConnect, TcpSocketError } from "../../src/tcp/socket"
import { tcpRig, tcpOf, sent, peerSeg, segment, ACK, FIN, RST, SYN, PSH, PEER_ISS, PEER_PORT, add32 } from "./peer"

// The @devicescript/net-shaped socket over a TcpConn, against the scripted peer: the peer answers
// from a timer while the socket call waits.

describe("TCP socket API", () => {
    beforeEach(yieldToScheduler)

    test("connect, send, readLine, recv with a timeout, the peer's close, events", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        setTimeout(() => {
            const c = t.conns[0]
            rig.dev.inject(segment(PEER_PORT, c.localPort, PEER_ISS, add32(c.iss, 1), SYN | ACK, 8000, hex`02 04 05 b4`, null))
        }, 20)
        const sock = await tcpConnect(t, { host: "192.0.2.20", port: PEER_PORT })
        const c = sock.conn
        expect(c.status()).toBe(StreamStatus.Open)
        let messages = 0
        let closes = 0
        sock.onmessage.subscribe(() => {
            messages++
        })
        sock.onclose.subscribe(() => {
            closes++
        })
        await sent(rig)
        await sock.send("hello\n")
        const s = await sent(rig)
        expect(s.length).toBe(1)
        expect(s[0].dataLen()).toBe(6)
        expect(s[0].data(0)).toBe(104)
        expect(s[0].data(5)).toBe(10)
        rig.dev.inject(peerSeg(c, PEER_ISS + 1, add32(c.iss, 7), ACK | PSH, 8000, Buffer.from("line one\r\nline two\n")))
        expect(await sock.readLine()).toBe("line one")
        expect(await sock.readLine()).toBe("line two")
        expect(await sock.recv(10)).toBe(undefined)
        rig.dev.inject(peerSeg(c, PEER_ISS + 20, add32(c.iss, 7), ACK | PSH | FIN, 8000, Buffer.from("end")))
        const b = await sock.recv(10)
        expect(b.toString()).toBe("end")
        expect(await sock.recv(10)).toBe(null)
        await ds.sleep(10)
        expect(messages >= 1).toBe(true)
        expect(closes).toBe(1)
        await sock.close()
        const f = await sent(rig)
        expect(f[f.length - 1].flags()).toBe(FIN | ACK)
    })

    test("connect refused: throws TcpSocketError with error Refused", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        setTimeout(() => {
            const c = t.conns[0]
            rig.dev.inject(segment(PEER_PORT, c.localPort, 0, add32(c.iss, 1), RST | ACK, 0, null, null))
        }, 20)
        let err: TcpSocketError = null
        try {
            await tcpConnect(t, { host: "192.0.2.20", port: PEER_PORT })
        } catch (e) {
            err = e as TcpSocketError
        }
        expect(err !== null).toBe(true)
        expect(err.error).toBe(TcpError.Refused)
        expect(err.message.indexOf("refused") >= 0).toBe(true)
    })

    test("connect with no answer within `timeout`: throws timed out, the attempt aborted", async () => {
        const rig = tcpRig()
        const t = tcpOf(rig)
        let err: TcpSocketError = null
        try {
            await tcpConnect(t, { host: 0xc0000214, port: PEER_PORT, timeout: 50 })
        } catch (e) {
            err = e as TcpSocketError
        }
        expect(err.error).toBe(TcpError.TimedOut)
        expect(t.conns.length).toBe(0)
    })
})
