import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Ship

/// What `verify` (and `pack`, which runs the same checks) is asked to check, from the command
/// line and the `--policy` file.
struct VerifyRequest {
    /// The platform the image must have (`--platform`, `--arch`, or the policy's).
    var platform: Platform?
    /// The `--policy` file, decoded.
    var policy: Policy?
    /// The checks' options.
    var options: VerifyOptions
    /// `--image`.
    var image: String?
    /// `--target`: the server the archive is checked against, offline (`verify` only).
    var target: DeployTarget?
    /// `--allow-emulation`, with `--target`.
    var allowEmulation: Bool
    /// `--json`.
    var json: Bool
    /// `--junit`.
    var junit: String?
    /// The `--junit` file, opened (created or truncated) before the archive is read, so that a
    /// path that cannot be written is a usage error rather than a report lost at the end.
    var junitSink: FileSink?

    /// Reads the check options of `parsed` (see ``VerifyCommand/checkOptions``).
    ///
    /// - Throws: A ``UsageError`` (exit 64) for a bad value, contradicting options, or a policy
    ///   file that cannot be read or decoded.
    init(_ parsed: ParsedArguments, spec: CommandSpec) throws(UsageError) {
        var wanted = try CLI.platform(parsed, spec: spec)
        var policy: Policy?
        if let file = parsed.value("policy") {
            let data: Data
            do { data = try Self.readPolicy(file) } catch {
                throw UsageError(.custom("\(file): cannot read the policy: \(Self.reason(error))"), spec: spec)
            }
            do {
                policy = try Policy.decode(json: data)
            } catch {
                throw UsageError(.custom("\(file):\(error.line):\(error.column): not a valid policy: \(error.reason)"), spec: spec)
            }
            if wanted == nil, let p = policy?.platform {
                guard let parsedPlatform = Platform(parsing: p) else {
                    throw UsageError(.custom("\(file): platform '\(p)' is not os/arch[/variant]"), spec: spec)
                }
                wanted = parsedPlatform
            }
        }
        if let arch = parsed.value("arch") ?? (wanted == nil ? policy?.arch : nil) {
            guard let a = VerifyOptions.architecture(parsing: arch) else {
                throw UsageError(
                    .invalidValue(value: arch, label: "--arch <arch>", help: VerifyOptions.architectures.joined(separator: ", ")),
                    spec: spec)
            }
            if let w = wanted, w.architecture != a {
                throw UsageError(.custom("--arch \(arch) contradicts --platform \(w)"), spec: spec)
            }
            wanted = wanted ?? Platform(os: "linux", architecture: a)
        }
        if parsed.flag("prisma") && parsed.flag("no-prisma") {
            throw UsageError(.custom("--prisma and --no-prisma exclude each other"), spec: spec)
        }
        platform = wanted
        self.policy = policy
        options = VerifyOptions(
            platform: wanted, requiredPaths: (policy?.require ?? []) + parsed.all("require"),
            strictELF: parsed.flag("strict-elf") || policy?.strictElf == true,
            prisma: parsed.flag("prisma") ? .force : parsed.flag("no-prisma") ? .off : policy?.prisma ?? .auto)
        image = parsed.value("image")
        allowEmulation = parsed.flag("allow-emulation")
        if let name = parsed.value("target") {
            guard let t = DeployTarget.preset(name, platform: wanted) else {
                throw UsageError(
                    .invalidValue(value: name, label: "--target <server>", help: DeployTarget.presetNames.joined(separator: ", ")),
                    spec: spec)
            }
            target = t
        } else if allowEmulation && spec.name == "verify" {
            throw UsageError(.custom("--allow-emulation applies to --target; give the server with --target"), spec: spec)
        }
        json = parsed.flag("json")
        junit = parsed.value("junit")
        if let junit {
            do { junitSink = try FileSink(creating: junit, mode: 0o644) } catch {
                throw UsageError(
                    .custom("--junit \(junit): cannot write the JUnit report: \(Self.reason(error, creating: true))"), spec: spec)
            }
        }
    }

    /// The key of these checks in the ``ImageVerify/VerdictCache``: everything that changes what
    /// they find (the platform, required paths, strict ELF, Prisma, the image chosen, the policy,
    /// the offline target), and this imgtool's version. Not the output options.
    var verdictKey: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let policyText = policy.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) } ?? "-"
        let lines = [
            "imgtool \(CLI.version)",
            "platform \(options.platform?.description ?? "-")",
            "require " + options.requiredPaths.joined(separator: "\u{0}"),
            "strict-elf \(options.strictELF)",
            "prisma \(options.prisma.rawValue)",
            "image \(image ?? "-")",
            "target \(target?.name ?? "-")",
            "policy \(policyText)",
        ]
        return VerdictCache.optionsKey(lines.joined(separator: "\n"))
    }

    /// The images of `archive` that these checks choose (`--platform`, `--image`), else all.
    func chosenImages(_ archive: ImageArchive) -> [ArchiveImage] {
        (try? archive.select(platform: platform, reference: image)) ?? archive.images
    }

    /// The most bytes of a policy file read: a policy is a few KiB of JSON.
    static let maximumPolicySize = 16 << 20

    /// The bytes of the policy file `path` (`open` and `read`, so that failures keep their `errno`).
    ///
    /// - Throws: ``ByteIO/ByteIOError`` when the file cannot be opened or read (a directory fails the
    ///   read with `EISDIR`), or ``PolicyReadError/tooLarge`` past ``maximumPolicySize``.
    static func readPolicy(_ path: String) throws -> Data {
        let source = try FileSource(path: path)
        defer { source.close() }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return data }
            data.append(contentsOf: buffer[..<n])
            if data.count > maximumPolicySize { throw PolicyReadError.tooLarge(limit: maximumPolicySize) }
        }
    }

    /// A policy file too large to be one.
    enum PolicyReadError: Error, CustomStringConvertible {
        case tooLarge(limit: Int)
        var description: String {
            switch self {
            case .tooLarge(let limit): "more than the \(limit) bytes imgtool reads for a policy"
            }
        }
    }

    /// Why a policy file cannot be read (or, `creating`, a report file cannot be created), in
    /// `ls`'s words for the common `errno`s ("no such file").
    static func reason(_ error: any Error, creating: Bool = false) -> String {
        guard let e = error as? ByteIOError else { return "\(error)" }
        switch e.errno {
        case ENOENT: return creating ? "no such directory" : "no such file"
        case EROFS: return "read-only file system"
        case EACCES, EPERM: return "permission denied"
        case EISDIR: return "is a directory"
        case ENOTDIR: return "not a directory"
        default: return e.reason.lowercased()
        }
    }
}
