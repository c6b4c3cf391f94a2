// Imported first by the *-rp2040.test.ts suites: the driver suites then run over HardwareSpiBus on
// the rp2040 native-SPI model.
import { useHardwareBus } from "./bus-hw"
useHardwareBus("rp2040")
