import ImageArchive
import OCI

/// The checks of `--require` paths: that each exists, and that the ELF files under it are built
/// for the image's architecture.
///
/// A path is looked up in the merged filesystem, through symlinks, after whiteouts. One path is
/// also resolved the way Node resolves it: `node_modules/.prisma` under WorkingDir, which the
/// app never requires itself: `@prisma/client` does, from its own real path. With pnpm that is
/// in `node_modules/.pnpm`, and so is the `.prisma` Node finds (``GeneratedClientResolution``).
extension ImageChecks {
    /// A `--require` path, resolved.
    struct RequiredPath {
        /// The path, absolute.
        var absolute: String
        /// What it resolves to, if anything.
        var node: FilesystemNode?
        /// How `.prisma` resolves from `@prisma/client`, when the path is (under) WorkingDir's
        /// `node_modules/.prisma`.
        var prisma: GeneratedClientResolution?
        /// The path `prisma` resolved it to (the `.prisma` found, and the rest of the path).
        var resolvedThroughClient: String?
        /// Why the lookup failed.
        var reason: String?

        init(_ path: String, workingDir: String, _ fs: MergedFilesystem) {
            absolute = PrismaCheck.join(workingDir, path)
            let lookup = fs.lookup(absolute)
            node = lookup.node
            reason = lookup.reason
            let base = PrismaCheck.join(workingDir, "node_modules/.prisma")
            guard absolute == base || absolute.hasPrefix(base + "/") else { return }
            prisma = GeneratedClientResolution.resolve(fs, workingDir: workingDir)
            guard node == nil, let found = prisma?.found else { return }
            let resolved = found + absolute.dropFirst(base.count)
            resolvedThroughClient = resolved
            node = fs.lookup(resolved).node
        }
    }

    /// Whether `path` exists in the merged filesystem (through symlinks, after whiteouts; WorkingDir's
    /// `node_modules/.prisma` also as Node finds it from `@prisma/client`).
    /// - Parameters:
    ///   - path: Absolute, or relative to `workingDir`.
    ///   - workingDir: The config's WorkingDir.
    ///   - fs: The merged filesystem.
    public static func require(_ path: String, workingDir: String, _ fs: MergedFilesystem) -> CheckResult {
        let required = RequiredPath(path, workingDir: workingDir, fs)
        let absolute = required.absolute
        if let node = required.node {
            var how = node.path == absolute ? "" : " (resolves to \(node.path))"
            if required.resolvedThroughClient != nil, let client = required.prisma {
                how = " as Node finds it from @prisma/client (\(clientText(client))): \(node.path)"
            }
            return CheckResult(
                id: "require", status: .passed, expected: "\(absolute) exists", found: "\(describe(node))\(how), from layer \(node.layer)",
                message: "\(absolute) exists\(how)", subject: absolute)
        }
        var why = required.reason ?? "\(absolute): not found"
        if let gone = whiteoutNote(absolute, fs) { why += "; \(gone)" }
        var fix = "make sure the runtime stage copies \(absolute) (COPY --from=builder \(absolute) \(absolute))"
        // A symlinked @prisma/client (pnpm) looks for .prisma from elsewhere: say where.
        if let client = required.prisma, client.clientRealPath != client.clientPath {
            let tried = client.candidates.joined(separator: ", ")
            why += "; nor does Node find .prisma from @prisma/client (\(clientText(client))): none of \(tried) exists"
            if client.isPnpm {
                let app = workingDir == "/" ? "" : workingDir
                fix =
                    "pnpm keeps the generated client beside @prisma/client's real path, in \(client.generatedPath): run `prisma generate` in the build stage and copy the whole of \(app)/node_modules, .pnpm included (COPY --from=builder \(app)/node_modules \(app)/node_modules)"
            }
        }
        return CheckResult(
            id: "require", status: .failed, expected: "\(absolute) exists", found: "missing", message: why, fix: fix, subject: absolute)
    }

    /// How `@prisma/client` was found: its path, and its real path when a symlink leads there.
    static func clientText(_ client: GeneratedClientResolution) -> String {
        guard client.clientRealPath != client.clientPath else { return client.clientPath }
        return "\(client.clientPath) -> \(client.clientRealPath)\(client.isPnpm ? ", pnpm" : "")"
    }

    /// Every ELF file under a required path must be built for the image's architecture.
    /// - Returns: `nil` when the path holds no ELF file or does not exist.
    public static func elfUnder(_ path: String, workingDir: String, platform: Platform, _ fs: MergedFilesystem) -> CheckResult? {
        let required = RequiredPath(path, workingDir: workingDir, fs)
        let absolute = required.absolute
        let walked = required.resolvedThroughClient ?? absolute
        var total = 0
        var foreign: [String] = []
        fs.walk(walked) { node in
            if let elf = node.elf, node.isRegularFile {
                total += 1
                if elf.architecture != platform.architecture { foreign.append("\(node.path) (\(elf.machineName))") }
            }
            return true
        }
        guard total > 0 else { return nil }
        let want = "\(platform.architecture) ELF files"
        let under = walked == absolute ? absolute : "\(absolute) (\(walked))"
        if foreign.isEmpty {
            return CheckResult(
                id: "elf-arch", status: .passed, expected: want,
                found: "\(total) ELF file\(total == 1 ? "" : "s"), all \(platform.architecture)",
                message: "every ELF file under \(under) is built for \(platform.architecture)", subject: absolute)
        }
        return CheckResult(
            id: "elf-arch", status: .failed, expected: want,
            found: foreign.prefix(20).joined(separator: ", ") + (foreign.count > 20 ? ", …" : ""),
            message:
                "\(foreign.count) of \(total) ELF files under \(under) are built for another architecture than the image's \(platform): they fail with \"exec format error\"",
            fix: "install or build these files for \(platform) (e.g. run `npm ci` in a stage built with `--platform=\(platform)`)",
            subject: absolute)
    }

    /// A hint when a parent of `path` exists but the path itself does not (for example deleted by a whiteout).
    static func whiteoutNote(_ path: String, _ fs: MergedFilesystem) -> String? {
        let parent = PrismaCheck.parent(path)
        guard let entries = fs.list(parent) else { return nil }
        let names = entries.map(\.name)
        return names.isEmpty ? "\(parent) is empty" : nil
    }
}
