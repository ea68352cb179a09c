/// A system call on a file, a pipe or a mapping that failed: which call, its `errno`, and the
/// path it was about.
///
/// Every failure of this module is one of these, so a caller can tell a full disk (`ENOSPC`)
/// from a permission error (`EACCES`) or a reader that went away (`EPIPE`) by ``errno``, without
/// reading the message. Higher layers carry it whole as their `underlying` error.
public struct ByteIOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The system call, such as `open`, `read`, `pread`, `write`, `fsync`, `rename` or `close`.
    public var operation: String
    /// The `errno` it failed with.
    public var errno: Int32
    /// The file it was about, if one is known (`nil` for stdin and stdout).
    public var path: String?

    /// Creates an error.
    /// - Parameters:
    ///   - operation: The system call.
    ///   - errno: Its `errno`.
    ///   - path: The file, if known.
    public init(operation: String, errno: Int32, path: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.path = path
    }

    /// Whether this is a write to a pipe whose reader went away (`EPIPE`), which a command-line
    /// tool usually treats as a quiet exit (`imgtool ... | head`).
    public var isBrokenPipe: Bool { errno == POSIX.brokenPipe }

    /// Whether the device is full (`ENOSPC`) or over its quota (`EDQUOT`).
    public var isOutOfSpace: Bool { POSIX.isOutOfSpace(errno) }

    /// The same error without its path, for a message that names the path already.
    public var withoutPath: ByteIOError { ByteIOError(operation: operation, errno: errno, path: nil) }

    /// The `strerror(3)` text of ``errno``, such as "No such file or directory".
    public var reason: String { POSIX.errorMessage(errno) }

    /// `open PATH failed: No such file or directory (errno 2)`.
    public var description: String {
        let subject = path.map { "\(operation) \($0)" } ?? operation
        return "\(subject) failed: \(reason) (errno \(errno))"
    }
}
