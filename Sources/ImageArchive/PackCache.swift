import ByteIO
import Codec
import Gzip
import Zstd

/// Where ``ArchivePacker`` keeps the compressed members of the layers it packed, to reuse them:
/// a layer's member depends only on the layer's bytes, the format, the level and the
/// compressor's version, so a layer seen before is copied, not compressed again.
///
/// Nothing in the cache is trusted on its own. An entry is used only when its own SHA-256
/// checks out (a damaged entry is reported, removed and the layer compressed), and only for
/// a layer whose bytes then hash, in the same pass, to the digest the entry was made from
/// (``PackedArchive/outputMatchesInput`` says whether they all did). A warm pack therefore
/// reads and hashes every byte of the archive as a cold one does, and writes the same bytes.
///
/// On disk: one folder per compressor setting (`gzip-6-cdc131072-zlib1.2.13`,
/// `zstd-3-zstd1.5.4`) holding one file per layer, `<digest>-<size>.member` (see
/// ``PackCacheEntry``), written under a temporary name and renamed into place, so that packs
/// running at once never see half an entry; and `aliases/`, which maps a layer member whose
/// name does not carry its digest (`<id>/layer.tar` of Docker before 25) to the digest it had.
/// Least recently used entries go once the cache holds more than ``sizeLimit`` bytes.
public struct PackCache: Sendable, Equatable {
    /// The cache's folder; created when first written.
    public var directory: String
    /// The most bytes its entries may take; beyond that the least recently used go.
    public var sizeLimit: Int64
    /// Whether packs take members from it (`true`, the default) or only keep theirs in it
    /// (a pack again after ``PackCacheReport/mismatches``).
    public var readsEntries = true

    /// The default ``sizeLimit``: 2 GiB, some versions of a typical image in both formats.
    public static let defaultSizeLimit: Int64 = 2 << 30

    /// The data size from which a layer member is looked up and kept (64 KiB by default: below
    /// that, compressing costs about what a lookup does).
    public var minimumMemberSize: Int64 = PackCache.defaultMinimumMemberSize

    /// The default ``minimumMemberSize``: 64 KiB.
    public static let defaultMinimumMemberSize: Int64 = 64 << 10

    /// The default folder: `imgtool/pack` in the user's cache directory (`$XDG_CACHE_HOME`,
    /// `~/.cache`, or `~/Library/Caches` on macOS).
    ///
    /// - Parameter environment: Where `HOME` and `XDG_CACHE_HOME` are read.
    public static func defaultDirectory(environment: [String: String]) -> String {
        Directory.userCache(environment: environment) + "/imgtool/pack"
    }

    /// Describes a cache.
    ///
    /// - Parameters:
    ///   - directory: Its folder.
    ///   - sizeLimit: The most bytes it may hold (default 2 GiB).
    public init(directory: String, sizeLimit: Int64 = PackCache.defaultSizeLimit) {
        self.directory = directory
        self.sizeLimit = sizeLimit
    }

    /// The folder of one compressor setting.
    static func namespace(format: CompressionFormat, level: Int32, blockSize: Int) -> String {
        switch format {
        case .zstd: "zstd-\(level)-zstd\(ZstdCompressor.libraryVersion)\(ZstdCompressor.hasWorkers ? "" : "-st")"
        default: "gzip-\(level)-cdc\(blockSize)-zlib\(ParallelDeflater.libraryVersion)"
        }
    }

    /// The file of the entry for the layer `digest` (hex) whose member holds `uncompressedSize` bytes.
    func entryPath(namespace: String, digest: String, uncompressedSize: Int64) -> String {
        "\(directory)/\(namespace)/\(digest)-\(uncompressedSize).member"
    }

    /// The file that maps a member name (and data size) to the digest its data had.
    func aliasPath(name: String, size: Int64) -> String {
        "\(directory)/aliases/\(SHA256.hash(Array("\(name)\n\(size)".utf8)).hex)"
    }

    /// The digest (hex) a layer member's name gives: `blobs/sha256/<hex>` (OCI layouts,
    /// Docker 25+) and `<hex>.tar` (skopeo's and Docker's by-diff_id names); `nil` otherwise.
    static func digest(ofName name: String) -> String? {
        let last = name.split(separator: "/").last.map(String.init) ?? name
        if name.hasPrefix("blobs/sha256/"), PackCacheEntry.isHex64(last) { return last }
        if last.hasSuffix(".tar"), !name.contains("/") {
            let stem = String(last.dropLast(4))
            if PackCacheEntry.isHex64(stem) { return stem }
        }
        return nil
    }

    /// How old a temporary file must be before another pack takes it for one that a killed
    /// pack left: a day, longer than any pack takes (a pack's own are renamed when it ends).
    static let temporaryLifetime: Int64 = 86_400 * 1_000_000_000

    /// Removes the least recently used entries (by modification time, which a hit renews)
    /// until the entries take at most ``sizeLimit`` bytes, and temporary files (in any folder,
    /// `aliases/` too) that a pack killed mid-way left more than a day ago.
    ///
    /// - Returns: How many entries were removed.
    @discardableResult
    func evict(now: Int64) -> Int {
        var entries: [(path: String, size: Int64, modified: Int64)] = []
        let namespaces = (try? Directory.entries(of: directory)) ?? []
        for namespace in namespaces {
            let folder = "\(directory)/\(namespace)"
            for name in (try? Directory.entries(of: folder)) ?? [] {
                let path = "\(folder)/\(name)"
                guard let status = FileStatus.of(path), status.isRegularFile else { continue }
                if name.hasPrefix(".") {
                    if now - status.modified > Self.temporaryLifetime { try? FileStatus.remove(path) }
                } else if name.hasSuffix(".member") && namespace != "aliases" {
                    entries.append((path, status.size, status.modified))
                }
            }
        }
        var total = entries.reduce(0) { $0 + $1.size }
        var removed = 0
        for entry in entries.sorted(by: { $0.modified < $1.modified }) where total > sizeLimit {
            if (try? FileStatus.remove(entry.path)) != nil { removed += 1 }
            total -= entry.size
        }
        trimAliases(keeping: 4096)
        return removed
    }

    /// Keeps the `count` most recent aliases.
    private func trimAliases(keeping count: Int) {
        let folder = "\(directory)/aliases"
        let names = (try? Directory.entries(of: folder)) ?? []
        guard names.count > count else { return }
        let dated = names.compactMap { name in FileStatus.of("\(folder)/\(name)").map { ("\(folder)/\(name)", $0.modified) } }
        for (path, _) in dated.sorted(by: { $0.1 > $1.1 }).dropFirst(count) { try? FileStatus.remove(path) }
    }
}
