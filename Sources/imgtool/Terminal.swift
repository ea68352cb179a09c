#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The CLI's only platform calls.
enum Terminal {
    /// Whether `fd` is a terminal.
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }
}

extension Terminal {
    /// Writes to stderr directly (usable from `@Sendable` progress callbacks).
    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// A progress callback that redraws one line on stderr: bytes read and, when the total is
    /// known, the percentage. `nil` when stderr is not a terminal.
    static func progress(label: String, total: Int64?, enabled: Bool) -> (@Sendable (Int64) -> Void)? {
        guard enabled else { return nil }
        return { done in
            var line = "\r\u{1B}[K\(label): \(Format.bytes(done))"
            if let total, total > 0 {
                let pct = min(100, Int(done * 100 / total))
                line += " of \(Format.bytes(total)) (\(pct)%)"
            }
            writeError(line)
        }
    }

    /// Clears the progress line.
    static func clearProgress(enabled: Bool) {
        if enabled { writeError("\r\u{1B}[K") }
    }
}

extension Terminal {
    /// Whether gzip input is inflated on a second thread: yes, unless `IMGTOOL_ONE_THREAD` is set
    /// (for comparing the two, as `bench/run.sh` does).
    static var inflateOnSecondThread: Bool { getenv("IMGTOOL_ONE_THREAD") == nil }
}

/// The size of a regular file, for progress percentages; nil for stdin and pipes.
enum FileSize {
    static func of(_ path: String) -> Int64? {
        guard path != "-" else { return nil }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(st.st_size)
    }
}
