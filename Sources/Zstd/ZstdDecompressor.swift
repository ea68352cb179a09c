import ByteIO
import CZstd
import Codec

/// A ``ByteIO/ByteSource`` that decompresses a zstd stream read from another source, through the
/// system libzstd.
///
/// It reads every frame of a concatenated stream (`zstd`, `zstd -T0`, `pzstd`, `cat a.zst
/// b.zst`), passes over skippable frames (pzstd writes one before each frame), checks each
/// frame's checksum when it has one, and reports anything after a frame that is not another
/// frame as ``ZstdError/trailingGarbage(compressedOffset:)``. libzstd decompresses straight into
/// the caller's buffer.
///
/// A frame's window is what decoding it costs in memory, and the frame header chooses it: frames
/// that ask for more than ``windowLogMax`` (128 MiB by default, libzstd's own default, which
/// `zstd -d` also keeps without `--memory`) are refused with
/// ``ZstdError/windowTooLarge(compressedOffset:windowSize:limit:)`` before anything is allocated.
/// `zstd -3` on a large input uses a 2 MiB window, `zstd -19` 8 MiB, `zstd --long` 128 MiB.
public final class ZstdDecompressor: Decompressor {
    /// Compressed bytes consumed from the start of the stream (input read ahead into the buffer
    /// and not yet taken is not counted). At the end of the stream it is the size of the input.
    public private(set) var compressedBytesConsumed: Int64 = 0
    /// Decompressed bytes handed out so far.
    public private(set) var bytesProduced: Int64 = 0
    /// zstd frames decompressed to their end, checksum checked (skippable frames not counted).
    public private(set) var membersCompleted: Int = 0
    /// The most bytes the stream may decompress to, or `nil` for no limit.
    public let maximumOutput: Int64?
    /// The largest window accepted, as a power of two.
    public let windowLogMax: Int32

    /// The default of ``windowLogMax``: 27, a 128 MiB window.
    public static let defaultWindowLogMax: Int32 = 27

    private var source: any ByteSource
    private let context: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    /// Unconsumed input is `input[inputStart..<inputEnd]`.
    private var inputStart = 0
    private var inputEnd = 0
    private var sourceEnded = false
    private var framesSeen = 0

    private enum State {
        /// Before a frame's first byte: check its header, or find the end of the stream.
        case atFrameStart
        /// Inside a frame (or a skippable frame, `true`): libzstd is working.
        case inFrame(skippable: Bool)
        /// The stream ended cleanly; reads return 0.
        case finished
    }
    private var state = State.atFrameStart
    private var pendingError: (any Error)?
    private var scratch: UnsafeMutableRawBufferPointer?

