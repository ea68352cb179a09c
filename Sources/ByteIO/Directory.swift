/// Directories, with failures as ``ByteIOError``s like every other file operation here.
public enum Directory {
    /// Creates one directory (its parent must exist).
    ///
    /// The corresponding system call is `mkdir(path, mode)`, retried on `EINTR`.
    /// - Parameters:
    ///   - path: The directory to create.
    ///   - mode: Its permission bits (before the umask), e.g. `0o700`.
    /// - Throws: ``ByteIOError`` when it cannot be created (`EEXIST` when something is there).
    public static func create(_ path: String, mode: UInt32) throws(ByteIOError) {
        var rc: Int32
        repeat {
            rc = POSIX.makeDirectory(path, mode: mode)
        } while rc != 0 && POSIX.lastErrno == POSIX.interrupted
        if rc != 0 { throw ByteIOError(operation: "mkdir", errno: POSIX.lastErrno, path: path) }
    }
}
