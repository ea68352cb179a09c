import ByteIO
import Codec
import Gzip
import OCI
import Tar

/// The single pass: reads the archive front to back once, hashes every member, keeps small
/// JSON members, and reduces every layer to a ``LayerTable``, with no temporary files.
///
/// Nothing is resolved here: which member is a config or a layer of which image is only known
/// from `manifest.json` and `index.json`, which every writer puts after the blobs. See
/// ``ImageResolver`` for what happens after the end of the stream.
struct ArchiveScanner {
    let options: ReadOptions

    /// The outcome of the pass.
    struct Result {
        var members: [String: ArchiveMember]
        var order: [String]
        var compression: CompressionFormat
        var gzipMembers: Int
        var inputBytes: Int64
        var tarBytes: Int64
        /// Whether every member was hashed (`false`: tar headers and JSON only).
        var verified: Bool
        /// When only headers were read: the file, and the file offset of the archive's first
        /// byte, for the few members that must be read after all (see ``ImageResolver``).
        var file: FileSource? = nil
        var fileBase: Int64 = 0
        /// Every regular member's data, by the tar offset where it starts: its size and SHA-256
        /// (when hashed). Unlike ``members``, two members of one name are both here.
        var dataDigests: [Int64: ImageArchive.DataDigest] = [:]
    }

    /// How many bytes each read asks for when only headers are read: a header, and the first
    /// bytes of the entry's data (an ELF header, a `#!` line) in the same read; often the next
    /// few small entries as well.
    static let headerReadAhead = 4096

    /// Reads `input` to its end.
    func scan(_ input: ArchiveInput) throws -> Result {
        let file: FileSource?
        var raw: any ByteSource
        switch input.bytes {
        case .stream(let s):
            file = nil
            raw = s
        case .file(let f):
            file = f
            raw = f
        }
        let fileBase = file?.readPosition ?? 0
        // Sniff the compression from the first bytes; they are read again through the chain
        // below, so that counting and the tap see every byte in order, on one thread.
        var head = [UInt8](repeating: 0, count: 512)
        let got = try head.withUnsafeMutableBytes { try raw.readFully(into: $0) }
        head.removeSubrange(got...)
        if got == 0 { throw ArchiveError.notAnArchive(found: "an empty input") }
        // A file cut inside the gzip magic itself (1 or 2 bytes of `1f 8b`): a cut gzip header.
        if got < 3, [0x1f, 0x8b].starts(with: head) { throw ArchiveError.gzip(member: nil, .truncated(compressedOffset: Int64(got))) }
        let compression = CompressionFormat.detect(head)
        let counted = CountingSource(PrefixedSource(prefix: head, source: raw), progress: options.progress, tap: input.tap)
        // Headers only: nothing hashed, entry data skipped by moving the file position.
        let seekableFile = file.flatMap { $0.isSeekableRegularFile ? $0 : nil }
        var headersOnly = false
        var mapped = false
        if case .headersOnly(let m) = input.reading, seekableFile != nil, compression == .none, input.tap == nil {
            headersOnly = true
            mapped = m
        }
        // A file read whole is read, and inflated, on a second core while this one parses and
        // hashes; a stream, or a file read on one thread, here.
        let secondThread = file != nil && input.reading != .wholeOnOneThread && !headersOnly
        var decompressor: (any Decompressor)?
        var pipeline: InflatePipeline?
        defer { pipeline?.stop() }
        let tarSource: any ByteSource
        if compression == .none {
            guard Self.looksLikeTar(head, total: nil) else {
                throw ArchiveError.notAnArchive(found: Self.describe(head))
            }
        } else if !ArchiveDecompression.reads(compression) {
            throw ArchiveError.unsupportedCompression(compression)
        }
        if secondThread {
            let p = InflatePipeline(counted, compression: compression, waitsForEnd: seekableFile != nil)
            pipeline = p
            tarSource = p.source
        } else if compression != .none {
            let d = try ArchiveDecompression.decompressor(compression, counted, member: nil)
            decompressor = d
            tarSource = OuterDecompressedSource(d)
        } else {
            tarSource = counted
        }
        let pass = Pass(
            verify: !headersOnly, readAhead: headersOnly ? Self.headerReadAhead : nil,
            file: headersOnly ? seekableFile : nil, fileBase: fileBase,
            mapping: headersOnly && mapped ? seekableFile.flatMap { MappedFile($0) } : nil)
        // Layer data goes from the input straight to the layer readers' buffers: the archive's
        // own buffer holds headers and small members.
        let reader = TarReader(tarSource, context: nil, bufferSize: headersOnly ? 64 << 10 : 256 << 10, readAhead: pass.readAhead)
        var members: [String: ArchiveMember] = [:]
        var order: [String] = []
        var dataDigests: [Int64: ImageArchive.DataDigest] = [:]
        var retainedJSON: Int64 = 0
        var first = true
        var clean: [UInt8] = []
        while true {
            let entry: TarEntry?
            do { entry = try reader.next() } catch let e as TarError {
                // The first header of a compressed stream that is not a tar: a checksum that does
                // not add up, or no octal checksum at all.
                if first, compression != .none, e.isBadHeader {
                    throw ArchiveError.notAnArchive(found: "\(compression.rawValue)-compressed data that is not a tar archive")
                }
                // A complete compressed stream (its trailer checked) that holds less than one header.
                if first, compression != .none, case .truncated(nil, 0, _) = e {
                    let n = pipeline?.source.summary?.outputBytes ?? decompressor?.bytesProduced ?? 0
                    throw ArchiveError.notAnArchive(found: Self.describeShortStream(compression, n))
                }
                throw e
            }
            guard let entry else { break }
            first = false
            guard PathCleaner.clean(entry.name, into: &clean) else {
                throw ArchiveError.tar(.unsafePath(member: nil, offset: entry.headerOffset, path: entry.path))
            }
            let name = String(decoding: clean, as: UTF8.self)
            var member = ArchiveMember(name: name, kind: entry.kind, size: entry.dataSize, headerOffset: entry.headerOffset)
            member.dataOffset = reader.offset
            switch entry.kind {
            case .symlink:
                member.linkTarget = PathCleaner.resolve(entry.linkTarget, relativeTo: name)
            case .hardlink:
                member.linkTarget = PathCleaner.clean(entry.linkTarget)
            case .regular:
                try readMember(&member, reader: reader, pass: pass, retainedJSON: &retainedJSON)
            default:
                break
            }
            if members[name] == nil { order.append(name) }
            if entry.kind == .regular, let digest = member.digest {
                dataDigests[member.dataOffset] = ImageArchive.DataDigest(size: member.size, digest: digest)
            }
            members[name] = member
        }
        // Read on to the end: the rest of the tar's last record, and for gzip the trailer of
        // every member, so that truncation, CRC errors and trailing garbage are all seen (and a
        // tap sees the whole input).
        var rest = tarSource
        _ = try rest.skip(Int64.max)
        let summary = pipeline?.source.summary
        return Result(
            members: members, order: order, compression: compression,
            gzipMembers: summary?.members ?? decompressor?.membersCompleted ?? 0,
            inputBytes: summary?.inputBytes ?? counted.count,
            tarBytes: summary?.outputBytes ?? decompressor?.bytesProduced ?? counted.count,
            verified: pass.verify, file: pass.file, fileBase: pass.fileBase, dataDigests: dataDigests)
    }

