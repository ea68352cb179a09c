import ByteIO
import CZlib
import Codec

/// Finds the members of a gzip stream, with their compressed and uncompressed offsets, by
/// decompressing it front to back (gzip keeps no index of its members).
///
/// It reads what ``Inflater`` reads: any number of members, then optional zero padding, and
/// checks every member's CRC-32 and length trailer. Use it to recover the member boundaries of
/// a file that ``ParallelDeflater`` wrote (an `imgtool pack` output), or of any gzip file:
///
/// ```swift
/// let members = try GzipMemberScanner.members(of: FileSource(path: "app.tar.gz"))
/// for m in members { print(m.compressedOffset, m.compressedSize, m.uncompressedSize) }
/// ```
///
/// A scanner belongs to one thread; it is not `Sendable`.
public final class GzipMemberScanner {
    /// Compressed bytes consumed so far: the end of the last member found (plus any zero padding
    /// after the last member, once ``next(_:)`` has returned `nil`).
    public private(set) var compressedBytesConsumed: Int64 = 0
    /// Decompressed bytes produced so far.
    public private(set) var bytesProduced: Int64 = 0

    private var source: any ByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var sourceEnded = false
    private var membersFound = 0
    private var ended = false

    /// Prepares to scan the gzip stream that `source` holds; reads nothing yet.
    ///
    /// The corresponding zlib call is `inflateInit2(strm, 15 + 16)`.
    ///
    /// - Parameters:
    ///   - source: The compressed stream.
    ///   - bufferSize: How many bytes to read and to decompress at a time (at least 4 KiB).
    /// - Throws: ``GzipError/zlib(operation:code:message:)`` when zlib cannot initialise.
    public init(_ source: any ByteSource, bufferSize: Int = 256 * 1024) throws {
        self.source = source
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = CZlib_inflateInit2(stream, 15 + 16)
        do {
            try GzipError.check(rc, "inflateInit2", stream: stream, compressedOffset: 0)
        } catch {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw error
        }
        let size = min(max(bufferSize, 4096), Int(Int32.max))
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
        output.deallocate()
    }

    /// Decompresses the next member to its trailer.
    ///
    /// The corresponding zlib calls are `inflate(strm, Z_NO_FLUSH)` and `inflateReset(strm)`
    /// between members.
    ///
    /// - Parameter body: Called with the member's decompressed bytes, piece by piece, in order
    ///   (to hash them, say); the pieces are valid only during the call.
    /// - Returns: The member, or `nil` at the clean end of the stream.
    /// - Throws: ``GzipError/notGzip(offset:)`` when the stream (even empty) does not start
    ///   with `1f 8b 08`; ``GzipError/truncated(compressedOffset:)`` when it ends inside a
    ///   member; ``GzipError/corrupt(compressedOffset:reason:)`` for bad data or a bad trailer;
    ///   ``GzipError/trailingGarbage(compressedOffset:)`` for bytes after the last member that
    ///   are neither a member nor zeros; whatever the source or `body` throws.
    public func next(_ body: ((UnsafeRawBufferPointer) throws -> Void)? = nil) throws -> GzipMember? {
        if ended { return nil }
        guard try startMember() else {
            ended = true
            return nil
        }
        let start = compressedBytesConsumed
        let uncompressedStart = bytesProduced
        while true {
            if inputStart == inputEnd && !sourceEnded { try refill() }
            let availableIn = inputEnd - inputStart
            let room = output.count
            let rc: Int32
            let made: Int
            do {
                defer {
                    stream.pointee.next_in = nil
                    stream.pointee.avail_in = 0
                    stream.pointee.next_out = nil
                    stream.pointee.avail_out = 0
                }
                stream.pointee.next_in = (input.baseAddress! + inputStart).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(availableIn)
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(room)
                rc = inflate(stream, Z_NO_FLUSH)
                let taken = availableIn - Int(stream.pointee.avail_in)
                made = room - Int(stream.pointee.avail_out)
                inputStart += taken
                compressedBytesConsumed += Int64(taken)
                bytesProduced += Int64(made)
            }
            let status = try GzipError.check(rc, "inflate", stream: stream, compressedOffset: compressedBytesConsumed)
            if made > 0, let body { try body(UnsafeRawBufferPointer(rebasing: output[0..<made])) }
            switch status {
            case Z_STREAM_END:
                membersFound += 1
                // In gzip mode zlib keeps the running CRC-32 of the output in `adler`.
                let crc = UInt32(truncatingIfNeeded: stream.pointee.adler)
                return GzipMember(
                    compressedOffset: start, compressedSize: compressedBytesConsumed - start,
                    uncompressedOffset: uncompressedStart, uncompressedSize: bytesProduced - uncompressedStart, crc32: crc)
            case Z_BUF_ERROR:
                if inputStart != inputEnd && made == 0 {
                    throw GzipError.zlib(operation: "inflate", code: rc, message: "no progress with input and room for output")
                }
                if inputStart == inputEnd && sourceEnded {
                    throw GzipError.truncated(compressedOffset: compressedBytesConsumed)
                }
            default:
                if inputStart == inputEnd && sourceEnded && made == 0 {
                    throw GzipError.truncated(compressedOffset: compressedBytesConsumed)
                }
            }
        }
    }

    /// Scans a whole gzip stream.
    ///
    /// - Parameter source: The compressed stream.
    /// - Returns: Its members, in order.
    /// - Throws: What ``next(_:)`` throws.
    public static func members(of source: any ByteSource) throws -> [GzipMember] {
        let scanner = try GzipMemberScanner(source)
        var members: [GzipMember] = []
        while let member = try scanner.next() { members.append(member) }
        return members
    }

    /// Reads more input after the unconsumed bytes, moving them to the front first.
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
        if n == 0 { sourceEnded = true } else { inputEnd += n }
    }

    /// Decides what follows a member: another member (zlib reset for it), or the end.
    ///
    /// - Returns: `true` when a member starts here, `false` at the clean end.
    private func startMember() throws -> Bool {
        while inputEnd - inputStart < 3 && !sourceEnded { try refill() }
        let available = inputEnd - inputStart
        let bytes = UnsafeRawBufferPointer(rebasing: input[inputStart..<(inputStart + min(available, 3))])
        let matches = zip(bytes, [0x1F, 0x8B, 0x08] as [UInt8]).allSatisfy { $0 == $1 }
        let first = membersFound == 0
        if available >= 3 && matches {
            if !first {
                try GzipError.check(inflateReset(stream), "inflateReset", stream: stream, compressedOffset: compressedBytesConsumed)
            }
            return true
        }
        if first {
            if available > 0 && matches { throw GzipError.truncated(compressedOffset: Int64(available)) }
            throw GzipError.notGzip(offset: 0)
        }
        if available == 0 { return false }
        if matches { throw GzipError.truncated(compressedOffset: compressedBytesConsumed + Int64(available)) }
        guard bytes[0] == 0 else { throw GzipError.trailingGarbage(compressedOffset: compressedBytesConsumed) }
        // Zero padding to the end, which GNU gzip ignores.
        let memberEnd = compressedBytesConsumed
        var zeros: Int64 = 0
        while true {
            let pending = UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd])
            if pending.contains(where: { $0 != 0 }) { throw GzipError.trailingGarbage(compressedOffset: memberEnd) }
            zeros += Int64(pending.count)
            inputStart = inputEnd
            if sourceEnded { break }
            try refill()
        }
        compressedBytesConsumed += zeros
        return false
    }
}
