import ByteIO
import Gzip
import OCI
import Tar

/// Reduces one layer's tar stream to a ``LayerTable`` as it streams past.
struct LayerScanner: Sendable {
    let member: String
    let capture: CapturePolicy
    /// Whether to read the first bytes of regular files (ELF headers, `#!` lines).
    let readFileHeads: Bool

    /// Reads every entry of `reader` up to the end of its stream, recording how it ended
    /// (``LayerTable/ending``).
    /// - Parameters:
    ///   - reader: The layer's reader.
    ///   - layer: When `reader` reads a mapped layer in memory: the layer, whose pages are
    ///     released behind the walk (``MappedFile/releasePages(in:)``).
    func scan(_ reader: TarReader, releasingPagesOf layer: UnsafeRawBufferPointer? = nil) throws -> LayerTable {
        var table = LayerTable()
        let scratch = Scratch()
        try scan(reader, into: &table, scratch: scratch, before: nil, releasingPagesOf: layer)
        table.finish()
        return table
    }

    /// How far a walk through a mapped layer goes between releases of the pages behind it: the
    /// most of the layer that counts in the resident set at a time, per thread.
    static let releaseStep: Int64 = 2 << 20

    /// Reads entries of `reader` into `table` up to the end-of-archive marker, or (`before`) up
    /// to the first entry whose first header starts at or after that offset.
    private func scan(
        _ reader: TarReader, into table: inout LayerTable, scratch: Scratch, before limit: Int64?,
        releasingPagesOf layer: UnsafeRawBufferPointer? = nil
    ) throws {
        var released = reader.nextEntryOffset
        defer {
            if let layer, reader.nextEntryOffset > released {
                let end = min(Int(reader.nextEntryOffset), layer.count)
                if end > Int(released) { MappedFile.releasePages(in: UnsafeRawBufferPointer(rebasing: layer[Int(released)..<end])) }
            }
        }
        // Headers are decoded in place (no allocation per entry); the name is the reader's.
        while limit.map({ reader.nextEntryOffset < $0 }) ?? true, let entry = try reader.nextView() {
            // Everything before this entry's header is done with.
            if let layer, entry.headerOffset - released >= Self.releaseStep {
                MappedFile.releasePages(in: UnsafeRawBufferPointer(rebasing: layer[Int(released)..<Int(entry.headerOffset)]))
                released = entry.headerOffset
            }
            // Nearly every name is clean already: then it is used as it is, without a copy.
            if let length = PathCleaner.alreadyCleanLength(UnsafeRawBufferPointer(entry.name)) {
                try add(entry, path: UnsafeBufferPointer(rebasing: entry.name[0..<length]), reader: reader, scratch: scratch, to: &table)
                continue
            }
            guard PathCleaner.clean(Array(entry.name), into: &scratch.clean) else {
                throw ArchiveError.tar(
                    .unsafePath(member: member, offset: entry.headerOffset, path: String(decoding: entry.name, as: UTF8.self)))
            }
            let clean = scratch.clean
            try clean.withUnsafeBufferPointer { try add(entry, path: $0, reader: reader, scratch: scratch, to: &table) }
        }
        // How the layer ended, when this walk reached its end: a fact for the resolver, which
        // holds the DiffID that says whether an ending inside the last padding is a cut.
        if let ending = reader.ending { table.ending = ending }
    }

    /// Layers held in memory at least this large are scanned on two threads.
    static let splitThreshold = 16 << 20

    /// Into how many pieces such a layer is cut.
    static let segmentCount = 8

