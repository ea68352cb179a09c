/// A ``ByteSink`` that writes a file under a temporary name beside its destination and renames
/// it into place only when ``commit()`` is called: readers of the destination see the old file
/// or the complete new one, never a partial one, and a write that fails or is abandoned leaves
/// nothing under the destination's name.
///
/// The temporary file is `.<name>.<pid>.<n>.tmp` in the destination's directory (so that the
/// rename stays within one file system), created with `O_EXCL`. ``discard()``, or the sink going
/// away uncommitted, removes it.
public final class AtomicFileSink: ByteSink {
    /// The path the file gets when committed.
    public let destination: String
    /// The path written until then.
    public let temporaryPath: String
    /// Bytes written so far.
    public var bytesWritten: Int64 { file.bytesWritten }
    /// Whether ``commit()`` renamed the file into place.
    public private(set) var isCommitted = false

    private let file: FileSink
    private var isDiscarded = false

    /// Creates the temporary file beside `destination`.
    ///
    /// The corresponding system call is `open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)`,
    /// with another name tried when one exists.
    ///
    /// - Parameters:
    ///   - destination: The file to write; its directory must exist and be writable.
    ///   - mode: The permissions of the new file, before the umask.
    /// - Throws: ``ByteIOError`` when the temporary file cannot be created.
    public init(destination: String, mode: UInt32 = 0o644) throws {
        self.destination = destination
        let slash = destination.lastIndex(of: "/")
        let directory = slash.map { String(destination[...$0]) } ?? ""
        let name = slash.map { String(destination[destination.index(after: $0)...]) } ?? destination
        let pid = POSIX.processID
        var attempt = 0
        while true {
            let candidate = "\(directory).\(name).\(pid).\(attempt).tmp"
            var fd: Int32
            repeat {
                fd = POSIX.createExclusive(candidate, mode: mode)
            } while fd < 0 && POSIX.lastErrno == POSIX.interrupted
            if fd >= 0 {
                temporaryPath = candidate
                file = FileSink(fileDescriptor: fd, closeOnDeinit: true, path: candidate)
                return
            }
            let code = POSIX.lastErrno
            guard code == POSIX.fileExists, attempt < 100 else {
                throw ByteIOError(operation: "open", errno: code, path: candidate)
            }
            attempt += 1
        }
    }

    deinit {
        if !isCommitted { discard() }
    }

    /// Writes all of `bytes` to the temporary file.
    ///
    /// - Parameter bytes: The bytes to write.
    /// - Throws: ``ByteIOError`` when `write` fails, or after
    ///   ``commit()`` or ``discard()``.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes)
    }

    /// Does nothing: the file is complete only when committed.
    public func finish() throws {}

    /// Flushes the file to stable storage, closes it and renames it to ``destination``,
    /// replacing any file there. Calling it again does nothing.
    ///
    /// The corresponding system calls are `fsync(fd)`, `close(fd)` and `rename(tmp, destination)`.
    ///
    /// - Throws: ``ByteIOError`` when one of them fails; the temporary
    ///   file is then removed.
    public func commit() throws {
        guard !isCommitted else { return }
        guard !isDiscarded else {
            throw ByteIOError(operation: "rename", errno: POSIX.badDescriptor, path: temporaryPath)
        }
        do {
            if file.fileDescriptor >= 0 && POSIX.syncFD(file.fileDescriptor) != 0 {
                throw ByteIOError(operation: "fsync", errno: POSIX.lastErrno, path: temporaryPath)
            }
            try file.close()
            if POSIX.renameFile(temporaryPath, destination) != 0 {
                throw ByteIOError(operation: "rename", errno: POSIX.lastErrno, path: "\(temporaryPath) to \(destination)")
            }
        } catch {
            discard()
            throw error
        }
        isCommitted = true
    }

    /// Closes and removes the temporary file; the destination is left as it was. Calling it
    /// again, or after ``commit()``, does nothing.
    ///
    /// The corresponding system calls are `close(fd)` and `unlink(tmp)`.
    public func discard() {
        guard !isCommitted, !isDiscarded else { return }
        isDiscarded = true
        try? file.close()
        _ = POSIX.removeFile(temporaryPath)
    }
}
