import ByteIO
import Codec
import OCI
import Tar

/// ``PackCache`` during one pack: looks layers up as their members start, keeps those it
/// compresses (through a ``PackCacheRecorder``), and at the end checks every member it reused
/// against the digest the pass computed, stores the new entries and trims the cache.
final class PackCacheSession {
    /// A member copied from the cache.
    struct Hit {
        var name: String
        /// Where its data starts in the tar stream, and how many bytes it is.
        var offset: Int64
        var size: Int64
        /// The digest (hex) of the layer the entry was made from.
        var digest: String
        /// The alias that led to it, for a member whose name does not carry its digest.
        var alias: String?
    }

    let cache: PackCache
    let recorder: PackCacheRecorder
    private let namespace: String
    private(set) var report: PackCacheReport
    private var hits: [Hit] = []

    /// A session for one pack with these compressor settings.
    init(cache: PackCache, format: CompressionFormat, level: Int32, blockSize: Int) {
        self.cache = cache
        namespace = PackCache.namespace(format: format, level: level, blockSize: blockSize)
        recorder = PackCacheRecorder(cache: cache, namespace: namespace)
        report = PackCacheReport(directory: cache.directory)
    }

    /// Whether a member of this data size is looked up and kept.
    func caches(size: Int64) -> Bool { size >= cache.minimumMemberSize }

    /// The cached member for the layer member `name` (cleaned) with `size` bytes of data from
    /// tar offset `offset`, checked end to end; `nil` (a miss) when there is none, or the one
    /// there is damaged (it is then removed and reported).
    ///
    /// - Returns: The entry and its mapping, to copy from offset 0.
    func lookup(name: String, size: Int64, at offset: Int64) -> (PackCacheEntry, MappedFile)? {
        guard size >= 0, size <= Int64.max - 511, cache.readsEntries else {
            report.misses += 1
            return nil
        }
        let padded = size + TarHeader.padding(size)
        var alias: String?
        let digest: String
        if let named = PackCache.digest(ofName: name) {
            digest = named
        } else if let aliased = readAlias(cache.aliasPath(name: name, size: size)) {
            digest = aliased
            alias = cache.aliasPath(name: name, size: size)
        } else {
            report.misses += 1
            return nil
        }
        let path = cache.entryPath(namespace: namespace, digest: digest, uncompressedSize: padded)
        do {
            guard let (entry, mapping) = try PackCacheEntry.open(path, uncompressedSize: padded) else {
                report.misses += 1
                return nil
            }
            try? FileStatus.touch(path)
            hits.append(Hit(name: name, offset: offset, size: size, digest: digest, alias: alias))
            report.hits += 1
            report.bytesReused += entry.compressedSize
            report.tarBytesReused += padded
            return (entry, mapping)
        } catch {
            report.damaged.append("\(path): \(error); removed, the layer compressed instead")
            try? FileStatus.remove(path)
            report.misses += 1
            return nil
        }
    }

    /// After a complete pass: checks the members reused against the digests computed (by where
    /// their data starts in the tar, so names play no part), stores the members compressed, and
    /// trims the cache.
    ///
    /// - Parameters:
    ///   - digests: Each regular member's data size and SHA-256 as the pass computed them, by
    ///     the tar offset where the data starts.
    ///   - now: The time, for the age of temporary files.
    /// - Returns: The report.
    func finish(digests: [Int64: ImageArchive.DataDigest], now: Int64) -> PackCacheReport {
        for hit in hits {
            let found = digests[hit.offset]
            guard found?.size != hit.size || found?.digest.algorithm != "sha256" || found?.digest.hex != hit.digest else { continue }
            let what = found.map { "its \($0.size) bytes hash to \($0.digest)" } ?? "the archive's reader found no member there"
            report.mismatches.append("\(hit.name): the cached member is of sha256:\(hit.digest), \(what)")
            if let alias = hit.alias { try? FileStatus.remove(alias) }
        }
        report.stored = recorder.commit(digests: digests)
        if let warning = recorder.warning { report.warnings.append(warning) }
        report.evicted = cache.evict(now: now)
        return report
    }

    /// After a failed pass: removes what was being kept.
    func abandon() { recorder.discard() }

    private func readAlias(_ path: String) -> String? {
        guard let file = try? FileSource(path: path) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 65)
        let n = (try? bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }) ?? 0
        guard n == 65, bytes[64] == 0x0A else { return nil }
        let hex = String(decoding: bytes[0..<64], as: UTF8.self)
        return PackCacheEntry.isHex64(hex) ? hex : nil
    }
}
