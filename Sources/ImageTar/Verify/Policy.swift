// A superset of GoogleContainerTools/container-structure-test's schema v2 `fileExistenceTests`
// and `metadataTest` (pkg/types/v2), plus the checks imgtool adds: platform, required paths,
// strict ELF, Prisma, a non-root user and a health check.

/// A verification policy, read from a JSON file (`imgtool verify --policy FILE`).
public struct Policy: Codable, Sendable, Equatable {
    /// container-structure-test's schema version, accepted and ignored.
    public var schemaVersion: String?
    /// The platform the image must have (`linux/amd64`).
    public var platform: String?
    /// The architecture the image must have (`amd64`).
    public var arch: String?
    /// Paths that must exist (relative to WorkingDir unless absolute); ELF files under them must match.
    public var require: [String]?
    /// Fail on any foreign-architecture ELF file.
    public var strictElf: Bool?
    /// `auto` (the default), `force` or `off`.
    public var prisma: VerifyOptions.PrismaMode?
    /// Files that must (or must not) exist, with their permissions and owner.
    public var fileExistenceTests: [FileExistenceTest]?
    /// Expectations on the image config.
    public var metadataTest: MetadataTest?

    /// One file expectation (container-structure-test's `fileExistenceTests` entry).
    public struct FileExistenceTest: Codable, Sendable, Equatable {
        /// A name for reports.
        public var name: String?
        /// The path (absolute, or relative to WorkingDir).
        public var path: String
        /// Whether it must exist (default true).
        public var shouldExist: Bool?
        /// `ls -l` permissions, e.g. `-rwxr-xr-x`.
        public var permissions: String?
        /// The owner uid.
        public var uid: Int?
        /// The owner gid.
        public var gid: Int?
        /// `owner`, `group`, `other` or `any`: who may execute it.
        public var isExecutableBy: String?
    }

    /// Expectations on the config (container-structure-test's `metadataTest`, plus imgtool's).
    public struct MetadataTest: Codable, Sendable, Equatable {
        /// Environment variables that must be set (value compared exactly or as a regex).
        public var envVars: [KeyValue]?
        /// Environment variables that must not be set.
        public var unboundEnvVars: [KeyValue]?
        /// Ports that must be exposed (`3000` or `3000/tcp`).
        public var exposedPorts: [String]?
        /// Ports that must not be exposed.
        public var unexposedPorts: [String]?
        /// The exact Entrypoint.
        public var entrypoint: [String]?
        /// The exact Cmd.
        public var cmd: [String]?
        /// The WorkingDir.
        public var workdir: String?
        /// Volumes that must be declared.
        public var volumes: [String]?
        /// Volumes that must not be declared.
        public var unmountedVolumes: [String]?
        /// Labels that must be set.
        public var labels: [KeyValue]?
        /// The exact User.
        public var user: String?
        /// imgtool: the user must not be root (empty, `root`, `0` or `0:…`).
        public var userNotRoot: Bool?
        /// imgtool: a HEALTHCHECK must be configured (and not `NONE`).
        public var healthcheck: Bool?
    }

    /// A key with an optional value, compared exactly or as a regular expression.
    public struct KeyValue: Codable, Sendable, Equatable {
        /// The key.
        public var key: String
        /// The value, if it matters.
        public var value: String?
        /// Whether `value` is a regular expression matched against the whole value.
        public var isRegex: Bool?
    }
}
