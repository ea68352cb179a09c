// Source: https://github.com/opencontainers/image-spec/blob/main/layer.md (applying changesets,
// whiteouts, opaque whiteouts, hardlinks); moby go-archive diff.go and containerd pkg/archive/tar.go
// for how extraction resolves symlinked parents and hardlink targets against the merged rootfs.
import ImageArchive
import Tar

/// The filesystem a container of one image sees: its layers' entry tables applied bottom to top.
///
/// Built from the ``LayerTable``s alone (the archive is not read again), following the OCI rules:
/// - a whiteout `.wh.<name>` and an opaque marker `.wh..wh..opq` hide only what lower layers
///   wrote; entries of the same layer survive, whichever comes first in the tar, and an opaque
///   marker applies first wherever it sits in the tar;
/// - a directory over a directory merges (the attributes are replaced), any other collision replaces;
/// - hardlinks resolve against the merged tree (the target may come from a lower layer);
/// - entries under a symlinked parent (`lib/x` with `lib -> usr/lib`) land where the link leads,
///   as extraction does.
///
/// Lookups resolve symlinks inside the image root: absolute targets are re-rooted, `..` never
/// climbs above `/`, and loops are reported, never followed forever.
///
/// Memory: one 64-byte node per file, directory or link, its name in a byte arena, and 8 bytes
/// in the one ``ChildIndex`` of every directory's entries; about 90 bytes per entry, and no
/// allocation per node or per directory.
public struct MergedFilesystem: Sendable {
    /// The most symlinks one lookup follows (Linux's `MAXSYMLINKS`).
    public static let maximumSymlinks = 40

    /// One file, directory or link; its name and extra bytes are in ``names`` and ``extras``.
    struct Node: Sendable {
        var nameStart: UInt32
        var nameLength: UInt32
        /// A symlink's target, a script's `#!` line, or a dangling hardlink's target.
        var extraStart: UInt32
        var extraLength: UInt32
        var parent: Int32
        /// A directory's first child (children are chained through ``nextSibling``), or -1.
        var firstChild: Int32
        var nextSibling: Int32
        var layer: UInt16
        var kindCode: UInt8
        var flags: UInt8
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var elfMachine: UInt16
        var elfType: UInt16
        var size: Int64
        var mtime: Int64

        var kind: TarEntry.Kind { LayerTable.kind(kindCode) }
        var isDirectory: Bool { kindCode == Self.directoryCode }
        var isSymlink: Bool { kindCode == Self.symlinkCode }
        var isDetached: Bool { flags & Flag.detached != 0 }
        var hasExtra: Bool { flags & Flag.hasExtra != 0 }

        var elf: ELFHeader? {
            flags & Flag.elf == 0
                ? nil
                : ELFHeader(
                    machine: elfMachine, type: elfType, is64Bit: flags & Flag.elf64 != 0, isBigEndian: flags & Flag.elfBigEndian != 0)
        }

        static let directoryCode = LayerTable.code(.directory)
        static let symlinkCode = LayerTable.code(.symlink)
        static let hardlinkCode = LayerTable.code(.hardlink)
        static let regularCode = LayerTable.code(.regular)
        static let sparseCode = LayerTable.code(.sparse)

        enum Flag {
            static let hasExtra: UInt8 = 1
            static let elf: UInt8 = 2
            static let elf64: UInt8 = 4
            static let elfBigEndian: UInt8 = 8
            /// Removed from its directory (whiteout, opaque marker, replaced); still in its
            /// parent's chain, which skips it.
            static let detached: UInt8 = 16
        }
    }

    var nodes: [Node]
    var names: [UInt8] = []
    var extras: [UInt8] = []
    var children: ChildIndex
    /// Hardlink nodes → the path they were linked to.
    var hardlinks: [Int32: String] = [:]
    /// Captured nodes → where their bytes are.
    var contents: [Int32: ContentLocation] = [:]
    /// Each layer's captured files.
    let captured: [[String: [UInt8]]]
    /// The directory the previous entry's parent path resolved to, while building.
    var directoryCache = DirectoryCache()
    /// Whether regular files that are not ELF files are left out (a tree for the census only).
    let censusOnly: Bool