    /// Reads a layer held in memory whole (a range of a ``MappedFile``), on two threads when it
    /// is large and the machine has them, with the same result as ``scan(_:)``.
    ///
    /// The layer is cut into pieces at guessed entry boundaries: the first block at or after
    /// each eighth of the layer that parses as a ustar header (``LayerSegments``). This thread
    /// scans the pieces from the first on; a helper thread takes pieces from the last one
    /// backwards, until the two meet. A helper's piece counts only when this thread's walk
    /// arrives exactly at its start (the guess was an entry boundary) and the helper's walk
    /// ended exactly at the next piece's start; otherwise this thread scans the piece itself. So
    /// the result is the one sequential scan gives, and errors are only ever reported by this
    /// thread, in layer order.
    ///
    /// - Parameters:
    ///   - memory: The layer.
    ///   - splitAbove: Split a layer at least this large, even on one processor (for tests);
    ///     by default ``splitThreshold``, when the machine has a second processor.
    ///   - releasingPages: Whether `memory` is part of a ``MappedFile``, whose pages are released
    ///     behind the walk (``MappedFile/releasePages(in:)``). Never for other memory: releasing
    ///     anonymous memory discards its contents.
    func scan(memory: UnsafeRawBufferPointer, splitAbove: Int? = nil, releasingPages: Bool = false) throws -> LayerTable {
        let mapped = releasingPages ? memory : nil
        let splits = splitAbove.map { memory.count >= $0 } ?? (memory.count >= Self.splitThreshold && Processors.online > 1)
        let starts = splits ? Self.segmentStarts(in: memory, releasingPages: releasingPages) : [0]
        guard starts.count > 1 else {
            return try scan(TarReader(memory: memory, context: member, requiresEndMarker: false), releasingPagesOf: mapped)
        }
        let helper = LayerSegments(scanner: self, memory: memory, starts: starts, releasingPages: releasingPages)
        // The helper reads the memory: it must be done before the memory can go away.
        defer { helper.finish() }
        var table = LayerTable()
        let scratch = Scratch()
        var reader = TarReader(memory: memory, context: member, requiresEndMarker: false)
        var k = 0  // the piece this thread is in
        while true {
            let next = k + 1 < starts.count ? starts[k + 1] : nil
            try scan(reader, into: &table, scratch: scratch, before: next.map { Int64($0) }, releasingPagesOf: mapped)
            guard let next, !reader.reachedEnd else { break }
            k += 1
            // At the start of piece k, or past it (its guess was not an entry boundary); either
            // way the helper is kept off piece k if it has not started it.
            let landed = reader.nextEntryOffset == Int64(next)
            let ours = helper.claim(k)
            guard landed, !ours else { continue }
            // The helper's pieces from k on, as long as they hold.
            var pieces: [LayerTable] = []
            while k < starts.count, let piece = helper.table(k) {
                pieces.append(piece)
                k += 1
            }
            table.append(contentsOf: pieces)
            if let last = pieces.last(where: { $0.count > 0 }) {
                last.withPathBytes(last.count - 1) { scratch.setPrevious(UnsafeRawBufferPointer($0)) }
            }
            if k == starts.count { break }
            // A piece the helper could not do: scanned here, from its start.
            reader = TarReader(
                memory: UnsafeRawBufferPointer(rebasing: memory[starts[k]...]), context: member, requiresEndMarker: false,
                offset: Int64(starts[k]))
        }
        table.finish()
        return table
    }

    /// Where the pieces of a layer start: 0, then the guessed entry boundary after each eighth
    /// (none where the eighth falls inside a large file).
    static func segmentStarts(in memory: UnsafeRawBufferPointer, releasingPages: Bool = false) -> [Int] {
        var starts = [0]
        for i in 1..<segmentCount {
            let from = memory.count * i / segmentCount / TarHeader.blockSize * TarHeader.blockSize
            guard from > starts.last! else { continue }
            let guess = entryBoundaryGuess(in: memory, from: from)
            // The blocks looked at leave the resident set again (the piece's scan maps its start anew).
            if releasingPages {
                MappedFile.releasePages(in: UnsafeRawBufferPointer(rebasing: memory[from..<min(memory.count, from + guessWindow)]))
            }
            if let guess, guess > starts.last! { starts.append(guess) }
        }
        return starts
    }

    /// How far from a piece's nominal start a header is looked for: where there is none that
    /// close, the layer holds large files there, and few entries to share out.
    static let guessWindow = 256 << 10

