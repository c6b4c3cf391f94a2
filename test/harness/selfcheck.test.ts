// Self-check of the test harness (test/devs.spec.ts + host/test/devs-run.ts):
// real @devicescript/test tests that must all pass (or be skipped) in the simulator.
import * as ds from "@devicescript/core"
import { describe, test, expect, beforeEach } from "@devicescript/test"

describe("harness selfcheck", () => {
    let counter = 0
    beforeEach(() => {
        counter++
    })

    test("toBe compares with ===", () => {
        expect(1 + 2).toBe(3)
        expect("a" + "b").toBe("ab")
        expect(counter > 0).toBe(true)
    })

    test("names keep UTF-8: §3 é", () => {
        // the name above reaches the runner intact; here, the source's UTF-8 bytes do
        expect(Buffer.from("§3 é").toString("hex")).toBe("c2a73320c3a9")
    })

    test("not() inverts a matcher", () => {
        expect(2).not().toBe(3)
    })

    test("toThrow catches a synchronous throw", () => {
        expect(() => {
            throw new Error("expected")
        }).toThrow()
    })

    // note: in @devicescript/test 2.16.4 toThrow ignores not(): `.not().toThrow()` always fails
    test("toThrow fails for a function that does not throw", () => {
        expect(() => {}).toThrow()
    }, { expectedError: true })

    test("an expected error passes", () => {
        throw new Error("this error is expected")
    }, { expectedError: true })

    test("a skipped test is reported as pending", () => {
        throw new Error("skipped tests must not run")
    }, { skip: true })

    describe("nested describe", () => {
        test("Buffer round trip", () => {
            const b = Buffer.alloc(4)
            b.setAt(0, "u16", 0x1234)
            expect(b[0]).toBe(0x34)
            expect(b[1]).toBe(0x12)
        })

        describe("deeper", () => {
            test("async test with a yield (ds.sleep)", async () => {
                let x = 0
                await ds.sleep(1)
                x = 5
                expect(x).toBe(5)
            })
        })
    })
})