    /// Entries that could not be placed as written (a dangling hardlink, a parent that is a
    /// dangling symlink, an empty whiteout name), as `layer N: path: why`; at most 100 are kept.
    public internal(set) var anomalies: [String] = []

    /// Builds the merged filesystem of an image from its layers' tables.
    /// - Parameter image: The image.
    public init(image: ArchiveImage) {
        self.init(layers: image.layers.map(\.table))
    }

    /// Builds the merged filesystem of layer tables, bottom first.
    /// - Parameter layers: The tables, bottom to top.
    public init(layers: [LayerTable]) {
        self.init(layers: layers, censusOnly: false)
    }

    /// How many ELF files of each architecture an image's merged filesystem holds, as
    /// ``elfCensus()`` of ``init(image:)`` says, for less: regular files that are not ELF files
    /// are left out of the tree unless they replace something already there (then they must
    /// hide it), since nothing else about them can change the count.
    /// - Parameter image: The image.
    /// - Returns: Counts by architecture name.
    public static func elfCensus(of image: ArchiveImage) -> [String: Int] {
        MergedFilesystem(layers: image.layers.map(\.table), censusOnly: true).elfCensus()
    }

    /// Builds the tree; `censusOnly` leaves out regular files that are not ELF files (see
    /// ``elfCensus(of:)``): the tree is then good for the census only.
    private init(layers: [LayerTable], censusOnly: Bool) {
        self.censusOnly = censusOnly
        let expected = 1 + Self.distinctEntryCount(layers)
        nodes = []
        nodes.reserveCapacity(expected + 16)
        nodes.append(
            Node(
                nameStart: 0, nameLength: 0, extraStart: 0, extraLength: 0, parent: 0, firstChild: -1, nextSibling: -1,
                layer: 0, kindCode: Node.directoryCode, flags: 0, mode: 0o755, uid: 0, gid: 0, elfMachine: 0, elfType: 0,
                size: 0, mtime: 0))
        children = ChildIndex(capacity: expected)
        captured = layers.map(\.captured)
        for (index, table) in layers.enumerated() {
            apply(table, layer: index + 1)
        }
        directoryCache = DirectoryCache()
    }

    /// How many entries the distinct tables of `layers` have together: what the tree can grow to
    /// (a table applied again replaces its own nodes), and so what is reserved for it. An image
    /// may list one layer many times; each is counted once, so that the memory reserved is that
    /// of the layers, not of the references to them.
    ///
    /// Tables are told apart by their record storage: a `LayerTable` is a value whose copies
    /// share their records' buffer until one of them changes, and every reference to a layer is
    /// such a copy.
    static func distinctEntryCount(_ layers: [LayerTable]) -> Int {
        var seen = Set<UInt>()
        var total = 0
        for table in layers where table.count > 0 {
            let storage = table.records.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
            if seen.insert(storage).inserted { total += table.count }
        }
        return total
    }

    /// How many nodes the merged tree has, the root included.
    public var nodeCount: Int {
        var n = 0
        forEachLiveNode { _ in n += 1 }
        return n
    }

    // MARK: - ELF census

    /// How many ELF files of each architecture the merged tree holds.
    ///
    /// Keys are GOARCH names (``ELFHeader/architecture``), or the machine name for machines
    /// no image platform uses. Symlinks are not counted; hardlinks count once per name.
    public func elfCensus() -> [String: Int] {
        var census: [String: Int] = [:]
        var machines: [UInt32: Int] = [:]
        forEachLiveNode { node in
            if node.flags & Node.Flag.elf != 0, node.kindCode == Node.regularCode || node.kindCode == Node.sparseCode {
                // Count by (machine, class, byte order), name once per kind.
                let key = UInt32(node.elfMachine) << 8 | UInt32(node.flags & (Node.Flag.elf64 | Node.Flag.elfBigEndian))
                machines[key, default: 0] += 1
            }
        }
        for (key, n) in machines {
            let flags = UInt8(truncatingIfNeeded: key)
            let elf = ELFHeader(
                machine: UInt16(truncatingIfNeeded: key >> 8), type: 0, is64Bit: flags & Node.Flag.elf64 != 0,
                isBigEndian: flags & Node.Flag.elfBigEndian != 0)
            census[elf.architecture ?? elf.machineName, default: 0] += n
        }
        return census
    }

