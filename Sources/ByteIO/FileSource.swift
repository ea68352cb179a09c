/// A ``ByteSource`` reading a file descriptor: a file opened by path, or stdin.
///
/// A regular file is read with `pread(2)` at the source's own position, so `skip(_:)` only moves
/// that position (no system call at all) and a walk over tar headers costs one `pread` per
/// header; the descriptor's own offset is left where it was. Anything else (pipes, terminals,
/// sockets) is read with `read(2)`, and skipping reads and discards.
public final class FileSource: ByteSource {
    /// The descriptor read from; `-1` once closed.
    public private(set) var fileDescriptor: Int32

    /// The path the source was opened from, for error messages; `nil` for a bare descriptor.
    public let path: String?

    /// Whether the descriptor is a regular file, so that `skip(_:)` can seek.
    public let isSeekableRegularFile: Bool

    /// Bytes read or skipped through this source since it was created.
    public private(set) var offset: Int64 = 0

    /// Bytes actually read from the descriptor, by ``read(into:)`` and ``read(into:at:)``
    /// (skipped bytes are not read): what a headers-only walk costs.
    public private(set) var bytesRead: Int64 = 0

    private let closeOnDeinit: Bool
    /// For a regular file: the file offset of the next byte, and the file's size when last seen.
    private var position: Int64 = 0
    private var knownSize: Int64 = 0

    /// Opens `path` for reading.
    ///
    /// The corresponding system call is `open(path, O_RDONLY | O_CLOEXEC)`, retried on `EINTR`.
    ///
    /// - Parameter path: The file to read.
    /// - Throws: ``ByteIOError`` when the file cannot be opened.
    public init(path: String) throws(ByteIOError) {
        var fd: Int32
        repeat {
            fd = POSIX.openForReading(path)
        } while fd < 0 && POSIX.lastErrno == POSIX.interrupted
        if fd < 0 {
            throw ByteIOError(operation: "open", errno: POSIX.lastErrno, path: path)
        }
        self.fileDescriptor = fd
        self.path = path
        self.closeOnDeinit = true
        let status = POSIX.fileStatus(fd)
        self.isSeekableRegularFile = status?.isRegularFile ?? false
        self.knownSize = status?.size ?? 0
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
        let status = POSIX.fileStatus(fileDescriptor)
        let start = status?.isRegularFile == true ? POSIX.seekRelative(fileDescriptor, 0) : -1
        // A regular file whose offset cannot be read is read with read(2), as a stream.
        self.isSeekableRegularFile = start >= 0
        self.position = max(0, start)
        self.knownSize = status?.size ?? 0
    }

    /// Opens `path`, or takes stdin for `-`: the one place the package reads "a path or stdin".
    ///
    /// Stdin is not closed when the source goes; its pipe buffer is enlarged
    /// (``enlargePipeBuffer()``) when `enlargingPipe` is set.
    /// - Parameters:
    ///   - path: A file path, or `-`.
    ///   - enlargingPipe: Whether to ask for a larger pipe buffer on stdin.
    /// - Throws: ``ByteIOError`` when the file cannot be opened.
    public static func open(pathOrStdin path: String, enlargingPipe: Bool = true) throws(ByteIOError) -> FileSource {
        guard path == "-" else { return try FileSource(path: path) }
        let stdin = FileSource(fileDescriptor: 0, closeOnDeinit: false)
        if enlargingPipe { stdin.enlargePipeBuffer() }
        return stdin
    }

    /// Asks for a 1 MiB pipe buffer when the descriptor is a pipe (stdin fed by `docker save` or
    /// `cat`), so that each `read` takes up to 1 MiB and the writer is woken less often. Only
    /// Linux supports it (`fcntl(fd, F_SETPIPE_SZ)`); a refusal is not an error.
    ///
    /// - Returns: Whether the pipe buffer was enlarged.
    @discardableResult
    public func enlargePipeBuffer() -> Bool {
        guard fileDescriptor >= 0, !isSeekableRegularFile, POSIX.isPipe(fileDescriptor) else { return false }
        return POSIX.setPipeSize(fileDescriptor, 1 << 20) > 0
    }

    deinit {
        if closeOnDeinit && fileDescriptor >= 0 {
            _ = POSIX.closeFD(fileDescriptor)
        }
    }

