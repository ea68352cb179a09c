import ByteIO
import CZstd
import Codec

/// A ``Codec/MemberCompressor`` that writes zstd through the system libzstd, on several threads:
/// each member is one zstd frame, compressed from a fresh start.
///
/// libzstd's multi-threaded mode (`ZSTD_c_nbWorkers`) cuts a frame into jobs that worker
/// threads compress while the caller goes on writing; its output depends on the bytes, the level
/// and libzstd's version, not on the number of workers (1 and 8 give the same bytes), so a layer
/// gives the same frame on every machine that has the same libzstd. Frames carry a checksum
/// (`ZSTD_c_checksumFlag`), as the `zstd` command writes them. A libzstd built without threads
/// compresses on the caller's thread, into other (equally valid) bytes.
///
/// ```swift
/// let zst = try ZstdCompressor(FileSink(creating: "out.tar.zst"), level: 3)
/// try zst.write(header)
/// try zst.endMember()
/// try zst.write(layer)           // a frame of its own
/// try zst.finish()
/// ```
///
/// A compressor belongs to the thread that writes to it; it is not `Sendable`.
public final class ZstdCompressor: MemberCompressor {
    /// The compression level (`zstd -3` is the default).
    public let level: Int32
    /// How many worker threads compress.
    public let threads: Int
    /// zstd.
    public var format: CompressionFormat { .zstd }
    /// Compressed bytes written to the wrapped sink so far.
    public private(set) var compressedBytesWritten: Int64 = 0
    /// Uncompressed bytes taken in so far.
    public private(set) var bytesConsumed: Int64 = 0
    /// The frames written so far, complete, in order.
    public private(set) var writtenMembers: [CompressedMember] = []

    /// Who sees each frame's compressed bytes as they are written.
    public var observer: (any CompressedMemberObserver)?

    /// The version of the system libzstd (`ZSTD_versionString()`, such as `1.5.4`): part of the
    /// output's identity, as another libzstd may give other bytes.
    public static var libraryVersion: String { String(cString: ZSTD_versionString()) }

    /// Whether the system libzstd compresses on worker threads (built with multithreading, as
    /// Debian's and Homebrew's are): part of the output's identity too, as a libzstd without
    /// them compresses into other bytes.
    public static let hasWorkers: Bool = {
        guard let context = ZSTD_createCCtx() else { return false }
        defer { ZSTD_freeCCtx(context) }
        return ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, 1)) == 0
    }()

    /// The default level, the `zstd` command's: 3.
    public static let defaultLevel: Int32 = 3

    private var sink: any ByteSink
    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private var memberOpen = false
    private var memberStart: (compressed: Int64, uncompressed: Int64) = (0, 0)
    private var cancelled = false

    /// Sets libzstd up; writes nothing yet.
    ///
    /// - Parameters:
    ///   - sink: Where the zstd stream goes.
    ///   - level: The compression level, `ZSTD_minCLevel()...ZSTD_maxCLevel()` (1...19 as the
    ///     `zstd` command takes them without `--ultra`); 3 by default.
    ///   - threads: How many worker threads; `nil` for one per online processor.
    /// - Throws: ``ZstdError/invalidLevel(_:)``; ``ZstdError/library(operation:message:)``.
    public init(_ sink: any ByteSink, level: Int32 = ZstdCompressor.defaultLevel, threads: Int? = nil) throws {
        guard level >= 1, level <= ZSTD_maxCLevel() else { throw ZstdError.invalidLevel(level) }
        guard let context = ZSTD_createCCtx() else { throw ZstdError.library(operation: "ZSTD_createCCtx", message: "out of memory") }
        self.context = context
        self.sink = sink
        self.level = level
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 64)
        let wanted = max(1, threads ?? Processors.online)
        do {
            try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "ZSTD_CCtx_setParameter")
            try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "ZSTD_CCtx_setParameter")
        } catch {
            output.deallocate()
            ZSTD_freeCCtx(context)
            throw error
        }
        // Workers only where libzstd has threads; 0 would compress on this thread.
        self.threads = ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(wanted))) == 0 ? wanted : 1
    }

    deinit {
        output.deallocate()
        ZSTD_freeCCtx(context)
    }

    /// Compresses `bytes` into the current frame (starting one if none is open).
    ///
    /// - Parameter bytes: The next uncompressed bytes.
    /// - Throws: ``ZstdError``; what the sink throws.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !cancelled, let base = bytes.baseAddress, bytes.count > 0 else { return }
        if !memberOpen {
            memberOpen = true
            memberStart = (compressedBytesWritten, bytesConsumed)
        }
        var input = ZSTD_inBuffer(src: base, size: bytes.count, pos: 0)
        while input.pos < input.size {
            try step(&input, ZSTD_e_continue)
        }
        bytesConsumed += Int64(bytes.count)
    }

    /// Ends the current frame, if it has any bytes, and writes it out.
    ///
    /// - Throws: ``ZstdError``; what the sink throws.
    public func endMember() throws {
        guard memberOpen, !cancelled else { return }
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&input, ZSTD_e_end) != 0 {}
        memberOpen = false
        let member = CompressedMember(
            compressedOffset: memberStart.compressed, compressedSize: compressedBytesWritten - memberStart.compressed,
            uncompressedOffset: memberStart.uncompressed, uncompressedSize: bytesConsumed - memberStart.uncompressed)
        writtenMembers.append(member)
        observer?.memberEnded(member, index: writtenMembers.count - 1)
    }

    /// Writes a zstd frame compressed earlier after everything written so far (see
    /// ``Codec/MemberCompressor/appendCompressedMember(uncompressedSize:crc32:_:)``).
    public func appendCompressedMember(
        uncompressedSize: Int64, crc32: UInt32?, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        guard !cancelled else { return }
        try endMember()
        let start = compressedBytesWritten
        try body { bytes in
            try sink.write(bytes)
            compressedBytesWritten += Int64(bytes.count)
        }
        writtenMembers.append(
            CompressedMember(
                compressedOffset: start, compressedSize: compressedBytesWritten - start, uncompressedOffset: bytesConsumed,
                uncompressedSize: uncompressedSize))
        bytesConsumed += uncompressedSize
    }

    /// Ends the last frame and finishes the wrapped sink.
    ///
    /// - Throws: ``ZstdError``; what the sink throws.
    public func finish() throws {
        guard !cancelled else { return }
        try endMember()
        try sink.finish()
    }

    /// Drops what is in flight; nothing more is written and the sink is not finished.
    public func cancel() {
        cancelled = true
        ZSTD_CCtx_reset(context, ZSTD_reset_session_only)
    }

    /// One `ZSTD_compressStream2` call, its output written to the sink.
    ///
    /// - Returns: What libzstd returned: for `ZSTD_e_end`, the bytes still to flush (0: done).
    @discardableResult
    private func step(_ input: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective) throws -> Int {
        var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let remaining = try ZstdError.check(ZSTD_compressStream2(context, &out, &input, directive), "ZSTD_compressStream2")
        if out.pos > 0 {
            let piece = UnsafeRawBufferPointer(rebasing: output[0..<out.pos])
            try sink.write(piece)
            observer?.compressedBytes(piece, ofMember: writtenMembers.count)
            compressedBytesWritten += Int64(out.pos)
        }
        return remaining
    }
}
