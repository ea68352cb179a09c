import ByteIO
import Codec
import OCI
import Tar

/// Keeps, while ``ArchivePacker`` writes, the compressed members of the layers it compresses,
/// each in a temporary file of the cache; ``commit(digests:duplicates:)`` gives them their
/// final names once the pass has hashed the layers. It sees the compressor's output as a
/// ``Codec/CompressedMemberObserver``, on the writing thread.
///
/// The cache never fails the pack: the first error writing it (a full disk, no permission)
/// ends the recording, removes what it wrote and leaves a warning.
final class PackCacheRecorder: CompressedMemberObserver {
    /// A member kept, waiting for its layer's digest.
    struct Kept {
        var temporaryPath: String
        var name: String
        var size: Int64
        /// Where the member's data starts in the tar stream.
        var offset: Int64
        var entry: PackCacheEntry
    }

    private let cache: PackCache
    private let namespace: String
    /// The members to keep, by their place in the stream: the layer member's name, data size,
    /// and the tar offset of its data.
    private var expected: [Int: (name: String, size: Int64, offset: Int64)] = [:]
    /// Members not to keep after all (their padding is not zeros).
    private var forgotten: Set<Int> = []
    /// The member being written out.
    private var open: (index: Int, sink: FileSink, path: String, hasher: SHA256)?
    private(set) var kept: [Kept] = []
    /// Why recording stopped, if it did.
    private(set) var warning: String?
    private let token = UInt64.random(in: 0...UInt64.max)
    private var counter = 0

    init(cache: PackCache, namespace: String) {
        self.cache = cache
        self.namespace = namespace
    }

    deinit { discard() }

    /// Member number `index` of the stream will hold the data of the layer member `name`.
    func expect(member index: Int, name: String, size: Int64, at offset: Int64) {
        guard warning == nil else { return }
        expected[index] = (name, size, offset)
    }

    /// Member number `index` is not to be kept.
    func forget(member index: Int) {
        forgotten.insert(index)
    }

    func compressedBytes(_ bytes: UnsafeRawBufferPointer, ofMember index: Int) {
        guard warning == nil, expected[index] != nil else { return }
        do {
            if open?.index != index {
                let folder = "\(cache.directory)/\(namespace)"
                try Directory.createAll(folder, mode: 0o700)
                counter += 1
                let path = "\(folder)/.\(String(token, radix: 16))-\(counter).tmp"
                open = (index, try FileSink(creating: path), path, SHA256())
            }
            try open?.sink.write(bytes)
            open?.hasher.update(bytes)
        } catch {
            stop("cannot write the pack cache in \(cache.directory): \(error)")
        }
    }

    func memberEnded(_ member: CompressedMember, index: Int) {
        guard warning == nil, let open, open.index == index, let layer = expected.removeValue(forKey: index) else { return }
        self.open = nil
        let entry = PackCacheEntry(
            uncompressedSize: member.uncompressedSize, compressedSize: member.compressedSize, crc32: member.crc32,
            sha256: open.hasher.finalize().hex)
        do {
            try entry.trailer.withUnsafeBytes { try open.sink.write($0) }
            try open.sink.close()
            if forgotten.contains(index) {
                try? FileStatus.remove(open.path)
            } else {
                kept.append(Kept(temporaryPath: open.path, name: layer.name, size: layer.size, offset: layer.offset, entry: entry))
            }
        } catch {
            try? FileStatus.remove(open.path)
            stop("cannot write the pack cache in \(cache.directory): \(error)")
        }
    }

    /// Names the kept members after their layers' digests, as the pass computed them for the
    /// data at each member's tar offset (a member the reader saw otherwise is left out), and
    /// records an alias for each layer whose member name does not carry its digest.
    ///
    /// - Returns: How many entries were stored.
    func commit(digests: [Int64: ImageArchive.DataDigest]) -> Int {
        var stored = 0
        for member in kept {
            guard let found = digests[member.offset], found.size == member.size, found.digest.algorithm == "sha256",
                member.size + TarHeader.padding(member.size) == member.entry.uncompressedSize
            else {
                try? FileStatus.remove(member.temporaryPath)
                continue
            }
            let digest = found.digest
            let path = cache.entryPath(namespace: namespace, digest: digest.hex, uncompressedSize: member.entry.uncompressedSize)
            do {
                try FileStatus.rename(member.temporaryPath, to: path)
                stored += 1
                if PackCache.digest(ofName: member.name) != digest.hex {
                    try writeAlias(name: member.name, size: member.size, digest: digest.hex)
                }
            } catch {
                try? FileStatus.remove(member.temporaryPath)
                if warning == nil { warning = "cannot write the pack cache in \(cache.directory): \(error)" }
            }
        }
        kept = []
        return stored
    }

    /// Removes every temporary file (after a failed pass, or a failure writing the cache).
    func discard() {
        if let open {
            try? open.sink.close()
            try? FileStatus.remove(open.path)
            self.open = nil
        }
        for member in kept { try? FileStatus.remove(member.temporaryPath) }
        kept = []
        expected = [:]
    }

    private func stop(_ message: String) {
        warning = message
        discard()
    }

    private func writeAlias(name: String, size: Int64, digest: String) throws {
        let path = cache.aliasPath(name: name, size: size)
        try Directory.createAll("\(cache.directory)/aliases", mode: 0o700)
        let sink = try AtomicFileSink(destination: path)
        try Array("\(digest)\n".utf8).withUnsafeBytes { try sink.write($0) }
        try sink.commit()
    }
}
