// ENC28J60 register map (Microchip DS39662E, rev. B7 silicon): SPI opcodes, banked control
// registers, bits, PHY registers and the buffer-memory record formats. Only the map: no logic.
//
// A register constant is `address | bank << 5 | MACMII`:
//   bits 4:0  address inside the bank (0x1B..0x1F are the common registers, present in every bank)
//   bits 6:5  bank (ECON1.BSEL1:0)
//   bit 7     MAC/MII register: RCR returns a dummy byte before the value, and BFS/BFC do not work
// (the same packing Linux's enc28j60_hw.h uses; embassy keeps bank and kind in separate enums).

/** SPI instruction set, DS39662E table 4-1. RCR/WCR/BFS/BFC carry the 5-bit address in bits 4:0. */
export const enum Op {
    /** Read control register: `000aaaaa`, then 1 data byte (2 for MAC/MII: dummy first). */
    RCR = 0x00,
    /** Read buffer memory at ERDPT: `0x3A`, then as many bytes as clocked. */
    RBM = 0x3a,
    /** Write control register: `010aaaaa d`. */
    WCR = 0x40,
    /** Write buffer memory at EWRPT: `0x7A d...`. */
    WBM = 0x7a,
    /** Bit-field set (ETH registers only): `100aaaaa mask`. */
    BFS = 0x80,
    /** Bit-field clear (ETH registers only): `101aaaaa mask`. */
    BFC = 0xa0,
    /** System reset command (soft reset). */
    SRC = 0xff,
}

export const ADDR_MASK = 0x1f
export const BANK_SHIFT = 5
export const MACMII = 0x80
/** Addresses >= this are common to all banks (EIE, EIR, ESTAT, ECON2, ECON1). */
export const COMMON_START = 0x1b

/** Control registers. 16-bit pairs are little-endian (L at the named address, H at +1). */
export const enum Reg {
    // common, every bank
    EIE = 0x1b,
    EIR = 0x1c,
    ESTAT = 0x1d,
    ECON2 = 0x1e,
    ECON1 = 0x1f,

    // bank 0
    ERDPTL = 0x00,
    ERDPTH = 0x01,
    EWRPTL = 0x02,
    EWRPTH = 0x03,
    ETXSTL = 0x04,
    ETXSTH = 0x05,
    ETXNDL = 0x06,
    ETXNDH = 0x07,
    ERXSTL = 0x08,
    ERXSTH = 0x09,
    ERXNDL = 0x0a,
    ERXNDH = 0x0b,
    /** Low byte is buffered: both bytes take effect when ERXRDPTH is written. */
    ERXRDPTL = 0x0c,
    ERXRDPTH = 0x0d,
    /** Read-only. */
    ERXWRPTL = 0x0e,
    ERXWRPTH = 0x0f,
    EDMASTL = 0x10,
    EDMASTH = 0x11,
    EDMANDL = 0x12,
    EDMANDH = 0x13,
    EDMADSTL = 0x14,
    EDMADSTH = 0x15,
    EDMACSL = 0x16,
    EDMACSH = 0x17,

    // bank 1
    EHT0 = 0x20,
    EPMM0 = 0x28,
    EPMCSL = 0x30,
    EPMCSH = 0x31,
    EPMOL = 0x34,
    EPMOH = 0x35,
    ERXFCON = 0x38,
    /** Read-only; decremented by ECON2.PKTDEC. */
    EPKTCNT = 0x39,

    // bank 2: all MAC/MII
    MACON1 = 0x40 | 0x80,
    MACON3 = 0x42 | 0x80,
    MACON4 = 0x43 | 0x80,
    MABBIPG = 0x44 | 0x80,
    MAIPGL = 0x46 | 0x80,
    MAIPGH = 0x47 | 0x80,
    MACLCON1 = 0x48 | 0x80,
    MACLCON2 = 0x49 | 0x80,
    MAMXFLL = 0x4a | 0x80,
    MAMXFLH = 0x4b | 0x80,
    MICMD = 0x52 | 0x80,
    MIREGADR = 0x54 | 0x80,
    MIWRL = 0x56 | 0x80,
    /** Writing it starts the PHY write. */
    MIWRH = 0x57 | 0x80,
    MIRDL = 0x58 | 0x80,
    MIRDH = 0x59 | 0x80,

    // bank 3. The datasheet's MAADR1 is the first octet on the wire (Linux calls it MAADR5).
    MAADR5 = 0x60 | 0x80,
    MAADR6 = 0x61 | 0x80,
    MAADR3 = 0x62 | 0x80,
    MAADR4 = 0x63 | 0x80,
    MAADR1 = 0x64 | 0x80,
    MAADR2 = 0x65 | 0x80,
    EBSTSD = 0x66,
    EBSTCON = 0x67,
    EBSTCSL = 0x68,
    EBSTCSH = 0x69,
    MISTAT = 0x6a | 0x80,
    /** Silicon revision: 0x06 on B7. */
    EREVID = 0x72,
    ECOCON = 0x75,
    EFLOCON = 0x77,
    EPAUSL = 0x78,
    EPAUSH = 0x79,
}

