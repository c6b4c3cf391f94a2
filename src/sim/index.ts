// The simulator side of the library, for testing firmware in the DeviceScript simulator as this
// repository does: the chip models, the virtual LAN and its scripted peers, the simulated boards,
// the native-SPI models. Import it as "devicescript-ethernet/src/sim" from simulator programs and
// tests only: a board's firmware that imports the main entry ("devicescript-ethernet") links none of it.
export * from "./lan"
export * from "./host"
export * from "./spi"
export * from "./native-spi"
export * from "./w5500"
export * from "./enc28j60"
export * from "./board"
export * from "./w5500-board"
export * from "./enc28j60-board"
export * from "./faults"
export * from "./main"
