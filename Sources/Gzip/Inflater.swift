import ByteIO
import CZlib
import Codec

/// A ``ByteSource`` that decompresses a gzip stream read from another source.
///
/// It reads every member of a multi-member stream (`cat a.gz b.gz`, pigz, bgzip), accepts zero
/// padding after the last member as GNU gzip does, and reports anything else after a member as
/// ``GzipError/trailingGarbage(compressedOffset:)``. zlib decompresses straight into the
/// caller's buffer; the only copy is the compressed input into one buffer allocated up front.
///
/// These rules are the module's only ones for where members start and what may follow them:
/// ``GzipMemberScanner`` reads through an inflater and takes each member from it as it ends.
public final class Inflater: Decompressor {
    /// Compressed bytes consumed from the start of the stream: the bytes zlib has taken in, plus
    /// any zero padding passed over after the last member; input read ahead into the buffer and
    /// not yet taken is not counted. At the end of the stream it is the size of the input.
    public private(set) var compressedBytesConsumed: Int64 = 0

    /// Decompressed bytes handed out so far.
    public private(set) var bytesProduced: Int64 = 0

    /// gzip members decompressed to their end, trailer checked.
    public private(set) var membersCompleted: Int = 0

    /// The most bytes the stream may decompress to, or `nil` for no limit.
    public let maximumOutput: Int64?

    /// The last member decompressed to its end, trailer checked: where it lies in the compressed
    /// and the decompressed stream, and its CRC-32. `nil` before the first.
    private(set) var lastMember: GzipMember?

    private var source: any ByteSource
    private let stream: ZStream
    private let input: UnsafeMutableRawBufferPointer
    /// Unconsumed input is `input[inputStart..<inputEnd]`.
    private var inputStart = 0
    private var inputEnd = 0
    private var sourceEnded = false

    private enum State {
        /// Before a member's first byte: check the magic, or find the end of the stream.
        case atMemberStart
        /// Inside a member: zlib is working.
        case inMember
        /// The stream ended cleanly; reads return 0.
        case finished
    }
    private var state = State.atMemberStart
    /// Where the member being decompressed starts, in the compressed and the decompressed stream.
    private var memberStart: (compressed: Int64, uncompressed: Int64) = (0, 0)
    /// An error met after some output of a read: that read returned the output, later reads throw it.
    private var pendingError: (any Error)?

    private static let magic: (UInt8, UInt8, UInt8) = (0x1F, 0x8B, 0x08)

    /// Prepares to decompress the gzip stream that `source` holds; reads nothing yet.
    ///
    /// The corresponding zlib call is `inflateInit2(strm, 15 + 16)` (a 32 KiB window, gzip
    /// wrapper only).
    ///
    /// - Parameters:
    ///   - source: The compressed stream.
    ///   - inputBufferSize: How many compressed bytes to read from `source` at a time (at least 64).
    ///   - maximumOutput: The most bytes the stream may decompress to; more throws
    ///     ``GzipError/limitExceeded(limit:)``. `nil` for no limit.
    /// - Throws: ``GzipError/zlib(operation:code:message:)`` when zlib cannot initialise
    ///   (`Z_MEM_ERROR`, `Z_VERSION_ERROR`).
    public init(_ source: any ByteSource, inputBufferSize: Int = 256 * 1024, maximumOutput: Int64? = nil) throws {
        self.source = source
        self.maximumOutput = maximumOutput
        stream = try ZStream.inflating(windowBits: 15 + 16)
        let size = min(max(inputBufferSize, 64), Int(Int32.max))
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    }

    deinit {
        input.deallocate()
    }

