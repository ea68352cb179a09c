/// What can be wrong with a tar stream, each case locating the failure.
///
/// `member` names the archive member whose data the tar stream is (a layer such as
/// `blobs/sha256/ab12…`), `nil` for the archive itself; `offset` is a byte offset in that
/// (uncompressed) tar stream. The archive reader carries these whole, as
/// `TarError.tar(_:)`.
public enum TarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The stream ended before the archive did.
    case truncated(member: String?, offset: Int64, expected: String)
    /// A header block whose checksum does not add up.
    case badHeaderChecksum(member: String?, offset: Int64, expected: Int64, found: Int64)
    /// A header field that cannot be parsed.
    case badHeaderField(member: String?, offset: Int64, field: String, found: String)
    /// A PAX extended header that cannot be parsed.
    case badPAXRecord(member: String?, offset: Int64, reason: String)
    /// An entry name that climbs out of the root (`../`), which no honest writer produces.
    case unsafePath(member: String?, offset: Int64, path: String)

    /// The member the failure is in (`nil`: the archive's own tar stream).
    public var member: String? {
        switch self {
        case .truncated(let m, _, _), .badHeaderChecksum(let m, _, _, _), .badHeaderField(let m, _, _, _),
            .badPAXRecord(let m, _, _), .unsafePath(let m, _, _):
            m
        }
    }

    /// The offset of the failure in the tar stream.
    public var offset: Int64 {
        switch self {
        case .truncated(_, let o, _), .badHeaderChecksum(_, let o, _, _), .badHeaderField(_, let o, _, _),
            .badPAXRecord(_, let o, _), .unsafePath(_, let o, _):
            o
        }
    }

    /// A header that does not parse as one: its checksum, or its checksum field (so the first
    /// header of a stream that is not a tar at all).
    public var isBadHeader: Bool {
        switch self {
        case .badHeaderChecksum: true
        case .badHeaderField(_, _, let field, _): field == "chksum"
        default: false
        }
    }

    public var description: String {
        let at = member.map { "\($0): at byte \(offset) of the member" } ?? "at byte \(offset) of the archive"
        switch self {
        case .truncated(_, _, let expected):
            return "\(at): archive truncated: expected \(expected), found the end of the data (an interrupted download or copy?)"
        case .badHeaderChecksum(_, _, let expected, let found):
            return "\(at): tar header checksum mismatch: header says \(expected), bytes sum to \(found)"
        case .badHeaderField(_, _, let field, let found):
            return "\(at): tar header field '\(field)' is invalid: found \(found)"
        case .badPAXRecord(_, _, let reason):
            return "\(at): malformed PAX extended header: \(reason)"
        case .unsafePath(_, _, let path):
            return "\(at): entry '\(path)' climbs out of the root with '..'"
        }
    }
}
