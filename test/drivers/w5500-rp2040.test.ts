// The W5500 driver suite again, over the board's own bus (HardwareSpiBus) on the RP2040's native
// SPI model instead of the direct model bus.
import "../support/bus-rp2040"
import "./w5500.test"
