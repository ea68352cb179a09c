/// A ``ByteSource`` that counts the bytes read through it, reports the count now and then, and
/// can show every byte to a tap.
///
/// With a tap, skipping reads through the bytes (so that the tap sees each one, once and in
/// order); without one, a skip is passed on (so a regular file still seeks).
public final class CountingSource: ByteSource {
    private var source: any ByteSource
    private let progress: (@Sendable (Int64) -> Void)?
    private let tap: ((UnsafeRawBufferPointer) -> Void)?
    /// Bytes read (or skipped) so far.
    public private(set) var count: Int64 = 0
    private var lastReport: Int64 = 0

    /// How many bytes pass between two calls of `progress`.
    public static let progressInterval: Int64 = 4 << 20

    /// Wraps `source`.
    /// - Parameters:
    ///   - source: The stream to count.
    ///   - progress: Called with ``count`` every ``progressInterval`` bytes and at the end.
    ///   - tap: Called with the bytes of every read, on the thread that reads.
    public init(
        _ source: any ByteSource, progress: (@Sendable (Int64) -> Void)? = nil,
        tap: ((UnsafeRawBufferPointer) -> Void)? = nil
    ) {
        self.source = source
        self.progress = progress
        self.tap = tap
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        if n > 0, let tap { tap(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        count += Int64(n)
        report(n == 0)
        return n
    }

    public func skip(_ count: Int64) throws -> Int64 {
        if tap != nil { return try discardByReading(count) }
        let n = try source.skip(count)
        self.count += n
        report(n < count)
        return n
    }

    /// Calls `progress` with the count now.
    public func reportNow() { progress?(count) }

    private func report(_ final: Bool) {
        guard let progress, final || count - lastReport >= Self.progressInterval else { return }
        lastReport = count
        progress(count)
    }
}
