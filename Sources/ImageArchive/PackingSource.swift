import ByteIO
import Codec
import OCI
import Tar

/// The tar stream that ``ArchivePacker`` hands to the reader: every byte read through it is
/// also compressed, member-aligned, into a ``Codec/MemberCompressor`` (gzip or zstd), so that the archive is read
/// once and verified while it is written.
///
/// Skipped bytes are read through, so that the output gets them too.
final class PackingSource: ByteSource {
    private var source: any ByteSource
    private var deflater: any MemberCompressor
    private var splitter: TarSpanSplitter
    /// The entry whose data the current gzip member holds (`nil`: a group); meaningful once
    /// `memberStarted`.
    private var currentOwner: Int?
    private var memberStarted = false
    /// For each gzip member begun, the tar member it holds alone, if any.
    private(set) var owners: [String?] = []
    /// The cache the members of layers are taken from and kept in, if any.
    private let cache: PackCacheSession?
    /// Whether the current member was copied from the cache: its data passes to the reader only.
    private var reused = false
    /// For the member copied from the cache: its name, the bytes it decompresses to, and the
    /// bytes of the archive it stands for so far.
    private var reuse: (name: String, expected: Int64, seen: Int64)?
    /// Members copied from the cache that stood for another number of bytes than the archive
    /// holds (a member cut short, or not padded): the output is then not the input's.
    private(set) var reuseMismatches: [String] = []
    /// The large member whose data is passing: its name, data size, and the bytes of its data
    /// and padding seen so far (to check that the padding is zeros, which the cache assumes).
    private var owned: (name: String, size: Int64, seen: Int64, member: Int)?
    /// Tar bytes passed through so far.
    private(set) var count: Int64 = 0

    private lazy var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 64)
    private var hasScratch = false

    /// Reads `source` and compresses what it reads into `deflater`.
    ///
    /// - Parameters:
    ///   - source: The uncompressed tar stream.
    ///   - deflater: Where the same bytes go, one member (gzip member, zstd frame) per large tar member.
    ///   - minimumOwnSize: Regular members with at least this much data get a member of their own.
    ///   - cache: Where layers' members are taken from and kept, if anywhere.
    init(_ source: any ByteSource, deflater: any MemberCompressor, minimumOwnSize: Int64, cache: PackCacheSession? = nil) {
        self.source = source
        self.deflater = deflater
        self.cache = cache
        if let cache { self.deflater.observer = cache.recorder }
        self.splitter = TarSpanSplitter(minimumOwnSize: minimumOwnSize)
    }

    deinit { if hasScratch { scratch.deallocate() } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        if n > 0 { try pack(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        return n
    }

    func skip(_ count: Int64) throws -> Int64 {
        if count <= 0 { return 0 }
        hasScratch = true
        var done: Int64 = 0
        while done < count {
            let want = Int(min(Int64(scratch.count), count - done))
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<want]))
            if n == 0 { break }
            done += Int64(n)
        }
        return done
    }

    /// Ends the last member and waits for the compression to finish.
    ///
    /// - Throws: ``PackError``.
    func finish() throws {
        endReuse()
        do { try deflater.finish() } catch { throw PackError(error) }
    }

    /// Compresses `bytes`, starting a gzip member wherever the splitter says a large member's
    /// data starts or ends.
    private func pack(_ bytes: UnsafeRawBufferPointer) throws {
        count += Int64(bytes.count)
        var offset = 0
        do {
            while offset < bytes.count {
                let span = splitter.next(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                let owner = span.owner?.entry
                if memberStarted && owner != currentOwner {
                    if !reused { try deflater.endMember() }
                    memberStarted = false
                    endReuse()
                }
                if !memberStarted {
                    owned = nil
                    if let o = span.owner { try start(o, at: count - Int64(bytes.count) + Int64(offset)) }
                    owners.append(span.owner?.name)
                    currentOwner = owner
                    memberStarted = true
                }
                let piece = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + span.count)])
                if owned != nil { checkPadding(piece) }
                if reused {
                    reuse?.seen += Int64(span.count)
                } else {
                    try deflater.write(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + span.count)]))
                }
                offset += span.count
            }
        } catch {
            throw PackError(error)
        }
    }

    /// The member copied from the cache ends: it must have stood for as many bytes as it holds.
    private func endReuse() {
        if let reuse, reuse.seen != reuse.expected {
            reuseMismatches.append("\(reuse.name): the cached member holds \(reuse.expected) bytes, the archive \(reuse.seen)")
        }
        reuse = nil
        reused = false
    }

    /// The padding after a large member's data must be zeros (the cache's members hold it, and
    /// the digests do not cover it): where it is not, the member is neither kept nor, if it
    /// came from the cache, right.
    private func checkPadding(_ piece: UnsafeRawBufferPointer) {
        guard let o = owned else { return }
        let start = o.seen
        owned?.seen += Int64(piece.count)
        guard start + Int64(piece.count) > o.size else { return }
        let from = Int(max(0, o.size - start))
        guard piece[from...].contains(where: { $0 != 0 }) else { return }
        if reused {
            reuseMismatches.append("\(o.name): its tar padding is not zeros, the cached member's is")
        } else {
            cache?.recorder.forget(member: o.member)
        }
        owned = nil
    }

    /// A large member's data starts at tar offset `offset`: copies its member from the cache
    /// when the cache has it, else tells the cache to keep the member about to be compressed.
    private func start(_ o: TarSpanSplitter.Owner, at offset: Int64) throws {
        guard let cache, cache.caches(size: o.size) else { return }
        let name = PathCleaner.clean(o.name) ?? o.name
        owned = (name, o.size, 0, owners.count)
        if let (entry, mapping) = cache.lookup(name: name, size: o.size, at: offset) {
            try withExtendedLifetime(mapping) {
                try deflater.appendCompressedMember(uncompressedSize: entry.uncompressedSize, crc32: entry.crc32) { write in
                    try PackCacheEntry.pieces(of: mapping, count: entry.compressedSize) { try write($0) }
                }
            }
            reused = true
            reuse = (name, entry.uncompressedSize, 0)
        } else {
            cache.recorder.expect(member: owners.count, name: name, size: o.size, at: offset)
        }
    }
}
