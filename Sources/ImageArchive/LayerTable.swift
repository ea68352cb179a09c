import ByteIO
import Gzip
import OCI
import Tar

/// The compact table of one layer's tar entries, built while the layer streams past.
///
/// Each entry is a fixed-size record; paths live in one byte arena, front-coded: an entry
/// stores only the bytes that follow what its path shares with the previous entry's path
/// (tar writers list a directory's entries together, so most paths share a long prefix), with
/// the whole path stored every ``restartInterval`` entries. Link targets and `#!` lines follow
/// the path bytes. This keeps memory proportional to the number of entries (about 60 bytes
/// plus a few path bytes per entry), never to the layer's size. Small files that later
/// commands need (`/etc/os-release`, Prisma's `package.json` and `schema.prisma`, paths asked
/// for with `imgtool cat`) are captured whole.
public struct LayerTable: Sendable {
    /// One entry, as stored.
    public struct Record: Sendable {
        /// Where the path's own bytes (after the shared prefix) start in the arena; the extra
        /// bytes (link target, `#!` line) follow them.
        var suffixStart: UInt32
        var suffixLength: UInt32
        /// How many leading bytes the path shares with the previous entry's path.
        package var sharedLength: UInt32
        var extraLength: UInt32
        /// The file's size (0 for links and directories).
        public var size: Int64
        /// Modification time, seconds since the epoch.
        public var mtime: Int64
        /// Owner uid (clamped to 32 bits).
        public var uid: UInt32
        /// Owner gid (clamped to 32 bits).
        public var gid: UInt32
        /// Permission bits.
        public var mode: UInt32
        package var kindCode: UInt8
        package var flags: UInt8
        package var elfMachine: UInt16
        package var elfType: UInt16

        /// The ELF header the record carries, if any.
        var elf: ELFHeader? {
            flags & Flag.elf == 0
                ? nil
                : ELFHeader(
                    machine: elfMachine, type: elfType, is64Bit: flags & Flag.elf64 != 0, isBigEndian: flags & Flag.elfBigEndian != 0)
        }
    }

    package enum Flag {
        package static let whiteout: UInt8 = 1
        package static let opaque: UInt8 = 2
        package static let elf: UInt8 = 4
        package static let elf64: UInt8 = 8
        package static let elfBigEndian: UInt8 = 16
        package static let shebang: UInt8 = 32
        static let xattrs: UInt8 = 64
    }

    /// Every this many entries a path is stored whole, so that one path decodes from at most
    /// this many records (the first record of a table is stored whole as well, which keeps that
    /// true of tables joined with ``append(contentsOf:)``).
    static let restartInterval = 16

    private var arena: [UInt8] = []
    /// The records, in tar order.
    public private(set) var records: [Record] = []
    /// Files captured whole, by cleaned path (no leading `/`).
    public private(set) var captured: [String: [UInt8]] = [:]
    /// How the layer's tar stream ended: with its end-of-archive blocks, without them, or
    /// inside the padding after its last entry's data (umoci 0.4.7's `insert`; the resolver
    /// accepts that only when the layer's DiffID matches its config's). `nil` for a table not
    /// read from a tar stream (an empty layer file).
    public internal(set) var ending: TarEnd?

    /// Creates an empty table.
    public init() {}

    /// The number of entries (every tar entry, as `tar -t` lists them).
    public var count: Int { records.count }

    /// Bytes of memory the table holds, roughly.
    public var footprint: Int {
        arena.capacity + records.capacity * MemoryLayout<Record>.stride + captured.values.reduce(0) { $0 + $1.count }
    }

