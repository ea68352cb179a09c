import ByteIO
import Gzip
import Zstd

/// Why ``ArchivePacker`` could not write its output, with the lower layer's error as it was
/// thrown. Failures of the input (a truncated, corrupt or unreadable archive) are
/// ``ArchiveError``s, as for every other reading.
public enum PackError: Error, CustomStringConvertible {
    /// Writing the packed archive failed: ``ByteIO/ByteIOError/isOutOfSpace`` tells a full disk
    /// from the rest.
    case write(ByteIOError)
    /// zlib failed while compressing (``Gzip/GzipError``).
    case compression(GzipError)
    /// zstd compression failed.
    case zstdCompression(ZstdError)
    /// The sink failed with an error of its own type.
    case sink(any Error)

    /// The error of a failed write or compression, wrapped.
    /// - Parameter error: What the deflater or the sink threw.
    package init(_ error: any Error) {
        switch error {
        case let e as PackError: self = e
        case let e as ByteIOError: self = .write(e)
        case let e as GzipError: self = .compression(e)
        case let e as ZstdError: self = .zstdCompression(e)
        default: self = .sink(error)
        }
    }

    /// The error underneath.
    public var underlying: any Error {
        switch self {
        case .write(let e): e
        case .compression(let e): e
        case .zstdCompression(let e): e
        case .sink(let e): e
        }
    }

    /// One line, subject first: "cannot write the packed archive: write /out.gz failed: No
    /// space left on device (errno 28)".
    public var description: String {
        "cannot write the packed archive: \(underlying)"
    }
}
