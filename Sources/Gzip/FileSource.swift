/// A ``ByteSource`` reading a file descriptor with `read(2)`: a file opened by path, or stdin.
///
/// `skip(_:)` seeks with `lseek(2)` when the descriptor is a regular file, and reads and
/// discards otherwise (pipes, terminals, sockets).
public final class FileSource: ByteSource {
    /// The descriptor read from; `-1` once closed.
    public private(set) var fileDescriptor: Int32

    /// The path the source was opened from, for error messages; `nil` for a bare descriptor.
    public let path: String?

    /// Whether the descriptor is a regular file, so that `skip(_:)` can seek.
    public let isSeekableRegularFile: Bool

    /// Bytes read or skipped through this source since it was created.
    public private(set) var offset: Int64 = 0

    private let closeOnDeinit: Bool

    /// Opens `path` for reading.
    ///
    /// The corresponding system call is `open(path, O_RDONLY | O_CLOEXEC)`, retried on `EINTR`.
    ///
    /// - Parameter path: The file to read.
    /// - Throws: ``GzipError/io(operation:errno:path:)`` when the file cannot be opened.
    public init(path: String) throws {
        var fd: Int32
        repeat {
            fd = Platform.openForReading(path)
        } while fd < 0 && Platform.lastErrno == Platform.interrupted
        if fd < 0 {
            throw GzipError.io(operation: "open", errno: Platform.lastErrno, path: path)
        }
        self.fileDescriptor = fd
        self.path = path
        self.closeOnDeinit = true
        self.isSeekableRegularFile = Platform.fileStatus(fd)?.isRegularFile ?? false
    }

    /// Reads an already open descriptor, such as stdin (`0`).
    ///
    /// - Parameters:
    ///   - fileDescriptor: The descriptor to read from.
    ///   - closeOnDeinit: Whether the source owns the descriptor and closes it when it goes away
    ///     (pass `false` for stdin).
    public init(fileDescriptor: Int32, closeOnDeinit: Bool) {
        self.fileDescriptor = fileDescriptor
        self.path = nil
        self.closeOnDeinit = closeOnDeinit
        self.isSeekableRegularFile = Platform.fileStatus(fileDescriptor)?.isRegularFile ?? false
    }

    deinit {
        if closeOnDeinit && fileDescriptor >= 0 {
            _ = Platform.closeFD(fileDescriptor)
        }
    }

    /// The size of the file in bytes, when the descriptor is a regular file; `nil` otherwise.
    ///
    /// The corresponding system call is `fstat(fd)`; it is made on each access.
    public var size: Int64? {
        guard isSeekableRegularFile, fileDescriptor >= 0, let status = Platform.fileStatus(fileDescriptor) else {
            return nil
        }
        return status.size
    }

    /// Reads up to `buffer.count` bytes.
    ///
    /// The corresponding system call is `read(fd, buffer, count)`, retried on `EINTR`.
    ///
    /// - Parameter buffer: Where the bytes go.
    /// - Returns: The number of bytes read; `0` only at the end of the file.
    /// - Throws: ``GzipError/io(operation:errno:path:)`` when `read` fails or the source is closed.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        guard fileDescriptor >= 0 else {
            throw GzipError.io(operation: "read", errno: Platform.badDescriptor, path: path)
        }
        while true {
            let n = Platform.readFD(fileDescriptor, base, buffer.count)
            if n >= 0 {
                offset += Int64(n)
                return n
            }
            let code = Platform.lastErrno
            if code != Platform.interrupted {
                throw GzipError.io(operation: "read", errno: code, path: path)
            }
        }
    }

    /// Moves past the next `count` bytes: with `lseek(fd, n, SEEK_CUR)` on a regular file (never
    /// past its end), by reading and discarding otherwise.
    ///
    /// - Parameter count: How many bytes to pass over.
    /// - Returns: The number of bytes passed over: less than `count` only at the end of the file.
    /// - Throws: ``GzipError/io(operation:errno:path:)`` when `lseek`, `fstat` or `read` fails.
    public func skip(_ count: Int64) throws -> Int64 {
        if count <= 0 { return 0 }
        guard isSeekableRegularFile else {
            return try discardByReading(count)
        }
        guard fileDescriptor >= 0 else {
            throw GzipError.io(operation: "lseek", errno: Platform.badDescriptor, path: path)
        }
        let position = Platform.seekRelative(fileDescriptor, 0)
        guard position >= 0 else {
            throw GzipError.io(operation: "lseek", errno: Platform.lastErrno, path: path)
        }
        guard let status = Platform.fileStatus(fileDescriptor) else {
            throw GzipError.io(operation: "fstat", errno: Platform.lastErrno, path: path)
        }
        let step = min(count, max(0, status.size - position))
        if step > 0 && Platform.seekRelative(fileDescriptor, step) < 0 {
            throw GzipError.io(operation: "lseek", errno: Platform.lastErrno, path: path)
        }
        offset += step
        return step
    }

    /// Closes the descriptor if the source owns it; reading afterwards throws. Calling it twice
    /// does nothing.
    ///
    /// The corresponding system call is `close(fd)`; its result is ignored, as nothing was written.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        if closeOnDeinit {
            _ = Platform.closeFD(fileDescriptor)
        }
        fileDescriptor = -1
    }
}
