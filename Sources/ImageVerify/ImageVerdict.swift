import ImageArchive

/// What ``ImageVerifier`` found for one image: every check, built-in and from a policy, and
/// the ELF census of its merged filesystem.
public struct ImageVerdict: Sendable {
    /// The image.
    public var image: ArchiveImage
    /// The checks, in order.
    public var checks: [CheckResult]
    /// ELF files per architecture.
    public var elfCensus: [String: Int]

    /// Creates a verdict.
    public init(image: ArchiveImage, checks: [CheckResult], elfCensus: [String: Int]) {
        self.image = image
        self.checks = checks
        self.elfCensus = elfCensus
    }

    /// Whether no check failed.
    public var passed: Bool { !checks.contains { $0.status == .failed } }

    /// `app:1.0 (linux/amd64)`.
    public var title: String { "\(image.displayName) (\(image.platform))" }
}

/// Everything the built-in checks found for one image, with the Prisma check's details.
public struct VerifyResult: Sendable {
    /// The checks, in order: integrity, platform, require, entrypoint-arch, elf-arch, strict-elf, prisma.
    public var checks: [CheckResult]
    /// The Prisma check's details, when it ran.
    public var prisma: PrismaCheck?
    /// ELF files per architecture in the merged filesystem.
    public var elfCensus: [String: Int]

    /// Whether no check failed.
    public var passed: Bool { !checks.contains { $0.status == .failed } }
}