    /// The size of the file in bytes, when the descriptor is a regular file; `nil` otherwise.
    ///
    /// The corresponding system call is `fstat(fd)`; it is made on each access.
    public var size: Int64? {
        guard isSeekableRegularFile, fileDescriptor >= 0, let status = POSIX.fileStatus(fileDescriptor) else {
            return nil
        }
        return status.size
    }

    /// Reads up to `buffer.count` bytes.
    ///
    /// The corresponding system call is `pread(fd, buffer, count, position)` for a regular file
    /// and `read(fd, buffer, count)` otherwise, retried on `EINTR`.
    ///
    /// - Parameter buffer: Where the bytes go.
    /// - Returns: The number of bytes read; `0` only at the end of the file.
    /// - Throws: ``ByteIOError`` when `read` fails or the source is closed.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        guard fileDescriptor >= 0 else {
            throw ByteIOError(operation: "read", errno: POSIX.badDescriptor, path: path)
        }
        while true {
            let n =
                isSeekableRegularFile
                ? POSIX.readFD(fileDescriptor, base, buffer.count, at: position)
                : POSIX.readFD(fileDescriptor, base, buffer.count)
            if n >= 0 {
                offset += Int64(n)
                position += Int64(n)
                bytesRead += Int64(n)
                return n
            }
            let code = POSIX.lastErrno
            if code != POSIX.interrupted {
                throw ByteIOError(operation: isSeekableRegularFile ? "pread" : "read", errno: code, path: path)
            }
        }
    }

    /// Reads up to `buffer.count` bytes at `fileOffset` of a regular file, leaving the source's
    /// own position (and ``offset``) unchanged: for readers of one part of the file, such as a
    /// ``FileRangeSource``.
    ///
    /// The corresponding system call is `pread(fd, buffer, count, fileOffset)`, retried on `EINTR`.
    ///
    /// - Parameters:
    ///   - buffer: Where the bytes go.
    ///   - fileOffset: Where in the file to read.
    /// - Returns: The number of bytes read; `0` only at the end of the file.
    /// - Throws: ``ByteIOError`` when `pread` fails, the source is closed or
    ///   it is not a regular file (`ESPIPE`).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at fileOffset: Int64) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        guard fileDescriptor >= 0, isSeekableRegularFile else {
            throw ByteIOError(operation: "pread", errno: fileDescriptor < 0 ? POSIX.badDescriptor : POSIX.notSeekable, path: path)
        }
        while true {
            let n = POSIX.readFD(fileDescriptor, base, buffer.count, at: fileOffset)
            if n >= 0 {
                bytesRead += Int64(n)
                return n
            }
            let code = POSIX.lastErrno
            if code != POSIX.interrupted {
                throw ByteIOError(operation: "pread", errno: code, path: path)
            }
        }
    }

    /// The file offset of the next byte ``read(into:)`` reads, for a regular file.
    public var readPosition: Int64 { position }

    /// Moves past the next `count` bytes: on a regular file by moving the read position (never
    /// past the end of the file), otherwise by reading and discarding.
    ///
    /// The size of a regular file is taken from `fstat(fd)` when the source is opened, and again
    /// when a skip would pass it (the file may have grown).
    ///
    /// - Parameter count: How many bytes to pass over.
    /// - Returns: The number of bytes passed over: less than `count` only at the end of the file.
    /// - Throws: ``ByteIOError`` when `fstat` or `read` fails.
    public func skip(_ count: Int64) throws -> Int64 {
        if count <= 0 { return 0 }
        guard isSeekableRegularFile else {
            return try discardByReading(count)
        }
        guard fileDescriptor >= 0 else {
            throw ByteIOError(operation: "lseek", errno: POSIX.badDescriptor, path: path)
        }
        if count > knownSize - position {
            guard let status = POSIX.fileStatus(fileDescriptor) else {
                throw ByteIOError(operation: "fstat", errno: POSIX.lastErrno, path: path)
            }
            knownSize = status.size
        }
        let step = min(count, max(0, knownSize - position))
        position += step
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
            _ = POSIX.closeFD(fileDescriptor)
        }
        fileDescriptor = -1
    }
}
