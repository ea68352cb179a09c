import ByteIO
import Foundation
import OCI

/// Cuts a byte stream into content-defined chunks and hashes each one and the whole.
///
/// Boundaries depend only on the bytes near them, never on offsets, so an insertion or a change
/// early in a file moves the chunks after it without changing them, and a layer that two archives
/// share gives the same chunks in both:
///
/// - **Gzip members written by imgtool** (`imgtool pack`, and any gzip from ``Gzip/Deflater``): a
///   chunk always starts where such a member starts. They are recognised by their fixed header,
///   `1f 8b 08 00 00000000 xx ff` (no flags, mtime 0, OS 255, RFC 1952 section 2.3), which other
///   gzip writers do not produce (they set a time or an OS).
/// - **zstd frames**, in a stream that starts with one (`imgtool pack --zstd` writes a frame per
///   layer): a chunk always starts where a frame starts, recognised by its magic `28 b5 2f fd`
///   and a frame header descriptor with its reserved bits clear (RFC 8878, section 3.1.1.1.1).
/// - **Elsewhere**, a gear rolling hash (as in FastCDC) ends a chunk where its low bits are zero,
///   at least `minimum` and at most `maximum` bytes after the chunk's start.
///
/// The gear table and the parameters are part of the chunk store's format: changing them changes
/// every chunk name, so old chunks on a remote would no longer be reused.
public final class ChunkPlanner {
    /// Chunk sizes: the mean is about `average` for data without member boundaries.
    public struct Parameters: Sendable, Equatable {
        /// No content-defined boundary closer than this to a chunk's start.
        public var minimum: Int
        /// The mask of the rolling hash: a boundary where `hash & mask == 0`.
        public var mask: UInt64
        /// A boundary at this length whatever the content.
        public var maximum: Int

        /// Parameters for a mean chunk of `average` bytes (rounded to a power of two, at least 64 KiB):
        /// half of it is the minimum, the rolling hash adds the other half on average, and four
        /// times it is the maximum.
        public init(average: Int) {
            var a = 1 << 16
            while a < average && a < 1 << 30 { a <<= 1 }
            minimum = a / 2
            mask = UInt64(a / 2 - 1)
            maximum = a * 4
        }

        /// The default: 4 MiB on average (see the README for the measurement behind it).
        public static let standard = Parameters(average: 4 << 20)
    }

    /// The scanning state. The planner belongs to one thread at a time: the one that feeds it
    /// (the archive reader's input thread, when `ship` verifies), then the one that finishes it.
    private var state: ChunkScanner

    /// How many bytes a member header needs to be recognised.
    static let signatureLength = 10

    /// Creates a planner.
    /// - Parameters:
    ///   - parameters: The chunk sizes.
    ///   - hashesFile: Whether it hashes the whole stream for the plan's digest; `false` when
    ///     the caller hashes it elsewhere (on another thread) and gives the digest to
    ///     ``finish(fileDigest:)``.
    public init(parameters: Parameters = .standard, hashesFile: Bool = true) {
        state = ChunkScanner(parameters: parameters)
        state.hashesFile = hashesFile
    }

    /// Bytes scanned so far.
    public var bytesSeen: Int64 { state.bytesSeen }

    /// Scans the next bytes of the stream.
    /// - Parameter bytes: The bytes following those of the previous call.
    public func feed(_ bytes: UnsafeRawBufferPointer) {
        state.feed(bytes)
    }

    /// Ends the stream and returns the plan.
    public func finish() -> ChunkPlan {
        state.finish()
    }

    /// Ends the stream and returns the plan, whose digest is `fileDigest`: the SHA-256 of the
    /// same bytes, computed by the caller (a planner made with `hashesFile: false`).
    /// - Parameter fileDigest: The whole stream's SHA-256.
    public func finish(fileDigest: Digest) -> ChunkPlan {
        state.finish(fileDigest: fileDigest)
    }

    /// `1f 8b 08 00 00 00 00 00 ?? ff`: deflate, no flags, mtime 0, any XFL, OS 255.
    static func isMemberHeader(_ p: UnsafePointer<UInt8>) -> Bool {
        p[1] == 0x8B && p[2] == 8 && p[3] == 0 && p[4] == 0 && p[5] == 0 && p[6] == 0 && p[7] == 0 && p[9] == 0xFF
    }

    /// `28 b5 2f fd`, then a frame header descriptor whose unused and reserved bits (4, 3) are 0.
    static func isFrameHeader(_ p: UnsafePointer<UInt8>) -> Bool {
        p[1] == 0xB5 && p[2] == 0x2F && p[3] == 0xFD && p[4] & 0x18 == 0
    }

    /// Whether a stream that starts with `bytes` is zstd (its chunks then start at frames).
    static func startsWithZstdFrame(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 5 && bytes[0] == 0x28 && bytes[1] == 0xB5 && bytes[2] == 0x2F && bytes[3] == 0xFD
    }

    /// The gear table (``ByteIO/GearTable``), shared with pack's block boundaries.
    static let gear: [UInt64] = GearTable.values
}

/// The planner's state: the open chunk, the hashes, the chunks so far.
struct ChunkScanner {
    private let parameters: ChunkPlanner.Parameters
    private var chunkHasher = SHA256()
    private let fileHasher = SHA256()
    private var chunks: [Chunk] = []
    /// The absolute offset of the first byte not yet scanned.
    private var offset: Int64 = 0
    private var chunkStart: Int64 = 0
    private var rolling: UInt64 = 0
    /// The last bytes of the previous buffer, scanned only once what follows them is known
    /// (a member header is 10 bytes long).
    private var carry: [UInt8] = []
    private var finished = false
    /// The first byte of a member (gzip, `1f`) or frame (zstd, `28`) header, chosen by the
    /// stream's first bytes.
    private var marker: UInt8 = 0x1F
    private var zstd = false
    private var sniffed = false

