import Codec
import ImageArchive

/// What `imgtool pack` prints of a pack: the summary line, the cache's line, and `--json`'s
/// `pack` object.
extension PackCommand {
    /// `pack: wrote app.tar.gz: 1.1 GB tar -> 341.8 MB gzip (30.8%), 13 gzip members (4 on their own), level 6, 2 threads`
    static func summary(output: String, packed: PackedArchive, failedChecks: Int) -> String {
        let own = packed.members.filter { $0.tarMember != nil }.count
        let percent = packed.tarBytes > 0 ? Format.decimal(Double(packed.compressedBytes) * 100 / Double(packed.tarBytes), places: 1) : "0"
        let zstd = packed.format == .zstd
        var line =
            "pack: wrote \(output): \(Format.bytes(packed.tarBytes)) tar -> \(Format.bytes(packed.compressedBytes)) \(packed.format.rawValue) (\(percent)%)"
        line +=
            ", \(Format.plural(packed.members.count, zstd ? "zstd frame" : "gzip member", zstd ? "zstd frames" : "gzip members")) (\(own) on their own)"
        line += ", level \(packed.level), \(Format.plural(packed.threads, "thread", "threads"))"
        if failedChecks > 0 { line += ", despite \(Format.plural(failedChecks, "failed check", "failed checks")) (--force)" }
        line += "\n"
        if let cache = packed.cache, cache.hits + cache.misses > 0 {
            line += "pack: cache: \(cache.hits) of \(Format.plural(cache.hits + cache.misses, "layer", "layers")) reused"
            if cache.hits > 0 { line += " (\(Format.bytes(cache.tarBytesReused)) not compressed again)" }
            line += ", \(cache.misses) compressed"
            if cache.stored > 0 { line += ", \(cache.stored) stored" }
            if cache.evicted > 0 { line += ", \(Format.plural(cache.evicted, "old entry", "old entries")) removed" }
            line += "\n"
        }
        return line
    }

    /// Prints on stderr what went wrong with the cache: damaged entries, and why it could not
    /// be written (the pack goes on either way).
    static func reportCache(_ cache: PackCacheReport?, io: Output) {
        guard let cache else { return }
        for damaged in cache.damaged { io.err("pack: cache entry damaged: \(damaged)\n") }
        for warning in cache.warnings { io.err("pack: \(warning); the pack goes on without it\n") }
    }

    /// The `pack` object of `--json`: the output, and where each gzip member (zstd frame) lies.
    struct JSONPack: Encodable {
        var output: String
        /// Whether the output was written (renamed into place).
        var written: Bool
        /// `gzip` or `zstd`.
        var format: String
        var level: Int32
        /// Bytes of the compressed output.
        var bytes: Int64
        /// Bytes of the tar it decompresses to.
        var tarBytes: Int64
        var members: [Member]
        /// What the cache did: hits, misses, bytes reused; absent with `--no-cache`.
        var cache: PackCacheReport?

        struct Member: Encodable {
            var compressedOffset: Int64
            var compressedSize: Int64
            var tarOffset: Int64
            var tarSize: Int64
            /// gzip only: the CRC-32 of the member's tar bytes.
            var crc32: UInt32?
            /// The tar member whose data this gzip member holds alone; absent for grouped headers and small members.
            var tarMember: String?
        }

        init(output: String, written: Bool, packed: PackedArchive) {
            self.output = output
            self.written = written
            format = packed.format.rawValue
            level = packed.level
            bytes = packed.compressedBytes
            tarBytes = packed.tarBytes
            cache = packed.cache
            members = packed.members.map { m in
                Member(
                    compressedOffset: m.compressed.compressedOffset, compressedSize: m.compressed.compressedSize,
                    tarOffset: m.compressed.uncompressedOffset, tarSize: m.compressed.uncompressedSize, crc32: m.compressed.crc32,
                    tarMember: m.tarMember)
            }
        }
    }
}
