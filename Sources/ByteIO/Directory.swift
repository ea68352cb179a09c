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

    /// The user's cache directory: `~/Library/Caches` on Apple platforms, `$XDG_CACHE_HOME` (an
    /// absolute path) or else `~/.cache` elsewhere. Not created here.
    /// - Parameter environment: The environment to read `HOME` and `XDG_CACHE_HOME` from.
    public static func userCache(environment: [String: String]) -> String {
        POSIX.userCacheDirectory(environment: environment)
    }

    /// Creates `path` and every missing parent (`mkdir -p`).
    /// - Parameters:
    ///   - path: An absolute directory path.
    ///   - mode: The permission bits of the directories created.
    /// - Throws: ``ByteIOError`` when one cannot be created (not when it exists).
    public static func createAll(_ path: String, mode: UInt32) throws(ByteIOError) {
        var built = ""
        for component in path.split(separator: "/") {
            built += "/" + component
            do { try create(built, mode: mode) } catch  where error.errno == POSIX.fileExists {}
        }
    }
}

extension Directory {
    /// The names in a directory, `.` and `..` left out, in no particular order.
    ///
    /// The corresponding system calls are `opendir(path)`, `readdir` and `closedir`.
    /// - Parameter path: The directory.
    /// - Throws: ``ByteIOError`` when it cannot be opened.
    public static func entries(of path: String) throws(ByteIOError) -> [String] {
        guard let names = POSIX.directoryEntries(path) else {
            throw ByteIOError(operation: "opendir", errno: POSIX.lastErrno, path: path)
        }
        return names
    }
}

/// What `stat(2)` says of a path, and the few operations on a path by name.
public struct FileStatus: Sendable, Equatable {
    /// Whether it is a regular file.
    public var isRegularFile: Bool
    /// Its size in bytes.
    public var size: Int64
    /// Its modification time, in nanoseconds since 1970.
    public var modified: Int64
    /// Its status change time (`st_ctime`: any write, rename or change of its metadata), in
    /// nanoseconds since 1970; unlike ``modified``, no one can set it back.
    public var changed: Int64 = 0
    /// The device that holds it (`st_dev`).
    public var device: UInt64 = 0
    /// Its inode number on that device (`st_ino`).
    public var inode: UInt64 = 0

    /// The current time, in the units of ``modified``.
    public static var now: Int64 { POSIX.realTime }

    /// The status of `path`, following symbolic links; `nil` when there is nothing there (or
    /// it cannot be reached).
    ///
    /// The corresponding system call is `stat(path)`.
    /// - Parameter path: The path.
    public static func of(_ path: String) -> FileStatus? {
        POSIX.pathStatus(path).map {
            FileStatus(
                isRegularFile: $0.isRegularFile, size: $0.size, modified: $0.modified, changed: $0.changed, device: $0.device,
                inode: $0.inode)
        }
    }

    /// Sets the modification (and access) time of `path` to now, as `touch` does.
    ///
    /// The corresponding system call is `utimensat(AT_FDCWD, path, NULL, 0)`.
    /// - Parameter path: The file.
    /// - Throws: ``ByteIOError`` when it fails.
    public static func touch(_ path: String) throws(ByteIOError) {
        if POSIX.touch(path) != 0 { throw ByteIOError(operation: "utimensat", errno: POSIX.lastErrno, path: path) }
    }

    /// Removes the file at `path`.
    ///
    /// The corresponding system call is `unlink(path)`.
    /// - Parameter path: The file.
    /// - Throws: ``ByteIOError`` when it fails (`ENOENT` when nothing is there).
    public static func remove(_ path: String) throws(ByteIOError) {
        if POSIX.removeFile(path) != 0 { throw ByteIOError(operation: "unlink", errno: POSIX.lastErrno, path: path) }
    }

    /// Renames `from` to `to`, replacing a file there, atomically within one file system.
    ///
    /// The corresponding system call is `rename(from, to)`.
    /// - Parameters:
    ///   - from: The file's current path.
    ///   - to: Its new path.
    /// - Throws: ``ByteIOError`` when it fails.
    public static func rename(_ from: String, to: String) throws(ByteIOError) {
        if POSIX.renameFile(from, to) != 0 { throw ByteIOError(operation: "rename", errno: POSIX.lastErrno, path: "\(from) to \(to)") }
    }
}