    /// The offset of the first block at or after `from` (on the layer's 512-byte grid) that
    /// parses as a ustar header, looking at most ``guessWindow`` on; `nil` if none.
    static func entryBoundaryGuess(in memory: UnsafeRawBufferPointer, from: Int) -> Int? {
        var offset = from
        let end = min(memory.count - TarHeader.blockSize, offset + guessWindow - TarHeader.blockSize)
        while offset <= end {
            let block = UnsafeRawBufferPointer(rebasing: memory[offset..<(offset + TarHeader.blockSize)])
            if block[0] != 0, TarHeader.hasPOSIXMagic(block) || TarHeader.hasGNUMagic(block),
                let claimed = TarHeader.number(block, TarHeader.Field.checksum), claimed == TarHeader.unsignedChecksum(block),
                TarHeader.number(block, TarHeader.Field.size) != nil
            {
                return offset
            }
            offset += TarHeader.blockSize
        }
        return nil
    }

    /// Scans one piece of a layer for ``LayerSegments``: from `start` to the next piece's start
    /// (`end`) or, for the last piece, to the end of the layer.
    /// - Returns: The piece's table, or `nil` when the walk failed or did not end exactly at
    ///   `end` (then the piece did not start at an entry boundary).
    func scanPiece(of memory: UnsafeRawBufferPointer, from start: Int, to end: Int?, releasingPages: Bool) -> LayerTable? {
        let reader = TarReader(
            memory: UnsafeRawBufferPointer(rebasing: memory[start...]), context: member, requiresEndMarker: false, offset: Int64(start))
        var table = LayerTable()
        do {
            try scan(
                reader, into: &table, scratch: Scratch(), before: end.map { Int64($0) }, releasingPagesOf: releasingPages ? memory : nil)
        } catch {
            return nil
        }
        if let end { return reader.nextEntryOffset == Int64(end) && !reader.reachedEnd ? table : nil }
        return reader.reachedEnd ? table : nil
    }

    /// Memory the scan reuses from one entry to the next.
    private final class Scratch {
        /// A hardlink's target, cleaned; then kept where the table can read it from.
        var cleanTarget: [UInt8] = []
        let target = ByteStorage()
        /// A name that needed cleaning, cleaned.
        var clean: [UInt8] = []
        /// The path of the entry added last, which the table codes the next one against.
        private let previousPath = ByteStorage()

        var previous: UnsafeRawBufferPointer { UnsafeRawBufferPointer(previousPath.bytes) }

        func setPrevious(_ path: UnsafeRawBufferPointer) { previousPath.set(path) }
    }

    /// Adds one entry, whose cleaned path is `clean`, reading the first bytes of a regular file.
    private func add(
        _ entry: TarEntryView, path clean: UnsafeBufferPointer<UInt8>, reader: TarReader, scratch: Scratch,
        to table: inout LayerTable
    ) throws {
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
        // A link target or a script's `#!` line, as a view of the reader's (or the scratch's)
        // storage, valid until the table has copied it.
        var extra = UnsafeRawBufferPointer(start: nil, count: 0)
        var elf: ELFHeader? = nil
        switch entry.kind {
        case .symlink:
            extra = UnsafeRawBufferPointer(entry.linkName)
        case .hardlink:
            guard PathCleaner.clean(Array(entry.linkName), into: &scratch.cleanTarget) else {
                throw ArchiveError.tar(
                    .unsafePath(member: member, offset: entry.headerOffset, path: String(decoding: entry.linkName, as: UTF8.self)))
            }
            extra = scratch.cleanTarget.withUnsafeBytes { UnsafeRawBufferPointer(scratch.target.set($0)) }
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
                    // The line after `#!`, a view of the reader's buffer (no call on the reader
                    // comes before the table copies it).
                    let line = UnsafeRawBufferPointer(rebasing: head[2...])
                    extra = UnsafeRawBufferPointer(rebasing: line[0..<ByteScan.firstIndex(of: 0x0a, in: line)])
                }
            }
        default:
            break
        }
        let path = UnsafeRawBufferPointer(clean)
        table.append(path: path, previous: scratch.previous, entry: entry, extra: extra, flags: flags, elf: elf)
        scratch.setPrevious(path)
    }
}
