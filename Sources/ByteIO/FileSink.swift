/// A ``ByteSink`` writing a file descriptor with `write(2)`: a file created by path, or stdout.
///
/// A write to a pipe whose reader has gone away throws ``ByteIOError``
/// with `EPIPE` (see ``ByteIOError/isBrokenPipe``), provided the process ignores `SIGPIPE`;
/// otherwise the signal ends the process first, as it does for any Unix tool.
public final class FileSink: ByteSink {
    /// The descriptor written to; `-1` once closed.
    public private(set) var fileDescriptor: Int32

    /// The path the sink was created at, for error messages; `nil` for a bare descriptor.
    public let path: String?

    /// Bytes written so far.
    public private(set) var bytesWritten: Int64 = 0

    private let closeOnDeinit: Bool

    /// Writes an already open descriptor, such as stdout (`1`).
    ///
    /// - Parameters:
    ///   - fileDescriptor: The descriptor to write to.
    ///   - closeOnDeinit: Whether the sink owns the descriptor and closes it when it goes away
    ///     (pass `false` for stdout).
    public init(fileDescriptor: Int32, closeOnDeinit: Bool) {
        self.fileDescriptor = fileDescriptor
        self.path = nil
        self.closeOnDeinit = closeOnDeinit
    }

    /// Writes a descriptor opened elsewhere in this module, naming its path in errors.
    init(fileDescriptor: Int32, closeOnDeinit: Bool, path: String) {
        self.fileDescriptor = fileDescriptor
        self.path = path
        self.closeOnDeinit = closeOnDeinit
    }

    /// Creates (or truncates) the file at `path` and writes to it.
    ///
    /// The corresponding system call is `open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)`,
    /// retried on `EINTR`.
    ///
    /// - Parameters:
    ///   - path: The file to create.
    ///   - mode: The permissions of a new file, before the umask.
    /// - Throws: ``ByteIOError`` when the file cannot be created.
    public init(creating path: String, mode: UInt32 = 0o644) throws {
        var fd: Int32
        repeat {
            fd = POSIX.openForWriting(path, mode: mode)
        } while fd < 0 && POSIX.lastErrno == POSIX.interrupted
        if fd < 0 {
            throw ByteIOError(operation: "open", errno: POSIX.lastErrno, path: path)
        }
        self.fileDescriptor = fd
        self.path = path
        self.closeOnDeinit = true
    }

    deinit {
        if closeOnDeinit && fileDescriptor >= 0 {
            _ = POSIX.closeFD(fileDescriptor)
        }
    }

    /// Writes all of `bytes`, looping over short writes.
    ///
    /// The corresponding system call is `write(fd, bytes, count)`, retried on `EINTR`.
    ///
    /// - Parameter bytes: The bytes to write; an empty buffer writes nothing.
    /// - Throws: ``ByteIOError`` when `write` fails (`EPIPE` included)
    ///   or the sink is closed.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard fileDescriptor >= 0 else {
            throw ByteIOError(operation: "write", errno: POSIX.badDescriptor, path: path)
        }
        var done = 0
        while done < bytes.count {
            let n = POSIX.writeFD(fileDescriptor, base + done, bytes.count - done)
            if n > 0 {
                done += n
                bytesWritten += Int64(n)
            } else if n == 0 {
                // write(2) returns 0 for a non-empty buffer only on odd devices; do not spin.
                throw ByteIOError(operation: "write", errno: POSIX.ioError, path: path)
            } else {
                let code = POSIX.lastErrno
                if code != POSIX.interrupted {
                    throw ByteIOError(operation: "write", errno: code, path: path)
                }
            }
        }
    }

    /// Does nothing: the sink holds no buffer, and it leaves the descriptor open (stdout stays
    /// usable). Call ``close()`` to close a file.
    public func finish() throws {}

    /// Closes the descriptor if the sink owns it; writing afterwards throws. Calling it twice
    /// does nothing.
    ///
    /// The corresponding system call is `close(fd)`.
    ///
    /// - Throws: ``ByteIOError`` when `close` reports an error (for
    ///   example a delayed write error on a network file system).
    public func close() throws {
        guard fileDescriptor >= 0 else { return }
        let fd = fileDescriptor
        fileDescriptor = -1
        if closeOnDeinit && POSIX.closeFD(fd) != 0 {
            let code = POSIX.lastErrno
            // After EINTR the descriptor is closed on Linux; retrying could close someone else's.
            if code != POSIX.interrupted {
                throw ByteIOError(operation: "close", errno: code, path: path)
            }
        }
    }
}
