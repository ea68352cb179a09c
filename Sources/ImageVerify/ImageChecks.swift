import ByteIO
import ImageArchive
import Tar
import OCI

/// What `imgtool verify` checks, besides integrity (always) and Prisma (automatic).
public struct VerifyOptions: Sendable {
    /// Whether the Prisma check runs.
    public enum PrismaMode: String, Sendable, Codable {
        /// When the image has `@prisma/client`.
        case auto
        /// Always; no `@prisma/client` fails.
        case force
        /// Never.
        case off
    }

    /// The platform the image must have (`--platform`, or `--arch` as `linux/<arch>`), if any.
    public var platform: Platform?
    /// Paths that must exist (`--require`): relative ones against WorkingDir.
    public var requiredPaths: [String]
    /// Whether any ELF file of another architecture anywhere fails (`--strict-elf`).
    public var strictELF: Bool
    /// The Prisma check.
    public var prisma: PrismaMode

    /// Creates options.
    /// - Parameters:
    ///   - platform: The platform required.
    ///   - requiredPaths: Paths that must exist.
    ///   - strictELF: Fail on any foreign-architecture ELF.
    ///   - prisma: The Prisma check mode.
    public init(platform: Platform? = nil, requiredPaths: [String] = [], strictELF: Bool = false, prisma: PrismaMode = .auto) {
        self.platform = platform
        self.requiredPaths = requiredPaths
        self.strictELF = strictELF
        self.prisma = prisma
    }

    /// The architectures `--arch` accepts.
    public static let architectures = ["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"]

    /// Normalises an `--arch` value (`x86_64` → `amd64`, `aarch64` → `arm64`, `armhf` → `arm`, `i386` → `386`).
    /// - Parameter value: What the user typed.
    /// - Returns: One of ``architectures``, or `nil` when unknown.
    public static func architecture(parsing value: String) -> String? {
        guard let p = Platform(parsing: value.lowercased()), p.os == "linux" || !value.contains("/") else { return nil }
        return architectures.contains(p.architecture) ? p.architecture : nil
    }
}

/// Everything `verify` found for one image.
public struct VerifyResult: Sendable {
    /// The checks, in order: integrity, platform, require, entrypoint-arch, elf-arch, strict-elf, prisma.
    public var checks: [CheckResult]
    /// The Prisma check's details, when it ran.
    public var prisma: PrismaCheck?
    /// ELF files per architecture in the merged filesystem.
    public var elfCensus: [String: Int]

    /// Whether no check failed.
    public var passed: Bool { !checks.contains { $0.status == .failed } }
}

/// Runs every check on one image.
/// - Parameters:
///   - image: The image.
///   - archive: Its archive (for integrity problems).
///   - options: What to check.
/// - Returns: The results, in order.
public func verify(image: ArchiveImage, archive: ImageArchive, options: VerifyOptions) -> [CheckResult] {
    verifyImage(image, archive: archive, options: options).checks
}

