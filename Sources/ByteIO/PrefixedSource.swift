/// A ``ByteSource`` that serves some bytes already read (to sniff the format, say) and then the
/// rest of the source they came from.
///
/// ```swift
/// var prefix = [UInt8](repeating: 0, count: CompressionFormat.sniffLength)
/// let n = try prefix.withUnsafeMutableBytes { try file.readFully(into: $0) }
/// prefix.removeSubrange(n...)
/// let whole = PrefixedSource(prefix: prefix, source: file)
/// ```
public final class PrefixedSource: ByteSource {
    private let prefix: [UInt8]
    private var prefixPosition = 0
    private var source: any ByteSource

    /// Bytes of the prefix not yet read.
    public var remainingPrefixCount: Int { prefix.count - prefixPosition }

    /// Serves `prefix`, then `source`.
    ///
    /// - Parameters:
    ///   - prefix: The bytes to serve first.
    ///   - source: The source to read once the prefix is exhausted.
    public init(prefix: [UInt8], source: any ByteSource) {
        self.prefix = prefix
        self.source = source
    }

    /// Reads from the prefix while it lasts, then from the wrapped source. A read never spans
    /// both, which the protocol allows (a short read is not the end).
    ///
    /// - Parameter buffer: Where the bytes go.
    /// - Returns: The number of bytes read; `0` only at the end of the wrapped source.
    /// - Throws: Whatever the wrapped source throws.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        let available = remainingPrefixCount
        if available > 0 {
            let n = min(available, buffer.count)
            prefix.withUnsafeBytes { bytes in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[prefixPosition..<prefixPosition + n]))
            }
            prefixPosition += n
            return n
        }
        return try source.read(into: buffer)
    }

    /// Skips within the prefix, then asks the wrapped source to skip the rest (so a regular file
    /// still seeks).
    ///
    /// - Parameter count: How many bytes to pass over.
    /// - Returns: The number of bytes passed over: less than `count` only at the end of the stream.
    /// - Throws: Whatever the wrapped source's `skip` throws.
    public func skip(_ count: Int64) throws -> Int64 {
        if count <= 0 { return 0 }
        let fromPrefix = Int(min(Int64(remainingPrefixCount), count))
        prefixPosition += fromPrefix
        let rest = count - Int64(fromPrefix)
        if rest == 0 { return count }
        return Int64(fromPrefix) + (try source.skip(rest))
    }
}
