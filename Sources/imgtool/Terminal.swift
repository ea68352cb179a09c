import ByteIO
import Dispatch
import ImageArchive
import ImageVerify
import OCI
import Ship
import Synchronization

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
    /// Writes `text` to stdout at once (one `write(2)`), from any thread: results that come from
    /// the shipping threads.
    static func writeOutput(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
    }

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
            var line = "\(label): \(Format.bytes(done))"
            if let total, total > 0 {
                let pct = min(100, Int(done * 100 / total))
                line += " of \(Format.bytes(total)) (\(pct)%)"
            }
            writeError("\r\u{1B}[K" + fitted(line, columns: TerminalSize.columns(of: 2)))
        }
    }

    /// `text` cut to one character less than the terminal's width (the last column wraps on
    /// some terminals), ending in `…` where it was cut; whole when the width is unknown.
    static func fitted(_ text: String, columns: Int?) -> String {
        guard let columns, columns > 1, text.count > columns - 1 else { return text }
        return String(text.prefix(columns - 2)) + "…"
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

    /// How a command that checks every byte reads its input file: on two threads, unless
    /// `IMGTOOL_ONE_THREAD` is set (the benchmark's one-thread row).
    static var wholeReading: ArchiveInput.Reading { inflateOnSecondThread ? .whole : .wholeOnOneThread }
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

extension Terminal {
    /// Removes `path` when SIGINT, SIGTERM or SIGHUP arrives, then dies of that signal as if
    /// it had not been caught (so the shell sees the interruption), until ``InterruptCleanup/cancel()``.
    /// A signal the process ignores already (`nohup`, a background job) stays ignored.
    static func removeOnInterrupt(_ path: String) -> InterruptCleanup {
        onInterrupt { _ = unlink(path) }
    }

    /// Runs `action` when SIGINT, SIGTERM or SIGHUP arrives, then dies of that signal as if it
    /// had not been caught (so the shell sees the interruption), until ``InterruptCleanup/cancel()``.
    /// A signal the process ignores already (`nohup`, a background job) stays ignored.
    ///
    /// The signals are delivered to a dispatch source on a queue of its own (a C signal handler
    /// cannot capture anything); the process ignores them in the meantime.
    static func onInterrupt(_ action: @escaping @Sendable () -> Void) -> InterruptCleanup {
        let queue = DispatchQueue(label: "imgtool.interrupt")
        var sources: [any DispatchSourceSignal] = []
        var handled: [Int32] = []
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            let previous = signal(sig, SIG_IGN)
            if unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                action()
                // Die of the signal: libdispatch keeps it blocked (it reads it from a signalfd),
                // so restore the default action and unblock it on this thread before raising it.
                signal(sig, SIG_DFL)
                unblock(sig)
                raise(sig)
                _exit(128 + sig)
            }
            source.resume()
            sources.append(source)
            handled.append(sig)
        }
        return InterruptCleanup(sources: sources, signals: handled)
    }

    /// Unblocks `sig` on the calling thread (`pthread_sigmask(SIG_UNBLOCK, ...)`).
    static func unblock(_ sig: Int32) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, sig)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}

/// Whether a thread has reported the SIGBUS already: two threads walking the mapping can both
/// fault, and only the first writes (the other waits for the process to end).
private let busErrorReported = Atomic<Int>(0)

/// What the `SIGBUS` handler writes, prepared beforehand (a signal handler may call only
/// async-signal-safe functions, so it formats nothing): a NUL-terminated line.
/// `nonisolated(unsafe)`: written only on the main thread before the handler is installed, read
/// only by the handler.
nonisolated(unsafe) private let busErrorMessage: UnsafeMutablePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)
    p.initialize(repeating: 0, count: 4096)
    return p
}()

extension Terminal {
    /// Runs `body`, which reads the archive at `path` with ``ReadOptions/mapsFileIntoMemory``,
    /// reporting the archive as truncated (exit code 2) if it shrinks meanwhile: another process
    /// truncating it makes the next touch of a lost page raise `SIGBUS`, which would otherwise
    /// end the process without a word. `SIGBUS` is back to its default action afterwards.
    static func reportingTruncationOnBusError<T>(path: String, _ body: () throws -> T) rethrows -> T {
        reportTruncationOnBusError(path: path)
        defer { signal(SIGBUS, SIG_DFL) }
        return try body()
    }

    private static func reportTruncationOnBusError(path: String) {
        let text =
            "Error: \(path): archive truncated while it was being read: the file shrank, or a part of it could not be read (was it being rewritten?)\n"
        let bytes = Array(text.utf8.prefix(4095))
        for (i, b) in bytes.enumerated() { busErrorMessage[i] = CChar(bitPattern: b) }
        busErrorMessage[bytes.count] = 0
        busErrorReported.store(0, ordering: .relaxed)
        signal(SIGBUS) { _ in
            guard busErrorReported.exchange(1, ordering: .relaxed) == 0 else {
                while true { pause() }
            }
            _ = write(2, busErrorMessage, strlen(busErrorMessage))
            _exit(ExitCode.truncated.rawValue)
        }
    }
}

/// The handlers of ``Terminal/removeOnInterrupt(_:)``; cancelling restores the default action
/// (call it from the thread that installed them, whose signal mask libdispatch changed).
final class InterruptCleanup {
    private var sources: [any DispatchSourceSignal]
    private var signals: [Int32]

    init(sources: [any DispatchSourceSignal], signals: [Int32]) {
        self.sources = sources
        self.signals = signals
    }

    /// Stops handling the signals and restores their default action. Calling it again does nothing.
    func cancel() {
        for source in sources { source.cancel() }
        // Back to the default: a signal from now on ends the process (one that arrived in
        // between and is still pending is delivered now).
        for sig in signals {
            signal(sig, SIG_DFL)
            Terminal.unblock(sig)
        }
        sources = []
        signals = []
    }

    deinit { cancel() }
}
