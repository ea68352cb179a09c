/// How a tar stream ended: what ``TarReader`` found after the last entry, once ``TarReader/next()``
/// has returned `nil`.
///
/// Only ``marker`` proves a stream complete. The other two are what a reader that does not
/// require the marker (``TarReader/requiresEndMarker`` `false`: a layer inside an archive, whose
/// length is its member's and whose content its DiffID covers) accepts, as Go's `archive/tar`
/// does (its `Reader.Next` returns a clean `io.EOF` in both cases), and records here, so that
/// whoever holds the DiffID can tell a writer's habit from a layer cut short.
public enum TarEnd: Sendable, Equatable {
    /// The end-of-archive marker: two zero blocks (or one zero block at the very end of the
    /// stream).
    case marker
    /// The stream ended between two entries, without the zero blocks. Docker wrote layers
    /// like this.
    case withoutMarker
    /// The stream ended after the last entry's data, inside the padding that rounds that data
    /// up to 512 bytes (so without the zero blocks too). umoci 0.4.7's `insert` writes layers
    /// like this: it never closes its tar writer (umoci#436, fixed by umoci#534). The data
    /// itself is whole; whether the layer is is for its DiffID to say.
    /// - Parameters:
    ///   - entry: The last entry's name.
    ///   - offset: Where the stream ended (its length).
    ///   - missing: How many bytes of padding were absent (1 to 511).
    case insidePadding(entry: String, offset: Int64, missing: Int64)

    /// The truncation this ending is when nothing vouches for the stream: for ``insidePadding``,
    /// the error a reader that requires the marker reports, with `reason` after what it
    /// expected; `nil` for the other two (a stream that ends between entries is accepted as it is).
    /// - Parameters:
    ///   - member: The archive member whose content the stream is (a layer).
    ///   - reason: Why the ending does not stand, such as the DiffID that does not match.
    public func truncation(member: String?, reason: String? = nil) -> TarError? {
        guard case .insidePadding(let entry, let offset, _) = self else { return nil }
        let why = reason.map { " (\($0))" } ?? ""
        return .truncated(member: member, offset: offset, expected: "the padding after the data of '\(entry)'\(why)")
    }
}
