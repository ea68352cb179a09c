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
