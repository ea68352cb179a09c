// The only file of this module that knows which C library it runs on.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("Gzip needs Glibc, Musl or Darwin for POSIX file descriptors")
#endif

/// Thin POSIX wrappers so that the rest of the module never needs a platform `#if`.
///
/// Each function is one system call; none retries `EINTR` (the callers do, so that they can
/// count bytes and report errors with their own context).
enum POSIX {
    /// `EINTR`: a system call interrupted by a signal, to be retried.
    static var interrupted: Int32 { EINTR }

    /// `EBADF`: the descriptor is closed.
    static var badDescriptor: Int32 { EBADF }

    /// `ESPIPE`: the descriptor cannot seek (a pipe).
    static var notSeekable: Int32 { ESPIPE }

    /// `EPIPE`: the reader of a pipe went away.
    static var brokenPipe: Int32 { EPIPE }

    /// Whether `code` says the device is full (`ENOSPC`) or a quota is used up (`EDQUOT`).
    static func isOutOfSpace(_ code: Int32) -> Bool { code == ENOSPC || code == EDQUOT }

    /// `EIO`: a generic I/O error, used when `write(2)` makes no progress without saying why.
    static var ioError: Int32 { EIO }

    /// The calling thread's `errno` after a failed system call.
    static var lastErrno: Int32 { errno }

    /// The `strerror(3)` text for `code`.
    static func errorMessage(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// `open(path, O_RDONLY | O_CLOEXEC)`; `-1` with `errno` set on failure.
    static func openForReading(_ path: String) -> Int32 {
        open(path, O_RDONLY | O_CLOEXEC)
    }

    /// `open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)`; `-1` with `errno` set on failure.
    static func openForWriting(_ path: String, mode: UInt32) -> Int32 {
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(truncatingIfNeeded: mode))
    }

