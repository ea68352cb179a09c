// A superset of GoogleContainerTools/container-structure-test's schema v2 `fileExistenceTests`
// and `metadataTest` (pkg/types/v2), plus the checks imgtool adds: platform, required paths,
// strict ELF, Prisma, a non-root user and a health check.
import ByteIO
import Foundation
import ImageArchive
import OCI
import Tar

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

// MARK: - Decoding: unknown keys are errors

// A misspelt key (`"arhc"`) would otherwise be ignored and its check silently skipped: each
// policy object rejects the keys it does not know, naming the valid ones.

extension Policy {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case schemaVersion, platform, arch, require, strictElf, prisma, fileExistenceTests, metadataTest
    }

    /// Decodes a policy object.
    /// - Throws: `DecodingError.dataCorrupted` for a key that is not one of ``CodingKeys`` (see
    ///   ``PolicyKey/rejectUnknownKeys(in:valid:)``), or the usual decoding errors.
    public init(from decoder: any Decoder) throws {
        try PolicyKey.rejectUnknownKeys(in: decoder, valid: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(String.self, forKey: .schemaVersion)
        platform = try c.decodeIfPresent(String.self, forKey: .platform)
        arch = try c.decodeIfPresent(String.self, forKey: .arch)
        require = try c.decodeIfPresent([String].self, forKey: .require)
        strictElf = try c.decodeIfPresent(Bool.self, forKey: .strictElf)
        prisma = try c.decodeIfPresent(String.self, forKey: .prisma).map { text in
            guard let mode = VerifyOptions.PrismaMode(rawValue: text) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: c.codingPath + [CodingKeys.prisma],
                        debugDescription: "expected \"auto\", \"force\" or \"off\", found \"\(text)\""))
            }
            return mode
        }
        fileExistenceTests = try c.decodeIfPresent([FileExistenceTest].self, forKey: .fileExistenceTests)
        metadataTest = try c.decodeIfPresent(MetadataTest.self, forKey: .metadataTest)
    }
}

extension Policy.FileExistenceTest {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, path, shouldExist, permissions, uid, gid, isExecutableBy
    }

    /// Decodes a `fileExistenceTests` entry, rejecting unknown keys.
    public init(from decoder: any Decoder) throws {
        try PolicyKey.rejectUnknownKeys(in: decoder, valid: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        path = try c.decode(String.self, forKey: .path)
        shouldExist = try c.decodeIfPresent(Bool.self, forKey: .shouldExist)
        permissions = try c.decodeIfPresent(String.self, forKey: .permissions)
        uid = try c.decodeIfPresent(Int.self, forKey: .uid)
        gid = try c.decodeIfPresent(Int.self, forKey: .gid)
        isExecutableBy = try c.decodeIfPresent(String.self, forKey: .isExecutableBy)
        if let who = isExecutableBy, !["owner", "group", "other", "any"].contains(who) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: c.codingPath + [CodingKeys.isExecutableBy],
                    debugDescription: "expected \"owner\", \"group\", \"other\" or \"any\", found \"\(who)\""))
        }
        if let p = permissions, !Self.isPermissionString(p) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: c.codingPath + [CodingKeys.permissions],
                    debugDescription: "expected permissions as `ls -l` shows them (10 characters, e.g. \"-rwxr-xr-x\"), found \"\(p)\""))
        }
    }

    /// Whether `text` reads like `ls -l`'s mode column: a type character, then nine of `rwx-`
    /// (with `sStT` for the set-id and sticky bits).
    static func isPermissionString(_ text: String) -> Bool {
        let chars = Array(text)
        return chars.count == 10 && chars.dropFirst().allSatisfy { "rwx-sStT".contains($0) }
    }
}

