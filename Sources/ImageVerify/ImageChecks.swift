import ByteIO
import ImageArchive
import OCI
import Tar

/// The individual checks of `verify`.
public enum ImageChecks {
    /// Whether the archive read without integrity problems.
    /// - Parameter archive: The archive.
    public static func integrity(_ archive: ImageArchive) -> CheckResult {
        if !archive.problems.isEmpty {
            let list = archive.problems.map(\.description)
            return CheckResult(
                id: "integrity", status: .failed, expected: "every digest and size as the manifests say",
                found: "\(list.count) problem\(list.count == 1 ? "" : "s")", message: list.joined(separator: "\n"),
                fix: "re-export the image; the archive is damaged")
        }
        if !archive.verified {
            return CheckResult(
                id: "integrity", status: .warning, expected: "every digest checked", found: "headers only",
                message: "digests were not checked (headers only)")
        }
        return CheckResult(
            id: "integrity", status: .passed, expected: "every digest and size as the manifests say", found: "all match",
            message: "every blob's digest, size and layer diff_id matches")
    }

    /// The platform wanted is not in the archive at all: the check that fails for a
    /// multi-image archive without it.
    /// - Parameters:
    ///   - wanted: `--platform` or `--arch`.
    ///   - available: The platforms of the images in the archive.
    public static func platformMissing(_ wanted: Platform, available: [Platform]) -> CheckResult {
        let found = available.map(\.description).joined(separator: ", ")
        return CheckResult(
            id: "platform", status: .failed, expected: wanted.description, found: found,
            message:
                "the archive has no image for \(wanted) (it has \(found)): this image fails with `exec format error` on \(wanted.architecture) hosts",
            fix: "build for the target: docker buildx build --platform \(wanted) ...")
    }

    /// Whether the image's platform (from its config) is the one wanted.
    /// - Parameters:
    ///   - platform: The image's platform.
    ///   - wanted: `--platform` or `--arch`.
    public static func platform(_ platform: Platform, wanted: Platform) -> CheckResult {
        let ok = platform.matches(wanted)
        return CheckResult(
            id: "platform", status: ok ? .passed : .failed, expected: wanted.description, found: platform.description,
            message: ok ? "the image is \(platform)" : "the image config says \(platform), but \(wanted) was required",
            fix: ok ? nil : "build with `docker buildx build --platform \(wanted)` (or select that platform of a multi-platform image)")
    }

    /// Any ELF file anywhere built for another architecture fails (`--strict-elf`).
    public static func strictELF(platform: Platform, _ fs: MergedFilesystem) -> CheckResult {
        var foreign: [String] = []
        var total = 0
        fs.walk("/") { node in
            if let elf = node.elf, node.isRegularFile {
                total += 1
                if elf.architecture != platform.architecture { foreign.append("\(node.path) (\(elf.machineName))") }
            }
            return true
        }
        if foreign.isEmpty {
            return CheckResult(
                id: "strict-elf", status: .passed, expected: "only \(platform.architecture) ELF files",
                found: "\(total) ELF files, all \(platform.architecture)",
                message: "every ELF file in the image is built for \(platform.architecture)")
        }
        return CheckResult(
            id: "strict-elf", status: .failed, expected: "only \(platform.architecture) ELF files",
            found: foreign.prefix(20).joined(separator: ", ") + (foreign.count > 20 ? ", …" : ""),
            message: "\(foreign.count) of \(total) ELF files are built for another architecture than the image's \(platform)")
    }

