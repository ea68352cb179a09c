import ByteIO
import Foundation
import OCI

/// Where verdicts (``VerdictRecord``) are kept between commands: by default `imgtool/verdicts` in
/// the user's cache directory, one small JSON file per archive and set of check options.
///
/// ```
/// <dir>/<archive hex>.<options key>.json   a record, written under a temporary name and renamed
/// <dir>/files/<device>-<inode>             "<size> <mtime ns> <ctime ns> <archive hex>": the SHA-256
///                                          a file had when a record was made for it
/// ```
///
/// A record is only a hint until the file's bytes are hashed: `ship` finds the SHA-256 a file
/// had by its identity (device, inode, size and both times), skips inflating the archive when
/// a record for that SHA-256 and its options exists, and uses the record only if the SHA-256
/// it computes while it cuts the file into chunks is that one. A record that cannot be read or
/// decoded, is of another version, or names another archive or options, is ignored. Writing
/// never fails a command: the caller reports what ``record(_:file:)`` throws as a warning.
public struct VerdictCache: Sendable {
    /// The folder.
    public var directory: String
    /// The most records kept; the oldest go first.
    public var maximumRecords: Int

    /// The default folder: `imgtool/verdicts` in ``ByteIO/Directory/userCache(environment:)``.
    /// - Parameter environment: The environment to read `HOME` and `XDG_CACHE_HOME` from.
    public static func defaultDirectory(environment: [String: String]) -> String {
        Directory.userCache(environment: environment) + "/imgtool/verdicts"
    }

    /// Describes a cache.
    /// - Parameters:
    ///   - directory: Its folder.
    ///   - maximumRecords: The most records kept (default 256).
    public init(directory: String, maximumRecords: Int = 256) {
        self.directory = directory
        self.maximumRecords = maximumRecords
    }

    /// The key of a set of check options: the SHA-256 (hex) of their canonical text, which
    /// should name the imgtool version too (another version may check otherwise).
    /// - Parameter canonical: Every option that changes what the checks find, in a fixed order.
    public static func optionsKey(_ canonical: String) -> String {
        SHA256.hash(Array(canonical.utf8)).hex
    }

    /// The SHA-256 the file had when a record was made for it, if its identity is unchanged.
    /// - Parameter file: The file's status now.
    public func recordedDigest(of file: FileStatus) -> Digest? {
        guard file.isRegularFile, let text = try? Self.readSmallFile(aliasPath(file)) else { return nil }
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count == 4, words[0] == String(file.size), words[1] == String(file.modified), words[2] == String(file.changed)
        else { return nil }
        return try? Digest(parsing: "sha256:" + words[3].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The record for the archive `digest` and the check options `options`, if one is kept and
    /// sound.
    /// - Parameters:
    ///   - digest: The archive file's SHA-256.
    ///   - options: ``optionsKey(_:)`` of the check options.
    public func lookup(_ digest: Digest, options: String) -> VerdictRecord? {
        guard let text = try? Self.readSmallFile(recordPath(digest, options: options)),
            let record = try? JSONDecoder().decode(VerdictRecord.self, from: Data(text.utf8)),
            record.version == VerdictRecord.currentVersion, record.archive == digest, record.options == options, record.passed,
            !record.checks.isEmpty
        else { return nil }
        return record
    }

    /// Keeps `record` (only if every check passed), and, when `file` is given, the file's
    /// identity with its SHA-256; then removes the oldest records past ``maximumRecords``.
    /// - Parameters:
    ///   - record: The verdict.
    ///   - file: The archive file's status, read after it was last written (and renamed).
    /// - Throws: ``ByteIO/ByteIOError`` when the folder or a file cannot be written.
    public func record(_ record: VerdictRecord, file: FileStatus?) throws {
        guard record.passed else { return }
        try Directory.createAll(directory + "/files", mode: 0o700)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try Self.writeAtomically(Array(try encoder.encode(record)), to: recordPath(record.archive, options: record.options))
        if let file {
            let line = "\(file.size) \(file.modified) \(file.changed) \(record.archive.hex)\n"
            try Self.writeAtomically(Array(line.utf8), to: aliasPath(file))
        }
        prune()
    }

    // MARK: files

    func recordPath(_ digest: Digest, options: String) -> String { "\(directory)/\(digest.hex).\(options).json" }
    func aliasPath(_ file: FileStatus) -> String { "\(directory)/files/\(file.device)-\(file.inode)" }

    /// Removes the oldest records (and identities) past ``maximumRecords``.
    func prune() {
        for folder in [directory, directory + "/files"] {
            guard let names = try? Directory.entries(of: folder) else { continue }
            let files = names.filter { !$0.hasPrefix(".") && $0 != "files" }.compactMap { name -> (String, Int64)? in
                let path = folder + "/" + name
                guard let s = FileStatus.of(path), s.isRegularFile else { return nil }
                return (path, s.modified)
            }
            guard files.count > maximumRecords else { continue }
            for (path, _) in files.sorted(by: { $0.1 < $1.1 }).prefix(files.count - maximumRecords) {
                try? FileStatus.remove(path)
            }
        }
    }

    /// The text of a file of at most 64 KiB.
    static func readSmallFile(_ path: String) throws -> String {
        let source = try FileSource(path: path)
        defer { source.close() }
        var bytes = [UInt8](repeating: 0, count: 64 << 10)
        let n = try bytes.withUnsafeMutableBytes { try source.readFully(into: $0) }
        return String(decoding: bytes[..<n], as: UTF8.self)
    }

    /// Writes `bytes` under a temporary name beside `path`, then renames it to `path`, so that
    /// a concurrent reader sees the old file or the new one, never half of one.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let sink = try AtomicFileSink(destination: path, mode: 0o600)
        do {
            try bytes.withUnsafeBytes { try sink.write($0) }
            try sink.commit()
        } catch {
            sink.discard()
            throw error
        }
    }
}
