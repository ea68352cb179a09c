import ImageArchive
import OCI

/// The outcome of one `verify` check, as data the CLI prints or encodes.
public struct CheckResult: Codable, Sendable, Equatable {
    /// Whether a check passed.
    public enum Status: String, Codable, Sendable {
        /// The image satisfies the check.
        case passed
        /// It does not: `verify` fails.
        case failed
        /// The check did not apply (nothing to check, or turned off).
        case skipped
        /// Not a failure, but worth a look (for example digests not checked).
        case warning
    }

    /// Which check: `integrity`, `platform`, `require`, `elf-arch`, `entrypoint-arch`, `strict-elf`, `prisma`.
    public var id: String
    /// The outcome.
    public var status: Status
    /// What the check wanted, in words (`linux/amd64`, `libquery_engine-debian-openssl-3.0.x.so.node (x86-64)`).
    public var expected: String
    /// What the image has.
    public var found: String
    /// One or more sentences for people, naming the subject first.
    public var message: String
    /// What to change, when the check failed and a fix is known.
    public var fix: String?
    /// The path the check is about, if any (`--require` paths, the entrypoint).
    public var subject: String?

    /// Creates a result.
    /// - Parameters:
    ///   - id: Which check.
    ///   - status: The outcome.
    ///   - expected: What the check wanted.
    ///   - found: What the image has.
    ///   - message: Words for people.
    ///   - fix: What to change.
    ///   - subject: The path the check is about.
    public init(
        id: String, status: Status, expected: String, found: String, message: String, fix: String? = nil, subject: String? = nil
    ) {
        self.id = id
        self.status = status
        self.expected = expected
        self.found = found
        self.message = message
        self.fix = fix
        self.subject = subject
    }
}