    /// The default search path when the config sets no `PATH` (Docker's).
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The program the container starts (Entrypoint[0], or Cmd[0]), resolved through PATH, and its
    /// architecture; for a `#!` script, its interpreter (and the program `env` runs).
    public static func entrypoint(config: ImageConfig, platform: Platform, _ fs: MergedFilesystem) -> CheckResult {
        let c = config.config
        let argv = (c?.entrypoint ?? []) + (c?.cmd ?? [])
        guard let program = argv.first, !program.isEmpty else {
            return CheckResult(
                id: "entrypoint-arch", status: .skipped, expected: platform.architecture, found: "no Entrypoint or Cmd",
                message: "the image has no Entrypoint or Cmd")
        }
        let path = c?.environment("PATH") ?? defaultPath
        let workingDir = PrismaCheck.normaliseDir(c?.workingDir)
        var chain: [String] = []
        var current = program
        var args = Array(argv.dropFirst())
        for _ in 0..<5 {
            guard let node = findExecutable(current, path: path, workingDir: workingDir, fs) else {
                let what = chain.isEmpty ? "" : " (run by \(chain.joined(separator: " → ")))"
                return CheckResult(
                    id: "entrypoint-arch", status: .failed, expected: "an executable for \(platform.architecture)", found: "missing",
                    message: "exec: \"\(current)\": executable file not found in $PATH\(what) (PATH=\(path))", subject: current)
            }
            chain.append(node.path)
            if let elf = node.elf {
                let trail = chain.joined(separator: " → ")
                if elf.architecture == platform.architecture {
                    return CheckResult(
                        id: "entrypoint-arch", status: .passed, expected: "\(platform.architecture) ELF", found: "\(elf.machineName) ELF",
                        message: "\(trail) is built for \(platform.architecture)", subject: node.path)
                }
                return CheckResult(
                    id: "entrypoint-arch", status: .failed, expected: "\(platform.architecture) ELF", found: "\(elf.machineName) ELF",
                    message:
                        "\(trail) is an ELF for \(elf.machineName), but the image config says \(platform): the container fails with \"exec format error\"",
                    fix: "rebuild the image for \(platform) (or fix the config's architecture if the binaries are right)",
                    subject: node.path)
            }
            guard let shebang = node.shebang else {
                return CheckResult(
                    id: "entrypoint-arch", status: .skipped, expected: "\(platform.architecture) ELF", found: "neither ELF nor #! script",
                    message: "\(chain.joined(separator: " → ")) is neither an ELF file nor a #! script", subject: node.path)
            }
            let words = shebang.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let interpreter = words.first else { break }
            if interpreter.hasSuffix("/env"), let next = words.dropFirst().first(where: { !$0.hasPrefix("-") }) ?? args.first {
                // `#!/usr/bin/env node`: check env, then the program it runs.
                if let envNode = findExecutable(interpreter, path: path, workingDir: workingDir, fs), let elf = envNode.elf,
                    elf.architecture != platform.architecture
                {
                    current = interpreter
                    args = []
                    continue
                }
                current = next
                args = []
                continue
            }
            current = interpreter
            args = []
        }
        return CheckResult(
            id: "entrypoint-arch", status: .skipped, expected: "\(platform.architecture) ELF", found: "unresolved",
            message: "\(chain.joined(separator: " → ")): too many #! interpreters")
    }

    /// `execvp`'s search: a name with `/` as is (relative to WorkingDir), else each PATH entry.
    static func findExecutable(_ name: String, path: String, workingDir: String, _ fs: MergedFilesystem) -> FilesystemNode? {
        if name.contains("/") {
            return fs.lookup(PrismaCheck.join(workingDir, name)).node.flatMap { $0.isRegularFile ? $0 : nil }
        }
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let base = dir.isEmpty ? workingDir : PrismaCheck.join(workingDir, String(dir))
            if let node = fs.lookup(PrismaCheck.join(base, name)).node, node.isRegularFile, node.isExecutable { return node }
        }
        return nil
    }

    static func describe(_ node: FilesystemNode) -> String {
        switch node.kind {
        case .directory: "directory"
        case .symlink: "symlink to \(node.linkTarget ?? "")"
        default: node.elf.map { "\($0.machineName) ELF, \(node.size) bytes" } ?? "file, \(node.size) bytes"
        }
    }
}
