// Looking paths up in the merged tree: the public queries (lookup, list, walk, content) and the
// resolver under them, which follows symlinks inside the image root.

extension MergedFilesystem {
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

    /// Visits node `index` (at `path`) and everything under it, depth first in name order.
    ///
    /// With a stack of its own rather than the thread's: a tree is as deep as a path is long,
    /// and one 64 KiB path makes 32,768 nested directories. One buffer holds the path of the node
    /// visited, cut back to its parent's and extended by its name as the walk goes, so that the
    /// walk keeps one path, not one per directory it is in.
    private func walk(_ index: Int32, path: String, _ body: (FilesystemNode) throws -> Bool) rethrows {
        guard try body(node(index, path: path)), nodes[Int(index)].isDirectory else { return }
        var current = Array(path.utf8)
        // Nodes still to visit, each with the length of its parent's path in `current`.
        var pending: [(node: Int32, parentLength: Int)] = sortedChildren(index).reversed().map { ($0, current.count) }
        while let (child, parentLength) = pending.popLast() {
            current.removeSubrange(parentLength...)
            // As `join`: no second slash after the root's.
            if parentLength != 1 || current[0] != UInt8(ascii: "/") { current.append(UInt8(ascii: "/")) }
            let n = nodes[Int(child)]
            names.withUnsafeBufferPointer { current.append(contentsOf: $0[Int(n.nameStart)..<Int(n.nameStart + n.nameLength)]) }
            guard try body(node(child, path: String(decoding: current, as: UTF8.self))), n.isDirectory else { continue }
            let length = current.count
            pending.append(contentsOf: sortedChildren(child).reversed().map { ($0, length) })
        }
    }

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
