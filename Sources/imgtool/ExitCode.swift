import ByteIO
import Codec
import ImageArchive
import ImageVerify
import OCI
import Ship

/// The exit codes of imgtool, each a distinct outcome (documented in `imgtool --help` and the README).
enum ExitCode: Int32, CaseIterable {
    /// Success: the archive was read and, for `verify`, every check passed.
    case success = 0
    /// A check failed (`verify`), or any other runtime failure.
    case checkFailed = 1
    /// The archive is truncated: an interrupted download or copy.
    case truncated = 2
    /// The archive is corrupt: a checksum, CRC, digest or size does not match.
    case corrupt = 3
    /// Not a (well-formed) image archive: not a tar, bad or missing JSON, inconsistent layer count.
    case malformed = 4
    /// A compression imgtool does not read (zstd, xz, bzip2, zstd layers).
    case unsupported = 5
    /// The input cannot be opened or read.
    case io = 6
    /// No image matches `--platform` / `--image`.
    case noMatch = 7
    /// `ship`: the archive did not arrive (connection, authentication, host key, remote disk or
    /// permissions); nothing was published under its name.
    case shipFailed = 8
    /// `ship`: the archive arrived, but `--load` or `--then` failed on the remote.
    case remoteCommandFailed = 9
    /// A usage error: unknown option, missing argument (as swift-argument-parser's EX_USAGE).
    case usage = 64

    init(_ kind: ArchiveError.Kind) {
        switch kind {
        case .io: self = .io
        case .truncated: self = .truncated
        case .corrupt: self = .corrupt
        case .malformed: self = .malformed
        case .unsupported: self = .unsupported
        case .selection: self = .noMatch
        }
    }

    /// The help text's table.
    static let helpTable = """
        EXIT CODES:
          0   Success (for verify: every check passed).
          1   A check failed (verify), or another runtime failure.
          2   The archive is truncated (an interrupted download or copy).
          3   The archive is corrupt (checksum, CRC, digest or size mismatch).
          4   Not a well-formed image archive (not a tar, bad or missing JSON,
              inconsistent layer count).
          5   Compression imgtool does not read (zstd, xz, bzip2).
          6   The input cannot be opened or read.
          7   No image matches --platform or --image.
          8   ship: the archive did not arrive (connection, authentication, host
              key, remote disk or permissions); nothing was published.
          9   ship: the archive arrived, but --load or --then failed remotely.
          64  Usage error (unknown option, missing argument).
        """
}
