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

/// An archive's outer stream opened as a tar, for a pass that reads it through a source of its
/// own (pack, push): its compression sniffed from the first bytes, decompressed when it has one.
struct OuterTar {
    /// Its compression.
    let format: CompressionFormat
    /// The thread that reads (and decompresses) the input ahead of the caller's.
    private let pipeline: InflatePipeline
    private let progress: (@Sendable (Int64) -> Void)?
    /// The tar stream.
    var tar: any ByteSource { pipeline.source }

    /// Sniffs `input` and opens its tar stream, read (and decompressed) on a thread of its own
    /// (``InflatePipeline``): the kernel's copy of a plain tar, or inflating a compressed one,
    /// overlaps with the hashing and compressing on the caller's thread.
    init(_ input: any ByteSource, progress: (@Sendable (Int64) -> Void)?) throws {
        var raw = input
        var head = [UInt8](repeating: 0, count: CompressionFormat.sniffLength)
        let got = try head.withUnsafeMutableBytes { try raw.readFully(into: $0) }
        head.removeSubrange(got...)
        format = CompressionFormat.detect(head)
        if format != .none && !ArchiveDecompression.reads(format) { throw ArchiveError.unsupportedCompression(format) }
        self.progress = progress
        let counted = CountingSource(PrefixedSource(prefix: head, source: raw), progress: progress)
        // A regular file stops within one buffer; a pipe may stay silent, and is not waited for.
        let waits = (input as? FileSource)?.isSeekableRegularFile ?? true
        pipeline = InflatePipeline(counted, compression: format, waitsForEnd: waits)
    }

    /// The reader saw only the decompressed stream: a "not an archive" says what held it, as a
    /// read does; any other error as it is.
    func explained(_ error: any Error, tarBytes: Int64) -> any Error {
        guard format != .none, case .notAnArchive(let found) = error as? ArchiveError else { return error }
        return ArchiveError.notAnArchive(
            found: tarBytes < 512
                ? ArchiveScanner.describeShortStream(format, tarBytes)
                : "\(format.rawValue)-compressed data that is not a tar archive (\(found))")
    }

    /// What the reader of the tar stream could not know of the input: its compression, gzip
    /// members, and sizes.
    func complete(_ archive: inout ImageArchive, tarBytes: Int64) {
        let summary = pipeline.source.summary
        if let progress, let summary { progress(summary.inputBytes) }
        archive.compression = format
        archive.gzipMembers = summary?.members ?? 0
        archive.inputBytes = summary?.inputBytes ?? 0
        archive.tarBytes = tarBytes
    }

    /// Stops the reading thread (after a failure, or once the stream has ended).
    func stop() { pipeline.stop() }
}
