import Codec
import OCI
import Tar

/// How a layer's tar stream ended, judged with its DiffID.
///
/// The layer reader accepts a layer that ends inside the padding after its last entry's data
/// (``Tar/TarEnd/insidePadding(entry:offset:missing:)``), as Go's `archive/tar`, and so Docker,
/// podman and skopeo, do: umoci 0.4.7's `insert` writes every layer that way (umoci#436). The
/// same bytes are what a layer cut short inside its last padding looks like. The DiffID tells
/// the two apart: a layer whose bytes hash to the DiffID its config names is whole, as written;
/// one whose bytes do not, or that no DiffID vouches for, is the truncation a strict reader
/// reports.
extension ImageResolver {
    /// Throws the truncation a layer that ended inside its last padding is, unless its DiffID
    /// matches `expected`.
    /// - Parameters:
    ///   - m: The layer's member.
    ///   - info: What the pass found in it.
    ///   - expected: The DiffID the config names for it, if any.
    /// - Throws: ``ArchiveError/tar(_:)`` with ``Tar/TarError/truncated(member:offset:expected:)``.
    mutating func checkEnd(of m: ArchiveMember, _ info: LayerInfo, expected: Digest?) throws {
        guard let end = info.table.ending, case .insidePadding = end else { return }
        // An uncompressed layer read headers only was not hashed in the pass: hashed here, from
        // the file (a gzip layer is always inflated, and hashed, whole).
        let actual = try info.diffID ?? (info.compression == .none ? memberDigestFromFile(m) : nil)
        let reason: String
        switch (expected, actual) {
        case (let expected?, let actual?) where expected == actual:
            return
        case (let expected?, let actual?):
            reason =
                "the layer ends inside it, and its bytes hash to \(actual), not to the diff_id \(expected) its config names: the layer is cut short"
        case (.some, nil):
            reason = "the layer ends inside it, and its bytes could not be hashed to check its diff_id"
        case (nil, _):
            reason = "the layer ends inside it, and its config names no diff_id that would show the layer whole"
        }
        guard let truncation = end.truncation(member: m.name, reason: reason) else { return }
        throw ArchiveError.tar(truncation)
    }
}
