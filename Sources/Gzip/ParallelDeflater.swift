import ByteIO
import CZlib
import Codec

/// A ``ByteSink`` that gzip-compresses on every core, as pigz does, into a series of gzip
/// members whose boundaries the caller chooses.
///
/// What is written goes into the current member until ``endMember()``; the next write starts a
/// new member, compressed from a fresh start (no dictionary from what came before), so that a
/// member's bytes depend on its own content only. Within a member the data is cut into blocks
/// of about ``blockSize`` bytes where the content says (``BlockBoundary``: a rolling hash, so
/// that a change inside a member changes only the compressed bytes around it); worker threads compress the blocks
/// in parallel, each primed with the 32 KiB before it as a preset dictionary (which keeps the
/// ratio of a single stream), and the outputs are written in order with the member's gzip
/// header, combined CRC-32 and length trailer.
///
/// The output is deterministic: it depends on the bytes, the member boundaries, the level and
/// the block size, never on the number of threads or their timing. The gzip headers carry no
/// name, a modification time of 0 and the OS byte 255, as ``Deflater`` writes them. Memory is
/// bounded: at most `2 × threads + 2` blocks are in flight.
///
/// ```swift
/// let gz = try ParallelDeflater(FileSink(creating: "out.gz"), level: 6)
/// try gz.write(header)          // the first member
/// try gz.endMember()
/// try gz.write(layer)           // a member of its own
/// try gz.finish()
/// print(gz.members)             // where each member lies in out.gz
/// ```
///
/// A deflater belongs to the thread that writes to it; it is not `Sendable`.
public final class ParallelDeflater: ByteSink {
    /// The compression level, `0` (store) to `9` (smallest).
    public let level: Int32
    /// How many worker threads compress blocks.
    public let threads: Int
    /// The mean size of the blocks a member is cut into (three quarters of it at least, twice at most).
    public let blockSize: Int

    /// The members written so far, complete with their trailers, in order.
    public private(set) var members: [GzipMember] = []
    /// Uncompressed bytes taken in so far.
    public private(set) var bytesConsumed: Int64 = 0
    /// Compressed bytes written to the wrapped sink so far.
    public private(set) var compressedBytesWritten: Int64 = 0

    /// Who sees each member's compressed bytes as they are written.
    public var observer: (any CompressedMemberObserver)?

    /// The version of the system zlib that compresses (`zlibVersion()`, such as `1.2.13`): part of
    /// the output's identity, as a newer zlib may give other bytes.
    public static var libraryVersion: String { String(cString: zlibVersion()) }

    /// The default mean block size, pigz's block size: 128 KiB.
    public static let defaultBlockSize = 128 * 1024

    private var sink: any ByteSink
    private let pool: CompressionPool
    private let window: Int

    /// The block being filled.
    private var current: [UInt8] = []
    /// Where blocks end: content-defined cuts.
    private var boundary: BlockBoundary
    /// Whether `current` reached its cut (the next byte starts another block).
    private var blockComplete = false
    /// The previous block of the current member, whose tail primes the next; empty at a member's start.
    private var previous: [UInt8] = []
    /// Whether the current member has any bytes (a block submitted, or bytes in `current`).
    private var memberOpen = false
    private var blocksInMember = 0
    private var nextSequence = 0
    private var nextToWrite = 0

    /// The member being written out (on the output side, behind the submissions).
    private var outStart: Int64 = 0
    private var outUncompressedStart: Int64 = 0
    private var outUncompressed: Int64 = 0
    private var outCRC: UInt = 0

    private var failure: (any Error)?
    private var finished = false

