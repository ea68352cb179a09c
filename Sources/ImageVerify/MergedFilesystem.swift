// Source: https://github.com/opencontainers/image-spec/blob/main/layer.md (applying changesets,
// whiteouts, opaque whiteouts, hardlinks); moby go-archive diff.go and containerd pkg/archive/tar.go
// for how extraction resolves symlinked parents and hardlink targets against the merged rootfs.
import ByteIO
import ImageArchive
import Tar
import OCI

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
            flags & Flag.elf == 0 ? nil
                : ELFHeader(machine: elfMachine, type: elfType, is64Bit: flags & Flag.elf64 != 0, isBigEndian: flags & Flag.elfBigEndian != 0)
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
        let expected = layers.reduce(1) { $0 + $1.count }
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

    /// How many nodes the merged tree has, the root included.
    public var nodeCount: Int {
        var n = 0
        forEachLiveNode { _ in n += 1 }
        return n
    }

    // MARK: - Lookup

    /// Looks a path up.
    ///
    /// - Parameters:
    ///   - path: An absolute path; a relative one is taken from `/`.
    ///   - followFinalSymlink: Whether a symlink as the last component is followed (`stat`) or
    ///     returned itself (`lstat`). Symlinks in parent components are always followed.
    /// - Returns: The node with its resolved path, or why there is none.
    public func lookup(_ path: String, followFinalSymlink: Bool = true) -> FileLookup {
        switch resolve(path, followFinal: followFinalSymlink) {
        case .success(let (index, resolved)):
            return .found(node(index, path: resolved))
        case .failure(let failure):
            switch failure {
            case .notFound(let missing): return .notFound(path: Self.display(path), missing: missing)
            case .notADirectory(let at): return .notADirectory(path: Self.display(path), at: at)
            case .loop(let at): return .symlinkLoop(path: Self.display(path), at: at)
            }
        }
    }

    /// Whether `path` exists (through symlinks).
    /// - Parameter path: An absolute path.
    public func exists(_ path: String) -> Bool { lookup(path).node != nil }

    /// The children of a directory, sorted by name (symlinks in `path` followed).
    /// - Parameter path: An absolute path.
    /// - Returns: `nil` when `path` is not a directory.
    public func list(_ path: String) -> [FilesystemNode]? {
        guard case .success(let (index, resolved)) = resolve(path, followFinal: true), nodes[Int(index)].isDirectory
        else { return nil }
        return sortedChildren(index).map { node($0, path: Self.join(resolved, name(of: $0))) }
    }

    /// Visits `path` and everything under it, depth first in name order, without following symlinks
    /// below `path`.
    /// - Parameters:
    ///   - path: Where to start (symlinks in it are followed).
    ///   - body: Called with each node; return `false` to skip a directory's children.
    public func walk(_ path: String = "/", _ body: (FilesystemNode) throws -> Bool) rethrows {
        guard case .success(let (index, resolved)) = resolve(path, followFinal: true) else { return }
        try walk(index, path: resolved, body)
    }

    /// Every path under `path` (excluding it), sorted, as absolute paths.
    /// - Parameter path: Where to start.
    public func paths(under path: String) -> [String] {
        var result: [String] = []
        walk(path) { node in
            result.append(node.path)
            return true
        }
        return Array(result.dropFirst())
    }

    /// The captured bytes of a file, following symlinks and hardlinks.
    /// - Parameter path: An absolute path.
    /// - Returns: `nil` when the file does not exist or its bytes were not captured.
    public func content(_ path: String) -> [UInt8]? {
        guard let location = lookup(path).node?.content else { return nil }
        return bytes(at: location)
    }

    /// The bytes at a capture location.
    /// - Parameter location: From ``FilesystemNode/content``.
    public func bytes(at location: ContentLocation) -> [UInt8]? {
        guard location.layer >= 1, location.layer <= captured.count else { return nil }
        return captured[location.layer - 1][location.path]
    }

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

    private func walk(_ index: Int32, path: String, _ body: (FilesystemNode) throws -> Bool) rethrows {
        guard try body(node(index, path: path)), nodes[Int(index)].isDirectory else { return }
        for child in sortedChildren(index) {
            try walk(child, path: Self.join(path, name(of: child)), body)
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

    // MARK: - Resolving

    enum ResolveFailure: Error {
        case notFound(String)
        case notADirectory(String)
        case loop(String)
    }

    func path(of stack: [Int32]) -> String {
        stack.count <= 1 ? "/" : "/" + stack.dropFirst().map { name(of: $0) }.joined(separator: "/")
    }

    /// Resolves a path to a node and its resolved absolute path.
    func resolve(_ path: String, followFinal: Bool) -> Result<(Int32, String), ResolveFailure> {
        resolve(PathComponents(Array(path.utf8)), from: [0], followFinal: followFinal)
            .map { ($0.last ?? 0, self.path(of: $0)) }
    }

    /// Resolves components from a stack of directories (root first); returns the stack ending at the node.
    func resolve(_ components: PathComponents, from start: [Int32], followFinal: Bool) -> Result<[Int32], ResolveFailure> {
        var pending = components
        var stack = start
        var links = 0
        while let component = pending.next() {
            if component.isDot { continue }
            let current = stack.last ?? 0
            guard nodes[Int(current)].isDirectory else { return .failure(.notADirectory(path(of: stack))) }
            if component.isDotDot {
                if stack.count > 1 { stack.removeLast() }
                continue
            }
            guard let child = pending.withBytes(component, { child(current, named: $0) }) else {
                return .failure(.notFound(Self.join(path(of: stack), pending.string(component))))
            }
            let node = nodes[Int(child)]
            if node.isSymlink, !pending.isEmpty || followFinal {
                links += 1
                guard links <= Self.maximumSymlinks else { return .failure(.loop(Self.join(path(of: stack), pending.string(component)))) }
                let target = extraBytes(child)
                if target.first == UInt8(ascii: "/") { stack = [0] }
                pending.push(target)
                continue
            }
            stack.append(child)
        }
        return .success(stack)
    }

    /// The extra bytes of node `index` (a symlink's target), copied.
    func extraBytes(_ index: Int32) -> [UInt8] {
        let n = nodes[Int(index)]
        return Array(extras[Int(n.extraStart)..<Int(n.extraStart + n.extraLength)])
    }
}

/// The components of a path still to resolve, as a stack: the path's own, and those of each
/// symlink target met on the way, pushed in front of the rest. Empty components are skipped.
struct PathComponents {
    /// The byte strings the components are slices of.
    private var sources: [[UInt8]] = []
    /// Pending components, last one first out.
    private var stack: [Component] = []

    /// One component: a range of one of the sources.
    struct Component {
        var source: Int
        var start: Int
        var end: Int
        var isDot: Bool
        var isDotDot: Bool
    }

    init(_ path: [UInt8]) {
        push(path)
    }

    var isEmpty: Bool { stack.isEmpty }

    /// Puts the components of `path` in front of those pending.
    mutating func push(_ path: [UInt8]) {
        let source = sources.count
        sources.append(path)
        var parts: [Component] = []
        var i = 0
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        while i < path.count {
            while i < path.count && path[i] == slash { i += 1 }
            if i >= path.count { break }
            var j = i
            while j < path.count && path[j] != slash { j += 1 }
            let length = j - i
            parts.append(
                Component(
                    source: source, start: i, end: j, isDot: length == 1 && path[i] == dot,
                    isDotDot: length == 2 && path[i] == dot && path[i + 1] == dot))
            i = j
        }
        stack.append(contentsOf: parts.reversed())
    }

    /// The next component.
    mutating func next() -> Component? { stack.popLast() }

    /// Calls `body` with the bytes of `component`.
    func withBytes<R>(_ component: Component, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        sources[component.source].withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[component.start..<component.end])) }
    }

    /// The component as a string, for messages.
    func string(_ component: Component) -> String {
        String(decoding: sources[component.source][component.start..<component.end], as: UTF8.self)
    }
}
