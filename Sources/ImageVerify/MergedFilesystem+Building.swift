// Applying one layer's table to the merged tree: whiteouts and opaque markers first, then every
// other entry in tar order, on raw path bytes (no string per entry).
import ByteIO
import ImageArchive
import OCI
import Tar

/// The directory the previous entry's parent path led to, and the directory each of its
/// components led to. Tar writers list a directory's entries together, so most entries resolve
/// their parent with one comparison, and the others walk only the components that differ from the
/// previous entry's. Any change other than adding a new node (a replacement, a removal) empties it.
struct DirectoryCache: Sendable {
    /// The parent path last resolved, as written.
    var path: [UInt8] = []
    /// The directory it led to, or -1 when the cache is empty.
    var node: Int32 = -1
    /// For each component of `path`: the offset just after it, and the directory it led to.
    var ends: [Int] = []
    var nodes: [Int32] = []

    mutating func clear() {
        node = -1
        ends.removeAll(keepingCapacity: true)
        nodes.removeAll(keepingCapacity: true)
    }
}

extension MergedFilesystem {
    mutating func apply(_ table: LayerTable, layer: Int) {
        let markers = LayerTable.Flag.whiteout | LayerTable.Flag.opaque
        // Pass 1: whiteouts and opaque markers, which only hide what lower layers wrote. Applying
        // them before any entry of this layer keeps this layer's entries whatever the tar order.
        // (Most layers have none: then the paths are not decoded twice.)
        if table.records.contains(where: { $0.flags & markers != 0 }) {
            table.forEachEntry { _, record, path, _ in
                guard record.flags & markers != 0 else { return }
                let (dir, base) = Self.split(path)
                guard case .success(let stack) = resolve(PathComponents(Array(dir)), from: [0], followFinal: true),
                    let parent = stack.last, nodes[Int(parent)].isDirectory
                else { return }
                if record.flags & LayerTable.Flag.opaque != 0 {
                    detachChildren(parent)
                } else {
                    let name = UnsafeBufferPointer(rebasing: base.dropFirst(4))
                    guard !name.isEmpty else {
                        note(layer, String(decoding: path, as: UTF8.self), "whiteout with an empty name (invalid)")
                        return
                    }
                    if let victim = child(parent, named: name) { detach(victim) }
                }
            }
        }
        directoryCache.clear()
        // Pass 2: everything else, in tar order.
        let capturedKeys = table.captured.keys.map { (bytes: Array($0.utf8), key: $0) }
        // The table entry whose parent directory is in `directoryCache`: when the next entry
        // shares at least that directory's bytes with it (front coding says so), the parent is
        // known without comparing paths.
        var cachedFor = -2
        table.forEachEntry { i, record, path, extra in
            guard record.flags & markers == 0 else { return }
            let kindCode = record.kindCode
            let isDirectory = kindCode == Node.directoryCode
            if path.isEmpty {
                if isDirectory { setAttributes(0, record, layer: layer) }
                return
            }
            let (dir, base) = Self.split(path)
            // Other `.wh.` names (`.wh..wh.plnk`, AUFS metadata) never reach the filesystem.
            if Self.isWhiteoutName(base) { return }
            let parent: Int32
            if cachedFor == i - 1, Int(record.sharedLength) >= dir.count, directoryCache.node >= 0,
                directoryCache.path.count == dir.count
            {
                parent = directoryCache.node
            } else {
                guard let found = ensureDirectory(dir, layer: layer, path: path) else { return }
                parent = found
            }
            cachedFor = i
            // For the census: a plain file that replaces nothing changes nothing that counts. In
            // a directory with nothing in it, there is nothing to replace, and no lookup is needed.
            let censusSkips =
                censusOnly && (kindCode == Node.regularCode || kindCode == Node.sparseCode)
                && record.flags & LayerTable.Flag.elf == 0
            if censusSkips && nodes[Int(parent)].firstChild < 0 { return }
            let baseHash = ChildIndex.hash(parent: parent, name: base)
            let existing = child(parent, named: base, hash: baseHash)
            if censusSkips && existing == nil { return }
            if isDirectory, let existing, nodes[Int(existing)].isDirectory {
                setAttributes(existing, record, layer: layer)
                return
            }
            let isSymlink = kindCode == Node.symlinkCode
            let isHardlink = kindCode == Node.hardlinkCode
            let hasExtra = isSymlink || isHardlink || record.flags & LayerTable.Flag.shebang != 0
            var flags: UInt8 = hasExtra ? Node.Flag.hasExtra : 0
            if record.flags & LayerTable.Flag.elf != 0 {
                flags |= Node.Flag.elf
                if record.flags & LayerTable.Flag.elf64 != 0 { flags |= Node.Flag.elf64 }
                if record.flags & LayerTable.Flag.elfBigEndian != 0 { flags |= Node.Flag.elfBigEndian }
            }
            var node = Node(
                nameStart: 0, nameLength: 0, extraStart: UInt32(truncatingIfNeeded: extras.count),
                extraLength: hasExtra ? UInt32(truncatingIfNeeded: extra.count) : 0, parent: parent, firstChild: -1,
                nextSibling: -1, layer: UInt16(clamping: layer), kindCode: kindCode, flags: flags, mode: record.mode,
                uid: record.uid, gid: record.gid, elfMachine: record.elfMachine, elfType: record.elfType, size: record.size,
                mtime: record.mtime)
            if hasExtra { extras.append(contentsOf: extra) }
            var content: ContentLocation? = nil
            var linkedTo: String? = nil
            if isHardlink {
                let target = Array(extra)
                if case .success(let stack) = resolve(PathComponents(target), from: [0], followFinal: false),
                    let t = stack.last, t != 0, !nodes[Int(t)].isDirectory, nodes[Int(t)].kindCode != Node.hardlinkCode
                {
                    let source = nodes[Int(t)]
                    node.kindCode = source.kindCode
                    node.mode = source.mode
                    node.uid = source.uid
                    node.gid = source.gid
                    node.size = source.size
                    node.mtime = source.mtime
                    node.extraStart = source.extraStart
                    node.extraLength = source.extraLength
                    node.flags = source.flags & ~Node.Flag.detached
                    node.elfMachine = source.elfMachine
                    node.elfType = source.elfType
                    content = contents[t]
                    linkedTo = String(decoding: target, as: UTF8.self)
                } else {
                    note(
                        layer, String(decoding: path, as: UTF8.self),
                        "hardlink to \(String(decoding: target, as: UTF8.self)), which does not exist")
                }
            } else if kindCode == Node.regularCode, !capturedKeys.isEmpty,
                let key = capturedKeys.first(where: { ByteScan.equal($0.bytes, path) })?.key
            {
                content = ContentLocation(layer: layer, path: key)
            }
            let index: Int32
            if let existing, !nodes[Int(existing)].isDirectory {
                // A file over a file: reuse the node (nothing else points at it), name and place kept.
                index = existing
                let old = nodes[Int(existing)]
                node.nameStart = old.nameStart
                node.nameLength = old.nameLength
                node.nextSibling = old.nextSibling
                nodes[Int(index)] = node
                contents[index] = nil
                hardlinks[index] = nil
                directoryCache.clear()
            } else {
                if let existing { detach(existing) }
                index = add(node, name: base, hash: baseHash)
            }
            if let content { contents[index] = content }
            if let linkedTo { hardlinks[index] = linkedTo }
        }
    }