extension Policy.MetadataTest {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case envVars, unboundEnvVars, exposedPorts, unexposedPorts, entrypoint, cmd, workdir, volumes, unmountedVolumes,
            labels, user, userNotRoot, healthcheck
    }

    /// Decodes `metadataTest`, rejecting unknown keys.
    public init(from decoder: any Decoder) throws {
        try PolicyKey.rejectUnknownKeys(in: decoder, valid: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        envVars = try c.decodeIfPresent([Policy.KeyValue].self, forKey: .envVars)
        unboundEnvVars = try c.decodeIfPresent([Policy.KeyValue].self, forKey: .unboundEnvVars)
        exposedPorts = try c.decodeIfPresent([String].self, forKey: .exposedPorts)
        unexposedPorts = try c.decodeIfPresent([String].self, forKey: .unexposedPorts)
        entrypoint = try c.decodeIfPresent([String].self, forKey: .entrypoint)
        cmd = try c.decodeIfPresent([String].self, forKey: .cmd)
        workdir = try c.decodeIfPresent(String.self, forKey: .workdir)
        volumes = try c.decodeIfPresent([String].self, forKey: .volumes)
        unmountedVolumes = try c.decodeIfPresent([String].self, forKey: .unmountedVolumes)
        labels = try c.decodeIfPresent([Policy.KeyValue].self, forKey: .labels)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        userNotRoot = try c.decodeIfPresent(Bool.self, forKey: .userNotRoot)
        healthcheck = try c.decodeIfPresent(Bool.self, forKey: .healthcheck)
    }
}

extension Policy.KeyValue {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case key, value, isRegex
    }

    /// Decodes a `{"key", "value", "isRegex"}` entry, rejecting unknown keys.
    public init(from decoder: any Decoder) throws {
        try PolicyKey.rejectUnknownKeys(in: decoder, valid: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        value = try c.decodeIfPresent(String.self, forKey: .value)
        isRegex = try c.decodeIfPresent(Bool.self, forKey: .isRegex)
        if isRegex == true, let value, let why = Self.regexProblem(value) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: c.codingPath + [CodingKeys.value], debugDescription: "invalid regular expression '\(value)': \(why)"))
        }
    }

    /// Why `pattern` is no regular expression the `isRegex` comparison can use (it is matched
    /// whole, as `^(?:pattern)$`, with `NSRegularExpression`), or `nil` when it is one.
    static func regexProblem(_ pattern: String) -> String? {
        if (try? NSRegularExpression(pattern: pattern)) != nil, (try? NSRegularExpression(pattern: "^(?:" + pattern + ")$")) != nil {
            return nil
        }
        // NSRegularExpression says only "the value is invalid"; Swift's parser says why.
        do {
            _ = try Regex(pattern)
            return "not a regular expression ICU accepts"
        } catch {
            return "\(error)"
        }
    }
}

/// Any key of a JSON object, to find the ones a policy type does not know.
struct PolicyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    /// Throws when the object `decoder` holds has a key that is not one of `valid`.
    ///
    /// - Throws: `DecodingError.dataCorrupted` at the (first) unknown key's coding path: "unknown
    ///   key 'arhc' (did you mean 'arch'?); valid keys: …", the valid keys in declaration order. An
    ///   object that is not a JSON object is left to the decoding that follows.
    static func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(in decoder: any Decoder, valid: Keys.Type) throws {
        guard let object = try? decoder.container(keyedBy: PolicyKey.self) else { return }
        let names = Keys.allCases.map(\.stringValue)
        let unknown = object.allKeys.map(\.stringValue).filter { !names.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        var message = unknown.count == 1 ? "unknown key '\(first)'" : "unknown keys " + unknown.map { "'\($0)'" }.joined(separator: ", ")
        if unknown.count == 1, let near = names.min(by: { distance(first, $0) < distance(first, $1) }), distance(first, near) <= 2 {
            message += " (did you mean '\(near)'?)"
        }
        message += "; valid keys: " + names.joined(separator: ", ")
        throw DecodingError.dataCorrupted(
            .init(codingPath: decoder.codingPath + [PolicyKey(stringValue: first)], debugDescription: message))
    }

    /// The Levenshtein distance of two keys, ignoring case.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased().utf8)
        let y = Array(b.lowercased().utf8)
        var previous = Array(0...y.count)
        for (i, xc) in x.enumerated() {
            var current = [i + 1] + [Int](repeating: 0, count: y.count)
            for (j, yc) in y.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (xc == yc ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }
}
