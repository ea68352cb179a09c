import ByteIO
import Codec
import Gzip
import OCI
import Tar

/// What the single pass learnt about one member of the archive.
struct ArchiveMember: Sendable {
    /// What the member's bytes turned out to be.
    enum Content: Sendable {
        /// Not a regular file (directory, link), or nothing worth keeping.
        case none
        /// A small JSON document, kept.
        case json([UInt8])
        /// A layer: its entry table and DiffID (boxed: every member carries a `Content`, and
        /// few are layers, so that a member costs the bytes of its name and a few fields, not of
        /// a `LayerInfo`; an archive of a million tiny members stays small).
        indirect case layer(LayerInfo)
        /// A blob compressed with a format imgtool does not read.
        case unreadable(CompressionFormat)
        /// Anything else.
        case other
    }

    /// The cleaned member name.
    var name: String
    var kind: TarEntry.Kind
    /// Bytes of data in the archive.
    var size: Int64
    var headerOffset: Int64
    /// Stream offset of the member's data (the file offset, for an uncompressed file).
    var dataOffset: Int64 = 0
    /// For link members: the member they point at (cleaned, archive-relative).
    var linkTarget: String?
    /// SHA-256 of the member's bytes, when hashed.
    var digest: Digest?
    var content: Content = .none
}

/// A layer found while streaming.
struct LayerInfo: Sendable {
    var table: LayerTable
    /// SHA-256 of the uncompressed tar stream, when hashed.
    var diffID: Digest?
    /// Bytes of the uncompressed tar stream (known for gzip layers, or when hashed).
    var uncompressedSize: Int64
    /// How the blob is compressed.
    var compression: CompressionFormat
}