    /// How this pass reads members.
    struct Pass {
        /// Hash every member and layer.
        var verify: Bool
        /// The read-ahead of the tar readers (`nil`: their whole buffer), small when entry data is
        /// skipped by seeking.
        var readAhead: Int?
        /// When only headers are read: the file, whose layers are walked through their own
        /// ``FileRangeSource`` rather than through the archive's reader.
        var file: FileSource?
        /// The file offset of the archive's first byte.
        var fileBase: Int64
        /// When only headers are read and the file could be mapped: its mapping, through which
        /// the layers are walked without a system call per header (it ends with the pass).
        var mapping: MappedFile?
    }

    private func readMember(_ member: inout ArchiveMember, reader: TarReader, pass: Pass, retainedJSON: inout Int64) throws {
        let size = member.size
        let name = member.name
        if size == 0 {
            member.digest = Digest.sha256OfNothing
            member.content = .other
            return
        }
        let head = try reader.peekBody(512)
        let headBytes = Array(head)
        let format = CompressionFormat.detect(head)
        if format == .none && Self.looksLikeTar(headBytes, total: size) {
            let hashing = pass.verify ? HashingSource(reader.body()) : nil
            // Headers only: the layer's headers are read straight from the file, or from its
            // mapping (the archive's reader skips the member afterwards, and reports a file cut
            // short).
            let start = pass.fileBase + reader.offset
            let table: LayerTable
            if let mapping = pass.mapping {
                table = try withExtendedLifetime(mapping) {
                    try scanner(name).scan(memory: mapping.bytes(from: start, length: size), releasingPages: true)
                }
            } else {
                let range = pass.file.map { FileRangeSource(file: $0, start: start, length: size) }
                // Verifying: the layer's bytes are read (and hashed) in 1 MiB pieces, skipped data
                // included, which keeps the system calls on a pipe few.
                let inner = TarReader(
                    hashing ?? range ?? reader.body() as any ByteSource, context: name,
                    bufferSize: pass.readAhead == nil ? 1 << 20 : 64 << 10, requiresEndMarker: false, readAhead: pass.readAhead,
                    skipsByReading: hashing != nil)
                table = try scanner(name).scan(inner)
            }
            var info = LayerInfo(table: table, diffID: nil, uncompressedSize: size, compression: .none)
            if let hashing {
                let (digest, count) = try hashing.finish()
                member.digest = Digest(digest)
                info.diffID = Digest(digest)
                info.uncompressedSize = count
            }
            member.content = .layer(info)
        } else if ArchiveDecompression.reads(format) {
            let compressed = pass.verify ? HashingSource(reader.body()) : nil
            do {
                let decompressor = try ArchiveDecompression.decompressor(
                    format, compressed ?? reader.body() as any ByteSource, member: name)
                let uncompressed = HashingSource(decompressor)
                var innerHead = [UInt8](repeating: 0, count: 512)
                let n = try innerHead.withUnsafeMutableBytes { try uncompressed.readFully(into: $0) }
                innerHead.removeSubrange(n...)
                if Self.looksLikeTar(innerHead, total: nil) {
                    let inner = TarReader(PrefixedSource(prefix: innerHead, source: uncompressed), context: name, requiresEndMarker: false)
                    let table = try scanner(name).scan(inner)
                    let (diffID, count) = try uncompressed.finish()
                    member.content = .layer(LayerInfo(table: table, diffID: Digest(diffID), uncompressedSize: count, compression: format))
                } else {
                    _ = try uncompressed.finish()
                    member.content = .other
                }
                if let compressed { member.digest = Digest(try compressed.finish().digest) }
            } catch {
                throw ArchiveDecompression.located(error, member: name)
            }
        } else if format == .none, size <= ReadOptions.maximumConfigSize, Self.looksLikeJSON(headBytes), Self.mayBeMetadata(name) {
            retainedJSON += size
            guard retainedJSON <= ReadOptions.maximumRetainedJSON else {
                throw ArchiveError.tooLarge(member: name, size: retainedJSON, limit: ReadOptions.maximumRetainedJSON)
            }
            var bytes = [UInt8](repeating: 0, count: Int(size))
            var body = reader.body()
            let n = try bytes.withUnsafeMutableBytes { try body.readFully(into: $0) }
            bytes.removeSubrange(n...)
            member.digest = Digest.sha256(of: bytes)
            member.content = .json(bytes)
        } else {
            if pass.verify {
                let hashing = HashingSource(reader.body())
                member.digest = Digest(try hashing.finish().digest)
            }
            member.content = format == .none ? .other : .unreadable(format)
        }
    }

