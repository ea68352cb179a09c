import ByteIO
import CZlib
import Codec

/// Compresses the blocks of a gzip member one at a time as raw deflate, pigz's way: each block
/// is compressed on its own, primed with the 32 KiB that precede it in the member as a preset
/// dictionary, and ends on a byte boundary, so that the outputs of consecutive blocks
/// concatenate into one valid deflate stream.
///
/// A compressor belongs to one worker thread (zlib keeps the address of its `z_stream`); it is
/// not `Sendable`. ``CompressionPool`` creates one per worker.
final class BlockCompressor {
    /// deflate's window: the most a preset dictionary can be used of.
    static let windowSize = 32 * 1024

    /// The compression level, `0...9`.
    let level: Int32

    private let stream: UnsafeMutablePointer<z_stream>
    /// Compressed output collects here before it is copied into the result array.
    private var scratch: UnsafeMutableRawBufferPointer

    /// Prepares a raw deflate stream (no zlib or gzip wrapper: the caller writes the gzip header
    /// and trailer around the member).
    ///
    /// The corresponding zlib call is `deflateInit2(strm, level, Z_DEFLATED, -15, 8,
    /// Z_DEFAULT_STRATEGY)`.
    ///
    /// - Parameter level: The compression level, `0...9`.
    /// - Throws: ``GzipError/invalidLevel(_:)``, or ``GzipError/zlib(operation:code:message:)``
    ///   when zlib cannot initialise.
    init(level: Int32) throws(GzipError) {
        guard (0...9).contains(level) else { throw .invalidLevel(level) }
        self.level = level
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = CZlib_deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY)
        do {
            try GzipError.check(rc, "deflateInit2", stream: stream, compressedOffset: 0)
        } catch {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw error
        }
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
    }

    /// Compresses one block.
    ///
    /// The corresponding zlib calls are `deflateReset(strm)`, `deflateSetDictionary(strm,
    /// dictionary, n)` with the last 32 KiB of `dictionary` when it is not empty, and
    /// `deflate(strm, Z_SYNC_FLUSH)` (an empty stored block aligns the end to a byte) or, for
    /// the member's last block, `deflate(strm, Z_FINISH)` (the final block).
    ///
    /// - Parameters:
    ///   - block: The uncompressed bytes.
    ///   - dictionary: The member's bytes before `block` (only the last 32 KiB are used); empty
    ///     for the member's first block.
    ///   - isFinal: Whether this is the member's last block.
    /// - Returns: The raw deflate bytes.
    /// - Throws: ``GzipError/zlib(operation:code:message:)`` when zlib fails.
    func compress(_ block: [UInt8], dictionary: [UInt8], isFinal: Bool) throws(GzipError) -> [UInt8] {
        try GzipError.check(deflateReset(stream), "deflateReset", stream: stream, compressedOffset: 0)
        if !dictionary.isEmpty {
            let n = min(dictionary.count, Self.windowSize)
            let rc = dictionary.withUnsafeBufferPointer { d in
                deflateSetDictionary(stream, d.baseAddress! + (d.count - n), uInt(n))
            }
            try GzipError.check(rc, "deflateSetDictionary", stream: stream, compressedOffset: 0)
        }
        let bound = Int(deflateBound(stream, uLong(block.count))) + 64
        if scratch.count < bound { grow(to: bound) }
        let flush = isFinal ? Z_FINISH : Z_SYNC_FLUSH
        var produced = 0
        try block.withUnsafeBufferPointer { (input: UnsafeBufferPointer<UInt8>) throws(GzipError) in
            defer {
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
                stream.pointee.next_out = nil
                stream.pointee.avail_out = 0
            }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.pointee.avail_in = uInt(input.count)
            while true {
                if scratch.count - produced < 64 { grow(to: scratch.count * 2) }
                let room = scratch.count - produced
                stream.pointee.next_out = (scratch.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(room)
                let pendingIn = stream.pointee.avail_in
                let rc = try GzipError.check(deflate(stream, flush), "deflate", stream: stream, compressedOffset: 0)
                let made = room - Int(stream.pointee.avail_out)
                produced += made
                if isFinal ? rc == Z_STREAM_END : (stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0) {
                    return
                }
                if rc == Z_BUF_ERROR && made == 0 && stream.pointee.avail_in == pendingIn {
                    throw .zlib(operation: "deflate", code: rc, message: "no progress compressing a block")
                }
            }
        }
        return Array(UnsafeRawBufferPointer(rebasing: scratch[0..<produced]))
    }

    /// Replaces the scratch buffer with a larger one holding the same bytes at its start.
    private func grow(to size: Int) {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        larger.copyMemory(from: UnsafeRawBufferPointer(scratch))
        scratch.deallocate()
        scratch = larger
    }
}