    /// Prepares to decompress the zstd stream that `source` holds; reads nothing yet.
    ///
    /// - Parameters:
    ///   - source: The compressed stream.
    ///   - inputBufferSize: How many compressed bytes to read from `source` at a time (at least 64).
    ///   - maximumOutput: The most bytes the stream may decompress to; more throws
    ///     ``ZstdError/limitExceeded(limit:)``. `nil` for no limit.
    ///   - windowLogMax: The largest window accepted, as a power of two (10...31).
    /// - Throws: ``ZstdError/library(operation:message:)`` when libzstd cannot set up.
    public init(
        _ source: any ByteSource, inputBufferSize: Int = 256 * 1024, maximumOutput: Int64? = nil,
        windowLogMax: Int32 = ZstdDecompressor.defaultWindowLogMax
    ) throws {
        guard let context = ZSTD_createDCtx() else { throw ZstdError.library(operation: "ZSTD_createDCtx", message: "out of memory") }
        self.context = context
        self.source = source
        self.maximumOutput = maximumOutput
        self.windowLogMax = windowLogMax
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: min(max(inputBufferSize, 64), Int(Int32.max)), alignment: 64)
        do {
            try ZstdError.check(ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, windowLogMax), "ZSTD_DCtx_setParameter")
        } catch {
            input.deallocate()
            ZSTD_freeDCtx(context)
            throw error
        }
    }

    deinit {
        input.deallocate()
        scratch?.deallocate()
        ZSTD_freeDCtx(context)
    }

    private var windowLimit: UInt64 { 1 << UInt64(windowLogMax) }

    /// Decompresses up to `buffer.count` bytes straight into `buffer`.
    ///
    /// A read that decompresses some bytes and then meets an error returns those bytes; the error
    /// is thrown by the next read, and every read after it.
    ///
    /// - Parameter buffer: Where the decompressed bytes go.
    /// - Returns: The number of bytes produced; `0` only at the clean end of the stream.
    /// - Throws: ``ZstdError`` for data that is not zstd, cut short, corrupt or followed by
    ///   garbage, a window over the limit or output over ``maximumOutput``; what the source throws.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let pendingError { throw pendingError }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var output = ZSTD_outBuffer(dst: base, size: buffer.count, pos: 0)
        do {
            try decompress(into: &output)
        } catch {
            pendingError = error
            guard output.pos > 0 else { throw error }
        }
        return output.pos
    }

    /// Decompresses and discards up to `count` bytes.
    ///
    /// - Parameter count: How many bytes to pass over.
    /// - Returns: The number passed over: less than `count` only at the end of the stream.
    /// - Throws: What ``read(into:)`` throws.
    public func skip(_ count: Int64) throws -> Int64 {
        if count <= 0 { return 0 }
        let buffer = scratch ?? UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 64)
        scratch = buffer
        var done: Int64 = 0
        while done < count {
            let want = Int(min(Int64(buffer.count), count - done))
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            if n == 0 { break }
            done += Int64(n)
        }
        return done
    }

    private func decompress(into output: inout ZSTD_outBuffer) throws {
        while output.pos == 0 {
            switch state {
            case .finished:
                return
            case .atFrameStart:
                guard try startFrame() else {
                    state = .finished
                    return
                }
            case .inFrame(let skippable):
                if inputStart == inputEnd { try refill() }
                let available = inputEnd - inputStart
                var inBuffer = ZSTD_inBuffer(src: input.baseAddress! + inputStart, size: available, pos: 0)
                let before = output.pos
                let result = ZSTD_decompressStream(context, &output, &inBuffer)
                inputStart += inBuffer.pos
                compressedBytesConsumed += Int64(inBuffer.pos)
                try ZstdError.check(result, "ZSTD_decompressStream", compressedOffset: compressedBytesConsumed, windowLimit: windowLimit)
                bytesProduced += Int64(output.pos - before)
                if let maximumOutput, bytesProduced > maximumOutput { throw ZstdError.limitExceeded(limit: maximumOutput) }
                if result == 0 {
                    if !skippable { membersCompleted += 1 }
                    state = .atFrameStart
                } else if inBuffer.pos == 0, output.pos == before, inputStart == inputEnd, sourceEnded {
                    throw ZstdError.truncated(compressedOffset: compressedBytesConsumed)
                }
            }
        }
    }

    /// At a frame boundary: reads the next frame's header, or finds the clean end of the stream.
    ///
    /// - Returns: `false` at the end of the stream.
    private func startFrame() throws -> Bool {
        let available = try ensureAvailable(ZstdFrameHeader.maximumLength)
        if available == 0 {
            if framesSeen == 0 { throw ZstdError.notZstd(offset: 0) }
            return false
        }
        let bytes = UnsafeRawBufferPointer(rebasing: input[inputStart..<(inputStart + available)])
        guard let header = ZstdFrameHeader.parse(bytes) else {
            if framesSeen == 0 { throw ZstdError.notZstd(offset: compressedBytesConsumed) }
            throw ZstdError.trailingGarbage(compressedOffset: compressedBytesConsumed)
        }
        if let window = header.windowSize, window > windowLimit {
            throw ZstdError.windowTooLarge(compressedOffset: compressedBytesConsumed, windowSize: window, limit: windowLimit)
        }
        framesSeen += 1
        state = .inFrame(skippable: header.isSkippable)
        return true
    }

    /// Reads until at least `count` unconsumed bytes are buffered, or the source ends.
    ///
    /// - Returns: The unconsumed bytes buffered.
    private func ensureAvailable(_ count: Int) throws -> Int {
        while inputEnd - inputStart < count && !sourceEnded {
            if inputStart > 0 {
                let kept = inputEnd - inputStart
                if kept > 0 { input.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: kept) }
                inputStart = 0
                inputEnd = kept
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: input[inputEnd...]))
            if n == 0 { sourceEnded = true } else { inputEnd += n }
        }
        return inputEnd - inputStart
    }

    /// Reads the next input into the (empty) buffer.
    private func refill() throws {
        guard !sourceEnded else { return }
        inputStart = 0
        inputEnd = 0
        let n = try source.read(into: input)
        if n == 0 { sourceEnded = true } else { inputEnd = n }
    }
}
