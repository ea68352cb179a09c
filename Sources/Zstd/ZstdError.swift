import CZstd

/// Why a zstd stream could not be compressed or decompressed. The failures of the file or pipe
/// under it are ``ByteIO/ByteIOError``s, which pass through unchanged.
///
/// Errors about the data locate the failure by its **compressed offset**: the number of bytes of
/// compressed input consumed from the start of the stream (the file offset, when the stream is a
/// whole file), as ``Gzip/GzipError`` does.
public enum ZstdError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input does not start with a zstd frame (`28 b5 2f fd`) or a skippable frame
    /// (`5? 2a 4d 18`); this includes an empty input.
    case notZstd(offset: Int64)

    /// The input ended inside a frame: the file is incomplete.
    case truncated(compressedOffset: Int64)

    /// Bytes that are neither a zstd frame nor a skippable frame follow a complete frame;
    /// `compressedOffset` is where they start.
    case trailingGarbage(compressedOffset: Int64)

    /// libzstd rejected the data; `reason` is its own message (for example "Data corruption
    /// detected" or "Restored data doesn't match checksum").
    case corrupt(compressedOffset: Int64, reason: String)

    /// A frame asks for a window larger than the reader allows (see
    /// ``ZstdDecompressor/defaultWindowLogMax``): decoding it would need that much memory.
    case windowTooLarge(compressedOffset: Int64, windowSize: UInt64?, limit: UInt64)

    /// Decompression produced more than the configured maximum output.
    case limitExceeded(limit: Int64)

    /// A compression level outside libzstd's range was requested.
    case invalidLevel(Int32)

    /// A libzstd call failed for a reason other than bad data (memory, parameters).
    case library(operation: String, message: String)

    /// One line, subject first, with the expected and the found value where they apply.
    public var description: String {
        switch self {
        case .notZstd(let offset):
            return "input is not zstd at byte \(offset): expected the zstd magic 28 b5 2f fd or a skippable frame"
        case .truncated(let offset):
            return "zstd stream truncated at compressed byte \(offset): the file is incomplete (an interrupted download or copy?)"
        case .trailingGarbage(let offset):
            return "zstd stream has trailing garbage at compressed byte \(offset): expected another zstd frame (28 b5 2f fd) or the end"
        case .corrupt(let offset, let reason):
            return "zstd stream corrupt at compressed byte \(offset): \(reason)"
        case .windowTooLarge(let offset, let size, let limit):
            let found = size.map { "a \(Self.bytes($0)) window" } ?? "a larger window"
            return "zstd frame at compressed byte \(offset) needs \(found); imgtool decodes windows of at most \(Self.bytes(limit)) "
                + "(zstd -d needs --memory for such frames too)"
        case .limitExceeded(let limit):
            return "zstd output exceeds the limit of \(limit) bytes: a decompression bomb, or a limit set too low"
        case .invalidLevel(let level):
            return "zstd compression level \(level) is invalid: expected \(ZSTD_minCLevel())...\(ZSTD_maxCLevel())"
        case .library(let operation, let message):
            return "libzstd \(operation) failed: \(message)"
        }
    }

    /// A power-of-two size as `128 MiB`, anything else in bytes.
    static func bytes(_ n: UInt64) -> String {
        if n >= 1 << 30, n % (1 << 30) == 0 { return "\(n >> 30) GiB" }
        if n >= 1 << 20, n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
        if n >= 1 << 10, n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
        return "\(n) bytes"
    }

    /// The one place every libzstd return value goes through: a size is returned, an error code
    /// becomes a ``ZstdError``.
    ///
    /// - Parameters:
    ///   - result: What the libzstd call returned.
    ///   - operation: The call, for the message.
    ///   - compressedOffset: Compressed bytes consumed so far, to locate data errors.
    ///   - windowLimit: The window limit in force, for ``windowTooLarge(compressedOffset:windowSize:limit:)``.
    /// - Returns: `result`, when it is not an error code.
    @discardableResult
    static func check(_ result: Int, _ operation: String, compressedOffset: Int64 = 0, windowLimit: UInt64 = 0) throws(ZstdError) -> Int {
        guard ZSTD_isError(result) != 0 else { return result }
        let message = String(cString: ZSTD_getErrorName(result))
        switch ZSTD_getErrorCode(result) {
        case ZSTD_error_frameParameter_windowTooLarge:
            throw .windowTooLarge(compressedOffset: compressedOffset, windowSize: nil, limit: windowLimit)
        case ZSTD_error_memory_allocation, ZSTD_error_parameter_unsupported, ZSTD_error_parameter_outOfBound,
            ZSTD_error_stage_wrong, ZSTD_error_init_missing, ZSTD_error_GENERIC:
            throw .library(operation: operation, message: message)
        default:
            throw .corrupt(compressedOffset: compressedOffset, reason: message)
        }
    }
}
