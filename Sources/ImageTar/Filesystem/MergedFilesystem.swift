// Source: https://github.com/opencontainers/image-spec/blob/main/layer.md (applying changesets,
// whiteouts, opaque whiteouts, hardlinks); moby go-archive diff.go and containerd pkg/archive/tar.go
// for how extraction resolves symlinked parents and hardlink targets against the merged rootfs.

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
/// Memory: one fixed-size slot per node plus its name, which the parent's children dictionary
/// shares; about 150 bytes per entry.
public struct MergedFilesystem: Sendable {
    /// The most symlinks one lookup follows (Linux's `MAXSYMLINKS`).
    public static let maximumSymlinks = 40

    struct Slot: Sendable {
        var name: String
        var parent: Int32
        var layer: UInt16
        var kind: TarEntry.Kind
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var size: Int64
        var mtime: Int64
        /// Symlink target, or a script's `#!` line, or a dangling hardlink's target.
        var extra: String?
        var elf: ELFHeader?
        var children: [String: Int32]?
    }

    var slots: [Slot]
    /// Hardlink nodes → the path they were linked to.
    var hardlinks: [Int32: String] = [:]
    /// Captured nodes → where their bytes are.
    var contents: [Int32: ContentLocation] = [:]
    /// Each layer's captured files.
    let captured: [[String: [UInt8]]]

    /// Entries that could not be placed as written (a dangling hardlink, a parent that is a
    /// dangling symlink, an empty whiteout name), as `layer N: path: why`; at most 100 are kept.
    public private(set) var anomalies: [String] = []

    /// Builds the merged filesystem of an image from its layers' tables.
    /// - Parameter image: The image.
    public init(image: ArchiveImage) {
        self.init(layers: image.layers.map(\.table))
    }

    /// Builds the merged filesystem of layer tables, bottom first.
    /// - Parameter layers: The tables, bottom to top.
    public init(layers: [LayerTable]) {
        slots = [Slot(name: "", parent: 0, layer: 0, kind: .directory, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, children: [:])]
        captured = layers.map(\.captured)
        for (index, table) in layers.enumerated() {
            apply(table, layer: index + 1)
        }
    }

    /// How many nodes the merged tree has, the root included.
    public var nodeCount: Int {
        var n = 0
        visit(0) { _ in n += 1 }
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
        guard case .success(let (index, resolved)) = resolve(path, followFinal: true), let children = slots[Int(index)].children
        else { return nil }
        return children.keys.sorted(by: Self.byteOrder).compactMap { name in
            children[name].map { node($0, path: Self.join(resolved, name)) }
        }
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
        visit(0) { slot in
            if let elf = slot.elf, slot.kind == .regular || slot.kind == .sparse {
                census[elf.architecture ?? elf.machineName, default: 0] += 1
            }
        }
        return census
    }

    // MARK: - Internals

    private func walk(_ index: Int32, path: String, _ body: (FilesystemNode) throws -> Bool) rethrows {
        guard try body(node(index, path: path)), let children = slots[Int(index)].children else { return }
        for name in children.keys.sorted(by: Self.byteOrder) {
            if let child = children[name] { try walk(child, path: Self.join(path, name), body) }
        }
    }

    private func visit(_ index: Int32, _ body: (Slot) -> Void) {
        var stack: [Int32] = [index]
        while let i = stack.popLast() {
            let slot = slots[Int(i)]
            body(slot)
            if let children = slot.children { stack.append(contentsOf: children.values) }
        }
    }

    func node(_ index: Int32, path: String) -> FilesystemNode {
        let s = slots[Int(index)]
        let isSymlink = s.kind == .symlink
        let isDangling = s.kind == .hardlink
        return FilesystemNode(
            path: path, name: s.name, kind: s.kind, mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, mtime: s.mtime,
            layer: Int(s.layer), linkTarget: isSymlink ? s.extra : nil,
            hardlinkTarget: hardlinks[index] ?? (isDangling ? s.extra : nil), elf: s.elf,
            shebang: (isSymlink || isDangling) ? nil : s.extra, content: contents[index])
    }

    /// Byte-wise (UTF-8) order, as `ls` in the C locale and umoci sort.
    static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    static func join(_ dir: String, _ name: String) -> String { dir == "/" ? "/" + name : dir + "/" + name }

