import ByteIO

/// Reads a tar stream entry by entry, one pass, front to back, mirroring Go's `archive/tar`.
///
/// ``next()`` returns each entry with PAX (`x`), GNU long-name (`L`, `K`) and ustar-prefix
/// headers applied; PAX global headers (`g`) are read and ignored. The current entry's data is
/// read through ``body()`` or ``readBody(into:)``; whatever is left unread is skipped by the next
/// call to ``next()`` (by seeking, when the source can). Header checksums are verified, and the
/// archive must end with its zero blocks: a stream cut exactly between two entries is reported
/// as truncated, not as a short archive.
///
/// A reader belongs to one thread; it is not `Sendable`.
public final class TarReader {
    /// The member this tar stream is the content of (a layer), used to locate errors; `nil` for
    /// the archive itself.
    public let context: String?
    var source: any ByteSource
    let buffer: UnsafeMutableRawBufferPointer
    private(set) var start = 0
    private var end = 0
    var sourceEnded = false
    /// Stream offset of `buffer[start]`.
    var position: Int64 = 0
    var bodyRemaining: Int64 = 0
    private var paddingRemaining: Int64 = 0
    /// The current entry's name and link target, which ``TarEntryView`` points into (and error
    /// messages read).
    let nameStorage = ByteStorage()
    let linkStorage = ByteStorage()
    /// The current entry's PAX records, kept for ``next()`` to give its extended attributes.
    private var currentPAX: [String: [UInt8]] = [:]
    /// How the stream ended, once ``next()`` or ``nextView()`` has returned `nil`.
    public private(set) var ending: TarEnd?
    /// Whether the stream has ended (``ending`` is known).
    public var reachedEnd: Bool { ending != nil }
    /// Whether the stream must end with the zero blocks. Layers inside an archive may end
    /// without them (Docker wrote such layers; umoci 0.4.7's `insert` even ends them inside
    /// the last entry's padding; their length is the member's and their content is covered by
    /// the DiffID), so their readers accept the end of data between two entries or inside the
    /// last padding, as Go's `archive/tar` does, and say so in ``ending``.
    public let requiresEndMarker: Bool
    /// Whether the stream ended between two entries without the zero blocks.
    public var endedWithoutMarker: Bool { ending == .withoutMarker }

    /// How many bytes a refill asks the source for, at most (the buffer's size unless the reader
    /// was made to read headers only).
    private let readAhead: Int
    /// Whether data to pass over is read through the reader's own buffer instead of handed to the
    /// source's `skip`: for a source that reads every byte anyway (one that hashes), so that it
    /// needs no scratch memory of its own and reads in the buffer's large pieces.
    private let skipsByReading: Bool
    /// Whether the buffer is the caller's memory holding the whole stream (``init(memory:context:requiresEndMarker:offset:)``):
    /// it is never refilled, moved or freed.
    private let borrowsMemory: Bool

    /// Reads of entry data at least this large go straight from the source into the caller's
    /// memory when nothing is buffered, instead of through the reader's buffer (one copy fewer).
    static let directReadThreshold = 4096

    /// Creates a reader over `source`.
    ///
    /// - Parameters:
    ///   - source: The uncompressed tar stream.
    ///   - context: The archive member this stream is, for error messages (`nil`: the archive).
    ///   - bufferSize: The read buffer's size, a multiple of 512; 256 KiB by default.
    ///   - requiresEndMarker: Whether a stream that ends between two entries, without the
    ///     zero blocks, is truncated (the default) or complete.
    ///   - readAhead: The most bytes one refill asks the source for (at least 1024; by default
    ///     the whole buffer). A small value suits a source that skips by seeking, when entry
    ///     data is mostly skipped: each header then costs one small read.
    ///   - skipsByReading: Pass over skipped data by reading it into the reader's buffer rather
    ///     than calling the source's `skip` (for a source that must see every byte, such as a
    ///     ``HashingSource``); `false` by default.
    public init(
        _ source: any ByteSource, context: String? = nil, bufferSize: Int = 256 * 1024, requiresEndMarker: Bool = true,
        readAhead: Int? = nil, skipsByReading: Bool = false
    ) {
        self.source = source
        self.context = context
        self.requiresEndMarker = requiresEndMarker
        let size = max(4096, (bufferSize + 511) / 512 * 512)
        self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        self.readAhead = min(size, max(1024, readAhead ?? size))
        self.skipsByReading = skipsByReading
        self.borrowsMemory = false
    }

