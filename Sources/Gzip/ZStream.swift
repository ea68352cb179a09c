import CZlib

/// One zlib stream, inflating or deflating: the only owner of a `z_stream` in the module.
///
/// It sets the stream up, resets it, makes each `inflate` or `deflate` call with the caller's
/// input and output buffers, and ends it in `deinit`. zlib keeps pointers to its `z_stream`, so
/// that struct lives at one address for the stream's life; between calls `next_in` and `next_out`
/// are cleared, so that zlib never holds a pointer into a buffer the caller may free or move.
/// Every return code goes through ``GzipError/check(_:_:stream:compressedOffset:)``.
///
/// ``Inflater`` (and through it ``GzipMemberScanner``), ``Deflater`` and ``BlockCompressor``
/// each own one. A stream belongs to one thread; it is not `Sendable`.
final class ZStream {
    /// What one ``process(_:into:flush:)`` call did.
    struct Step {
        /// Input bytes zlib took.
        var taken: Int
        /// Output bytes zlib wrote.
        var made: Int
        /// zlib's return code, read through ``ZStream/status(of:compressedOffset:)``.
        fileprivate var code: Int32
    }

    /// Which way the stream goes.
    private enum Direction {
        case inflate
        case deflate
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private let direction: Direction
    /// The gzip header a deflating stream writes; zlib keeps a pointer to it until it has written
    /// it, so it lives as long as the stream.
    private var header: UnsafeMutablePointer<gz_header>?

    private init(stream: UnsafeMutablePointer<z_stream>, direction: Direction) {
        self.stream = stream
        self.direction = direction
    }

    /// Prepares an inflating stream.
    ///
    /// The corresponding zlib call is `inflateInit2(strm, windowBits)`.
    ///
    /// - Parameter windowBits: zlib's `windowBits`: `15 + 16` for a 32 KiB window and the gzip
    ///   wrapper only.
    /// - Throws: ``GzipError/zlib(operation:code:message:)`` when zlib cannot initialise
    ///   (`Z_MEM_ERROR`, `Z_VERSION_ERROR`).
    static func inflating(windowBits: Int32) throws(GzipError) -> ZStream {
        try make(.inflate, "inflateInit2") { CZlib_inflateInit2($0, windowBits) }
    }

    /// Prepares a deflating stream, with zlib's default memory level (8) and strategy.
    ///
    /// The corresponding zlib call is `deflateInit2(strm, level, Z_DEFLATED, windowBits, 8,
    /// Z_DEFAULT_STRATEGY)`.
    ///
    /// - Parameters:
    ///   - level: The compression level, `0...9`.
    ///   - windowBits: zlib's `windowBits`: `15 + 16` for a gzip wrapper, `-15` for raw deflate.
    /// - Throws: ``GzipError/zlib(operation:code:message:)`` when zlib cannot initialise.
    static func deflating(level: Int32, windowBits: Int32) throws(GzipError) -> ZStream {
        try make(.deflate, "deflateInit2") { CZlib_deflateInit2($0, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY) }
    }

    /// Allocates the `z_stream` and runs `initialise` on it; frees it again when that fails.
    private static func make(
        _ direction: Direction, _ operation: String, _ initialise: (UnsafeMutablePointer<z_stream>) -> Int32
    ) throws(GzipError) -> ZStream {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        do {
            try GzipError.check(initialise(stream), operation, stream: stream, compressedOffset: 0)
        } catch {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw error
        }
        return ZStream(stream: stream, direction: direction)
    }

    deinit {
        switch direction {
        case .inflate: inflateEnd(stream)
        case .deflate: deflateEnd(stream)
        }
        stream.deinitialize(count: 1)
        stream.deallocate()
        if let header {
            header.deinitialize(count: 1)
            header.deallocate()
        }
    }

    /// Makes the stream start over, keeping its settings and memory.
    ///
    /// The corresponding zlib call is `inflateReset(strm)` or `deflateReset(strm)`.
    ///
    /// - Parameter compressedOffset: Compressed bytes consumed so far, to locate a failure.
    /// - Throws: ``GzipError/zlib(operation:code:message:)`` when zlib fails.
    func reset(compressedOffset: Int64) throws(GzipError) {
        switch direction {
        case .inflate:
            try GzipError.check(inflateReset(stream), "inflateReset", stream: stream, compressedOffset: compressedOffset)
        case .deflate:
            try GzipError.check(deflateReset(stream), "deflateReset", stream: stream, compressedOffset: compressedOffset)
        }
    }

