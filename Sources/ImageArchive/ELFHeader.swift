// Source: the System V ABI's ELF header (e_ident, e_type at 16, e_machine at 18);
// machine numbers from torvalds/linux include/uapi/linux/elf-em.h.
import ByteIO
import OCI
import Tar

/// What the first bytes of an ELF file say: class, byte order, type and machine.
public struct ELFHeader: Hashable, Sendable {
    /// `e_machine`.
    public var machine: UInt16
    /// `e_type`: 2 executable, 3 shared object (or position-independent executable).
    public var type: UInt16
    /// ELFCLASS64 when true, ELFCLASS32 when false.
    public var is64Bit: Bool
    /// ELFDATA2MSB when true.
    public var isBigEndian: Bool

    /// The bytes needed to read an ELF header's identity, type and machine.
    public static let prefixLength = 20

    /// Reads the header from a file's first bytes.
    /// - Parameter bytes: At least ``prefixLength`` bytes from the start of the file.
    /// - Returns: `nil` when the bytes are not an ELF header.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.prefixLength, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46,
            bytes[4] == 1 || bytes[4] == 2, bytes[5] == 1 || bytes[5] == 2
        else { return nil }
        let big = bytes[5] == 2
        func u16(_ at: Int) -> UInt16 {
            big ? UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) : UInt16(bytes[at + 1]) << 8 | UInt16(bytes[at])
        }
        self.init(machine: u16(18), type: u16(16), is64Bit: bytes[4] == 2, isBigEndian: big)
    }

    /// Creates a header from its parts.
    public init(machine: UInt16, type: UInt16, is64Bit: Bool, isBigEndian: Bool) {
        self.machine = machine
        self.type = type
        self.is64Bit = is64Bit
        self.isBigEndian = isBigEndian
    }

    /// The GOARCH name of the machine (`amd64`, `arm64`, ...), as image configs name architectures,
    /// or `nil` for machines no image platform uses.
    public var architecture: String? {
        switch machine {
        case 62: "amd64"
        case 183: "arm64"
        case 40: "arm"
        case 3: "386"
        case 21: isBigEndian ? "ppc64" : "ppc64le"
        case 22: "s390x"
        case 243: is64Bit ? "riscv64" : "riscv32"
        case 8: is64Bit ? (isBigEndian ? "mips64" : "mips64le") : (isBigEndian ? "mips" : "mipsle")
        case 258: "loong64"
        default: nil
        }
    }

    /// The name of the machine as `file(1)` says it (`x86-64`, `ARM aarch64`, ...).
    public var machineName: String {
        switch machine {
        case 62: "x86-64"
        case 183: "ARM aarch64"
        case 40: "ARM"
        case 3: "Intel 80386"
        case 21: "64-bit PowerPC"
        case 22: "IBM S/390"
        case 243: "RISC-V"
        case 8: "MIPS"
        case 258: "LoongArch"
        default: "machine \(machine)"
        }
    }
}