    /// Creates a reader over a tar stream that is in memory already, such as a layer's range of
    /// a ``MappedFile``: headers are parsed where they lie and data is passed over by moving an
    /// index, so nothing is copied and only the bytes looked at are touched.
    ///
    /// - Parameters:
    ///   - memory: The whole tar stream; it must stay valid and unchanged while the reader is used.
    ///   - context: The archive member this stream is, for error messages (`nil`: the archive).
    ///   - requiresEndMarker: Whether a stream that ends between two entries, without the
    ///     zero blocks, is truncated (the default) or complete.
    ///   - offset: The stream offset of `memory`'s first byte, when it is a later part of a tar
    ///     stream that starts at an entry; offsets (and errors) are told in the whole stream's terms.
    public init(memory: UnsafeRawBufferPointer, context: String? = nil, requiresEndMarker: Bool = true, offset: Int64 = 0) {
        self.source = BufferSource([])
        self.context = context
        self.requiresEndMarker = requiresEndMarker
        // Never written: `fill` and `consume` leave a borrowed buffer as it is.
        self.buffer = UnsafeMutableRawBufferPointer(mutating: memory)
        self.end = memory.count
        self.position = offset
        self.sourceEnded = true
        self.readAhead = max(1024, memory.count)
        self.skipsByReading = false
        self.borrowsMemory = true
    }

    deinit {
        if !borrowsMemory { buffer.deallocate() }
    }

    /// The offset in the tar stream of the next byte the reader will hand out.
    public var offset: Int64 { position }

    /// The offset in the tar stream where the next entry's first header starts: after the rest
    /// of the current entry's data and its padding.
    /// A size field near `Int64.max` makes it `Int64.max` (the stream then ends first).
    public var nextEntryOffset: Int64 { Self.saturatingSum(position, bodyRemaining, paddingRemaining) }

    /// `a + b + c`, or `Int64.max` when that overflows (sizes come from headers, which can say
    /// anything up to `Int64.max`).
    static func saturatingSum(_ a: Int64, _ b: Int64, _ c: Int64 = 0) -> Int64 {
        let (ab, o1) = a.addingReportingOverflow(b)
        let (abc, o2) = ab.addingReportingOverflow(c)
        return o1 || o2 ? .max : abc
    }

    /// Bytes of the current entry's data not read yet.
    public var remainingInEntry: Int64 { bodyRemaining }

    // MARK: - Buffer

    var available: Int { end - start }