    /// `open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)`: creates a file that must not
    /// exist yet; `-1` with `errno` set on failure (`EEXIST` when it does).
    static func createExclusive(_ path: String, mode: UInt32) -> Int32 {
        open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(truncatingIfNeeded: mode))
    }

    /// `EEXIST`: the file already exists.
    static var fileExists: Int32 { EEXIST }

    /// `rename(2)`: `0`, or `-1` with `errno` set. Atomic within one file system.
    static func renameFile(_ from: String, _ to: String) -> Int32 {
        rename(from, to)
    }

    /// `mkdir(path, mode)`: `0`, or `-1` with `errno` set.
    static func makeDirectory(_ path: String, mode: UInt32) -> Int32 {
        mkdir(path, mode_t(truncatingIfNeeded: mode))
    }

    /// `unlink(2)`: `0`, or `-1` with `errno` set.
    static func removeFile(_ path: String) -> Int32 {
        unlink(path)
    }

    /// `fsync(2)`: `0`, or `-1` with `errno` set.
    static func syncFD(_ fd: Int32) -> Int32 {
        fsync(fd)
    }

    /// The process id, to make temporary names unique between processes.
    static var processID: Int32 { getpid() }

    /// How many processors are online (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1.
    static var processorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// `read(2)`.
    static func readFD(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        read(fd, buffer, count)
    }

    /// `pread(2)`: reads at `offset` without moving the descriptor's offset.
    static func readFD(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, at offset: Int64) -> Int {
        pread(fd, buffer, count, off_t(offset))
    }

    /// `mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0)`: the first `length` bytes of `fd`
    /// mapped read-only; `nil` when the kernel refuses.
    static func mapReadOnly(_ fd: Int32, _ length: Int) -> UnsafeRawPointer? {
        guard let p = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else { return nil }
        return UnsafeRawPointer(p)
    }

    /// The size of a memory page (`sysconf(_SC_PAGESIZE)`).
    static let pageSize: Int = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))

    /// `madvise(address, length, MADV_DONTNEED)`: drops the pages of a mapping from the process's
    /// page tables (a file's pages stay in the page cache, and map again when touched).
    static func dropPages(_ address: UnsafeRawPointer, _ length: Int) {
        _ = madvise(UnsafeMutableRawPointer(mutating: address), length, MADV_DONTNEED)
    }

    /// `munmap(2)` of a mapping made by ``mapReadOnly(_:_:)``.
    static func unmap(_ address: UnsafeRawPointer, _ length: Int) {
        _ = munmap(UnsafeMutableRawPointer(mutating: address), length)
    }

    /// `write(2)`.
    static func writeFD(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        write(fd, buffer, count)
    }

    /// `close(2)`: `0`, or `-1` with `errno` set.
    static func closeFD(_ fd: Int32) -> Int32 {
        close(fd)
    }

    /// `lseek(fd, offset, SEEK_CUR)`: the new position, or `-1` with `errno` set.
    static func seekRelative(_ fd: Int32, _ offset: Int64) -> Int64 {
        Int64(lseek(fd, off_t(offset), SEEK_CUR))
    }

    /// `fstat(2)` reduced to what the sources need: whether `fd` is a regular file or a pipe, and
    /// its size. Returns `nil` when `fstat` fails.
    static func fileStatus(_ fd: Int32) -> (isRegularFile: Bool, size: Int64)? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        let isRegular = (status.st_mode & 0o170000) == 0o100000
        return (isRegular, Int64(status.st_size))
    }

    /// Whether `fd` is a pipe (FIFO), from `fstat(2)`.
    static func isPipe(_ fd: Int32) -> Bool {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return false }
        return (status.st_mode & 0o170000) == 0o010000
    }

    /// Asks the kernel for a pipe buffer of `bytes` on Linux (`fcntl(fd, F_SETPIPE_SZ, bytes)`),
    /// which the kernel caps at `/proc/sys/fs/pipe-max-size`; does nothing elsewhere.
    /// - Returns: The new size, or `-1` (with `errno` set) when refused or not supported.
    static func setPipeSize(_ fd: Int32, _ bytes: Int32) -> Int32 {
        #if os(Linux)
        // F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7); Glibc's module does not export it.
        return fcntl(fd, 1031, bytes)
        #else
        return -1
        #endif
    }

    /// The names in directory `path` (not `.` and `..`), through `opendir`/`readdir`; `nil`
    /// with `errno` set when it cannot be opened.
    static func directoryEntries(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `stat(path)`: whether it is a regular file, its size and its modification time in
    /// nanoseconds since 1970; `nil` with `errno` set on failure.
    static func pathStatus(_ path: String) -> (
        isRegularFile: Bool, size: Int64, modified: Int64, changed: Int64, device: UInt64, inode: UInt64
    )? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        let isRegular = (status.st_mode & 0o170000) == 0o100000
        #if canImport(Darwin)
        let time = status.st_mtimespec
        let change = status.st_ctimespec
        #else
        let time = status.st_mtim
        let change = status.st_ctim
        #endif
        return (
            isRegular, Int64(status.st_size), Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec),
            Int64(change.tv_sec) * 1_000_000_000 + Int64(change.tv_nsec), UInt64(status.st_dev), UInt64(status.st_ino)
        )
    }

    /// `utimensat(AT_FDCWD, path, NULL, 0)`: sets the access and modification times to now;
    /// `0`, or `-1` with `errno` set.
    static func touch(_ path: String) -> Int32 {
        utimensat(AT_FDCWD, path, nil, 0)
    }

    /// `clock_gettime(CLOCK_REALTIME)`, in nanoseconds since 1970.
    static var realTime: Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// The user's cache directory, by the platform's convention: `~/Library/Caches` on Apple
    /// platforms; `$XDG_CACHE_HOME`, else `~/.cache`, elsewhere (the XDG base directory spec).
    static func userCacheDirectory(environment: [String: String]) -> String {
        let home = environment["HOME"] ?? "/tmp"
        #if canImport(Darwin)
        return home + "/Library/Caches"
        #else
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg }
        return home + "/.cache"
        #endif
    }

    /// `posix_spawnp(3)`: starts `argv` (looked up on the PATH) in the caller's process group,
    /// with stdin, stdout and stderr opened from the paths given (`nil` keeps the caller's), every
    /// signal unblocked and SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTTIN, SIGTTOU and
    /// SIGCHLD at their default actions (the caller may ignore or block them for itself).
    /// - Returns: The pid, or the `errno` of the failure.
    static func spawn(_ argv: [String], stdin: String?, stdout: String?, stderr: String?) -> Result<Int32, ByteIOError> {
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        if let stdin { posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0) }
        if let stdout { posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o600) }
        if let stderr { posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o600) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTTIN, SIGTTOU, SIGCHLD] { sigaddset(&defaults, sig) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(truncatingIfNeeded: POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        let code = posix_spawnp(&pid, argv.first ?? "", &actions, &attributes, &cArgs, environ)
        return code == 0 ? .success(pid) : .failure(ByteIOError(operation: "posix_spawn", errno: code, path: argv.first))
    }

    /// `waitpid(2)` until `pid` ends, retrying `EINTR`: its exit status, or 128 + the signal
    /// that ended it; `-1` when it is not a child of this process.
    static func waitForExit(_ pid: Int32) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// `kill(2)`; the result is not checked (the process may have ended).
    static func sendSignal(_ pid: Int32, _ sig: Int32) { _ = kill(pid, sig) }

    /// `SIGTERM`.
    static var terminateSignal: Int32 { SIGTERM }

    /// The width of the terminal `fd` is, from `ioctl(TIOCGWINSZ)`; `nil` when it is none.
    static func terminalColumns(_ fd: Int32) -> Int? {
        var size = winsize()
        #if canImport(Darwin)
        let rc = ioctl(fd, TIOCGWINSZ, &size)
        #else
        let rc = ioctl(fd, UInt(TIOCGWINSZ), &size)
        #endif
        return rc == 0 && size.ws_col > 0 ? Int(size.ws_col) : nil
    }
}