    static func display(_ path: String) -> String { path.hasPrefix("/") ? path : "/" + path }

    enum ResolveFailure: Error {
        case notFound(String)
        case notADirectory(String)
        case loop(String)
    }

    func path(of stack: [Int32]) -> String {
        stack.count <= 1 ? "/" : "/" + stack.dropFirst().map { slots[Int($0)].name }.joined(separator: "/")
    }

    /// Resolves a path to a slot and its resolved absolute path.
    func resolve(_ path: String, followFinal: Bool) -> Result<(Int32, String), ResolveFailure> {
        resolve(components: path.split(separator: "/", omittingEmptySubsequences: true), from: [0], followFinal: followFinal)
            .map { ($0.last ?? 0, self.path(of: $0)) }
    }

    /// Resolves components from a stack of directories (root first); returns the stack ending at the node.
    func resolve(components: [Substring], from start: [Int32], followFinal: Bool) -> Result<[Int32], ResolveFailure> {
        var pending = Array(components.reversed())
        var stack = start
        var links = 0
        while let component = pending.popLast() {
            if component == "." { continue }
            let current = stack.last ?? 0
            guard let children = slots[Int(current)].children else { return .failure(.notADirectory(path(of: stack))) }
            if component == ".." {
                if stack.count > 1 { stack.removeLast() }
                continue
            }
            guard let child = children[String(component)] else {
                return .failure(.notFound(Self.join(path(of: stack), String(component))))
            }
            let slot = slots[Int(child)]
            if slot.kind == .symlink, !pending.isEmpty || followFinal {
                links += 1
                guard links <= Self.maximumSymlinks else { return .failure(.loop(Self.join(path(of: stack), String(component)))) }
                let target = slot.extra ?? ""
                if target.hasPrefix("/") { stack = [0] }
                pending.append(contentsOf: target.split(separator: "/", omittingEmptySubsequences: true).reversed())
                continue
            }
            stack.append(child)
        }
        return .success(stack)
    }

    // MARK: - Building

    private mutating func note(_ layer: Int, _ path: String, _ why: String) {
        if anomalies.count < 100 { anomalies.append("layer \(layer): /\(path): \(why)") }
    }

