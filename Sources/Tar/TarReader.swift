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
    private var source: any ByteSource
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var sourceEnded = false
    /// Stream offset of `buffer[start]`.
    private var position: Int64 = 0
    private var bodyRemaining: Int64 = 0
    private var paddingRemaining: Int64 = 0
    /// The current entry's name and link target, which ``TarEntryView`` points into (and error
    /// messages read).
    private let nameStorage = ByteStorage()
    private let linkStorage = ByteStorage()
    /// The current entry's PAX records, kept for ``next()`` to give its extended attributes.
    private var currentPAX: [String: [UInt8]] = [:]
    /// Whether the end-of-archive zero blocks have been read.
    public private(set) var reachedEnd = false
    /// Whether the stream must end with the zero blocks. Layers inside an archive may end
    /// without them (Docker wrote such layers; their length is the member's and their content
    /// is covered by the DiffID), so their readers accept the end of data between two entries.
    public let requiresEndMarker: Bool
    /// Whether the stream ended between two entries without the zero blocks.
    public private(set) var endedWithoutMarker = false

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

    /// Limits on the sizes of extension headers, which are read into memory.
    static let maxExtensionHeader: Int64 = 1 << 20

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

    private var available: Int { end - start }

    /// Reads from the source until at least `count` bytes are buffered or the source ends.
    /// - Returns: Whether `count` bytes are buffered.
    /// - Parameters:
    ///   - count: The bytes needed.
    ///   - readAhead: The most to ask the source for beyond `count` (the reader's own by default).
    @discardableResult
    private func fill(_ count: Int, readAhead: Int? = nil) throws -> Bool {
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

    private func consume(_ n: Int) {
        start += n
        position += Int64(n)
        if start == end && !borrowsMemory { start = 0; end = 0 }
    }

    /// Passes over `count` bytes: those buffered, then by skipping in the source.
    /// - Returns: How many bytes were passed over (fewer only at the end of the stream).
    private func discard(_ count: Int64) throws -> Int64 {
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
        try skipRestOfEntry()
        var pax = [String: [UInt8]]()
        var longName: [UInt8]?
        var longLink: [UInt8]?
        var firstHeaderOffset: Int64?
        while true {
            let headerOffset = position
            guard try fill(TarHeader.blockSize) else {
                if available == 0 && firstHeaderOffset == nil && !requiresEndMarker {
                    endedWithoutMarker = true
                    reachedEnd = true
                    return nil
                }
                let what = available == 0
                    ? (firstHeaderOffset == nil ? "another header or the end-of-archive marker (two zero blocks)" : "the header that the extension header at \(firstHeaderOffset!) belongs to")
                    : "a 512-byte header, found \(available) bytes"
                throw TarError.truncated(member: context, offset: headerOffset, expected: what)
            }
            let block = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + TarHeader.blockSize)])
            if TarHeader.isZeroBlock(block) {
                consume(TarHeader.blockSize)
                if try fill(TarHeader.blockSize) {
                    let second = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + TarHeader.blockSize)])
                    guard TarHeader.isZeroBlock(second) else {
                        throw TarError.badHeaderField(member: context, offset: position, field: "end-of-archive", found: "a zero block followed by a non-zero block")
                    }
                    consume(TarHeader.blockSize)
                }
                reachedEnd = true
                return nil
            }
            guard let claimed = TarHeader.number(block, TarHeader.Field.checksum) else {
                throw TarError.badHeaderField(member: context, offset: headerOffset, field: "chksum", found: TarHeader.printable(block, TarHeader.Field.checksum))
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
                throw TarError.badHeaderField(member: context, offset: headerOffset, field: "size", found: TarHeader.printable(block, TarHeader.Field.size))
            }
            switch typeflag {
            case UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "g"):
                let data = try readExtension(size: sizeField, headerOffset: headerOffset, what: "PAX header")
                let records = try PAXRecords.parse(data, member: context, offset: headerOffset)
                if typeflag != UInt8(ascii: "g") {
                    for (k, v) in records { pax[k] = v }
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
            var entry = try decode(block, typeflag: typeflag, sizeField: sizeField, pax: pax, longName: longName, longLink: longLink, headerOffset: firstHeaderOffset ?? headerOffset)
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

    private func trimNUL(_ bytes: [UInt8]) -> [UInt8] {
        if let nul = bytes.firstIndex(of: 0) { return Array(bytes[..<nul]) }
        return bytes
    }

    private func readExtension(size: Int64, headerOffset: Int64, what: String) throws -> [UInt8] {
        guard size <= Self.maxExtensionHeader else {
            throw TarError.badHeaderField(member: context, offset: headerOffset, field: "size", found: "\(size) bytes for a \(what), more than \(Self.maxExtensionHeader)")
        }
        consume(TarHeader.blockSize)
        let total = Int(size + TarHeader.padding(size))
        var data = [UInt8]()
        data.reserveCapacity(Int(size))
        var need = Int(size)
        while need > 0 {
            guard try fill(1) else {
                throw TarError.truncated(member: context, offset: position, expected: "\(need) more bytes of the \(what) at \(headerOffset)")
            }
            let n = min(need, available)
            data.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)]))
            consume(n)
            need -= n
        }
        let pad = Int64(total) - size
        if try discard(pad) < pad {
            throw TarError.truncated(member: context, offset: position, expected: "the padding of the \(what) at \(headerOffset)")
        }
        return data
    }

    private func skipSparseExtensions(headerOffset: Int64) throws {
        while true {
            guard try fill(TarHeader.blockSize) else {
                throw TarError.truncated(member: context, offset: position, expected: "a GNU sparse extension block of the entry at \(headerOffset)")
            }
            let more = buffer[start + 504] != 0
            consume(TarHeader.blockSize)
            if !more { return }
        }
    }

    private func decode(
        _ block: UnsafeRawBufferPointer, typeflag: UInt8, sizeField: Int64, pax: [String: [UInt8]],
        longName: [UInt8]?, longLink: [UInt8]?, headerOffset: Int64
    ) throws -> TarEntryView {
        func field(_ name: String, _ range: Range<Int>) throws -> Int64 {
            guard let v = TarHeader.number(block, range) else {
                throw TarError.badHeaderField(member: context, offset: headerOffset, field: name, found: TarHeader.printable(block, range))
            }
            return v
        }
        let hasPAX = !pax.isEmpty
        func paxNumber(_ key: String) throws -> Int64? {
            guard hasPAX, let raw = pax[key] else { return nil }
            let text = String(decoding: raw, as: UTF8.self)
            // mtime-like values may carry a fraction: keep the whole seconds.
            let whole = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? text
            guard let v = Int64(whole.isEmpty ? "0" : whole) else {
                throw TarError.badPAXRecord(member: context, offset: headerOffset, reason: "\(key)=\(text) is not a number")
            }
            return v
        }
        // The name and link target go to the reader's storage: no allocation per entry.
        let name: UnsafeBufferPointer<UInt8>
        if let p = (hasPAX ? pax["GNU.sparse.name"] ?? pax["path"] : nil) ?? longName {
            name = p.withUnsafeBytes { nameStorage.set($0) }
        } else {
            let nameField = UnsafeRawBufferPointer(rebasing: block[TarHeader.Field.name])
            let prefixField = UnsafeRawBufferPointer(rebasing: block[TarHeader.Field.prefix])
            let prefixLength = TarHeader.hasPOSIXMagic(block) ? ByteScan.firstIndex(of: 0, in: prefixField) : 0
            name = nameStorage.set(
                prefix: UnsafeRawBufferPointer(rebasing: prefixField[0..<prefixLength]),
                UnsafeRawBufferPointer(rebasing: nameField[0..<ByteScan.firstIndex(of: 0, in: nameField)]))
        }
        let link: UnsafeBufferPointer<UInt8>
        if let p = (hasPAX ? pax["linkpath"] : nil) ?? longLink {
            link = p.withUnsafeBytes { linkStorage.set($0) }
        } else if typeflag != UInt8(ascii: "1") && typeflag != UInt8(ascii: "2") {
            // Only links have a target (the field is all zeros in any other header).
            link = linkStorage.set(UnsafeRawBufferPointer(start: nil, count: 0))
        } else {
            let field = UnsafeRawBufferPointer(rebasing: block[TarHeader.Field.linkName])
            link = linkStorage.set(UnsafeRawBufferPointer(rebasing: field[0..<ByteScan.firstIndex(of: 0, in: field)]))
        }
        let mode = try field("mode", TarHeader.Field.mode)
        let uid = try paxNumber("uid") ?? field("uid", TarHeader.Field.uid)
        let gid = try paxNumber("gid") ?? field("gid", TarHeader.Field.gid)
        let mtime = try paxNumber("mtime") ?? field("mtime", TarHeader.Field.mtime)
        var dataSize = try paxNumber("size") ?? sizeField
        guard dataSize >= 0 else {
            throw TarError.badHeaderField(member: context, offset: headerOffset, field: "size", found: "\(dataSize)")
        }
        var kind: TarEntry.Kind
        switch typeflag {
        case UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .regular
        case 0: kind = name.last == UInt8(ascii: "/") ? .directory : .regular
        case UInt8(ascii: "1"): kind = .hardlink
        case UInt8(ascii: "2"): kind = .symlink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"), UInt8(ascii: "D"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        case UInt8(ascii: "S"): kind = .sparse
        default: kind = .other(typeflag)
        }
        var size = dataSize
        switch kind {
        case .hardlink, .symlink, .characterDevice, .blockDevice, .fifo:
            dataSize = 0
            size = 0
        case .directory:
            // GNU dump directories carry a listing as data; plain directories carry none.
            if typeflag != UInt8(ascii: "D") { dataSize = 0 }
            size = 0
        case .sparse:
            size = try field("realsize", TarHeader.Field.gnuRealSize)
        default:
            break
        }
        if hasPAX && (pax["GNU.sparse.major"] != nil || pax["GNU.sparse.size"] != nil || pax["GNU.sparse.realsize"] != nil) {
            kind = .sparse
            size = try paxNumber("GNU.sparse.realsize") ?? paxNumber("GNU.sparse.size") ?? size
        }
        let isDevice = kind == .characterDevice || kind == .blockDevice
        return TarEntryView(
            name: name, linkName: link, kind: kind, mode: UInt32(truncatingIfNeeded: mode & 0o7777), uid: uid, gid: gid,
            size: size, dataSize: dataSize, mtime: mtime, hasXattrs: hasPAX && pax.keys.contains { $0.hasPrefix("SCHILY.xattr.") },
            headerOffset: headerOffset,
            deviceMajor: isDevice ? (TarHeader.number(block, TarHeader.Field.devMajor) ?? 0) : 0,
            deviceMinor: isDevice ? (TarHeader.number(block, TarHeader.Field.devMinor) ?? 0) : 0)
    }

    // MARK: - Entry data

    /// Reads up to `destination.count` bytes of the current entry's data.
    ///
    /// - Returns: The number of bytes read; 0 when the entry's data is all read.
    /// - Throws: ``TarError/truncated(member:offset:expected:)`` when the stream ends inside the data.
    public func readBody(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        if bodyRemaining == 0 || destination.count == 0 { return 0 }
        let want = Int(min(Int64(destination.count), bodyRemaining))
        if available == 0 {
            if want >= Self.directReadThreshold && !sourceEnded {
                // Large reads go straight from the source into the caller's memory.
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<want]))
                if n == 0 { sourceEnded = true; throw bodyTruncated() }
                position += Int64(n)
                bodyRemaining -= Int64(n)
                return n
            }
            // A small read (the end of a skip, padding) buffers only a little: the larger reads
            // that follow go straight to their destination instead of copying a refilled buffer.
            guard try fill(1, readAhead: Self.directReadThreshold) else { throw bodyTruncated() }
        }
        let n = min(want, available)
        destination.baseAddress!.copyMemory(from: buffer.baseAddress!.advanced(by: start), byteCount: n)
        consume(n)
        bodyRemaining -= Int64(n)
        return n
    }

    /// Up to `count` of the next bytes of the current entry's data, without consuming them.
    ///
    /// - Returns: A view of the buffered bytes, valid until the next call on the reader; shorter
    ///   than `count` when the entry (or the buffer) holds fewer.
    public func peekBody(_ count: Int) throws -> UnsafeRawBufferPointer {
        let want = Int(min(Int64(min(count, buffer.count)), bodyRemaining))
        try fill(want)
        let n = min(want, available)
        return UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)])
    }

    /// Passes over up to `count` bytes of the current entry's data.
    /// - Returns: The number of bytes passed over.
    public func skipBody(_ count: Int64) throws -> Int64 {
        let want = min(count, bodyRemaining)
        let done = try discard(want)
        bodyRemaining -= done
        if done < want { throw bodyTruncated() }
        return done
    }

    private var currentNameText: String { String(decoding: nameStorage.bytes, as: UTF8.self) }

    private func bodyTruncated() -> TarError {
        .truncated(member: context, offset: position, expected: "\(bodyRemaining) more bytes of the data of '\(currentNameText)'")
    }

    private func skipRestOfEntry() throws {
        // The rest of the data and the padding in one skip: one seek, or one pass of reads,
        // without a tiny read for the padding on its own.
        let body = bodyRemaining
        let pad = paddingRemaining
        guard Self.saturatingSum(body, pad) > 0 else { return }
        let done = try discard(Self.saturatingSum(body, pad))
        bodyRemaining = max(0, body - done)
        paddingRemaining = 0
        if done < body { throw bodyTruncated() }
        if done < Self.saturatingSum(body, pad) {
            throw TarError.truncated(member: context, offset: position, expected: "the padding after the data of '\(currentNameText)'")
        }
    }

    /// The current entry's data as a ``ByteSource`` that ends where the data ends.
    public func body() -> Body { Body(reader: self) }

    /// The data of a ``TarReader``'s current entry, as a bounded ``ByteSource``.
    public struct Body: ByteSource {
        let reader: TarReader

        public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            try reader.readBody(into: buffer)
        }

        public func skip(_ count: Int64) throws -> Int64 {
            try reader.skipBody(count)
        }
    }
}
