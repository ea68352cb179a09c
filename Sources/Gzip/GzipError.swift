import ByteIO
import CZlib
import Codec

/// Why a gzip stream could not be compressed or decompressed. The failures of the file or pipe
/// under it are ``ByteIO/ByteIOError``s, which pass through the compressors unchanged.
///
/// Errors about the data locate the failure by its **compressed offset**: the number of bytes
/// of compressed input consumed from the start of the stream (the file offset, when the stream
/// is a whole file), so that `cmp`, `xxd -s` or `dd skip=` can take it from there.
public enum GzipError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input does not start with the gzip magic bytes `1f 8b 08` (this includes an empty input).
    case notGzip(offset: Int64)

    /// The input ended before the end of a gzip member: the file is incomplete.
    case truncated(compressedOffset: Int64)

    /// Bytes that are neither another gzip member nor zero padding follow a complete member.
    /// `compressedOffset` is where those bytes start: the end of the last complete member.
    case trailingGarbage(compressedOffset: Int64)

    /// zlib rejected the compressed data (`Z_DATA_ERROR`); `reason` is zlib's own message, for
    /// example "invalid block type", "incorrect data check" (bad CRC-32 trailer) or
    /// "incorrect length check" (bad ISIZE trailer).
    case corrupt(compressedOffset: Int64, reason: String)

    /// Decompression produced more than the configured maximum output (a decompression bomb?).
    case limitExceeded(limit: Int64)

    /// A compression level outside `0...9` was requested.
    case invalidLevel(Int32)

    /// A zlib call failed for a reason other than bad data (`Z_MEM_ERROR`, `Z_STREAM_ERROR`,
    /// `Z_VERSION_ERROR`, ...); `message` is zlib's message or `zError(code)`.
    case zlib(operation: String, code: Int32, message: String)

    /// One line, subject first, with the expected and the found value where they apply.
    public var description: String {
        switch self {
        case .notGzip(let offset):
            return "input is not gzip at byte \(offset): expected the gzip magic 1f 8b 08"
        case .truncated(let offset):
            return "gzip stream truncated at compressed byte \(offset): "
                + "the file is incomplete (an interrupted download or copy?)"
        case .trailingGarbage(let offset):
            return "gzip stream has trailing garbage at compressed byte \(offset): "
                + "expected another gzip member (1f 8b 08) or zero padding up to the end"
        case .corrupt(let offset, let reason):
            return "gzip stream corrupt at compressed byte \(offset): \(reason)"
        case .limitExceeded(let limit):
            return "gzip output exceeds the limit of \(limit) bytes: a decompression bomb, or a limit set too low"
        case .invalidLevel(let level):
            return "gzip compression level \(level) is invalid: expected 0...9"
        case .zlib(let operation, let code, let message):
            return "zlib \(operation) failed: \(message) (\(GzipError.codeName(code)))"
        }
    }

    /// The symbolic name of a zlib return code, for messages.
    static func codeName(_ code: Int32) -> String {
        switch code {
        case Z_OK: return "Z_OK"
        case Z_STREAM_END: return "Z_STREAM_END"
        case Z_NEED_DICT: return "Z_NEED_DICT"
        case Z_ERRNO: return "Z_ERRNO"
        case Z_STREAM_ERROR: return "Z_STREAM_ERROR"
        case Z_DATA_ERROR: return "Z_DATA_ERROR"
        case Z_MEM_ERROR: return "Z_MEM_ERROR"
        case Z_BUF_ERROR: return "Z_BUF_ERROR"
        case Z_VERSION_ERROR: return "Z_VERSION_ERROR"
        default: return "code \(code)"
        }
    }

    /// The one place every zlib return code goes through.
    ///
    /// `Z_OK`, `Z_STREAM_END` and `Z_BUF_ERROR` (no progress possible, which zlib documents as
    /// not fatal) are returned for the caller to act on; everything else is thrown.
    ///
    /// - Parameters:
    ///   - rc: What the zlib call returned.
    ///   - operation: The zlib call, for the message (for example `"inflate"`).
    ///   - stream: The stream the call worked on, whose `msg` explains the failure; `nil` when
    ///     there is none yet.
    ///   - compressedOffset: Compressed bytes consumed so far, to locate data errors.
    /// - Returns: `rc`, when it is `Z_OK`, `Z_STREAM_END` or `Z_BUF_ERROR`.
    /// - Throws: ``GzipError/corrupt(compressedOffset:reason:)`` for `Z_DATA_ERROR` and
    ///   `Z_NEED_DICT`, ``GzipError/zlib(operation:code:message:)`` for anything else.
    @discardableResult
    static func check(
        _ rc: Int32, _ operation: String, stream: UnsafeMutablePointer<z_stream>?, compressedOffset: Int64
    ) throws(GzipError) -> Int32 {
        switch rc {
        case Z_OK, Z_STREAM_END, Z_BUF_ERROR:
            return rc
        case Z_DATA_ERROR:
            throw .corrupt(compressedOffset: compressedOffset, reason: message(rc, stream))
        case Z_NEED_DICT:
            throw .corrupt(compressedOffset: compressedOffset, reason: "the data needs a preset dictionary, which gzip never uses")
        default:
            throw .zlib(operation: operation, code: rc, message: message(rc, stream))
        }
    }

    /// zlib's `msg` for the stream, or else `zError(rc)`.
    private static func message(_ rc: Int32, _ stream: UnsafeMutablePointer<z_stream>?) -> String {
        if let stream, let msg = stream.pointee.msg {
            return String(cString: msg)
        }
        if let text = zError(rc) {
            return String(cString: text)
        }
        return "zlib error \(rc)"
    }
}