    /// Whether the whole stream is hashed here (see ``ChunkPlanner/init(parameters:hashesFile:)``).
    var hashesFile = true

    init(parameters: ChunkPlanner.Parameters) {
        self.parameters = parameters
    }

    var bytesSeen: Int64 { offset + Int64(carry.count) }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard !finished, bytes.count > 0 else { return }
        if !sniffed {
            sniffed = true
            zstd = ChunkPlanner.startsWithZstdFrame(bytes)
            marker = zstd ? 0x28 : 0x1F
        }
        let look = ChunkPlanner.signatureLength - 1
        if !carry.isEmpty {
            if bytes.count < look {
                // A tiny read: join it to the carried bytes and go on as with one buffer.
                var joined = carry
                joined.append(contentsOf: bytes)
                carry = []
                joined.withUnsafeBytes { scanKeepingTail($0) }
                return
            }
            // Scan the carried bytes, with the start of this buffer as their look-ahead.
            var joined = carry
            joined.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<look]))
            let owned = carry.count
            carry = []
            joined.withUnsafeBytes { scan($0, owned: owned) }
        }
        scanKeepingTail(bytes)
    }

    /// Scans all of `bytes` but the last few, which are carried to the next call.
    private mutating func scanKeepingTail(_ bytes: UnsafeRawBufferPointer) {
        let look = ChunkPlanner.signatureLength - 1
        if bytes.count > look {
            scan(bytes, owned: bytes.count - look)
            carry = Array(UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - look)...]))
        } else {
            carry = Array(bytes)
        }
    }

    mutating func finish(fileDigest: Digest? = nil) -> ChunkPlan {
        if !finished {
            if !carry.isEmpty {
                let rest = carry
                carry = []
                rest.withUnsafeBytes { scan($0, owned: $0.count) }
            }
            if offset > chunkStart { cut(at: offset) }
            finished = true
        }
        return ChunkPlan(chunks: chunks, size: offset, digest: fileDigest ?? Digest(fileHasher.finalize()))
    }

    /// Scans `bytes[0..<owned]`; the bytes after `owned` are only looked at (member headers).
    ///
    /// The rolling hash at a position depends on the 64 bytes up to it alone (each step shifts
    /// the older bytes' terms one bit further out of the 64-bit word), and no content-defined
    /// boundary may come before `minimum` bytes into a chunk. So the hash is computed only from
    /// 64 bytes before that point on; before it, only member headers can end a chunk, and they
    /// are found with `memchr`. The boundaries are those of hashing every byte.
    private mutating func scan(_ bytes: UnsafeRawBufferPointer, owned: Int) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), owned > 0 else { return }
        let count = bytes.count
        let minimum = Int64(parameters.minimum)
        let maximum = Int64(parameters.maximum)
        let mask = parameters.mask
        var segmentStart = 0
        var h = rolling
        var i = 0
        ChunkPlanner.gear.withUnsafeBufferPointer { gear in
            while i < owned {
                let hashFrom = chunkStart + minimum - 64
                if offset + Int64(i) < hashFrom {
                    // Only a member header can end the chunk before `hashFrom`.
                    let stop = Int(min(Int64(owned), hashFrom - offset))
                    var header = -1
                    var j = i
                    while j < stop, let p = memchr(base + j, Int32(marker), stop - j) {
                        let k = UnsafePointer<UInt8>(p.assumingMemoryBound(to: UInt8.self)) - base
                        if offset + Int64(k) > chunkStart, k + 9 < count, isHeader(base + k) {
                            header = k
                            break
                        }
                        j = k + 1
                    }
                    if header >= 0 {
                        chunkHasher.update(UnsafeRawBufferPointer(start: base + segmentStart, count: header - segmentStart))
                        segmentStart = header
                        cut(at: offset + Int64(header))
                        i = header
                    } else {
                        i = stop
                    }
                    h = 0
                    continue
                }
                // Byte by byte: member headers, the rolling hash and the two limits.
                while i < owned {
                    let b = base[i]
                    let position = offset + Int64(i)
                    if b == marker, position > chunkStart, i + 9 < count, isHeader(base + i) {
                        chunkHasher.update(UnsafeRawBufferPointer(start: base + segmentStart, count: i - segmentStart))
                        segmentStart = i
                        cut(at: position)
                        h = 0
                        break
                    }
                    let length = position + 1 - chunkStart
                    h = (h &<< 1) &+ gear[Int(b)]
                    i += 1
                    if length >= maximum || (length >= minimum && h & mask == 0) {
                        chunkHasher.update(UnsafeRawBufferPointer(start: base + segmentStart, count: i - segmentStart))
                        segmentStart = i
                        cut(at: position + 1)
                        h = 0
                        break
                    }
                }
            }
        }
        chunkHasher.update(UnsafeRawBufferPointer(start: base + segmentStart, count: owned - segmentStart))
        if hashesFile { fileHasher.update(UnsafeRawBufferPointer(start: base, count: owned)) }
        offset += Int64(owned)
        rolling = h
    }

    /// A member header (gzip) or frame header (zstd) at `p`, whose first byte is ``marker``.
    private func isHeader(_ p: UnsafePointer<UInt8>) -> Bool {
        zstd ? ChunkPlanner.isFrameHeader(p) : ChunkPlanner.isMemberHeader(p)
    }

    private mutating func cut(at end: Int64) {
        guard end > chunkStart else { return }
        chunks.append(Chunk(offset: chunkStart, length: Int(end - chunkStart), digest: Digest(chunkHasher.finalize())))
        chunkHasher = SHA256()
        chunkStart = end
    }
}
