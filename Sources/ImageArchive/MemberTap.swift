import ByteIO
import Codec
import OCI
import Tar

/// Where the data of an archive's large members goes while ``MemberTap`` reads the archive:
/// `imgtool push` uploads each layer from here, in the pass that verifies it.
public protocol MemberDataReceiver: AnyObject {
    /// A regular member of at least ``MemberTap/minimumSize`` bytes starts.
    ///
    /// - Parameters:
    ///   - name: The member's name as stored (`blobs/sha256/…`, `<id>/layer.tar`).
    ///   - size: Its data size in bytes.
    /// - Returns: A sink for its data, which gets every byte in order and then `finish()` at the
    ///   member's end (not when the archive ends inside it); `nil` to let it pass.
    /// - Throws: Anything; the read stops with it.
    func member(named name: String, size: Int64) throws -> (any ByteSink)?
}

/// Reads an image archive once, verifying it as ``ImageArchive/read(_:options:)`` does, and
/// hands the data of every large member to a ``MemberDataReceiver`` as it passes: the blobs
/// of the archive, exactly as stored (uncompressed for `docker save`, gzip or zstd where the
/// archive holds them so), without reading anything twice.
public enum MemberTap {
    /// Members of at least this size go to the receiver (64 KiB): every layer of a real image;
    /// configs and manifests are smaller and kept by the reader itself.
    public static let minimumSize: Int64 = 64 * 1024

    /// Reads the archive `input` holds (a tar, or a gzip- or zstd-compressed tar).
    ///
    /// - Parameters:
    ///   - input: The archive's bytes, front to back.
    ///   - options: What the reader keeps.
    ///   - receiver: Where large members' data goes.
    ///   - minimumSize: The smallest member handed over.
    /// - Returns: The archive read, with its integrity problems.
    /// - Throws: ``ArchiveError`` when the archive cannot be read; what the receiver or its
    ///   sinks throw; what `input` throws.
    public static func read(
        _ input: any ByteSource, options: ReadOptions = ReadOptions(), receiver: any MemberDataReceiver,
        minimumSize: Int64 = MemberTap.minimumSize
    ) throws -> ImageArchive {
        let outer = try OuterTar(input, progress: options.progress)
        let tap = MemberTapSource(outer.tar, receiver: receiver, minimumSize: minimumSize)
        var readOptions = options
        readOptions.progress = nil
        var archive: ImageArchive
        do {
            archive = try ImageArchive.read(.stream(tap), options: readOptions)
        } catch {
            throw outer.explained(error, tarBytes: tap.count)
        }
        outer.complete(&archive, tarBytes: tap.count)
        return archive
    }

    /// Opens `path` (`-` for stdin) and reads it as ``read(_:options:receiver:minimumSize:)`` does.
    ///
    /// - Throws: What that throws; ``ArchiveError/io(path:underlying:)`` when the input cannot be
    ///   opened or read.
    public static func read(
        path: String, options: ReadOptions = ReadOptions(), receiver: any MemberDataReceiver, minimumSize: Int64 = MemberTap.minimumSize
    ) throws -> ImageArchive {
        let source: FileSource
        do { source = try FileSource.open(pathOrStdin: path) } catch { throw ArchiveError.input(path, error) }
        do {
            return try read(source, options: options, receiver: receiver, minimumSize: minimumSize)
        } catch let e as ByteIOError {
            throw ArchiveError.input(path, e)
        }
    }
}

/// The tar stream ``MemberTap`` hands the reader: the data of each large member also goes to
/// the receiver's sink for it (its padding does not).
final class MemberTapSource: ByteSource {
    private var source: any ByteSource
    private let receiver: any MemberDataReceiver
    private var splitter: TarSpanSplitter
    /// The member being handed over: its entry, the sink, and data bytes still to come.
    private var current: (entry: Int, sink: (any ByteSink)?, remaining: Int64)?
    /// Tar bytes passed through so far.
    private(set) var count: Int64 = 0

    init(_ source: any ByteSource, receiver: any MemberDataReceiver, minimumSize: Int64) {
        self.source = source
        self.receiver = receiver
        self.splitter = TarSpanSplitter(minimumOwnSize: minimumSize)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        if n > 0 { try hand(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        return n
    }

    /// Skipped bytes are read through, so that the receiver gets them too.
    func skip(_ count: Int64) throws -> Int64 {
        if count <= 0 { return 0 }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 64)
        defer { scratch.deallocate() }
        var done: Int64 = 0
        while done < count {
            let want = Int(min(Int64(scratch.count), count - done))
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<want]))
            if n == 0 { break }
            done += Int64(n)
        }
        return done
    }

    private func hand(_ bytes: UnsafeRawBufferPointer) throws {
        count += Int64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            let span = splitter.next(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            defer { offset += span.count }
            guard let owner = span.owner else { continue }
            if current?.entry != owner.entry {
                current = (owner.entry, try receiver.member(named: owner.name, size: owner.size), owner.size)
            }
            guard var member = current, member.remaining > 0 else { continue }
            let n = Int(min(Int64(span.count), member.remaining))
            member.remaining -= Int64(n)
            if var sink = member.sink {
                try sink.write(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
                if member.remaining == 0 { try sink.finish() }
                member.sink = sink
            }
            current = member
        }
    }
}
