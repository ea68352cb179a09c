import ByteIO
import Codec
import OCI
import Tar

/// The tar stream that ``ArchivePacker`` hands to the reader: every byte read through it is
/// also compressed, member-aligned, into a ``Codec/MemberCompressor`` (gzip or zstd), so that the archive is read
/// once and verified while it is written.
///
/// Skipped bytes are read through, so that the output gets them too.
final class PackingSource: ByteSource {
    private var source: any ByteSource
    private var deflater: any MemberCompressor
    private var splitter: TarSpanSplitter
    /// The entry whose data the current gzip member holds (`nil`: a group); meaningful once
    /// `memberStarted`.
    private var currentOwner: Int?
    private var memberStarted = false
    /// For each gzip member begun, the tar member it holds alone, if any.
    private(set) var owners: [String?] = []
    /// Tar bytes passed through so far.
    private(set) var count: Int64 = 0

    private lazy var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 64)
    private var hasScratch = false

    /// Reads `source` and compresses what it reads into `deflater`.
    ///
    /// - Parameters:
    ///   - source: The uncompressed tar stream.
    ///   - deflater: Where the same bytes go, one member (gzip member, zstd frame) per large tar member.
    ///   - minimumOwnSize: Regular members with at least this much data get a member of their own.
    init(_ source: any ByteSource, deflater: any MemberCompressor, minimumOwnSize: Int64) {
        self.source = source
        self.deflater = deflater
        self.splitter = TarSpanSplitter(minimumOwnSize: minimumOwnSize)
    }

    deinit { if hasScratch { scratch.deallocate() } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        if n > 0 { try pack(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        return n
    }

    func skip(_ count: Int64) throws -> Int64 {
        if count <= 0 { return 0 }
        hasScratch = true
        var done: Int64 = 0
        while done < count {
            let want = Int(min(Int64(scratch.count), count - done))
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<want]))
            if n == 0 { break }
            done += Int64(n)
        }
        return done
    }

    /// Ends the last member and waits for the compression to finish.
    ///
    /// - Throws: ``PackError``.
    func finish() throws {
        do { try deflater.finish() } catch { throw PackError(error) }
    }

    /// Compresses `bytes`, starting a gzip member wherever the splitter says a large member's
    /// data starts or ends.
    private func pack(_ bytes: UnsafeRawBufferPointer) throws {
        count += Int64(bytes.count)
        var offset = 0
        do {
            while offset < bytes.count {
                let span = splitter.next(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                let owner = span.owner?.entry
                if memberStarted && owner != currentOwner {
                    try deflater.endMember()
                    memberStarted = false
                }
                if !memberStarted {
                    owners.append(span.owner?.name)
                    currentOwner = owner
                    memberStarted = true
                }
                try deflater.write(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + span.count)]))
                offset += span.count
            }
        } catch {
            throw PackError(error)
        }
    }
}