/**
 * Where MAC octet i (0 = first on the wire) lives: Reg.MAADR1..6, bank-3 addresses 4,5,2,3,0,1 (a
 * buffer literal, so no code builds it).
 */
export const MAADR_FOR_OCTET = hex`e4 e5 e2 e3 e0 e1`

/** The B7 silicon revision (DS80349C). */
export const EREVID_B7 = 0x06

export const enum Eie {
    INTIE = 0x80,
    PKTIE = 0x40,
    DMAIE = 0x20,
    LINKIE = 0x10,
    TXIE = 0x08,
    TXERIE = 0x02,
    RXERIE = 0x01,
}

export const enum Eir {
    /** Mirrors EPKTCNT != 0; unreliable on B7 (errata #6): poll EPKTCNT instead. */
    PKTIF = 0x40,
    DMAIF = 0x20,
    /** Read-only: cleared by reading PHIR. */
    LINKIF = 0x10,
    TXIF = 0x08,
    TXERIF = 0x02,
    RXERIF = 0x01,
}

export const enum Estat {
    INT = 0x80,
    BUFER = 0x40,
    /** Unreliable on B7 (errata #15): check TSV bit 29 instead. */
    LATECOL = 0x10,
    RXBUSY = 0x04,
    TXABRT = 0x02,
    /** Not a ready signal after SRC on B7 (errata #2). */
    CLKRDY = 0x01,
}

export const enum Econ2 {
    AUTOINC = 0x80,
    PKTDEC = 0x40,
    PWRSV = 0x20,
    VRPS = 0x08,
}

export const enum Econ1 {
    TXRST = 0x80,
    RXRST = 0x40,
    DMAST = 0x20,
    CSUMEN = 0x10,
    TXRTS = 0x08,
    RXEN = 0x04,
    BSEL1 = 0x02,
    BSEL0 = 0x01,
    BSEL = 0x03,
}

export const enum Erxfcon {
    UCEN = 0x80,
    ANDOR = 0x40,
    CRCEN = 0x20,
    PMEN = 0x10,
    MPEN = 0x08,
    HTEN = 0x04,
    MCEN = 0x02,
    BCEN = 0x01,
}

export const enum Macon1 {
    TXPAUS = 0x08,
    RXPAUS = 0x04,
    PASSALL = 0x02,
    MARXEN = 0x01,
}

export const enum Macon3 {
    /** PADCFG2:0 in bits 7:5. */
    PADCFG_MASK = 0xe0,
    /** PADCFG = 001: pad short frames to 60 bytes and append the CRC. */
    PADCFG_60 = 0x20,
    /** PADCFG = 011 (or 111): pad to 64 bytes and append the CRC. */
    PADCFG_64 = 0x60,
    /** PADCFG = 101: pad VLAN frames to 64 bytes, others to 60; append the CRC. */
    PADCFG_VLAN = 0xa0,
    TXCRCEN = 0x10,
    PHDREN = 0x08,
    HFRMEN = 0x04,
    FRMLNEN = 0x02,
    FULDPX = 0x01,
}

export const enum Macon4 {
    DEFER = 0x40,
    BPEN = 0x20,
    NOBKOFF = 0x10,
}