    /// Sets the gzip header a deflating stream with a gzip wrapper writes, before any output.
    ///
    /// The corresponding zlib call is `deflateSetHeader(strm, head)`, with a copy of `header`
    /// the stream keeps.
    ///
    /// - Parameter header: The header's fields.
    /// - Throws: ``GzipError/zlib(operation:code:message:)`` when zlib refuses it.
    func setHeader(_ header: gz_header) throws(GzipError) {
        let kept: UnsafeMutablePointer<gz_header>
        if let existing = self.header {
            kept = existing
            kept.pointee = header
        } else {
            kept = UnsafeMutablePointer<gz_header>.allocate(capacity: 1)
            kept.initialize(to: header)
            self.header = kept
        }
        try GzipError.check(deflateSetHeader(stream, kept), "deflateSetHeader", stream: stream, compressedOffset: 0)
    }

    /// Primes a deflating stream with the bytes that precede its input.
    ///
    /// The corresponding zlib call is `deflateSetDictionary(strm, dictionary, dictLength)`.
    ///
    /// - Parameter dictionary: The bytes (zlib uses at most the window's worth at their end).
    /// - Throws: ``GzipError/zlib(operation:code:message:)`` when zlib refuses it.
    func setDictionary(_ dictionary: UnsafeRawBufferPointer) throws(GzipError) {
        let rc = deflateSetDictionary(
            stream, dictionary.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(dictionary.count))
        try GzipError.check(rc, "deflateSetDictionary", stream: stream, compressedOffset: 0)
    }

    /// The most bytes a deflating stream can make of `count` input bytes from its current state.
    ///
    /// The corresponding zlib call is `deflateBound(strm, sourceLen)`.
    ///
    /// - Parameter count: How many input bytes.
    func bound(forInput count: Int) -> Int {
        Int(deflateBound(stream, uLong(count)))
    }

    /// The running check value of the data: in gzip mode, the CRC-32 of the output (inflate) or
    /// input (deflate) so far, which zlib keeps in `adler`.
    var checksum: UInt32 {
        UInt32(truncatingIfNeeded: stream.pointee.adler)
    }

    /// One call of zlib with `input` to take from and `output` to write to; the pointers are
    /// cleared again afterwards.
    ///
    /// The corresponding zlib call is `inflate(strm, flush)` or `deflate(strm, flush)`.
    ///
    /// - Parameters:
    ///   - input: The bytes zlib may take (at most `UInt32.max`).
    ///   - output: Where zlib may write (at most `UInt32.max` bytes).
    ///   - flush: zlib's flush mode: `Z_NO_FLUSH`, `Z_SYNC_FLUSH`, `Z_FINISH`.
    /// - Returns: What the call took and made, and its return code for
    ///   ``status(of:compressedOffset:)``, which the caller calls once it has booked the progress.
    func process(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, flush: Int32) -> Step {
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let rc: Int32
        switch direction {
        case .inflate: rc = inflate(stream, flush)
        case .deflate: rc = deflate(stream, flush)
        }
        return Step(
            taken: input.count - Int(stream.pointee.avail_in), made: output.count - Int(stream.pointee.avail_out),
            code: rc)
    }

    /// What a ``process(_:into:flush:)`` call returned, checked.
    ///
    /// - Parameters:
    ///   - step: The call.
    ///   - compressedOffset: Compressed bytes consumed (or written) so far, to locate data errors.
    /// - Returns: `Z_OK`, `Z_STREAM_END` or `Z_BUF_ERROR` (no progress possible), for the caller
    ///   to act on.
    /// - Throws: ``GzipError/corrupt(compressedOffset:reason:)`` for bad data,
    ///   ``GzipError/zlib(operation:code:message:)`` for any other failure.
    func status(of step: Step, compressedOffset: Int64) throws(GzipError) -> Int32 {
        let operation: String
        switch direction {
        case .inflate: operation = "inflate"
        case .deflate: operation = "deflate"
        }
        return try GzipError.check(step.code, operation, stream: stream, compressedOffset: compressedOffset)
    }
}