    /// Appends an entry.
    /// - Parameters:
    ///   - path: The cleaned path.
    ///   - previous: The path of the entry appended before, which this one is coded against.
    ///   - entry: The entry's header.
    ///   - extra: A link target or `#!` line.
    ///   - flags: ``Flag`` bits.
    ///   - elf: The file's ELF header.
    mutating func append(
        path: UnsafeRawBufferPointer, previous: UnsafeRawBufferPointer, entry: TarEntryView, extra: UnsafeRawBufferPointer,
        flags: UInt8, elf: ELFHeader?
    ) {
        let shared = records.count % Self.restartInterval == 0 ? 0 : ByteScan.commonPrefixLength(previous, path)
        let suffixStart = UInt32(truncatingIfNeeded: arena.count)
        arena.append(contentsOf: UnsafeRawBufferPointer(rebasing: path[shared...]))
        if !extra.isEmpty { arena.append(contentsOf: extra) }
        var f = flags
        if let elf {
            f |= Flag.elf
            if elf.is64Bit { f |= Flag.elf64 }
            if elf.isBigEndian { f |= Flag.elfBigEndian }
        }
        if entry.hasXattrs { f |= Flag.xattrs }
        records.append(
            Record(
                suffixStart: suffixStart, suffixLength: UInt32(truncatingIfNeeded: path.count - shared),
                sharedLength: UInt32(truncatingIfNeeded: shared), extraLength: UInt32(truncatingIfNeeded: extra.count),
                size: entry.size, mtime: entry.mtime,
                uid: UInt32(clamping: entry.uid), gid: UInt32(clamping: entry.gid), mode: entry.mode,
                kindCode: Self.code(entry.kind), flags: f, elfMachine: elf?.machine ?? 0, elfType: elf?.type ?? 0))
    }

    /// Appends every entry of `others`, the tables of the entries that follow this table's in
    /// the layer, in order. A table's first path is stored whole, so its records are taken as
    /// they are, with their bytes moved to the end of this table's arena; the arrays grow once.
    mutating func append(contentsOf others: [LayerTable]) {
        records.reserveCapacity(others.reduce(records.count) { $0 + $1.records.count })
        arena.reserveCapacity(others.reduce(arena.count) { $0 + $1.arena.count })
        for other in others {
            let offset = UInt32(truncatingIfNeeded: arena.count)
            arena.append(contentsOf: other.arena)
            for var r in other.records {
                r.suffixStart &+= offset
                records.append(r)
            }
            for (path, bytes) in other.captured { captured[path] = bytes }
            if let e = other.ending { ending = e }
        }
    }

    mutating func capture(_ path: String, _ bytes: [UInt8]) {
        captured[path] = bytes
    }

    /// Gives back the spare capacity the arrays grew into, once the layer is complete.
    mutating func finish() {
        if records.capacity - records.count > records.count / 16 { records = Self.exactCopy(records) }
        if arena.capacity - arena.count > arena.count / 16 { arena = Self.exactCopy(arena) }
    }

    /// A copy of `array` in a new buffer of exactly its size.
    private static func exactCopy<T>(_ array: [T]) -> [T] {
        array.withUnsafeBufferPointer { source in
            [T](unsafeUninitializedCapacity: source.count) { target, initialized in
                _ = target.initialize(fromContentsOf: source)
                initialized = source.count
            }
        }
    }

    package static func code(_ kind: TarEntry.Kind) -> UInt8 {
        switch kind {
        case .regular: 0
        case .hardlink: 1
        case .symlink: 2
        case .characterDevice: 3
        case .blockDevice: 4
        case .directory: 5
        case .fifo: 6
        case .sparse: 7
        case .other(let t): t == 0 ? 8 : t
        }
    }

    package static func kind(_ code: UInt8) -> TarEntry.Kind {
        switch code {
        case 0: .regular
        case 1: .hardlink
        case 2: .symlink
        case 3: .characterDevice
        case 4: .blockDevice
        case 5: .directory
        case 6: .fifo
        case 7: .sparse
        case 8: .other(0)
        default: .other(code)
        }
    }

