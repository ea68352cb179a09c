import ByteIO
import Codec
import Gzip
import OCI
import Tar
import Zstd

/// How ``ArchivePacker`` compresses and what it verifies on the way.
public struct PackOptions: Sendable {
    /// The output's format: ``Codec/CompressionFormat/gzip`` (the default) or
    /// ``Codec/CompressionFormat/zstd``.
    public var format: CompressionFormat
    /// The compression level: for gzip `0` (store) to `9` (smallest), `6` by default as gzip's;
    /// for zstd `1` to `19`, `3` by default as the `zstd` command's.
    public var level: Int32
    /// How many threads compress; `nil` for one per online processor. The output does not
    /// depend on it.
    public var threads: Int?
    /// The size of the blocks compressed in parallel, for gzip (pigz's 128 KiB by default). The
    /// output depends on it: keep the default so that the same layer gives the same bytes. zstd's
    /// jobs are libzstd's own.
    public var blockSize: Int
    /// Regular members of the outer tar with at least this much data are compressed as members
    /// (gzip members, zstd frames) of their own (16 KiB by default: every layer, not the small JSON files).
    public var minimumOwnMemberSize: Int64
    /// Where the compressed members of layers are kept and taken from (see ``PackCache``);
    /// `nil` (the default) to compress every layer and keep nothing.
    public var cache: PackCache?
    /// What the single pass verifies and captures, as for ``ImageArchive/read(_:options:)``.
    /// Its `progress` is not called; use ``progress``.
    public var read: ReadOptions
    /// Called now and then with the number of input bytes (compressed, for a `.tar.gz`) read so far.
    public var progress: (@Sendable (Int64) -> Void)?
    /// Whether the output's SHA-256 is computed while it is written (``PackedArchive/outputDigest``),
    /// on the writing thread; off by default.
    public var hashesOutput = false

    /// The default of ``minimumOwnMemberSize``.
    public static let defaultMinimumOwnMemberSize: Int64 = 16 * 1024

    /// Creates options.
    ///
    /// - Parameters:
    ///   - format: gzip (default) or zstd.
    ///   - level: The compression level: `0...9` for gzip (default 6), `1...19` for zstd (default 3).
    ///   - threads: How many threads compress (default: one per processor).
    ///   - blockSize: The parallel block size (default 128 KiB).
    ///   - minimumOwnMemberSize: The data size from which a member is compressed on its own
    ///     (default 16 KiB).
    ///   - cache: Where layers' compressed members are kept and reused (default: nowhere).
    ///   - read: What to verify and capture (default: everything `verify` needs).
    ///   - progress: A progress callback over input bytes.
    public init(
        format: CompressionFormat = .gzip, level: Int32? = nil, threads: Int? = nil, blockSize: Int = ParallelDeflater.defaultBlockSize,
        minimumOwnMemberSize: Int64 = PackOptions.defaultMinimumOwnMemberSize, cache: PackCache? = nil, read: ReadOptions = ReadOptions(),
        progress: (@Sendable (Int64) -> Void)? = nil
    ) {
        self.cache = cache
        self.format = format
        self.level = level ?? (format == .zstd ? ZstdCompressor.defaultLevel : 6)
        self.threads = threads
        self.blockSize = blockSize
        self.minimumOwnMemberSize = minimumOwnMemberSize
        self.read = read
        self.progress = progress
    }
}
