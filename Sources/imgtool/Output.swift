import ByteIO
import ImageArchive
import ImageVerify
import OCI
import Ship

/// Where a command writes: results to `out`, diagnostics to `err`.
struct Output {
    var out: (String) -> Void
    var err: (String) -> Void
    /// Whether stderr is a terminal (progress bars go there only then).
    var errIsTerminal: Bool

    /// The process's stdout and stderr.
    static var standard: Output {
        let stdout = FileSink(fileDescriptor: 1, closeOnDeinit: false)
        let stderr = FileSink(fileDescriptor: 2, closeOnDeinit: false)
        return Output(
            out: { text in Self.write(text, to: stdout) },
            err: { text in Self.write(text, to: stderr) },
            errIsTerminal: Terminal.isTerminal(2))
    }

    private static func write(_ text: String, to sink: FileSink) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            let s = sink
            try? s.write(UnsafeRawBufferPointer(buffer))
        }
    }
}
