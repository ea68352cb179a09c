/// A ``ByteSource`` over one range of a regular file, read with `pread(2)` at its own position:
/// a tar member's data, walked header by header without going through the readers that hold
/// the rest of the archive.
///
/// Skipping only moves the position. Reading stops at the end of the range, or earlier at the
/// end of the file (a truncated archive), which the reader of the range then reports.
public final class FileRangeSource: ByteSource {
    private let file: FileSource
    /// The file offset of the range's first byte.
    public let start: Int64
    /// The range's length in bytes.
    public let length: Int64
    /// Bytes of the range read or skipped so far.
    public private(set) var position: Int64 = 0

    /// Reads `length` bytes of `file` from `start`; `file` must be a regular file
    /// (``FileSource/isSeekableRegularFile``). Its own position is not moved.
    ///
    /// - Parameters:
    ///   - file: The file.
    ///   - start: The file offset of the first byte.
    ///   - length: How many bytes the range has.
    public init(file: FileSource, start: Int64, length: Int64) {
        self.file = file
        self.start = start
        self.length = max(0, length)
    }

    /// Reads up to `buffer.count` bytes of the range.
    ///
    /// - Parameter buffer: Where the bytes go.
    /// - Returns: The number of bytes read; `0` at the end of the range or of the file.
    /// - Throws: What ``FileSource/read(into:at:)`` throws.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let want = Int(min(Int64(buffer.count), length - position))
        guard want > 0 else { return 0 }
        let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: start + position)
        position += Int64(n)
        return n
    }

    /// Moves the position forward, never past the end of the range.
    ///
    /// A skip past the end of a truncated file is not noticed here: the next read returns 0.
    /// - Parameter count: How many bytes to pass over.
    /// - Returns: The number of bytes passed over: less than `count` only at the end of the range.
    public func skip(_ count: Int64) throws -> Int64 {
        guard count > 0 else { return 0 }
        let step = min(count, length - position)
        position += step
        return step
    }
}