    private func scanner(_ name: String) -> LayerScanner {
        LayerScanner(member: name, capture: options.capture, readFileHeads: options.readFileHeads)
    }

    /// Whether the first bytes are a tar header: `ustar` magic, a valid header checksum, or (an
    /// empty layer) a zero block.
    static func looksLikeTar(_ head: [UInt8], total: Int64?) -> Bool {
        guard head.count >= 512 else { return false }
        return head.withUnsafeBytes { block in
            if TarHeader.isZeroBlock(block) { return (total ?? 1024) >= 1024 }

            if block[257] == 0x75, block[258] == 0x73, block[259] == 0x74, block[260] == 0x61, block[261] == 0x72 { return true }
            guard let claimed = TarHeader.number(block, TarHeader.Field.checksum) else { return false }
            let (u, s) = TarHeader.checksums(block)
            return claimed == u || claimed == s
        }
    }

    static func looksLikeJSON(_ head: [UInt8]) -> Bool {
        for b in head {
            switch b {
            case 0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf: continue
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "n"): return true
            default: return false
            }
        }
        return false
    }

    /// Members that may hold image metadata: only these are kept in memory.
    static func mayBeMetadata(_ name: String) -> Bool {
        if name == "manifest.json" || name == "index.json" || name == "repositories" || name == "oci-layout" { return true }
        if name.hasSuffix(".json") || name.hasSuffix("/json") { return true }
        if name.hasPrefix("blobs/") { return true }
        if name.hasPrefix("sha256:") { return true }
        return false
    }

    /// What a complete `format` stream of `count` bytes, too short for a tar header, holds.
    static func describeShortStream(_ format: CompressionFormat, _ count: Int64) -> String {
        count == 0
            ? "\(format.rawValue)-compressed empty data (the \(format.rawValue) of an empty input)"
            : "\(format.rawValue)-compressed data that is not a tar archive (\(count) bytes, shorter than one tar header)"
    }

    static func describe(_ head: [UInt8]) -> String {
        if head.allSatisfy({ $0 == 0 }) { return "\(head.count) zero bytes" }
        // (`looksLikeJSON` also takes `null`: not for text that merely starts with an n.)
        if Self.looksLikeJSON(head), head.first(where: { $0 > 0x20 }).map({ $0 != UInt8(ascii: "n") }) == true {
            return "a JSON document (did you pass manifest.json rather than the archive?)"
        }
        if head.starts(with: [0x50, 0x4b, 0x03, 0x04]) { return "a zip file" }
        if head.count < 512 { return "\(head.count) bytes, shorter than one tar header" }
        let shown = head.prefix(8).map { b -> String in
            let h = String(b, radix: 16)
            return h.count == 1 ? "0" + h : h
        }
        return "bytes \(shown.joined(separator: " "))"
    }
}
