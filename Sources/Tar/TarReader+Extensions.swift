// Extension headers: PAX `x`/`g` data and GNU long names (`L`) and link names (`K`) are read
// into memory, bounded in size; GNU sparse headers' extension blocks are passed over.

extension TarReader {
    /// The largest extension header read into memory (1 MiB, as Go's `archive/tar`), and the
    /// most PAX record bytes one entry's `x` headers hold together. A header claiming more is
    /// refused before anything is allocated for it.
    static let maxExtensionHeader: Int64 = 1 << 20

    func trimNUL(_ bytes: [UInt8]) -> [UInt8] {
        if let nul = bytes.firstIndex(of: 0) { return Array(bytes[..<nul]) }
        return bytes
    }

    func readExtension(size: Int64, headerOffset: Int64, what: String) throws -> [UInt8] {
        guard size <= Self.maxExtensionHeader else {
            throw TarError.badHeaderField(
                member: context, offset: headerOffset, field: "size",
                found: "\(size) bytes for a \(what), more than \(Self.maxExtensionHeader)")
        }
        consume(TarHeader.blockSize)
        let total = Int(size + TarHeader.padding(size))
        var data = [UInt8]()
        data.reserveCapacity(Int(size))
        var need = Int(size)
        while need > 0 {
            guard try fill(1) else {
                throw TarError.truncated(
                    member: context, offset: position, expected: "\(need) more bytes of the \(what) at \(headerOffset)")
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

    func skipSparseExtensions(headerOffset: Int64) throws {
        while true {
            guard try fill(TarHeader.blockSize) else {
                throw TarError.truncated(
                    member: context, offset: position, expected: "a GNU sparse extension block of the entry at \(headerOffset)")
            }
            let more = buffer[start + 504] != 0
            consume(TarHeader.blockSize)
            if !more { return }
        }
    }
}
