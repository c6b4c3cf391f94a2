// Imported first by the *-esp32.test.ts suites: the driver suites then run over HardwareSpiBus on
// the esp32 native-SPI model.
import { useHardwareBus } from "./bus-hw"
useHardwareBus("esp32")
