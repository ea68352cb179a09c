import OCI

/// What `imgtool verify` checks, besides integrity (always) and Prisma (automatic).
public struct VerifyOptions: Sendable {
    /// Whether the Prisma check runs.
    public enum PrismaMode: String, Sendable, Codable {
        /// When the image has `@prisma/client`.
        case auto
        /// Always; no `@prisma/client` fails.
        case force
        /// Never.
        case off
    }

    /// The platform the image must have (`--platform`, or `--arch` as `linux/<arch>`), if any.
    public var platform: Platform?
    /// Paths that must exist (`--require`): relative ones against WorkingDir.
    public var requiredPaths: [String]
    /// Whether any ELF file of another architecture anywhere fails (`--strict-elf`).
    public var strictELF: Bool
    /// The Prisma check.
    public var prisma: PrismaMode

    /// Creates options.
    /// - Parameters:
    ///   - platform: The platform required.
    ///   - requiredPaths: Paths that must exist.
    ///   - strictELF: Fail on any foreign-architecture ELF.
    ///   - prisma: The Prisma check mode.
    public init(platform: Platform? = nil, requiredPaths: [String] = [], strictELF: Bool = false, prisma: PrismaMode = .auto) {
        self.platform = platform
        self.requiredPaths = requiredPaths
        self.strictELF = strictELF
        self.prisma = prisma
    }

    /// The architectures `--arch` accepts.
    public static let architectures = ["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"]

    /// Normalises an `--arch` value (`x86_64` → `amd64`, `aarch64` → `arm64`, `armhf` → `arm`, `i386` → `386`).
    /// - Parameter value: What the user typed.
    /// - Returns: One of ``architectures``, or `nil` when unknown.
    public static func architecture(parsing value: String) -> String? {
        guard let p = Platform(parsing: value.lowercased()), p.os == "linux" || !value.contains("/") else { return nil }
        return architectures.contains(p.architecture) ? p.architecture : nil
    }
}
