import ByteIO
import Codec
import Foundation
import TestSupport
import Testing
import Zstd

// The zstd round trip of every Zstd test, and the real `zstd` and `pzstd` commands beside it.

/// Compresses with our compressor into memory: one frame per element of `members`.
func zstd(_ members: [[UInt8]], level: Int32 = 3, threads: Int? = nil) throws -> ([UInt8], ZstdCompressor) {
    let sink = BufferSink()
    let compressor = try ZstdCompressor(sink, level: level, threads: threads)
    for member in members {
        try member.withUnsafeBytes { try compressor.write($0) }
        try compressor.endMember()
    }
    try compressor.finish()
    #expect(sink.isFinished)
    #expect(compressor.compressedBytesWritten == Int64(sink.bytes.count))
    return (sink.bytes, compressor)
}

/// Decompresses with our decompressor, returning the output and the decompressor for its counters.
func unzstd(_ bytes: [UInt8], chunk: Int = 64 * 1024, inputBufferSize: Int = 256 * 1024, windowLogMax: Int32 = 27) throws -> (
    [UInt8], ZstdDecompressor
) {
    let d = try ZstdDecompressor(BufferSource(bytes), inputBufferSize: inputBufferSize, windowLogMax: windowLogMax)
    return (try TS.readAll(d, chunk: chunk), d)
}

/// Runs a command with `input` on stdin and returns its stdout; fails the test on a non-zero exit.
func pipe(_ command: String, _ input: [UInt8]) throws -> [UInt8] {
    try TS.withTemporaryDirectory { dir in
        let inPath = dir.appendingPathComponent("in").path
        try TS.write(input, to: inPath)
        let r = try TS.run("/bin/sh", ["-c", command], stdinPath: inPath)
        guard r.status == 0 else { throw TS.Failure("\(command) failed (\(r.status)): \(r.stderr)") }
        return Array(r.stdoutData)
    }
}
