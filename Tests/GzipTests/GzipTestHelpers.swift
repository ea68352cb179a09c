import ByteIO
import Gzip
import TestSupport
import Testing

// The gzip round trip of every Gzip test: our Deflater into memory, our Inflater back.

/// Compresses with our Deflater into memory.
func gzip(_ bytes: [UInt8], level: Int32 = 6, outputBufferSize: Int = 256 * 1024) throws -> [UInt8] {
    let sink = BufferSink()
    let deflater = try Deflater(sink, level: level, outputBufferSize: outputBufferSize)
    try bytes.withUnsafeBytes { try deflater.write($0) }
    try deflater.finish()
    #expect(sink.isFinished)
    #expect(deflater.bytesConsumed == Int64(bytes.count))
    #expect(deflater.compressedBytesWritten == Int64(sink.bytes.count))
    return sink.bytes
}

/// Decompresses with our Inflater, returning the output and the inflater for its counters.
func gunzip(
    _ bytes: [UInt8], chunk: Int = 64 * 1024, inputBufferSize: Int = 256 * 1024, maximumOutput: Int64? = nil
) throws -> ([UInt8], Inflater) {
    let inflater = try Inflater(BufferSource(bytes), inputBufferSize: inputBufferSize, maximumOutput: maximumOutput)
    return (try TS.readAll(inflater, chunk: chunk), inflater)
}

/// Decompresses until the end or the first error, returning what came out before it.
func gunzipUntilError(_ bytes: [UInt8], inputBufferSize: Int = 256 * 1024) throws -> ([UInt8], GzipError?) {
    let inflater = try Inflater(BufferSource(bytes), inputBufferSize: inputBufferSize)
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    do {
        while true {
            let n = try buffer.withUnsafeMutableBytes { try inflater.read(into: $0) }
            if n == 0 { return (output, nil) }
            output.append(contentsOf: buffer[0..<n])
        }
    } catch let error as GzipError {
        return (output, error)
    }
}
