import ByteIO
import Codec
import Gzip
import Zstd

/// The one place that maps a ``Codec/CompressionFormat`` to the decompressor that reads it, and
/// a decompressor's error to the ``ArchiveError`` that locates it: gzip's `Inflater` and zstd's
/// `ZstdDecompressor`, both ``Codec/Decompressor``s; the reader knows neither beyond this file.
enum ArchiveDecompression {
    /// Whether the reader decompresses `format`.
    static func reads(_ format: CompressionFormat) -> Bool {
        format == .gzip || format == .zstd
    }

    /// A decompressor of `format` over `source`.
    ///
    /// - Parameters:
    ///   - format: ``Codec/CompressionFormat/gzip`` or ``Codec/CompressionFormat/zstd``.
    ///   - source: The compressed bytes.
    ///   - member: The archive member they are, for errors (`nil`: the archive itself).
    /// - Throws: ``ArchiveError/unsupportedCompression(_:)`` (the archive) or
    ///   ``ArchiveError/unsupportedLayerCompression(member:format:)`` for another format; a
    ///   located error when the codec cannot be set up.
    static func decompressor(_ format: CompressionFormat, _ source: any ByteSource, member: String?) throws -> any Decompressor {
        do {
            switch format {
            case .gzip: return try Inflater(source)
            case .zstd: return try ZstdDecompressor(source)
            default: break
            }
        } catch {
            throw located(error, member: member)
        }
        if let member { throw ArchiveError.unsupportedLayerCompression(member: member, format: format) }
        throw ArchiveError.unsupportedCompression(format)
    }

    /// `error` located at `member` when it is a codec's; anything else as it is.
    static func located(_ error: any Error, member: String?) -> any Error {
        switch error {
        case let e as GzipError: ArchiveError.gzip(member: member, e)
        case let e as ZstdError: ArchiveError.zstd(member: member, e)
        default: error
        }
    }
}

/// The archive's own compressed stream, whose codec errors are located as the archive's
/// (member `nil`).
final class OuterDecompressedSource: ByteSource {
    /// The decompressor, for its counts.
    let decompressor: any Decompressor
    private var source: any Decompressor

    init(_ decompressor: any Decompressor) {
        self.decompressor = decompressor
        source = decompressor
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do { return try source.read(into: buffer) } catch { throw ArchiveDecompression.located(error, member: nil) }
    }

    func skip(_ count: Int64) throws -> Int64 {
        do { return try source.skip(count) } catch { throw ArchiveDecompression.located(error, member: nil) }
    }
}
