import ByteIO
import Codec
import Foundation
import Gzip
import ImageArchive
import ImageVerify
import OCI
import Ship
import Tar

/// `imgtool ls`: the merged filesystem of an image, as `ls -l` shows it.
enum LsCommand {
    static let spec = CommandSpec(
        name: "ls",
        abstract: "List the merged filesystem of an image, as ls -l would.",
        discussion:
            "Layers are merged as a container runtime does (whiteouts and opaque directories applied). Each row shows the type and mode, owner, size, the layer that last wrote the entry, and the path (with its link target).",
        arguments: [
            .init(name: "archive", help: "The archive: a .tar or .tar.gz file, or - for stdin."),
            .init(
                name: "path", help: "The directory or file to list (default: /); a symlink is listed itself unless the path ends in /.",
                optional: true),
        ],
        options: [
            .init(names: ["-R", "--recursive"], valueName: nil, help: "List subdirectories recursively."),
            ImageSelection.platformOption, ImageSelection.imageOption,
        ])

    static func run(_ arguments: [String], io: Output) -> Int32 {
        let parsed: ParsedArguments
        switch CLI.parse(arguments, spec: spec, io: io) {
        case .exit(let code): return code
        case .run(let p): parsed = p
        }
        let platform: Platform?
        do { platform = try CLI.platform(parsed, spec: spec) } catch {
            io.err(error.text)
            return ExitCode.usage.rawValue
        }
        let input = parsed.positionals[0]
        let archive: ImageArchive
        let image: ArchiveImage
        switch ImageSelection.readSingle(
            input, options: ReadOptions(capture: .none), platform: platform, reference: parsed.value("image"), io: io)
        {
        case .failure(let f): return f.code
        case .success(let pair): (archive, image) = pair
        }
        let fs = MergedFilesystem(image: image)
        let path = parsed.positionals.count > 1 ? parsed.positionals[1] : "/"
        // As `ls -l`: a symlink given as the path is listed itself; `link/` follows it.
        let lookup = fs.lookup(path, followFinalSymlink: path.hasSuffix("/"))
        guard let node = lookup.node else {
            CLI.error(lookup.reason ?? path, input: input, io: io)
            return ExitCode.checkFailed.rawValue
        }
        var out = ""
        if !node.isDirectory {
            out += row(node)
        } else if parsed.flag("recursive") {
            fs.walk(node.path) { n in
                if n.path != node.path { out += row(n) }
                return true
            }
        } else {
            for child in fs.list(node.path) ?? [] { out += row(child) }
        }
        io.out(out)
        for p in archive.problems { CLI.error("\(p)", input: input, io: io) }
        return archive.problems.isEmpty ? ExitCode.success.rawValue : ExitCode.corrupt.rawValue
    }

    /// `drwxr-xr-x  1000/1000       4096  L2  /app/node_modules`
    static func row(_ n: FilesystemNode) -> String {
        let owner = "\(n.uid)/\(n.gid)"
        let size = String(n.size)
        var line = modeString(n) + "  " + owner.padding(toLength: max(9, owner.count), withPad: " ", startingAt: 0)
        line += String(repeating: " ", count: max(0, 10 - size.count)) + size + "  L\(n.layer)  " + n.path
        if let t = n.linkTarget, n.isSymlink { line += " -> " + t }
        if let t = n.hardlinkTarget { line += " link to " + (t.hasPrefix("/") ? t : "/" + t) }
        return line + "\n"
    }

    /// `drwxr-xr-x`, the same rendering the policy's `permissions` are compared with.
    static func modeString(_ n: FilesystemNode) -> String { PolicyChecks.permissionString(n) }
}
