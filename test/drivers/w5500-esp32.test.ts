// The W5500 driver suite again, over the board's own bus (HardwareSpiBus) on the ESP32's native
// SPI model instead of the direct model bus.
import "../support/bus-esp32"
import "./w5500.test"
