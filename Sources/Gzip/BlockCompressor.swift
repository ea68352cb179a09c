import ByteIO
import CZlib

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

    private let stream: ZStream
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
        stream = try ZStream.deflating(level: level, windowBits: -15)
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    }

    deinit {
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
        try stream.reset(compressedOffset: 0)
        if !dictionary.isEmpty {
            let n = min(dictionary.count, Self.windowSize)
            try dictionary.withUnsafeBufferPointer { (d: UnsafeBufferPointer<UInt8>) throws(GzipError) in
                try stream.setDictionary(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: d[(d.count - n)...])))
            }
        }
        let bound = stream.bound(forInput: block.count) + 64
        if scratch.count < bound { grow(to: bound) }
        let flush = isFinal ? Z_FINISH : Z_SYNC_FLUSH
        var produced = 0
        try block.withUnsafeBufferPointer { (typed: UnsafeBufferPointer<UInt8>) throws(GzipError) in
            let input = UnsafeRawBufferPointer(typed)
            var taken = 0
            while true {
                if scratch.count - produced < 64 { grow(to: scratch.count * 2) }
                let room = scratch.count - produced
                let step = stream.process(
                    UnsafeRawBufferPointer(rebasing: input[taken...]),
                    into: UnsafeMutableRawBufferPointer(rebasing: scratch[produced...]), flush: flush)
                taken += step.taken
                produced += step.made
                let rc = try stream.status(of: step, compressedOffset: 0)
                if isFinal ? rc == Z_STREAM_END : (taken == input.count && step.made < room) {
                    return
                }
                if rc == Z_BUF_ERROR && step.made == 0 && step.taken == 0 {
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