    private static func split(_ path: String) -> (dir: [Substring], base: String) {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true)
        let base = parts.popLast().map(String.init) ?? ""
        return (parts, base)
    }

    private mutating func apply(_ table: LayerTable, layer: Int) {
        // Pass 1: whiteouts and opaque markers, which only hide what lower layers wrote. Applying
        // them before any entry of this layer keeps this layer's entries whatever the tar order.
        for i in 0..<table.count where table.records[i].flags & (LayerTable.Flag.whiteout | LayerTable.Flag.opaque) != 0 {
            let path = table.path(i)
            let (dir, base) = Self.split(path)
            guard case .success(let stack) = resolve(components: dir, from: [0], followFinal: true),
                let parent = stack.last, slots[Int(parent)].children != nil
            else { continue }
            if table.records[i].flags & LayerTable.Flag.opaque != 0 {
                slots[Int(parent)].children = [:]
            } else {
                let name = String(base.dropFirst(4))
                guard !name.isEmpty else {
                    note(layer, path, "whiteout with an empty name (invalid)")
                    continue
                }
                slots[Int(parent)].children?[name] = nil
            }
        }
        // Pass 2: everything else, in tar order.
        let hasCaptures = !table.captured.isEmpty
        for i in 0..<table.count where table.records[i].flags & (LayerTable.Flag.whiteout | LayerTable.Flag.opaque) == 0 {
            let entry = table[i]
            if entry.path.isEmpty {
                if entry.kind == .directory { setAttributes(0, entry, layer: layer) }
                continue
            }
            let (dir, base) = Self.split(entry.path)
            // Other `.wh.` names (`.wh..wh.plnk`, AUFS metadata) never reach the filesystem.
            if base.hasPrefix(".wh.") { continue }
            guard let parent = ensureDirectory(dir, layer: layer, path: entry.path) else { continue }
            let existing = slots[Int(parent)].children?[base]
            if entry.kind == .directory, let existing, slots[Int(existing)].kind == .directory {
                setAttributes(existing, entry, layer: layer)
                continue
            }
            var slot = Slot(
                name: base, parent: parent, layer: UInt16(clamping: layer), kind: entry.kind, mode: entry.mode, uid: entry.uid,
                gid: entry.gid, size: entry.size, mtime: entry.mtime, extra: entry.linkTarget ?? entry.shebang, elf: entry.elf,
                children: entry.kind == .directory ? [:] : nil)
            var content: ContentLocation? = nil
            var linkedTo: String? = nil
            if entry.kind == .hardlink, let target = entry.linkTarget {
                let targetParts = target.split(separator: "/", omittingEmptySubsequences: true)
                if case .success(let stack) = resolve(components: targetParts, from: [0], followFinal: false),
                    let t = stack.last, t != 0, slots[Int(t)].kind != .directory, slots[Int(t)].kind != .hardlink
                {
                    let source = slots[Int(t)]
                    slot.kind = source.kind
                    slot.mode = source.mode
                    slot.uid = source.uid
                    slot.gid = source.gid
                    slot.size = source.size
                    slot.mtime = source.mtime
                    slot.extra = source.extra
                    slot.elf = source.elf
                    content = contents[t]
                    linkedTo = target
                } else {
                    note(layer, entry.path, "hardlink to \(target), which does not exist")
                }
            } else if hasCaptures, entry.kind == .regular, table.captured[entry.path] != nil {
                content = ContentLocation(layer: layer, path: entry.path)
            }
            let index: Int32
            if let existing, slots[Int(existing)].kind != .directory {
                // A file over a file: reuse the slot (nothing else points at it).
                index = existing
                slots[Int(index)] = slot
                contents[index] = nil
                hardlinks[index] = nil
            } else {
                index = Int32(truncatingIfNeeded: slots.count)
                slots.append(slot)
                slots[Int(parent)].children?[base] = index
            }
            if let content { contents[index] = content }
            if let linkedTo { hardlinks[index] = linkedTo }
        }
    }

    private mutating func setAttributes(_ index: Int32, _ entry: LayerEntry, layer: Int) {
        slots[Int(index)].mode = entry.mode
        slots[Int(index)].uid = entry.uid
        slots[Int(index)].gid = entry.gid
        slots[Int(index)].mtime = entry.mtime
        slots[Int(index)].layer = UInt16(clamping: layer)
    }

    /// The directory `components` names, made (as `mkdir -p` would, layer-owned, 0755) where missing;
    /// symlinks followed; a non-directory in the way replaced by a directory.
    private mutating func ensureDirectory(_ components: [Substring], layer: Int, path: String) -> Int32? {
        var pending = Array(components.reversed())
        var stack: [Int32] = [0]
        var links = 0
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                if stack.count > 1 { stack.removeLast() }
                continue
            }
            let current = stack.last ?? 0
            let name = String(component)
            if let child = slots[Int(current)].children?[name] {
                let kind = slots[Int(child)].kind
                if kind == .directory {
                    stack.append(child)
                    continue
                }
                if kind == .symlink {
                    links += 1
                    guard links <= Self.maximumSymlinks else {
                        note(layer, path, "parent symlinks loop")
                        return nil
                    }
                    let target = slots[Int(child)].extra ?? ""
                    // A dangling symlinked parent: extraction would fail; keep the entry where it was written.
                    let targetParts = target.split(separator: "/", omittingEmptySubsequences: true)
                    let base: [Int32] = target.hasPrefix("/") ? [0] : stack
                    if case .failure = resolve(components: targetParts, from: base, followFinal: true) {
                        note(layer, path, "parent /\(components.joined(separator: "/")) is a symlink to \(target), which does not resolve; replaced by a directory")
                    } else {
                        if target.hasPrefix("/") { stack = [0] }
                        pending.append(contentsOf: targetParts.reversed())
                        continue
                    }
                }
            }
            let index = Int32(truncatingIfNeeded: slots.count)
            slots.append(
                Slot(name: name, parent: current, layer: UInt16(clamping: layer), kind: .directory, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, children: [:]))
            slots[Int(current)].children?[name] = index
            stack.append(index)
        }
        return stack.last
    }
}
