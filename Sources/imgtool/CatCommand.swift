import ByteIO
import Gzip
import ImageArchive
import ImageVerify
import OCI
import Ship
import Tar

/// `imgtool cat`: one file of the merged filesystem, to stdout.
enum CatCommand {
    static let spec = CommandSpec(
        name: "cat",
        abstract: "Write one file of an image's merged filesystem to stdout.",
        discussion:
            "The file is captured during the single pass over the archive (up to 64 MiB), and symlinks are followed inside the image root.",
        arguments: [
            .init(name: "archive", help: "The archive: a .tar or .tar.gz file, or - for stdin."),
            .init(name: "path", help: "The file, e.g. /etc/os-release or app/package.json (relative to the image's WorkingDir)."),
        ],
        options: [ImageSelection.platformOption, ImageSelection.imageOption])

    static let maximumSize: Int64 = 64 << 20

    static func run(_ arguments: [String], io: Output, stdout: FileSink = FileSink(fileDescriptor: 1, closeOnDeinit: false)) -> Int32 {
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
        let wanted = parsed.positionals[1]
        // The file may be reached through symlinks that are only known after the pass: capture
        // every file with the same base name, then resolve in the merged filesystem.
        let base = wanted.split(separator: "/").last.map(String.init) ?? wanted
        let capture = CapturePolicy(exact: [], suffixes: [base], maximumSize: maximumSize)
        let input = parsed.positionals[0]
        let archive: ImageArchive
        let image: ArchiveImage
        switch ImageSelection.readSingle(
            input, options: ReadOptions(capture: capture, readFileHeads: false), platform: platform,
            reference: parsed.value("image"), io: io)
        {
        case .failure(let f): return f.code
        case .success(let pair): (archive, image) = pair
        }
        let fs = MergedFilesystem(image: image)
        let workdir = image.config.config?.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        let path = wanted.hasPrefix("/") ? wanted : workdir + "/" + wanted
        let lookup = fs.lookup(path)
        guard let node = lookup.node else {
            CLI.error(lookup.reason ?? path, input: input, io: io)
            return ExitCode.checkFailed.rawValue
        }
        guard node.isRegularFile || node.kind == .hardlink else {
            CLI.error("\(node.path): not a regular file", input: input, io: io)
            return ExitCode.checkFailed.rawValue
        }
        guard let bytes = fs.content(node.path) else {
            let why =
                node.size > maximumSize
                ? "it is \(node.size) bytes, more than the \(maximumSize) imgtool cat holds"
                : "it was not captured in the single pass (its name differs from '\(base)'); run imgtool cat on \(node.path)"
            CLI.error("\(node.path): cannot show it: \(why)", input: input, io: io)
            return ExitCode.checkFailed.rawValue
        }
        if !archive.problems.isEmpty {
            for p in archive.problems { CLI.error("\(p)", input: input, io: io) }
            return ExitCode.corrupt.rawValue
        }
        do {
            try bytes.withUnsafeBytes { try stdout.write($0) }
        } catch {
            CLI.error("\(node.path): writing it to stdout: \(error)", input: input, io: io)
            return ExitCode.io.rawValue
        }
        return ExitCode.success.rawValue
    }
}