    /// Starts the workers; writes nothing yet.
    ///
    /// - Parameters:
    ///   - sink: Where the gzip stream goes.
    ///   - level: The compression level, `0...9`; `6` is gzip's default.
    ///   - threads: How many blocks to compress at once; `nil` for one per online processor.
    ///   - blockSize: The mean size of the blocks members are cut into (a power of two, at least
    ///     64 KiB); pigz's 128 KiB by default. Part of the output's identity: the same input with another block
    ///     size gives other bytes.
    /// - Throws: ``GzipError/invalidLevel(_:)`` for a level outside `0...9`.
    public init(_ sink: any ByteSink, level: Int32 = 6, threads: Int? = nil, blockSize: Int = ParallelDeflater.defaultBlockSize) throws {
        guard (0...9).contains(level) else { throw GzipError.invalidLevel(level) }
        self.sink = sink
        self.level = level
        self.threads = max(1, threads ?? Processors.online)
        self.blockSize = max(2 * BlockCompressor.windowSize, blockSize)
        boundary = BlockBoundary(average: self.blockSize)
        self.window = 2 * self.threads + 2
        pool = CompressionPool(threads: self.threads, level: level)
        current.reserveCapacity(boundary.maximum)
    }

    deinit {
        pool.shutdown()
    }

    /// Appends `bytes` to the current member, starting one if needed.
    ///
    /// - Parameter bytes: The uncompressed bytes; an empty buffer does nothing.
    /// - Throws: What compressing an earlier block or writing to the wrapped sink threw (the
    ///   deflater is then unusable); ``GzipError/zlib(operation:code:message:)`` after ``finish()``.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try checkUsable()
        var offset = 0
        while offset < bytes.count {
            if blockComplete {
                // More bytes follow, so the block that ended is not the member's last.
                try submit(isFinal: false)
            }
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let cut = boundary.cut(after: current.count, in: rest)
            let n = cut ?? rest.count
            current.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            blockComplete = cut != nil
            offset += n
            memberOpen = true
        }
        bytesConsumed += Int64(bytes.count)
    }

    /// Ends the current member: the next write starts a new one. Does nothing when the current
    /// member has no bytes, so that no empty member is written.
    ///
    /// - Throws: What ``write(_:)`` throws.
    public func endMember() throws {
        try checkUsable()
        guard memberOpen else { return }
        try submit(isFinal: true)
    }

    /// Ends the last member, waits for every block, writes them and finishes the wrapped sink.
    /// A stream with no bytes at all gets one empty member, so that it is still valid gzip.
    /// Calling it again does nothing.
    ///
    /// - Throws: What ``write(_:)`` throws; whatever the wrapped sink's `finish()` throws.
    public func finish() throws {
        if finished && failure == nil { return }
        try checkUsable()
        if memberOpen || members.isEmpty && nextSequence == 0 {
            try submit(isFinal: true)
        }
        try drain(keepingInFlight: 0)
        finished = true
        pool.shutdown()
        try sink.finish()
    }

    /// Stops the workers and drops the blocks not written yet; later calls throw. For a caller
    /// that gives up on the stream (the output is incomplete).
    public func cancel() {
        if failure == nil { failure = GzipError.zlib(operation: "deflate", code: Z_STREAM_ERROR, message: "cancelled") }
        pool.shutdown()
    }

    private func checkUsable() throws {
        if let failure { throw failure }
        if finished { throw GzipError.zlib(operation: "deflate", code: Z_STREAM_ERROR, message: "write after finish") }
    }

    /// Hands the current block to the workers, then writes whatever is done in order, waiting
    /// while too many blocks are in flight.
    private func submit(isFinal: Bool) throws {
        let block = current
        current = []
        current.reserveCapacity(boundary.maximum)
        blockComplete = false
        boundary.reset()
        let job = CompressionPool.Job(
            sequence: nextSequence, data: block, dictionary: previous, isFirst: blocksInMember == 0, isFinal: isFinal)
        nextSequence += 1
        if isFinal {
            previous = []
            blocksInMember = 0
            memberOpen = false
        } else {
            previous = block
            blocksInMember += 1
        }
        pool.submit(job)
        try drain(keepingInFlight: window)
    }

    /// Writes finished blocks in order: those already done, and more, waiting, until at most
    /// `limit` are in flight.
    private func drain(keepingInFlight limit: Int) throws {
        while nextToWrite < nextSequence {
            let output: CompressionPool.Output
            if nextSequence - nextToWrite > limit {
                output = pool.waitForResult(nextToWrite)
            } else if let done = pool.takeResult(nextToWrite) {
                output = done
            } else {
                return
            }
            do {
                try emit(output)
            } catch {
                failure = error
                pool.shutdown()
                throw error
            }
            nextToWrite += 1
        }
    }

    /// Writes one compressed block, with its member's header before it and trailer after it.
    private func emit(_ output: CompressionPool.Output) throws {
        let compressed = try output.compressed.get()
        if output.isFirst {
            outStart = compressedBytesWritten
            outUncompressedStart = outUncompressedStart + outUncompressed
            outUncompressed = 0
            outCRC = 0
            // RFC 1952 header: magic, CM=8 (deflate), FLG=0, MTIME=0, XFL as zlib sets it for
            // the level, OS=255 (unknown) so that the bytes are the same on every platform.
            let xfl: UInt8 = level == 9 ? 2 : level < 2 ? 4 : 0
            try put([0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, xfl, 0xFF], observed: true)
        }
        try put(compressed, observed: true)
        outCRC = crc32_combine(outCRC, uLong(output.crc), .init(output.count))
        outUncompressed += Int64(output.count)
        if output.isFinal {
            let crc = UInt32(truncatingIfNeeded: outCRC)
            let size = UInt32(truncatingIfNeeded: outUncompressed)
            try put(
                [
                    UInt8(truncatingIfNeeded: crc), UInt8(truncatingIfNeeded: crc >> 8), UInt8(truncatingIfNeeded: crc >> 16),
                    UInt8(truncatingIfNeeded: crc >> 24), UInt8(truncatingIfNeeded: size), UInt8(truncatingIfNeeded: size >> 8),
                    UInt8(truncatingIfNeeded: size >> 16), UInt8(truncatingIfNeeded: size >> 24),
                ], observed: true)
            let member = GzipMember(
                compressedOffset: outStart, compressedSize: compressedBytesWritten - outStart,
                uncompressedOffset: outUncompressedStart, uncompressedSize: outUncompressed, crc32: crc)
            members.append(member)
            observer?.memberEnded(member.compressedMember, index: members.count - 1)
        }
    }

    private func put(_ bytes: [UInt8], observed: Bool) throws {
        try bytes.withUnsafeBytes {
            try sink.write($0)
            if observed { observer?.compressedBytes($0, ofMember: members.count) }
        }
        compressedBytesWritten += Int64(bytes.count)
    }
}