    /// A path's parent directory bytes and its last component (trailing slashes ignored).
    static func split(_ path: UnsafeBufferPointer<UInt8>) -> (dir: UnsafeBufferPointer<UInt8>, base: UnsafeBufferPointer<UInt8>) {
        var end = path.count
        while end > 0 && path[end - 1] == UInt8(ascii: "/") { end -= 1 }
        let start =
            ByteScan.lastIndex(of: UInt8(ascii: "/"), in: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(path)[0..<end])) + 1
        return (UnsafeBufferPointer(rebasing: path[0..<start]), UnsafeBufferPointer(rebasing: path[start..<end]))
    }

    /// Whether a name starts with `.wh.`.
    static func isWhiteoutName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        name.count >= 4 && name[0] == UInt8(ascii: ".") && name[1] == UInt8(ascii: "w") && name[2] == UInt8(ascii: "h")
            && name[3] == UInt8(ascii: ".")
    }

    mutating func note(_ layer: Int, _ path: String, _ why: String) {
        if anomalies.count < 100 { anomalies.append("layer \(layer): /\(path): \(why)") }
    }

    /// Appends `node` named `name` as the first child of its parent.
    /// - Parameter hash: The name's ``ChildIndex/hash(parent:name:)``, when the caller has it.
    mutating func add(_ node: Node, name: UnsafeBufferPointer<UInt8>, hash: UInt32? = nil) -> Int32 {
        var n = node
        n.nameStart = UInt32(truncatingIfNeeded: names.count)
        n.nameLength = UInt32(truncatingIfNeeded: name.count)
        names.append(contentsOf: name)
        let index = Int32(truncatingIfNeeded: nodes.count)
        n.nextSibling = nodes[Int(n.parent)].firstChild
        nodes.append(n)
        nodes[Int(n.parent)].firstChild = index
        children.insert(index, hash: hash ?? ChildIndex.hash(parent: n.parent, name: name))
        return index
    }

    /// Removes node `index` from its directory (its parent's chain skips it from now on).
    mutating func detach(_ index: Int32) {
        let n = nodes[Int(index)]
        guard !n.isDetached else { return }
        let h = names.withUnsafeBufferPointer {
            ChildIndex.hash(parent: n.parent, name: UnsafeBufferPointer(rebasing: $0[Int(n.nameStart)..<Int(n.nameStart + n.nameLength)]))
        }
        children.remove(index, hash: h)
        nodes[Int(index)].flags |= Node.Flag.detached
        directoryCache.clear()
    }

    /// Removes every child of directory `index` (an opaque marker).
    mutating func detachChildren(_ index: Int32) {
        var c = nodes[Int(index)].firstChild
        while c >= 0 {
            detach(c)
            c = nodes[Int(c)].nextSibling
        }
        nodes[Int(index)].firstChild = -1
    }

    mutating func setAttributes(_ index: Int32, _ record: LayerTable.Record, layer: Int) {
        nodes[Int(index)].mode = record.mode
        nodes[Int(index)].uid = record.uid
        nodes[Int(index)].gid = record.gid
        nodes[Int(index)].mtime = record.mtime
        nodes[Int(index)].layer = UInt16(clamping: layer)
    }

    /// The directory `dir` names, made (as `mkdir -p` would, layer-owned, 0755) where missing;
    /// symlinks followed; a non-directory in the way replaced by a directory.
    ///
    /// Components that are plain directories (or missing) are walked here, from the deepest
    /// directory the previous call found on the same path; a symlink, a non-directory in the
    /// way, `.` or `..` hands the whole path to ``ensureDirectoryFromRoot(_:layer:path:)``.
    mutating func ensureDirectory(_ dir: UnsafeBufferPointer<UInt8>, layer: Int, path: UnsafeBufferPointer<UInt8>) -> Int32? {
        if directoryCache.node >= 0 && ByteScan.equal(directoryCache.path, dir) { return directoryCache.node }
        var current: Int32 = 0
        var i = 0
        var kept = 0
        if directoryCache.node >= 0 {
            let common = directoryCache.path.withUnsafeBytes { ByteScan.commonPrefixLength($0, UnsafeRawBufferPointer(dir)) }
            for (k, end) in directoryCache.ends.enumerated() {
                guard end <= common, end == dir.count || dir[end] == UInt8(ascii: "/") else { break }
                current = directoryCache.nodes[k]
                i = end
                kept = k + 1
            }
        }
        directoryCache.ends.removeSubrange(kept...)
        directoryCache.nodes.removeSubrange(kept...)
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        while i < dir.count {
            while i < dir.count && dir[i] == slash { i += 1 }
            if i == dir.count { break }
            var j = i
            while j < dir.count && dir[j] != slash { j += 1 }
            let component = UnsafeBufferPointer(rebasing: dir[i..<j])
            if component[0] == dot && (component.count == 1 || (component.count == 2 && component[1] == dot)) {
                directoryCache.clear()
                return ensureDirectoryFromRoot(dir, layer: layer, path: path)
            }
            if let found = child(current, named: component) {
                guard nodes[Int(found)].isDirectory else {
                    directoryCache.clear()
                    return ensureDirectoryFromRoot(dir, layer: layer, path: path)
                }
                current = found
            } else {
                current = add(Self.madeDirectory(parent: current, layer: layer), name: component)
            }
            directoryCache.ends.append(j)
            directoryCache.nodes.append(current)
            i = j
        }
        directoryCache.path.removeAll(keepingCapacity: true)
        directoryCache.path.append(contentsOf: dir)
        directoryCache.node = current
        return current
    }

    /// A directory that `mkdir -p` makes: 0755, root-owned, written by `layer`.
    static func madeDirectory(parent: Int32, layer: Int) -> Node {
        Node(
            nameStart: 0, nameLength: 0, extraStart: 0, extraLength: 0, parent: parent, firstChild: -1, nextSibling: -1,
            layer: UInt16(clamping: layer), kindCode: Node.directoryCode, flags: 0, mode: 0o755, uid: 0, gid: 0,
            elfMachine: 0, elfType: 0, size: 0, mtime: 0)
    }

    /// ``ensureDirectory(_:layer:path:)`` the general way: from `/`, following symlinks.
    mutating func ensureDirectoryFromRoot(_ dir: UnsafeBufferPointer<UInt8>, layer: Int, path: UnsafeBufferPointer<UInt8>) -> Int32? {
        var pending = PathComponents(Array(dir))
        var stack: [Int32] = [0]
        var links = 0
        while let component = pending.next() {
            if component.isDot { continue }
            if component.isDotDot {
                if stack.count > 1 { stack.removeLast() }
                continue
            }
            let current = stack.last ?? 0
            if let child = pending.withBytes(component, { child(current, named: $0) }) {
                let existing = nodes[Int(child)]
                if existing.isDirectory {
                    stack.append(child)
                    continue
                }
                if existing.isSymlink {
                    links += 1
                    guard links <= Self.maximumSymlinks else {
                        note(layer, String(decoding: path, as: UTF8.self), "parent symlinks loop")
                        return nil
                    }
                    let target = extraBytes(child)
                    // A dangling symlinked parent: extraction would fail; keep the entry where it was written.
                    let base: [Int32] = target.first == UInt8(ascii: "/") ? [0] : stack
                    if case .failure = resolve(PathComponents(target), from: base, followFinal: true) {
                        let parentPath = String(decoding: dir, as: UTF8.self).split(separator: "/").joined(separator: "/")
                        note(
                            layer, String(decoding: path, as: UTF8.self),
                            "parent /\(parentPath) is a symlink to \(String(decoding: target, as: UTF8.self)), which does not resolve; replaced by a directory"
                        )
                    } else {
                        if target.first == UInt8(ascii: "/") { stack = [0] }
                        pending.push(target)
                        continue
                    }
                }
                detach(child)
            }
            let made = Self.madeDirectory(parent: current, layer: layer)
            let index = pending.withBytes(component) { add(made, name: $0) }
            stack.append(index)
        }
        let result = stack.last ?? 0
        directoryCache.clear()
        directoryCache.path.removeAll(keepingCapacity: true)
        directoryCache.path.append(contentsOf: dir)
        directoryCache.node = result
        return result
    }
}