/// Runs every check on one image, with details.
/// - Parameters:
///   - image: The image.
///   - archive: Its archive (for integrity problems).
///   - options: What to check.
///   - filesystem: The image's merged filesystem, if already built.
/// - Returns: The results and the Prisma details.
public func verifyImage(
    _ image: ArchiveImage, archive: ImageArchive, options: VerifyOptions, filesystem: MergedFilesystem? = nil
) -> VerifyResult {
    let fs = filesystem ?? MergedFilesystem(image: image)
    var checks: [CheckResult] = [ImageChecks.integrity(archive)]
    if let wanted = options.platform { checks.append(ImageChecks.platform(image.platform, wanted: wanted)) }
    let workingDir = PrismaCheck.normaliseDir(image.config.config?.workingDir)
    for path in options.requiredPaths {
        checks.append(ImageChecks.require(path, workingDir: workingDir, fs))
    }
    checks.append(ImageChecks.entrypoint(config: image.config, platform: image.platform, fs))
    for path in options.requiredPaths {
        if let check = ImageChecks.elfUnder(path, workingDir: workingDir, platform: image.platform, fs) { checks.append(check) }
    }
    if options.strictELF { checks.append(ImageChecks.strictELF(platform: image.platform, fs)) }
    var prisma: PrismaCheck? = nil
    if options.prisma != .off {
        let p = PrismaCheck.run(filesystem: fs, config: image.config, platform: image.platform)
        var result = p.checkResult
        if p.outcome == .noPrismaClient && options.prisma == .force {
            result.status = .failed
            result.message = "no node_modules/@prisma/client/package.json in the image, but the Prisma check was asked for"
        }
        if p.outcome != .noPrismaClient || options.prisma == .force { checks.append(result) }
        prisma = p
    }
    return VerifyResult(checks: checks, prisma: prisma, elfCensus: fs.elfCensus())
}

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

    /// Whether `path` exists in the merged filesystem (through symlinks, after whiteouts).
    /// - Parameters:
    ///   - path: Absolute, or relative to `workingDir`.
    ///   - workingDir: The config's WorkingDir.
    ///   - fs: The merged filesystem.
    public static func require(_ path: String, workingDir: String, _ fs: MergedFilesystem) -> CheckResult {
        let absolute = PrismaCheck.join(workingDir, path)
        let lookup = fs.lookup(absolute)
        if let node = lookup.node {
            let how = node.path == absolute ? "" : " (resolves to \(node.path))"
            return CheckResult(
                id: "require", status: .passed, expected: "\(absolute) exists", found: "\(describe(node))\(how), from layer \(node.layer)",
                message: "\(absolute) exists\(how)", subject: absolute)
        }
        var why = lookup.reason ?? "\(absolute): not found"
        if let gone = whiteoutNote(absolute, fs) { why += "; \(gone)" }
        return CheckResult(
            id: "require", status: .failed, expected: "\(absolute) exists", found: "missing", message: why,
            fix: "make sure the runtime stage copies \(absolute) (COPY --from=builder \(absolute) \(absolute))", subject: absolute)
    }

    /// Every ELF file under a required path must be built for the image's architecture.
    /// - Returns: `nil` when the path holds no ELF file or does not exist.
    public static func elfUnder(_ path: String, workingDir: String, platform: Platform, _ fs: MergedFilesystem) -> CheckResult? {
        let absolute = PrismaCheck.join(workingDir, path)
        var total = 0
        var foreign: [String] = []
        fs.walk(absolute) { node in
            if let elf = node.elf, node.isRegularFile {
                total += 1
                if elf.architecture != platform.architecture { foreign.append("\(node.path) (\(elf.machineName))") }
            }
            return true
        }
        guard total > 0 else { return nil }
        let want = "\(platform.architecture) ELF files"
        if foreign.isEmpty {
            return CheckResult(
                id: "elf-arch", status: .passed, expected: want, found: "\(total) ELF file\(total == 1 ? "" : "s"), all \(platform.architecture)",
                message: "every ELF file under \(absolute) is built for \(platform.architecture)", subject: absolute)
        }
        return CheckResult(
            id: "elf-arch", status: .failed, expected: want, found: foreign.prefix(20).joined(separator: ", ") + (foreign.count > 20 ? ", …" : ""),
            message: "\(foreign.count) of \(total) ELF files under \(absolute) are built for another architecture than the image's \(platform): they fail with \"exec format error\"",
            fix: "install or build these files for \(platform) (e.g. run `npm ci` in a stage built with `--platform=\(platform)`)", subject: absolute)
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
                id: "strict-elf", status: .passed, expected: "only \(platform.architecture) ELF files", found: "\(total) ELF files, all \(platform.architecture)",
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
            return CheckResult(id: "entrypoint-arch", status: .skipped, expected: platform.architecture, found: "no Entrypoint or Cmd", message: "the image has no Entrypoint or Cmd")
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
                    message: "\(trail) is an ELF for \(elf.machineName), but the image config says \(platform): the container fails with \"exec format error\"",
                    fix: "rebuild the image for \(platform) (or fix the config's architecture if the binaries are right)", subject: node.path)
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

    /// A hint when a parent of `path` exists but the path itself does not (for example deleted by a whiteout).
    static func whiteoutNote(_ path: String, _ fs: MergedFilesystem) -> String? {
        let parent = PrismaCheck.parent(path)
        guard let entries = fs.list(parent) else { return nil }
        let names = entries.map(\.name)
        return names.isEmpty ? "\(parent) is empty" : nil
    }
}
