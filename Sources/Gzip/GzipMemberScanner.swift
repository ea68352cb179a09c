import ByteIO

/// Finds the members of a gzip stream, with their compressed and uncompressed offsets, by
/// decompressing it front to back (gzip keeps no index of its members).
///
/// It reads through an ``Inflater``, so it reads exactly what that reads, by the same rules:
/// any number of members, then optional zero padding, and every member's CRC-32 and length
/// trailer checked. Use it to recover the member boundaries of a file that
/// ``ParallelDeflater`` wrote (an `imgtool pack` output), or of any gzip file:
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
    public var compressedBytesConsumed: Int64 { inflater.compressedBytesConsumed }
    /// Decompressed bytes produced so far.
    public var bytesProduced: Int64 { inflater.bytesProduced }

    private let inflater: Inflater
    /// The decompressed bytes of one read, handed to ``next(_:)``'s `body`.
    private let output: UnsafeMutableRawBufferPointer

    /// Prepares to scan the gzip stream that `source` holds; reads nothing yet.
    ///
    /// The corresponding zlib call is `inflateInit2(strm, 15 + 16)`.
    ///
    /// - Parameters:
    ///   - source: The compressed stream.
    ///   - bufferSize: How many bytes to read and to decompress at a time (at least 4 KiB).
    /// - Throws: ``GzipError/zlib(operation:code:message:)`` when zlib cannot initialise.
    public init(_ source: any ByteSource, bufferSize: Int = 256 * 1024) throws {
        let size = min(max(bufferSize, 4096), Int(Int32.max))
        inflater = try Inflater(source, inputBufferSize: size)
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    }

    deinit {
        output.deallocate()
    }

    /// Decompresses the next member to its trailer.
    ///
    /// The corresponding zlib calls are `inflate(strm, Z_NO_FLUSH)` and `inflateReset(strm)`
    /// between members, made by the ``Inflater`` underneath.
    ///
    /// - Parameter body: Called with the member's decompressed bytes, piece by piece, in order
    ///   (to hash them, say); the pieces are valid only during the call. The piece of a zlib
    ///   call that fails is not handed out.
    /// - Returns: The member, or `nil` at the clean end of the stream.
    /// - Throws: ``GzipError/notGzip(offset:)`` when the stream (even empty) does not start
    ///   with `1f 8b 08`; ``GzipError/truncated(compressedOffset:)`` when it ends inside a
    ///   member; ``GzipError/corrupt(compressedOffset:reason:)`` for bad data or a bad trailer;
    ///   ``GzipError/trailingGarbage(compressedOffset:)`` for bytes after the last member that
    ///   are neither a member nor zeros; whatever the source or `body` throws.
    public func next(_ body: ((UnsafeRawBufferPointer) throws -> Void)? = nil) throws -> GzipMember? {
        while true {
            let (count, completed) = try inflater.readMember(into: output)
            if count > 0, let body { try body(UnsafeRawBufferPointer(rebasing: output[0..<count])) }
            if let completed { return completed }
            if count == 0 { return nil }
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
}