extension ParallelDeflater: MemberCompressor {
    /// gzip.
    public var format: CompressionFormat { .gzip }
    /// ``members``, as the format-neutral description `imgtool pack` reports.
    public var writtenMembers: [CompressedMember] { members.map(\.compressedMember) }

    /// Writes a gzip member compressed earlier after everything written so far (see
    /// ``Codec/MemberCompressor/appendCompressedMember(uncompressedSize:crc32:_:)``); `crc32` is
    /// required.
    public func appendCompressedMember(
        uncompressedSize: Int64, crc32: UInt32?, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        try checkUsable()
        if memberOpen { try submit(isFinal: true) }
        try drain(keepingInFlight: 0)
        let start = compressedBytesWritten
        do {
            try body { bytes in
                try sink.write(bytes)
                compressedBytesWritten += Int64(bytes.count)
            }
        } catch {
            failure = error
            pool.shutdown()
            throw error
        }
        outUncompressedStart += outUncompressed
        outUncompressed = uncompressedSize
        bytesConsumed += uncompressedSize
        members.append(
            GzipMember(
                compressedOffset: start, compressedSize: compressedBytesWritten - start, uncompressedOffset: outUncompressedStart,
                uncompressedSize: uncompressedSize, crc32: crc32 ?? 0))
    }
}