    /// Decompresses up to `buffer.count` bytes straight into `buffer`.
    ///
    /// The corresponding zlib call is `inflate(strm, Z_NO_FLUSH)`, with `inflateReset(strm)`
    /// between members.
    ///
    /// - Parameter buffer: Where the decompressed bytes go.
    /// A read that decompresses some bytes and then meets an error returns those bytes; the
    /// error is thrown by the next read, and every read after it.
    ///
    /// - Returns: The number of bytes produced; `0` only at the clean end of the stream.
    /// - Throws: ``GzipError/notGzip(offset:)`` when the input (even empty) does not start with
    ///   `1f 8b 08`; ``GzipError/truncated(compressedOffset:)`` when it ends inside a member;
    ///   ``GzipError/corrupt(compressedOffset:reason:)`` for bad data or a bad CRC-32/length
    ///   trailer; ``GzipError/trailingGarbage(compressedOffset:)`` for bytes after the last
    ///   member that are neither a member nor zeros; ``GzipError/limitExceeded(limit:)`` past
    ///   ``maximumOutput``; and whatever the source throws.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let pendingError { throw pendingError }
        guard let outBase = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var produced = 0
        do {
            return try decompress(into: outBase, count: buffer.count, produced: &produced, toMemberEnd: false)
        } catch {
            // Hand out what this call decompressed before the failure; later calls throw.
            pendingError = error
            guard produced > 0 else { throw error }
            return produced
        }
    }

    /// Decompresses into `buffer` as ``read(into:)`` does, but ends the read at the end of each
    /// member, for ``GzipMemberScanner``.
    ///
    /// A read that meets an error throws it at once: the bytes that read decompressed are not
    /// handed out (they are counted in ``bytesProduced``), and every later read throws it too.
    ///
    /// - Parameter buffer: Where the decompressed bytes go; not empty.
    /// - Returns: The number of bytes produced, and the member when this read took it to its end
    ///   (as ``lastMember``); `(0, nil)` only at the clean end of the stream.
    /// - Throws: What ``read(into:)`` throws.
    func readMember(into buffer: UnsafeMutableRawBufferPointer) throws -> (count: Int, completed: GzipMember?) {
        if let pendingError { throw pendingError }
        guard let outBase = buffer.baseAddress, buffer.count > 0 else {
            preconditionFailure("readMember(into:) needs room for output")
        }
        let completed = membersCompleted
        var produced = 0
        do {
            let count = try decompress(into: outBase, count: buffer.count, produced: &produced, toMemberEnd: true)
            return (count, membersCompleted > completed ? lastMember : nil)
        } catch {
            pendingError = error
            throw error
        }
    }

    /// The body of ``read(into:)`` and ``readMember(into:)``: inflates into
    /// `outBase[produced..<count]`, keeping `produced` current even when it throws; with
    /// `toMemberEnd`, returns at the end of a member even when it produced nothing.
    private func decompress(
        into outBase: UnsafeMutableRawPointer, count: Int, produced: inout Int, toMemberEnd: Bool
    ) throws -> Int {
        while true {
            switch state {
            case .finished:
                return produced
            case .atMemberStart:
                if try !startMember() {
                    state = .finished
                    return produced
                }
                memberStart = (compressedBytesConsumed, bytesProduced)
                state = .inMember
            case .inMember:
                break
            }

            if inputStart == inputEnd && !sourceEnded {
                try refill()
            }

            var room = min(count - produced, Int(Int32.max))
            if let limit = maximumOutput {
                // One byte past the limit tells "exactly the limit" from "more".
                room = Int(min(Int64(room), max(0, limit - bytesProduced) + 1))
            }
            let step = stream.process(
                UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]),
                into: UnsafeMutableRawBufferPointer(start: outBase + produced, count: room), flush: Z_NO_FLUSH)
            inputStart += step.taken
            compressedBytesConsumed += Int64(step.taken)
            produced += step.made
            bytesProduced += Int64(step.made)
            if let limit = maximumOutput, bytesProduced > limit {
                // Withhold the byte past the limit.
                produced -= Int(bytesProduced - limit)
                bytesProduced = limit
                throw GzipError.limitExceeded(limit: limit)
            }

            let status = try stream.status(of: step, compressedOffset: compressedBytesConsumed)
            switch status {
            case Z_STREAM_END:
                membersCompleted += 1
                // In gzip mode zlib keeps the running CRC-32 of the output, which the trailer matched.
                lastMember = GzipMember(
                    compressedOffset: memberStart.compressed, compressedSize: compressedBytesConsumed - memberStart.compressed,
                    uncompressedOffset: memberStart.uncompressed, uncompressedSize: bytesProduced - memberStart.uncompressed,
                    crc32: stream.checksum)
                state = .atMemberStart
                if produced > 0 || toMemberEnd { return produced }
            case Z_BUF_ERROR:
                // No progress: zlib needs input (the output buffer always has room).
                if inputStart != inputEnd {
                    throw GzipError.zlib(
                        operation: "inflate", code: status,
                        message: "no progress with \(inputEnd - inputStart) bytes of input and room for output")
                }
                if sourceEnded {
                    throw GzipError.truncated(compressedOffset: compressedBytesConsumed)
                }
            default:  // Z_OK
                if produced > 0 { return produced }
            }
        }
    }

    /// Decompresses and discards the next `count` bytes (a compressed stream cannot seek).
    ///
    /// - Parameter count: How many decompressed bytes to pass over.
    /// - Returns: The number of bytes passed over: less than `count` only at the end of the stream.
    /// - Throws: What ``read(into:)`` throws.
    public func skip(_ count: Int64) throws -> Int64 {
        try discardByReading(count)
    }

    /// Reads more compressed input into the buffer after the unconsumed bytes, moving those to
    /// the front first; sets `sourceEnded` when the source has no more.
    private func refill() throws {
        if inputStart > 0 {
            let pending = inputEnd - inputStart
            if pending > 0 {
                input.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: pending)
            }
            inputStart = 0
            inputEnd = pending
        }
        guard inputEnd < input.count else { return }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: input[inputEnd...]))
        if n == 0 {
            sourceEnded = true
        } else {
            inputEnd += n
        }
    }

    /// Makes at least `count` unconsumed bytes available unless the source ends first.
    ///
    /// - Returns: The number of unconsumed bytes available.
    private func ensureAvailable(_ count: Int) throws -> Int {
        while inputEnd - inputStart < count && !sourceEnded {
            try refill()
        }
        return inputEnd - inputStart
    }

    /// Decides what the bytes at a member boundary are.
    ///
    /// - Returns: `true` when a member starts here (zlib reset for it), `false` at the clean end.
    private func startMember() throws -> Bool {
        let available = try ensureAvailable(3)
        let first = membersCompleted == 0 && compressedBytesConsumed == 0
        let bytes = UnsafeRawBufferPointer(rebasing: input[inputStart..<inputStart + min(available, 3)])
        let magic = [Self.magic.0, Self.magic.1, Self.magic.2]
        let matchesMagic = zip(bytes, magic).allSatisfy { $0 == $1 }

        if available >= 3 && matchesMagic {
            if !first {
                try stream.reset(compressedOffset: compressedBytesConsumed)
            }
            return true
        }
        if first {
            // Empty, or not gzip at all; a lone "1f" or "1f 8b" is a gzip stream cut short.
            if available > 0 && matchesMagic {
                throw GzipError.truncated(compressedOffset: Int64(available))
            }
            throw GzipError.notGzip(offset: 0)
        }
        if available == 0 {
            return false
        }
        if matchesMagic {
            // The start of another member, cut short.
            throw GzipError.truncated(compressedOffset: compressedBytesConsumed + Int64(available))
        }
        if bytes[0] == 0 {
            return try skipZeroPadding()
        }
        throw GzipError.trailingGarbage(compressedOffset: compressedBytesConsumed)
    }

    /// Passes over zero bytes to the end of the input (GNU gzip ignores them).
    ///
    /// - Returns: `false`, the stream having ended cleanly.
    /// - Throws: ``GzipError/trailingGarbage(compressedOffset:)`` at the end of the last member
    ///   when anything but zeros follows.
    private func skipZeroPadding() throws -> Bool {
        let memberEnd = compressedBytesConsumed
        var zeros: Int64 = 0
        while true {
            let pending = UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd])
            if pending.contains(where: { $0 != 0 }) {
                throw GzipError.trailingGarbage(compressedOffset: memberEnd)
            }
            zeros += Int64(pending.count)
            inputStart = inputEnd
            if sourceEnded { break }
            try refill()
        }
        compressedBytesConsumed += zeros
        return false
    }
}
