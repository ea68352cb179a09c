import ByteIO
import Foundation
import OCI

/// What `imgtool push` remembers between runs, in one small JSON file (by default
/// `imgtool/push-cache.json` in the user's cache directory):
///
/// - for each layer it compressed, the digest and size of the gzip it made (the compressor is
///   deterministic, so the same layer always gives the same blob): a second push asks the
///   registry for that digest (`HEAD`) instead of compressing and uploading again, as
///   containers/image's blob-info cache does for skopeo;
/// - each upload in progress, by registry, repository and layer: after an interruption the same
///   command asks the registry how much of it arrived and sends only the rest;
/// - which repositories of a registry hold a blob, to mount it from one of them.
///
/// It is a cache: every entry is checked against the registry or the archive before it counts,
/// a damaged file is ignored, and concurrent pushes merge what they write (the newer entry
/// wins). Each part keeps its most recently used entries, up to a bound.
public final class PushCache: @unchecked Sendable {
    /// A layer compressed before.
    public struct Layer: Codable, Sendable, Equatable {
        /// The gzip blob's digest.
        public var digest: Digest
        /// Its size.
        public var size: Int64
        /// The layer's uncompressed digest (diff_id), which the archive's must match; `nil` when
        /// the push that recorded it ended before the archive's end (the member's name and size
        /// are then all it is known by).
        public var diffID: Digest?
        /// When it was last used (seconds since 1970).
        public var used: Double
    }

    /// An upload in progress.
    public struct Upload: Codable, Sendable, Equatable {
        /// The location of its next request.
        public var location: String
        /// The bytes the registry held after the last chunk.
        public var committed: Int64
        /// The registry's `OCI-Chunk-Min-Length` when the upload began (0: none).
        public var minimumChunk: Int?
        /// When it was last used.
        public var used: Double
    }

    struct Contents: Codable {
        var version = 1
        var layers: [String: Layer] = [:]
        var uploads: [String: Upload] = [:]
        /// `registry/repository` names by blob digest.
        var repositories: [String: [String]] = [:]
    }

    /// The file, or `nil` when caching is off.
    public let path: String?
    private let lock = NSLock()
    private var contents = Contents()

    static let maximumLayers = 10_000
    static let maximumUploads = 500
    static let maximumBlobs = 10_000

    /// The default file: `<user cache>/imgtool/push-cache.json`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        Directory.userCache(environment: environment) + "/imgtool/push-cache.json"
    }

    /// Loads the cache (an unreadable or damaged file counts as empty).
    /// - Parameter path: The file, `nil` for no cache.
    public init(path: String?) {
        self.path = path
        if let path { contents = Self.load(path) ?? Contents() }
    }

    private static func load(_ path: String) -> Contents? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(Contents.self, from: data)
    }

    private static var now: Double { Date().timeIntervalSince1970 }

    /// The gzip blob recorded for a layer `key`.
    public func layer(_ key: String) -> Layer? { lock.withLock { contents.layers[key] } }

    /// Records the gzip blob made of a layer.
    public func recordLayer(_ key: String, digest: Digest, size: Int64, diffID: Digest?) {
        lock.withLock { contents.layers[key] = Layer(digest: digest, size: size, diffID: diffID, used: Self.now) }
        save()
    }

    /// Forgets a layer entry that turned out wrong.
    public func forgetLayer(_ key: String) {
        lock.withLock { contents.layers[key] = nil }
        save(forgettingLayer: key)
    }

    /// The upload in progress under `key`.
    public func upload(_ key: String) -> Upload? { lock.withLock { contents.uploads[key] } }

    /// Records where an upload stands (after each chunk).
    public func recordUpload(_ key: String, location: URL, committed: Int64, minimumChunk: Int) {
        lock.withLock {
            contents.uploads[key] = Upload(
                location: location.absoluteString, committed: committed, minimumChunk: minimumChunk, used: Self.now)
        }
        save()
    }

    /// Forgets an upload (completed, expired or failed).
    public func forgetUpload(_ key: String) {
        let had = lock.withLock { contents.uploads.removeValue(forKey: key) != nil }
        if had { save(removing: key) }
    }

    /// The repositories (`registry/repository`) known to hold `digest`.
    public func repositories(holding digest: Digest) -> [String] { lock.withLock { contents.repositories[digest.description] ?? [] } }

    /// Records that `repository` (`registry/repository`) holds `digest`.
    public func noteRepository(_ repository: String, holds digest: Digest) {
        let changed = lock.withLock {
            var list = contents.repositories[digest.description] ?? []
            guard list.first != repository else { return false }
            list.removeAll { $0 == repository }
            list.insert(repository, at: 0)
            contents.repositories[digest.description] = Array(list.prefix(8))
            return true
        }
        if changed { save() }
    }

    /// Writes the file: merged with what another push wrote meanwhile, trimmed to the bounds,
    /// into a temporary file renamed over it. A failure (a full disk, a read-only home) is
    /// ignored: the push does not depend on its cache.
    private func save(removing upload: String? = nil, forgettingLayer layer: String? = nil) {
        guard let path else { return }
        lock.withLock {
            if var disk = Self.load(path) {
                if let layer { disk.layers[layer] = nil }
                for (k, v) in disk.layers where (contents.layers[k]?.used ?? -1) < v.used { contents.layers[k] = v }
                if let upload { disk.uploads[upload] = nil }
                for (k, v) in disk.uploads where (contents.uploads[k]?.used ?? -1) < v.used { contents.uploads[k] = v }
                for (k, v) in disk.repositories where contents.repositories[k] == nil { contents.repositories[k] = v }
            }
            if contents.layers.count > Self.maximumLayers {
                let keep = contents.layers.sorted { $0.value.used > $1.value.used }.prefix(Self.maximumLayers)
                contents.layers = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
            }
            if contents.uploads.count > Self.maximumUploads {
                let keep = contents.uploads.sorted { $0.value.used > $1.value.used }.prefix(Self.maximumUploads)
                contents.uploads = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
            }
            if contents.repositories.count > Self.maximumBlobs {
                contents.repositories = Dictionary(
                    uniqueKeysWithValues: contents.repositories.prefix(Self.maximumBlobs).map { ($0.key, $0.value) })
            }
            guard let data = try? JSONEncoder().encode(contents) else { return }
            let directory = (path as NSString).deletingLastPathComponent
            try? Directory.createAll(directory, mode: 0o700)
            let temporary = "\(path).\(ProcessInfo.processInfo.processIdentifier).tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
            if rename(temporary, path) != 0 { unlink(temporary) }
        }
    }
}