    /// Calls `body` with every node in the tree (not removed, nor under a removed directory), in
    /// index order. A node's parent always has a smaller index (it existed when the node was
    /// made), so one pass marks whatever hangs under a removed directory.
    func forEachLiveNode(_ body: (Node) -> Void) {
        var dead = [Bool](repeating: false, count: nodes.count)
        nodes.withUnsafeBufferPointer { all in
            for i in all.indices {
                let n = all[i]
                if n.isDetached || (i > 0 && dead[Int(n.parent)]) {
                    dead[i] = true
                    continue
                }
                body(n)
            }
        }
    }

    // MARK: - Nodes

    /// The name of node `index` as a string.
    func name(of index: Int32) -> String {
        let n = nodes[Int(index)]
        return names.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[Int(n.nameStart)..<Int(n.nameStart + n.nameLength)]), as: UTF8.self)
        }
    }

    /// The extra bytes of node `index` as a string, or `nil` when it has none.
    func extra(of index: Int32) -> String? {
        let n = nodes[Int(index)]
        guard n.hasExtra else { return nil }
        return extras.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[Int(n.extraStart)..<Int(n.extraStart + n.extraLength)]), as: UTF8.self)
        }
    }

    /// Whether node `index` is named `name`.
    func hasName(_ index: Int32, _ name: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = nodes[Int(index)]
        guard Int(n.nameLength) == name.count else { return false }
        return names.withUnsafeBufferPointer { all in
            var k = 0
            var i = Int(n.nameStart)
            while k < name.count {
                if all[i] != name[k] { return false }
                k += 1
                i += 1
            }
            return true
        }
    }

    /// The live child of directory `parent` named `name`.
    func child(_ parent: Int32, named name: UnsafeBufferPointer<UInt8>, hash: UInt32? = nil) -> Int32? {
        let h = hash ?? ChildIndex.hash(parent: parent, name: name)
        return children.find(hash: h) { candidate in nodes[Int(candidate)].parent == parent && hasName(candidate, name) }
    }

    /// The live children of directory `index`, sorted by name bytes.
    func sortedChildren(_ index: Int32) -> [Int32] {
        var list: [Int32] = []
        var c = nodes[Int(index)].firstChild
        while c >= 0 {
            if !nodes[Int(c)].isDetached { list.append(c) }
            c = nodes[Int(c)].nextSibling
        }
        return names.withUnsafeBufferPointer { all in
            list.sorted { a, b in
                let x = nodes[Int(a)]
                let y = nodes[Int(b)]
                return UnsafeBufferPointer(rebasing: all[Int(x.nameStart)..<Int(x.nameStart + x.nameLength)])
                    .lexicographicallyPrecedes(UnsafeBufferPointer(rebasing: all[Int(y.nameStart)..<Int(y.nameStart + y.nameLength)]))
            }
        }
    }

    func node(_ index: Int32, path: String) -> FilesystemNode {
        let s = nodes[Int(index)]
        let kind = s.kind
        let isSymlink = s.isSymlink
        let isDangling = s.kindCode == Node.hardlinkCode
        let extra = extra(of: index)
        return FilesystemNode(
            path: path, name: name(of: index), kind: kind, mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, mtime: s.mtime,
            layer: Int(s.layer), linkTarget: isSymlink ? extra : nil,
            hardlinkTarget: hardlinks[index] ?? (isDangling ? extra : nil), elf: s.elf,
            shebang: (isSymlink || isDangling) ? nil : extra, content: contents[index])
    }

    /// Byte-wise (UTF-8) order, as `ls` in the C locale and umoci sort.
    static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    static func join(_ dir: String, _ name: String) -> String { dir == "/" ? "/" + name : dir + "/" + name }

    static func display(_ path: String) -> String { path.hasPrefix("/") ? path : "/" + path }
}
