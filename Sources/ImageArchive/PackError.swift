import ByteIO
import Codec
import Gzip
import OCI
import Tar

/// Why ``ArchivePacker`` could not write its output. Failures of the input (a truncated,
/// corrupt or unreadable archive) are ``ArchiveError``s, as for every other reading.
public enum PackError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Compressing or writing the packed archive failed; `reason` is the underlying error's
    /// description (for example a `write` that failed with "No space left on device").
    case output(reason: String)

    /// One line, subject first.
    public var description: String {
        switch self {
        case .output(let reason):
            return "cannot write the packed archive: \(reason)"
        }
    }
}
