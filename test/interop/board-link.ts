// What every interop board program (test/interop/*board.ts) starts with: the chip model on a
// segment without virtual peers, joined to the host bridge (src/sim/hostlink.ts), with the test's
// commands arriving in CONTROL records and the answers sent back the same way. A DeviceScript
// program module: no Node APIs here.

import * as ds from "@devicescript/core"
import { StackConfig } from "../../src/config/types"
import { NetDevice } from "../../src/dev/netdev"
import { Segment } from "../../src/sim/lan"
import { HostLink, LinkRecord } from "../../src/sim/hostlink"

export class BridgedBoard {
    readonly segment: Segment
    readonly dev: NetDevice
    readonly link: HostLink
    /** Commands from the test, oldest first (shift() them). */
    readonly commands: string[] = []

    constructor(config: StackConfig, device: (segment: Segment) => NetDevice, host: string, port: number) {
        this.segment = new Segment()
        this.dev = device(this.segment)
        this.link = new HostLink(this.segment, config.mac, host, port)
        const commands = this.commands
        this.link.onRecord = (type, b, off, len) => {
            if (type === LinkRecord.Control) commands.push(b.slice(off, off + len).toString())
        }
    }

    /**
     * Every 10 ms, the commands that came, split into words, to `handle` (which answers them), until
     * `quit` or the link fails, or after `maxRounds` rounds when given.
     */
    async serve(handle: (w: string[]) => Promise<void>, maxRounds = -1): Promise<void> {
        let running = true
        for (let k = 0; running && !this.link.failed && (maxRounds < 0 || k < maxRounds); k++) {
            await ds.sleep(10)
            while (this.commands.length > 0 && running) {
                const w = this.commands.shift().split(" ")
                if (w[0] === "quit") running = false
                else await handle(w)
            }
        }
    }

    /** After serve(): `bye` to the test and the link closed (why it failed said as `tag`, when it did). */
    finish(tag: string): void {
        if (this.link.failed) console.log(tag + ": " + this.link.lastError)
        this.reply("bye")
        this.link.stop()
    }

    /** An answer (or a report) to the test, in a CONTROL record. */
    reply(text: string): void {
        const b = Buffer.from(text)
        this.link.send(LinkRecord.Control, b, 0, b.length)
    }
}

/** The board joined to the bridge at host:port; throws when the link cannot be made. */
export async function joinBridge(config: StackConfig, device: (segment: Segment) => NetDevice, host: string, port: number): Promise<BridgedBoard> {
    const board = new BridgedBoard(config, device, host, port)
    if (!(await board.link.start())) throw new Error(board.link.lastError)
    return board
}
