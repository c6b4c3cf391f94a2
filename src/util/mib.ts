// Counting in a counter group (a number array indexed by a const enum, dev/counters.ts): one call
// instead of `mib[k]++`, which DeviceScript compiles to a load, an add and a store at every site
// (about 7 bytes of bytecode more each).

/** mib[k]++ */
export function inc(mib: number[], k: number): void {
    mib[k]++
}
