import ByteIO
import Codec
import Gzip
import OCI
import Tar
import Zstd

/// Reads an image archive once, verifying it as ``ImageArchive/read(_:options:)`` does, and
/// writes the same tar as member-aligned gzip (or zstd), compressed on every core.
///
/// The output is standard gzip that `gunzip`, `pigz -d`, Python's `gzip` and `docker load`
/// read back to the exact input tar (the decompressed tar, for a `.tar.gz` or `.tar.zst`
/// input); or, with ``PackOptions/format`` zstd, standard zstd frames that `zstd -d` reads. Its members
/// follow the outer tar: the data of every regular member of at least
/// ``PackOptions/minimumOwnMemberSize`` bytes (every layer blob) is a gzip member of its own,
/// compressed from a fresh start, so the same layer gives the same compressed bytes in every
/// archive that holds it; headers and small members between them are grouped into one member.
/// Within a member, blocks are compressed in parallel with the preceding 32 KiB as dictionary
/// (see ``ParallelDeflater``). Same input and options, same output bytes, whatever the thread
/// count.
///
/// The archive is read once and never held: each block is compressed while the reader hashes
/// and indexes it. Nothing decides whether the output is kept: write into an
/// ``AtomicFileSink`` and commit it once the caller's checks on ``PackedArchive/archive``
/// pass.
public enum ArchivePacker {
    /// Packs the archive that `input` holds (a tar, or a gzip- or zstd-compressed tar) into `sink`.
    ///
    /// - Parameters:
    ///   - input: The archive's bytes, front to back.
    ///   - sink: Where the gzip stream goes; finished at the end.
    ///   - options: Compression and verification options.
    /// - Returns: The archive read, with its integrity problems, and the members written.
    /// - Throws: ``ArchiveError`` when the archive cannot be read or is not an image archive
    ///   (the output is then incomplete); ``PackError`` when the output cannot be written;
    ///   ``GzipError/invalidLevel(_:)`` or ``ZstdError/invalidLevel(_:)`` for a level out of
    ///   range; what `input` throws.
    public static func pack(_ input: any ByteSource, into sink: any ByteSink, options: PackOptions = PackOptions()) throws -> PackedArchive
    {
        let outer = try OuterTar(input, progress: options.progress)
        // The output is written on a thread of its own: this one reads, hashes and hands out
        // blocks, and never waits for write(2).
        let hashing = options.hashesOutput ? HashingSink(sink) : nil
        let behind = WriteBehindSink(hashing ?? sink)
        var deflater: any MemberCompressor
        switch options.format {
        case .zstd: deflater = try ZstdCompressor(behind, level: options.level, threads: options.threads)
        default: deflater = try ParallelDeflater(behind, level: options.level, threads: options.threads, blockSize: options.blockSize)
        }
        let cache = options.cache.map {
            PackCacheSession(cache: $0, format: deflater.format, level: options.level, blockSize: options.blockSize)
        }
        let packing = PackingSource(outer.tar, deflater: deflater, minimumOwnSize: options.minimumOwnMemberSize, cache: cache)
        var readOptions = options.read
        readOptions.progress = nil
        var archive: ImageArchive
        do {
            archive = try ImageArchive.read(.stream(packing), options: readOptions)
            // The reader reads to the end of the stream; make sure of it, as the output needs every byte.
            _ = try packing.skip(Int64.max)
            try packing.finish()
        } catch {
            deflater.cancel()
            behind.cancel()
            cache?.abandon()
            throw outer.explained(error, tarBytes: packing.count)
        }
        outer.complete(&archive, tarBytes: packing.count)
        var report = cache?.finish(digests: archive.dataDigests, now: FileStatus.now)
        report?.mismatches += packing.reuseMismatches
        let members = deflater.writtenMembers.enumerated().map { index, member in
            PackedMember(compressed: member, tarMember: index < packing.owners.count ? packing.owners[index] : nil)
        }
        return PackedArchive(
            archive: archive, format: deflater.format, members: members, tarBytes: packing.count,
            compressedBytes: deflater.compressedBytesWritten,
            level: options.level, threads: deflater.threads, cache: report, outputDigest: hashing?.sha256.map { Digest($0) })
    }

    /// Opens `path` (`-` for stdin) and packs it into `sink`.
    ///
    /// - Parameters:
    ///   - path: A file path, or `-`.
    ///   - sink: Where the gzip stream goes.
    ///   - options: Compression and verification options.
    /// - Returns: What ``pack(_:into:options:)`` returns.
    /// - Throws: What ``pack(_:into:options:)`` throws; ``ArchiveError/io(path:underlying:)`` when
    ///   the input cannot be opened or read.
    public static func pack(path: String, into sink: any ByteSink, options: PackOptions = PackOptions()) throws -> PackedArchive {
        let source: FileSource
        do { source = try FileSource.open(pathOrStdin: path, enlargingPipe: false) } catch { throw ArchiveError.input(path, error) }
        do {
            return try pack(source, into: sink, options: options)
        } catch let e as ByteIOError {
            // The input's own read errors (output errors are PackErrors).
            throw ArchiveError.input(path, e)
        }
    }
}