export const enum Micmd {
    MIISCAN = 0x02,
    MIIRD = 0x01,
}

export const enum Mistat {
    NVALID = 0x04,
    SCAN = 0x02,
    BUSY = 0x01,
}

/** PHY registers (16-bit, through MIREGADR / MIRD / MIWR). */
export const enum Phy {
    PHCON1 = 0x00,
    PHSTAT1 = 0x01,
    PHID1 = 0x02,
    PHID2 = 0x03,
    PHCON2 = 0x10,
    PHSTAT2 = 0x11,
    PHIE = 0x12,
    /** Reading it clears PGIF/PLNKIF and so EIR.LINKIF. */
    PHIR = 0x13,
    PHLCON = 0x14,
}

export const enum Phcon1 {
    PRST = 0x8000,
    PLOOPBK = 0x4000,
    PPWRSV = 0x0800,
    PDPXMD = 0x0100,
}

export const enum Phstat1 {
    PFDPX = 0x1000,
    PHDPX = 0x0800,
    /** Latches low on link loss until read. */
    LLSTAT = 0x0004,
    JBSTAT = 0x0002,
}

export const enum Phcon2 {
    FRCLNK = 0x4000,
    TXDIS = 0x2000,
    JABBER = 0x0400,
    /** Half-duplex loopback disable: without it the PHY hands our own frames back (errata #9 note). */
    HDLDIS = 0x0100,
}

export const enum Phstat2 {
    TXSTAT = 0x2000,
    RXSTAT = 0x1000,
    COLSTAT = 0x0800,
    LSTAT = 0x0400,
    DPXSTAT = 0x0200,
    PLRITY = 0x0010,
}

export const enum Phie {
    PLNKIE = 0x0010,
    PGEIE = 0x0002,
}

export const enum Phir {
    PLNKIF = 0x0010,
    PGIF = 0x0004,
}

/** PHLCON: LEDA shows link, LEDB transmit/receive activity, stretched (the value Linux writes). */
export const PHLCON_LINK_ACTIVITY = 0x3476

/** Per-packet control byte written at ETXST in front of the frame (DS39662E 7.1). */
export const enum TxControl {
    PHUGEEN = 0x08,
    PPADEN = 0x04,
    PCRCEN = 0x02,
    /** Use bits 3:1 of this byte instead of MACON3. 0x00 means "follow MACON3". */
    POVERRIDE = 0x01,
}

/** Transmit status vector: 7 bytes the chip writes at ETXND + 1. */
export const TSV_LEN = 7
/** TSV byte/bit positions (bit n of the 56-bit vector is bit n%8 of byte n/8). */
export const enum Tsv {
    /** bits 15:0 */
    BYTE_COUNT = 0,
    /** bits 19:16 in byte 2, low nibble */
    COLLISIONS = 2,
    /** bit 23: byte 2, 0x80 */
    DONE_BYTE = 2,
    DONE_BIT = 0x80,
    /** bit 28 excessive collision: byte 3, 0x10 */
    EXCOL_BYTE = 3,
    EXCOL_BIT = 0x10,
    /** bit 29 late collision: byte 3, 0x20 (errata #13/#15: the bit to trust) */
    LATECOL_BYTE = 3,
    LATECOL_BIT = 0x20,
    /** bits 47:32 total bytes on the wire */
    WIRE_BYTES = 4,
}

/** Receive header in the ring: next-packet pointer, byte count (incl. FCS), status bits 31:16. */
export const RSV_LEN = 6
export const enum Rsv {
    NEXT = 0,
    BYTE_COUNT = 2,
    STATUS = 4,
    /** status bit 20 (byte 4, 0x10): CRC error */
    CRC_ERROR = 0x10,
    /** status bit 23 (byte 4, 0x80): received OK */
    RX_OK = 0x80,
    /** status bit 24 (byte 5, 0x01): multicast */
    MULTICAST = 0x01,
    /** status bit 25 (byte 5, 0x02): broadcast */
    BROADCAST = 0x02,
}

/** Buffer memory size and the largest frame the MAC takes (with FCS). */
export const BUFFER_SIZE = 0x2000
export const MAX_FRAME_FCS = 1518
export const FCS_LEN = 4