    /// Reads from the source until at least `count` bytes are buffered or the source ends.
    /// - Returns: Whether `count` bytes are buffered.
    /// - Parameters:
    ///   - count: The bytes needed.
    ///   - readAhead: The most to ask the source for beyond `count` (the reader's own by default).
    @discardableResult
    func fill(_ count: Int, readAhead: Int? = nil) throws -> Bool {
        if available >= count || borrowsMemory { return available >= count }
        if start > 0 {
            if available > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress!.advanced(by: start), byteCount: available) }
            end = available
            start = 0
        }
        while end < count && !sourceEnded {
            let want = min(buffer.count, max(count, end + (readAhead ?? self.readAhead)))
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end..<want]))
            if n == 0 { sourceEnded = true } else { end += n }
        }
        return available >= count
    }

    func consume(_ n: Int) {
        start += n
        position += Int64(n)
        if start == end && !borrowsMemory {
            start = 0
            end = 0
        }
    }

    /// Passes over `count` bytes: those buffered, then by skipping in the source.
    /// - Returns: How many bytes were passed over (fewer only at the end of the stream).
    func discard(_ count: Int64) throws -> Int64 {
        if count <= 0 { return 0 }
        let fromBuffer = Int(min(Int64(available), count))
        consume(fromBuffer)
        var done = Int64(fromBuffer)
        if skipsByReading {
            // Through the (now empty) buffer: the source reads these bytes either way.
            while done < count && !sourceEnded {
                let want = Int(min(Int64(buffer.count), count - done))
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
                if n == 0 {
                    sourceEnded = true
                    break
                }
                position += Int64(n)
                done += Int64(n)
            }
            return done
        }
        if done < count && !sourceEnded {
            let skipped = try source.skip(count - done)
            position += skipped
            done += skipped
            if done < count { sourceEnded = true }
        }
        return done
    }

    // MARK: - Entries

    /// Advances to the next entry, skipping the rest of the current one.
    ///
    /// - Returns: The next entry, or `nil` after the end-of-archive blocks.
    /// - Throws: ``TarError/truncated(member:offset:expected:)`` when the stream ends first,
    ///   ``TarError/badHeaderChecksum(member:offset:expected:found:)`` and the other header
    ///   errors for damaged headers.
    public func next() throws -> TarEntry? {
        guard let view = try nextView() else { return nil }
        var xattrs = [String: [UInt8]]()
        if view.hasXattrs {
            for (k, v) in currentPAX where k.hasPrefix("SCHILY.xattr.") {
                xattrs[String(k.dropFirst("SCHILY.xattr.".count))] = v
            }
        }
        return TarEntry(
            name: Array(view.name), kind: view.kind, mode: view.mode, uid: view.uid, gid: view.gid, size: view.size,
            dataSize: view.dataSize, mtime: view.mtime, linkName: Array(view.linkName), xattrs: xattrs,
            headerOffset: view.headerOffset, deviceMajor: view.deviceMajor, deviceMinor: view.deviceMinor)
    }

    /// Advances to the next entry like ``next()``, and decodes its header without allocating:
    /// the name and link target it returns stay valid until the next call to either method.
    ///
    /// - Returns: The next entry's header, or `nil` after the end-of-archive blocks.
    /// - Throws: What ``next()`` throws.
    public func nextView() throws -> TarEntryView? {
        if reachedEnd { return nil }
        if let unpadded = try skipRestOfEntry() {
            ending = unpadded
            return nil
        }
        var pax = [String: [UInt8]]()
        /// Bytes of the keys and values in `pax`: several `x` headers in a row add up, and are
        /// held to the limit of one.
        var paxBytes = 0
        var longName: [UInt8]?
        var longLink: [UInt8]?
        var firstHeaderOffset: Int64?
        while true {
            let headerOffset = position
            guard try fill(TarHeader.blockSize) else {
                if available == 0 && firstHeaderOffset == nil && !requiresEndMarker {
                    ending = .withoutMarker
                    return nil
                }
                let what =
                    available == 0
                    ? (firstHeaderOffset == nil
                        ? "another header or the end-of-archive marker (two zero blocks)"
                        : "the header that the extension header at \(firstHeaderOffset!) belongs to")
                    : "a 512-byte header, found \(available) bytes"
                throw TarError.truncated(member: context, offset: headerOffset, expected: what)
            }
            let block = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + TarHeader.blockSize)])
            if TarHeader.isZeroBlock(block) {
                consume(TarHeader.blockSize)
                if try fill(TarHeader.blockSize) {
                    let second = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + TarHeader.blockSize)])
                    guard TarHeader.isZeroBlock(second) else {
                        throw TarError.badHeaderField(
                            member: context, offset: position, field: "end-of-archive", found: "a zero block followed by a non-zero block")
                    }
                    consume(TarHeader.blockSize)
                }
                ending = .marker
                return nil
            }
            guard let claimed = TarHeader.number(block, TarHeader.Field.checksum) else {
                throw TarError.badHeaderField(
                    member: context, offset: headerOffset, field: "chksum", found: TarHeader.printable(block, TarHeader.Field.checksum))
            }
            // The unsigned sum first: the signed one (historic writers) only when it differs.
            if claimed != TarHeader.unsignedChecksum(block) {
                let (unsigned, signed) = TarHeader.checksums(block)
                guard claimed == signed else {
                    throw TarError.badHeaderChecksum(member: context, offset: headerOffset, expected: claimed, found: unsigned)
                }
            }
            if firstHeaderOffset == nil { firstHeaderOffset = headerOffset }
            let typeflag = block[TarHeader.Field.typeflag]
            guard let sizeField = TarHeader.number(block, TarHeader.Field.size), sizeField >= 0 else {
                throw TarError.badHeaderField(
                    member: context, offset: headerOffset, field: "size", found: TarHeader.printable(block, TarHeader.Field.size))
            }
            switch typeflag {
            case UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "g"):
                let data = try readExtension(size: sizeField, headerOffset: headerOffset, what: "PAX header")
                let records = try PAXRecords.parse(data, member: context, offset: headerOffset)
                if typeflag != UInt8(ascii: "g") {
                    for (k, v) in records {
                        if let old = pax.updateValue(v, forKey: k) { paxBytes -= k.utf8.count + old.count }
                        paxBytes += k.utf8.count + v.count
                    }
                    guard paxBytes <= Self.maxExtensionHeader else {
                        throw TarError.badPAXRecord(
                            member: context, offset: firstHeaderOffset ?? headerOffset,
                            reason: "the PAX headers of one entry hold \(paxBytes) bytes of records, more than \(Self.maxExtensionHeader)")
                    }
                }
                continue
            case UInt8(ascii: "L"):
                longName = trimNUL(try readExtension(size: sizeField, headerOffset: headerOffset, what: "GNU long name"))
                continue
            case UInt8(ascii: "K"):
                longLink = trimNUL(try readExtension(size: sizeField, headerOffset: headerOffset, what: "GNU long link name"))
                continue
            default:
                break
            }
            var entry = try decode(
                block, typeflag: typeflag, sizeField: sizeField, pax: pax, longName: longName, longLink: longLink,
                headerOffset: firstHeaderOffset ?? headerOffset)
            consume(TarHeader.blockSize)
            if typeflag == UInt8(ascii: "S") && block[TarHeader.Field.gnuIsExtended] != 0 {
                try skipSparseExtensions(headerOffset: headerOffset)
            }
            if case .sparse = entry.kind, pax["GNU.sparse.major"] == nil, typeflag != UInt8(ascii: "S") {
                entry.kind = .sparse
            }
            bodyRemaining = entry.dataSize
            paddingRemaining = TarHeader.padding(entry.dataSize)
            currentPAX = pax
            return entry
        }
    }

    private var currentNameText: String { String(decoding: nameStorage.bytes, as: UTF8.self) }

    func bodyTruncated() -> TarError {
        .truncated(member: context, offset: position, expected: "\(bodyRemaining) more bytes of the data of '\(currentNameText)'")
    }

    /// Passes over the rest of the current entry's data and its padding.
    /// - Returns: ``TarEnd/insidePadding(entry:offset:missing:)`` when the stream ended inside
    ///   the padding and the reader does not require the end marker; else `nil`.
    /// - Throws: ``TarError/truncated(member:offset:expected:)`` when the stream ends inside the
    ///   data, or inside the padding of a reader that requires the end marker.
    private func skipRestOfEntry() throws -> TarEnd? {
        // The rest of the data and the padding in one skip: one seek, or one pass of reads,
        // without a tiny read for the padding on its own.
        let body = bodyRemaining
        let pad = paddingRemaining
        guard Self.saturatingSum(body, pad) > 0 else { return nil }
        let done = try discard(Self.saturatingSum(body, pad))
        bodyRemaining = max(0, body - done)
        paddingRemaining = 0
        if done < body { throw bodyTruncated() }
        let total = Self.saturatingSum(body, pad)
        guard done < total else { return nil }
        // The data is whole; the stream ended in the padding after it (Go's archive/tar reads
        // this as the clean end of the archive).
        if !requiresEndMarker { return .insidePadding(entry: currentNameText, offset: position, missing: total - done) }
        throw TarError.truncated(member: context, offset: position, expected: "the padding after the data of '\(currentNameText)'")
    }
}
