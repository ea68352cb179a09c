import ByteIO
import OCI

/// One piece of an archive as it travels: a byte range of the file and its SHA-256.
///
/// Chunks are stored on the remote under their digest, so two archives that share bytes at chunk
/// granularity share chunks.
public struct Chunk: Sendable, Hashable, Codable {
    /// Where the chunk starts in the archive file.
    public var offset: Int64
    /// Its length in bytes (never 0).
    public var length: Int
    /// The SHA-256 of its bytes: its name in the remote chunk store.
    public var digest: Digest

    /// Creates a chunk.
    public init(offset: Int64, length: Int, digest: Digest) {
        self.offset = offset
        self.length = length
        self.digest = digest
    }
}

/// An archive cut into chunks, with the digest of the whole file.
public struct ChunkPlan: Sendable, Equatable {
    /// The chunks in file order; together they cover the file exactly.
    public var chunks: [Chunk]
    /// The file's size.
    public var size: Int64
    /// The SHA-256 of the whole file, checked on the remote before the file is published.
    public var digest: Digest

    /// Creates a plan.
    public init(chunks: [Chunk], size: Int64, digest: Digest) {
        self.chunks = chunks
        self.size = size
        self.digest = digest
    }

    /// The chunks with distinct digests, first occurrence first (a file with repeated content
    /// sends each distinct chunk once).
    public var distinctChunks: [Chunk] {
        var seen = Set<Digest>()
        return chunks.filter { seen.insert($0.digest).inserted }
    }
}
