// Sources: Node's module resolution (nodejs.org/api/modules.html, "All together": LOAD_NODE_MODULES
// and NODE_MODULES_PATHS; a module's own path is its real path, symlinks resolved, unless
// --preserve-symlinks); @prisma/client's `index.js` requires `.prisma/client/default`; Prisma's
// default generator output is `../../.prisma/client` from @prisma/client (prisma/prisma @6.19.x
// generateClient.ts); the pnpm layout node_modules/.pnpm/@prisma+client@<ver>…/node_modules/.prisma/client
// (formats.md §4c).

/// Where Node finds the generated Prisma client, `.prisma`, for an app: not from the app's
/// directory but from `@prisma/client`'s, which is what requires it.
///
/// With npm and yarn, `@prisma/client` is `<app>/node_modules/@prisma/client` and `.prisma` its
/// sibling `<app>/node_modules/.prisma`. With pnpm, `<app>/node_modules/@prisma/client` is a
/// symlink into pnpm's virtual store, `<app>/node_modules/.pnpm/@prisma+client@<ver>_…/node_modules/@prisma/client`,
/// and Node resolves `require('.prisma/client')` from that real path: the first
/// `node_modules/.prisma` up from it, which is where `prisma generate` writes, the sibling
/// `.pnpm/@prisma+client@<ver>_…/node_modules/.prisma` (the app's own `node_modules/.prisma` is
/// further up the same list).
public struct GeneratedClientResolution: Sendable, Equatable {
    /// `<WorkingDir>/node_modules/@prisma/client`, as the app requires it.
    public var clientPath: String
    /// Its real path, symlinks resolved (pnpm: in `node_modules/.pnpm`).
    public var clientRealPath: String
    /// The `node_modules/.prisma` directories Node tries from the real path, in order: each
    /// ancestor's `node_modules` (ancestors named `node_modules` left out), nearest first.
    public var candidates: [String]
    /// The first candidate that is a directory: the `.prisma` that `@prisma/client` loads.
    public var found: String?

    /// Where `prisma generate` writes `.prisma` by default, beside the real `@prisma/client`
    /// (`../../.prisma` from it): the first candidate outside `@prisma/client` itself.
    public var generatedPath: String {
        PrismaCheck.join(PrismaCheck.parent(PrismaCheck.parent(clientRealPath)), ".prisma")
    }

    /// Whether the real `@prisma/client` is in pnpm's virtual store (`node_modules/.pnpm/`).
    public var isPnpm: Bool { clientRealPath.contains("/node_modules/.pnpm/") }

    /// Resolves `.prisma` the way Node does for the app in `workingDir`.
    /// - Parameters:
    ///   - fs: The merged filesystem.
    ///   - workingDir: The app's directory (the config's WorkingDir).
    /// - Returns: `nil` when the app has no `node_modules/@prisma/client` directory.
    public static func resolve(_ fs: MergedFilesystem, workingDir: String) -> GeneratedClientResolution? {
        let clientPath = PrismaCheck.join(workingDir, "node_modules/@prisma/client")
        guard let client = fs.lookup(clientPath).node, client.isDirectory else { return nil }
        let candidates = modulePaths(from: client.path).map { PrismaCheck.join($0, ".prisma") }
        let found = candidates.first { fs.lookup($0).node?.isDirectory == true }
        return GeneratedClientResolution(clientPath: clientPath, clientRealPath: client.path, candidates: candidates, found: found)
    }

    /// Node's NODE_MODULES_PATHS: `<dir>/node_modules` for `dir` and each of its ancestors,
    /// nearest first, except those named `node_modules`.
    /// - Parameter dir: An absolute directory path.
    static func modulePaths(from dir: String) -> [String] {
        let parts = dir.split(separator: "/")
        var out: [String] = []
        for end in stride(from: parts.count, through: 0, by: -1) {
            if end > 0 && parts[end - 1] == "node_modules" { continue }
            out.append(PrismaCheck.join("/" + parts[0..<end].joined(separator: "/"), "node_modules"))
        }
        return out
    }
}
