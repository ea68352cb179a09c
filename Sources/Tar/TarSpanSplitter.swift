// Source: POSIX.1-2017 pax, "ustar Interchange Format" and "pax Extended Header"; GNU tar
// manual, "Basic Tar Format"; the header-only typeflags as ``TarReader`` (and Go's archive/tar)
// treat them.
import ByteIO

/// Splits an outer tar stream, pushed through it in pieces of any size, into the spans that
/// ``ArchivePacker`` compresses as separate gzip members: the data of each large member on its
/// own, and everything else (headers, extension headers, small members, the end-of-archive
/// blocks) grouped.
///
/// A large member's span is its data and padding, without its header, so that its compressed
/// bytes depend on the data alone: the same layer gives the same gzip member whatever its name,
/// mode or mtime in the archive. The header goes with the group before it.
///
/// The splitter never fails and never changes a byte: it only says where members start. On a
/// header it cannot follow (a bad size, old GNU sparse extension blocks, an oversized
/// extension header) it stops splitting and the rest of the stream is one group; the reader,
/// which sees the same bytes, reports the damage.
package struct TarSpanSplitter {
    /// A run of bytes with one role.
    package struct Span: Equatable {
        /// How many bytes, at least 1 for a non-empty input.
        package var count: Int
        /// The large member whose data this is, or `nil` for grouped bytes.
        package var owner: Owner?
    }

    /// A tar member whose data is compressed on its own.
    package struct Owner: Equatable {
        /// Which entry of the archive, from 0 (two entries may share a name).
        package var entry: Int
        /// Its name as stored (after PAX `path`, GNU `L` and the ustar prefix).
        package var name: String
        /// Its data size in bytes (the span holds the data and then its padding to 512).
        package var size: Int64 = 0
    }

    /// Regular members with at least this much data get a gzip member of their own.
    let minimumOwnSize: Int64

    private enum State {
        /// Collecting a 512-byte header block.
        case header
        /// The data and padding of an extension header (`x`, `g`, `L`, `K`).
        case extensionData(remaining: Int64)
        /// The data and padding of an entry.
        case data(remaining: Int64, owner: Owner?)
        /// After the end-of-archive block, or a header the splitter cannot follow: one group to the end.
        case trailer
    }

    private var state = State.header
    private var header = [UInt8](repeating: 0, count: TarHeader.blockSize)
    private var headerFill = 0
    private var entries = 0
    /// The current extension header: its typeflag, data size, and data collected so far.
    private var extensionType: UInt8 = 0
    private var extensionSize: Int64 = 0
    private var extensionData: [UInt8] = []
    /// What the extension headers before the current entry's header said.
    private var paxRecords: [String: [UInt8]] = [:]
    private var longName: [UInt8]?

    /// Creates a splitter at the start of a tar stream.
    ///
    /// - Parameter minimumOwnSize: Regular members with at least this much data get a member of
    ///   their own.
    package init(minimumOwnSize: Int64) {
        self.minimumOwnSize = minimumOwnSize
    }

    /// Consumes the span at the front of `bytes`.
    ///
    /// - Parameter bytes: The next bytes of the stream.
    /// - Returns: How many of them form one span, and its role; a count of 0 only for empty input.
    package mutating func next(_ bytes: UnsafeRawBufferPointer) -> Span {
        guard !bytes.isEmpty else { return Span(count: 0, owner: nil) }
        switch state {
        case .trailer:
            return Span(count: bytes.count, owner: nil)
        case .data(let remaining, let owner):
            let n = Int(min(remaining, Int64(bytes.count)))
            state = remaining == Int64(n) ? .header : .data(remaining: remaining - Int64(n), owner: owner)
            return Span(count: n, owner: owner)
        case .extensionData(let remaining):
            let n = Int(min(remaining, Int64(bytes.count)))
            let consumedBefore = extensionSize + TarHeader.padding(extensionSize) - remaining
            let wanted = max(0, min(Int64(n), extensionSize - consumedBefore))
            if wanted > 0 { extensionData.append(contentsOf: bytes[0..<Int(wanted)]) }
            if remaining == Int64(n) {
                endExtension()
            } else {
                state = .extensionData(remaining: remaining - Int64(n))
            }
            return Span(count: n, owner: nil)
        case .header:
            let n = min(TarHeader.blockSize - headerFill, bytes.count)
            header.withUnsafeMutableBytes { h in
                h.baseAddress!.advanced(by: headerFill).copyMemory(from: bytes.baseAddress!, byteCount: n)
            }
            headerFill += n
            if headerFill == TarHeader.blockSize {
                headerFill = 0
                header.withUnsafeBytes { startEntry($0) }
            }
            return Span(count: n, owner: nil)
        }
    }

    /// Decides what follows a complete header block.
    private mutating func startEntry(_ block: UnsafeRawBufferPointer) {
        if TarHeader.isZeroBlock(block) {
            state = .trailer
            return
        }
        let typeflag = block[TarHeader.Field.typeflag]
        guard let sizeField = TarHeader.number(block, TarHeader.Field.size), sizeField >= 0 else {
            state = .trailer
            return
        }
        switch typeflag {
        case UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
            guard sizeField <= TarReader.maxExtensionHeader else {
                state = .trailer
                return
            }
            extensionType = typeflag
            extensionSize = sizeField
            extensionData = []
            let total = sizeField + TarHeader.padding(sizeField)
            if total > 0 {
                state = .extensionData(remaining: total)
            } else {
                endExtension()
            }
            return
        case UInt8(ascii: "S") where block[TarHeader.Field.gnuIsExtended] != 0:
            // Old GNU sparse extension blocks follow the header; no image writer makes them.
            state = .trailer
            return
        default:
            break
        }
        var dataSize = sizeField
        if let raw = paxRecords["size"] {
            guard let size = Int64(String(decoding: raw, as: UTF8.self)), size >= 0 else {
                state = .trailer
                return
            }
            dataSize = size
        }
        let name = entryName(block)
        var isRegular = false
        switch typeflag {
        case UInt8(ascii: "0"), UInt8(ascii: "7"):
            isRegular = true
        case 0:
            if name.last == UInt8(ascii: "/") { dataSize = 0 } else { isRegular = true }
        case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "5"), UInt8(ascii: "6"):
            // Header-only types: any size field is not followed by data (``TarReader`` agrees).
            dataSize = 0
        default:
            break
        }
        paxRecords = [:]
        longName = nil
        let entry = entries
        entries += 1
        // A size field near Int64.max saturates: the stream ends first, and the reader says so.
        let total = TarReader.saturatingSum(dataSize, TarHeader.padding(dataSize))
        guard total > 0 else {
            state = .header
            return
        }
        let owner =
            isRegular && dataSize >= minimumOwnSize ? Owner(entry: entry, name: String(decoding: name, as: UTF8.self), size: dataSize) : nil
        state = .data(remaining: total, owner: owner)
    }

    /// Applies a complete extension header to the entry that follows it.
    private mutating func endExtension() {
        state = .header
        switch extensionType {
        case UInt8(ascii: "x"), UInt8(ascii: "X"):
            guard let records = try? PAXRecords.parse(extensionData, member: nil, offset: 0) else {
                state = .trailer
                return
            }
            for (key, value) in records { paxRecords[key] = value }
        case UInt8(ascii: "L"):
            longName = Array(extensionData.prefix { $0 != 0 })
        default:
            // `g` (global records) and `K` (long link name) do not move or name data.
            break
        }
        extensionData = []
    }

    /// The entry's name as ``TarReader`` reads it: PAX `path`, GNU long name, or ustar prefix
    /// and name.
    private func entryName(_ block: UnsafeRawBufferPointer) -> [UInt8] {
        if let path = paxRecords["path"] { return path }
        if let longName { return longName }
        var name = TarHeader.string(block, TarHeader.Field.name)
        if Array(block[TarHeader.Field.magic]) == Array("ustar\0".utf8) {
            let prefix = TarHeader.string(block, TarHeader.Field.prefix)
            if !prefix.isEmpty { name = prefix + [UInt8(ascii: "/")] + name }
        }
        return name
    }
}
