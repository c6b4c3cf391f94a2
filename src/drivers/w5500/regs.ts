// WIZnet W5500: the SPI frame format and the registers a MACRAW driver touches. Section numbers
// are those of the W5500 datasheet v1.0.9. Shared by the driver (device.ts) and the simulator's
// model (sim/w5500.ts).

/** §2.2: a frame is a 16-bit offset (MSB first), one control byte, then the data phase. */
export const FRAME_HEADER_LEN = 3

/** §2.2.2 control byte: BSB in bits 7:3, RWB in bit 2 (1 = write), OM in bits 1:0 (00 = VDM). */
export const CTRL_WRITE = 0x04
export const CTRL_OM_MASK = 0x03

/** §2.2.2 block select: common registers; socket n registers 4n+1, TX buffer 4n+2, RX buffer 4n+3. */
export const enum Block {
    Common = 0,
    S0Reg = 1,
    S0Tx = 2,
    S0Rx = 3,
    /** Socket 1's registers: the self-test's scratch (the driver uses socket 0 only). */
    S1Reg = 5,
}

/** §3.1 / §4.1 common register block. */
export const enum Common {
    MR = 0x00,
    GAR = 0x01,
    SUBR = 0x05,
    SHAR = 0x09,
    SIPR = 0x0f,
    INTLEVEL = 0x13,
    IR = 0x15,
    IMR = 0x16,
    SIR = 0x17,
    SIMR = 0x18,
    RTR = 0x19,
    RCR = 0x1b,
    PHYCFGR = 0x2e,
    VERSIONR = 0x39,
}

/** §4.1 MR: RST self-clears when the soft reset is done. */
export const MR_RST = 0x80

/** §4.1 PHYCFGR: RST (active low), OPMD/OPMDC (mode by register), status DPX, SPD (1 = 100 Mb/s), LNK. */
export const enum Phy {
    RST = 0x80,
    OPMD = 0x40,
    OPMDC_MASK = 0x38,
    DPX = 0x04,
    SPD = 0x02,
    LNK = 0x01,
}

/** §4.1 VERSIONR always reads 0x04. */
export const CHIP_VERSION = 0x04

/** §3.2 / §4.2 socket register block (offsets inside block 4n+1). */
export const enum Sn {
    MR = 0x00,
    CR = 0x01,
    IR = 0x02,
    SR = 0x03,
    /** Sn_DHAR (6), Sn_DIPR (4), Sn_DPORT (2): 12 read/write bytes, unused in MACRAW. */
    DHAR = 0x06,
    RXBUF_SIZE = 0x1e,
    TXBUF_SIZE = 0x1f,
    TX_FSR = 0x20,
    TX_RD = 0x22,
    TX_WR = 0x24,
    RX_RSR = 0x26,
    RX_RD = 0x28,
    RX_WR = 0x2a,
    IMR = 0x2c,
}

/** §4.2 Sn_MR: protocol in bits 3:0 (MACRAW only on socket 0) and the MACRAW filter bits. */
export const enum SnMr {
    MACRAW = 0x04,
    PROTOCOL_MASK = 0x0f,
    /** MAC filter: only frames to SHAR or broadcast. */
    MFEN = 0x80,
    BCASTB = 0x40,
    MMB = 0x20,
    MIP6B = 0x10,
}

/** §4.2 Sn_CR commands; the register reads 0 once the command is accepted. */
export const enum SnCr {
    OPEN = 0x01,
    CLOSE = 0x10,
    SEND = 0x20,
    RECV = 0x40,
}

/** §4.2 Sn_IR, write 1 to clear. */
export const enum SnIr {
    SENDOK = 0x10,
    TIMEOUT = 0x08,
    RECV = 0x04,
}

/** §4.2 Sn_SR. */
export const enum SnSr {
    CLOSED = 0x00,
    MACRAW = 0x42,
}

/** §4.2 Sn_RXBUF_SIZE / Sn_TXBUF_SIZE: KB per socket; each direction's sum across sockets is at most 16. */
export const BUF_TOTAL_KB = 16
export const SOCKETS = 8
/**
 * MACRAW receive: every frame in the RX buffer is preceded by its length, 2 bytes big-endian,
 * counting themselves (not in the datasheet's register chapter; WIZnet ioLibrary and every surveyed
 * driver read it so).
 */
export const RX_LEN_HEADER = 2
