import OCI

/// The verdict of the checks on one archive file, recorded so that a later command on the same
/// bytes need not read them again: `pack` records the verdict of the file it wrote, `ship` the
/// verdict of the file it checked, and `ship` reuses one that matches the file's SHA-256 and its
/// own check options (``VerdictCache``).
///
/// Only a verdict in which every check passed and every digest checked out is recorded.
public struct VerdictRecord: Codable, Sendable, Equatable {
    /// The version of this record's layout; records of another version are ignored.
    public static let currentVersion = 1

    /// The layout version (``currentVersion``).
    public var version: Int
    /// The SHA-256 of the archive file, every byte of it.
    public var archive: Digest
    /// Its size in bytes.
    public var size: Int64
    /// What the checks were asked to check (``VerdictCache/optionsKey(_:)``), and by which imgtool.
    public var options: String
    /// The command that ran the checks: `pack` or `ship`.
    public var recordedBy: String
    /// When, in seconds since 1970.
    public var recordedAt: Int64
    /// Every check that ran, over every image checked.
    public var checks: [CheckResult]
    /// What the target checks need of the archive.
    public var facts: ArchiveFacts

    /// Creates a record.
    /// - Parameters:
    ///   - archive: The SHA-256 of the archive file.
    ///   - size: Its size.
    ///   - options: The options key.
    ///   - recordedBy: `pack` or `ship`.
    ///   - recordedAt: Seconds since 1970.
    ///   - checks: Every check that ran.
    ///   - facts: The archive's facts for the target checks.
    public init(
        archive: Digest, size: Int64, options: String, recordedBy: String, recordedAt: Int64, checks: [CheckResult],
        facts: ArchiveFacts
    ) {
        version = Self.currentVersion
        self.archive = archive
        self.size = size
        self.options = options
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
        self.checks = checks
        self.facts = facts
    }

    /// Whether no check failed.
    public var passed: Bool { !checks.contains { $0.status == .failed } }
}
