import ByteIO
import CZlib

/// A ``ByteSink`` that gzip-compresses what is written to it into another sink.
///
/// The output is reproducible: the gzip header carries no file name, a modification time of 0
/// and the OS byte 255 ("unknown"), so the same input and level give the same bytes on every
/// platform (as apple/swift-container-plugin does for image layers).
public final class Deflater: ByteSink {
    /// Uncompressed bytes taken in so far.
    public private(set) var bytesConsumed: Int64 = 0

    /// Compressed bytes written to the wrapped sink so far.
    public private(set) var compressedBytesWritten: Int64 = 0

    /// The compression level, `0` (store) to `9` (smallest).
    public let level: Int32

    private var sink: any ByteSink
    private let stream: ZStream
    private let output: UnsafeMutableRawBufferPointer
    /// Compressed bytes waiting in `output[0..<outputFill]`.
    private var outputFill = 0
    private var finished = false

    /// Prepares to compress into `sink`; writes nothing yet.
    ///
    /// The corresponding zlib calls are `deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8,
    /// Z_DEFAULT_STRATEGY)` and `deflateSetHeader(strm, head)`.
    ///
    /// - Parameters:
    ///   - sink: Where the gzip stream goes.
    ///   - level: The compression level, `0...9`; `6` is gzip's default.
    ///   - outputBufferSize: How many compressed bytes to collect before writing them to `sink`
    ///     (at least 64).
    /// - Throws: ``GzipError/invalidLevel(_:)`` for a level outside `0...9`;
    ///   ``GzipError/zlib(operation:code:message:)`` when zlib cannot initialise.
    public init(_ sink: any ByteSink, level: Int32 = 6, outputBufferSize: Int = 256 * 1024) throws {
        guard (0...9).contains(level) else { throw GzipError.invalidLevel(level) }
        self.sink = sink
        self.level = level
        var header = gz_header()
        header.text = 0
        header.time = 0
        header.os = 255
        header.hcrc = 0
        let stream = try ZStream.deflating(level: level, windowBits: 15 + 16)
        try stream.setHeader(header)
        self.stream = stream
        let size = min(max(outputBufferSize, 64), Int(Int32.max))
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    }

    deinit {
        output.deallocate()
    }

    /// Compresses `bytes`, writing each full output buffer to the wrapped sink.
    ///
    /// The corresponding zlib call is `deflate(strm, Z_NO_FLUSH)`.
    ///
    /// - Parameter bytes: The uncompressed bytes; an empty buffer does nothing.
    /// - Throws: ``GzipError/zlib(operation:code:message:)`` when zlib fails or the stream was
    ///   already finished; whatever the wrapped sink throws.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard !finished else {
            throw GzipError.zlib(operation: "deflate", code: Z_STREAM_ERROR, message: "write after finish")
        }
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, Int(Int32.max))
            let taken = try deflateStep(UnsafeRawPointer(base + offset), count: chunk, flush: Z_NO_FLUSH)
            offset += taken
        }
    }

    /// Ends the stream: compresses what zlib still holds, appends the CRC-32 and length trailer,
    /// writes it all to the wrapped sink and then finishes that sink. Calling it again does nothing.
    ///
    /// The corresponding zlib call is `deflate(strm, Z_FINISH)`, repeated until `Z_STREAM_END`.
    ///
    /// - Throws: ``GzipError/zlib(operation:code:message:)`` when zlib fails; whatever the
    ///   wrapped sink throws.
    public func finish() throws {
        guard !finished else { return }
        while true {
            if outputFill == output.count { try flushOutput() }
            let (rc, _) = try deflateCall(nil, count: 0, flush: Z_FINISH)
            if rc == Z_STREAM_END { break }
            if rc == Z_BUF_ERROR {
                // The output buffer had room, so zlib could not progress at all: do not spin.
                throw GzipError.zlib(operation: "deflate", code: rc, message: "no progress finishing the stream")
            }
        }
        finished = true
        try flushOutput()
        try sink.finish()
    }

    /// Feeds `count` bytes to zlib until it has taken them all.
    ///
    /// - Returns: `count`.
    private func deflateStep(_ source: UnsafeRawPointer, count: Int, flush: Int32) throws -> Int {
        var taken = 0
        while taken < count {
            if outputFill == output.count { try flushOutput() }
            let (_, n) = try deflateCall(source + taken, count: count - taken, flush: flush)
            taken += n
        }
        return taken
    }

    /// One `deflate` call with the free part of the output buffer.
    ///
    /// - Returns: zlib's return code (`Z_OK`, `Z_STREAM_END` or `Z_BUF_ERROR`) and the number of
    ///   input bytes taken.
    private func deflateCall(_ source: UnsafeRawPointer?, count: Int, flush: Int32) throws -> (Int32, Int) {
        let room = output.count - outputFill
        let step = stream.process(
            UnsafeRawBufferPointer(start: source, count: count),
            into: UnsafeMutableRawBufferPointer(rebasing: output[outputFill...]), flush: flush)
        outputFill += step.made
        bytesConsumed += Int64(step.taken)
        let status = try stream.status(of: step, compressedOffset: compressedBytesWritten)
        if status == Z_BUF_ERROR && room > 0 && step.taken == 0 && count > 0 {
            throw GzipError.zlib(operation: "deflate", code: status, message: "no progress with input and room for output")
        }
        return (status, step.taken)
    }

    /// Writes the collected compressed bytes to the wrapped sink.
    private func flushOutput() throws {
        guard outputFill > 0 else { return }
        try sink.write(UnsafeRawBufferPointer(rebasing: output[0..<outputFill]))
        compressedBytesWritten += Int64(outputFill)
        outputFill = 0
    }
}
