import Gzip

/// Reduces one layer's tar stream to a ``LayerTable`` as it streams past.
struct LayerScanner {
    let member: String
    let capture: CapturePolicy
    /// Whether to read the first bytes of regular files (ELF headers, `#!` lines).
    let readFileHeads: Bool

    /// Reads every entry of `reader` up to the end-of-archive marker.
    func scan(_ reader: TarReader) throws -> LayerTable {
        var table = LayerTable()
        var clean: [UInt8] = []
        clean.reserveCapacity(256)
        while let entry = try reader.next() {
            // Nearly every name is clean already: then it is used as it is, without a copy.
            if let length = PathCleaner.alreadyCleanLength(entry.name) {
                try entry.name.withUnsafeBufferPointer {
                    try add(entry, path: UnsafeBufferPointer(rebasing: $0[0..<length]), reader: reader, to: &table)
                }
                continue
            }
            guard PathCleaner.clean(entry.name, into: &clean) else {
                throw ArchiveError.unsafePath(member: member, offset: entry.headerOffset, path: entry.path)
            }
            try clean.withUnsafeBufferPointer { try add(entry, path: $0, reader: reader, to: &table) }
        }
        table.finish()
        return table
    }

    /// Adds one entry, whose cleaned path is `clean`, reading the first bytes of a regular file.
    private func add(_ entry: TarEntry, path clean: UnsafeBufferPointer<UInt8>, reader: TarReader, to table: inout LayerTable) throws {
        var flags: UInt8 = 0
        // Basename checks for whiteouts.
        let base = ByteScan.lastIndex(of: UInt8(ascii: "/"), in: UnsafeRawBufferPointer(clean)) + 1
        if clean.count - base >= 4, clean[base] == 0x2e, clean[base + 1] == 0x77, clean[base + 2] == 0x68, clean[base + 3] == 0x2e {
            // ".wh."
            let rest = clean[(base + 4)...]
            if rest.elementsEqual(".wh..opq".utf8) {
                flags |= LayerTable.Flag.opaque
            } else if !rest.starts(with: ".wh.".utf8) {
                flags |= LayerTable.Flag.whiteout
            }
        }
        var extra: [UInt8] = []
        var elf: ELFHeader? = nil
        switch entry.kind {
        case .symlink:
            extra = entry.linkName
        case .hardlink:
            var target: [UInt8] = []
            guard PathCleaner.clean(entry.linkName, into: &target) else {
                throw ArchiveError.unsafePath(member: member, offset: entry.headerOffset, path: entry.linkTarget)
            }
            extra = target
        case .regular where entry.dataSize > 0:
            let wantsCapture = capture.matches(clean)
            if wantsCapture && entry.dataSize <= capture.maximumSize {
                var content = [UInt8](repeating: 0, count: Int(entry.dataSize))
                var body = reader.body()
                let n = try content.withUnsafeMutableBytes { try body.readFully(into: $0) }
                content.removeSubrange(n...)
                if content.count == Int(entry.dataSize) {
                    content.withUnsafeBytes { elf = ELFHeader($0) }
                    table.capture(String(decoding: clean, as: UTF8.self), content)
                }
            } else if readFileHeads {
                let head = try reader.peekBody(128)
                if let header = ELFHeader(head) {
                    elf = header
                } else if head.count >= 2, head[0] == UInt8(ascii: "#"), head[1] == UInt8(ascii: "!") {
                    flags |= LayerTable.Flag.shebang
                    var line = Array(head[2...])
                    if let nl = line.firstIndex(of: 0x0a) { line.removeSubrange(nl...) }
                    extra = line
                }
            }
        default:
            break
        }
        table.append(path: UnsafeRawBufferPointer(clean), kind: entry.kind, entry: entry, extra: extra, flags: flags, elf: elf)
    }
}