    /// Decodes the path of entry `index` into `path` (replacing its contents).
    private func decodePath(_ index: Int, into path: inout [UInt8]) {
        path.removeAll(keepingCapacity: true)
        arena.withUnsafeBufferPointer { bytes in
            // From the last path stored whole: every ``restartInterval``-th record's, and the
            // first of each table appended with ``append(contentsOf:)``.
            var first = index
            while first > 0 && records[first].sharedLength != 0 { first -= 1 }
            for i in first...index {
                let r = records[i]
                path.removeSubrange(min(Int(r.sharedLength), path.count)...)
                let start = Int(r.suffixStart)
                path.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<start + Int(r.suffixLength)]))
            }
        }
    }

    /// The cleaned path of entry `index` (no leading `/`; `""` is the root).
    public func path(_ index: Int) -> String {
        var bytes: [UInt8] = []
        decodePath(index, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Calls `body` with the raw bytes of entry `index`'s path, without making a string.
    public func withPathBytes<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var bytes: [UInt8] = []
        decodePath(index, into: &bytes)
        return try bytes.withUnsafeBufferPointer { try body($0) }
    }

    /// Calls `body` with every entry in tar order: its index, its record, and the bytes of its
    /// path and of its extra (link target or `#!` line), decoded once each, without strings.
    package func forEachEntry(_ body: (Int, Record, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        // The path is decoded in place: each record replaces the bytes after its shared prefix.
        var capacity = 1024
        var path = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { path.deallocate() }
        var length = 0
        try arena.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return }
            for (i, r) in records.enumerated() {
                let shared = min(Int(r.sharedLength), length)
                let suffix = Int(r.suffixLength)
                if shared + suffix > capacity {
                    while shared + suffix > capacity { capacity *= 2 }
                    let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
                    bigger.update(from: path, count: shared)
                    path.deallocate()
                    path = bigger
                }
                let start = Int(r.suffixStart)
                (path + shared).update(from: base + start, count: suffix)
                length = shared + suffix
                let extra = UnsafeBufferPointer(start: base + start + suffix, count: Int(r.extraLength))
                try body(i, r, UnsafeBufferPointer(start: path, count: length), extra)
            }
        }
    }

    /// The decoded entry at `index`.
    public subscript(index: Int) -> LayerEntry {
        let r = records[index]
        let extra = arena.withUnsafeBufferPointer {
            let start = Int(r.suffixStart) + Int(r.suffixLength)
            return String(decoding: UnsafeBufferPointer(rebasing: $0[start..<start + Int(r.extraLength)]), as: UTF8.self)
        }
        let kind = Self.kind(r.kindCode)
        return LayerEntry(
            path: path(index), kind: kind, mode: r.mode, uid: r.uid, gid: r.gid, size: r.size, mtime: r.mtime,
            linkTarget: (kind == .symlink || kind == .hardlink) ? extra : nil,
            shebang: r.flags & Flag.shebang != 0 ? extra : nil,
            elf: r.elf, isWhiteout: r.flags & Flag.whiteout != 0, isOpaqueMarker: r.flags & Flag.opaque != 0)
    }

    /// How many entries are regular files, directories, links and whiteouts.
    public var census: (files: Int, directories: Int, symlinks: Int, hardlinks: Int, whiteouts: Int, other: Int) {
        var c = (files: 0, directories: 0, symlinks: 0, hardlinks: 0, whiteouts: 0, other: 0)
        for r in records {
            if r.flags & (Flag.whiteout | Flag.opaque) != 0 {
                c.whiteouts += 1
                continue
            }
            switch r.kindCode {
            case 0, 7: c.files += 1
            case 5: c.directories += 1
            case 2: c.symlinks += 1
            case 1: c.hardlinks += 1
            default: c.other += 1
            }
        }
        return c
    }
}

/// One entry of a ``LayerTable``, decoded.
public struct LayerEntry: Sendable, Equatable {
    /// The cleaned path, without a leading `/` (`""` is the root).
    public var path: String
    /// The type.
    public var kind: TarEntry.Kind
    /// Permission bits.
    public var mode: UInt32
    /// Owner uid.
    public var uid: UInt32
    /// Owner gid.
    public var gid: UInt32
    /// Size in bytes of a regular file.
    public var size: Int64
    /// Modification time.
    public var mtime: Int64
    /// The link target of a symlink (as written) or hardlink (cleaned, root-relative).
    public var linkTarget: String?
    /// The `#!` line of a script.
    public var shebang: String?
    /// The ELF header of an ELF file.
    public var elf: ELFHeader?
    /// Whether this is a whiteout `.wh.<name>` (which deletes `<name>` from lower layers).
    public var isWhiteout: Bool
    /// Whether this is an opaque marker `.wh..wh..opq` (which hides a directory's lower-layer children).
    public var isOpaqueMarker: Bool
}
