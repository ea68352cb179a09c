import Codec

/// One member of a packed archive (a gzip member, or a zstd frame), and what of the outer tar it holds.
public struct PackedMember: Sendable, Equatable {
    /// Where the member lies in the compressed output and in the tar.
    public var compressed: CompressedMember
    /// The outer tar member whose data (with its padding, without its header) this gzip member
    /// holds alone, such as `blobs/sha256/…` or `<diffid>.tar`; `nil` for a member that groups
    /// tar headers, small members and the end-of-archive blocks.
    public var tarMember: String?

    /// Describes a member.
    ///
    /// - Parameters:
    ///   - compressed: Its place in the compressed and the uncompressed stream.
    ///   - tarMember: The tar member whose data it holds alone, if any.
    public init(compressed: CompressedMember, tarMember: String?) {
        self.compressed = compressed
        self.tarMember = tarMember
    }
}
