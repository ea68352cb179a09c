// fuzz-max-len: 32768
// fuzz-seeds:

// Harness `layers`: the merged filesystem and every check (require, elf-arch, entrypoint-arch,
// strict-elf, Prisma, a policy's file-existence and metadata checks) on fuzzed layers.
//
// The input is a small text program (`LayerProgram`, below) listing the layers' entries and the
// image config. Each layer is written as a tar and reduced to its table by the archive reader's
// own `LayerScanner` (so a table is one the reader can produce: cleaned paths, whiteout flags,
// ELF headers and captured files), then the image goes through `ImageVerifier.verify`.
import ByteIO
import Foundation
import ImageVerify
import OCI

@testable import ImageArchive

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLayers(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let program = LayerProgram(Array(UnsafeBufferPointer(start: data, count: size)))
    var layers: [ArchiveLayer] = []
    for (i, entries) in program.layers.enumerated() {
        let tar = FuzzTar.archive(entries)
        let scanner = LayerScanner(member: "\(i)/layer.tar", capture: .verify, readFileHeads: true)
        guard let table = try? tar.withUnsafeBytes({ try scanner.scan(memory: $0) }) else { return 0 }
        layers.append(
            ArchiveLayer(
                member: "\(i)/layer.tar", diffID: Digest(sha256Bytes: SHA256.hash(tar).bytes), digest: nil, mediaType: nil,
                compression: .none, compressedSize: nil, size: Int64(tar.count), table: table, history: nil))
    }
    guard let json = try? JSONSerialization.data(withJSONObject: program.config),
        let config = try? JSONDecoder().decode(ImageConfig.self, from: json)
    else { return 0 }
    let digest = Digest(sha256Bytes: SHA256.hash(Array(json)).bytes)
    let image = ArchiveImage(
        tags: ["fuzz:1"], platform: config.platform, manifestDigest: nil, configDigest: digest, config: config, rawConfig: Array(json),
        configMember: digest.hex + ".json", layers: layers)
    let archive = ImageArchive(
        layout: .dockerLegacy, compression: .none, gzipMembers: 0, inputBytes: 0, tarBytes: 0, memberCount: 0, verified: true,
        images: [image], skipped: [], problems: [])
    let policy = program.policy.flatMap { try? JSONDecoder().decode(Policy.self, from: Data($0)) }
    for verdict in (try? ImageVerifier.verify(archive, options: program.options, policy: policy)) ?? [] {
        _ = verdict.checks.map(\.message)
    }
    let fs = MergedFilesystem(image: image)
    _ = fs.elfCensus()
    _ = MergedFilesystem.elfCensus(of: image)
    for path in program.options.requiredPaths + ["/", "app", "usr/bin"] {
        _ = fs.lookup(path)
        _ = fs.lookup(path, followFinalSymlink: false)
        _ = fs.list(path)
        _ = fs.paths(under: path)
        _ = fs.content(path)
    }
    return 0
}

/// The text program: one item per line, fields separated by single spaces, and `\n`, `\s` (a
/// space), `\\` and `\xHH` escapes inside fields.
///
/// Entries (of the current layer): `d PATH`, `f PATH [CONTENT]`, `x PATH [CONTENT]` (mode 755),
/// `e PATH MACHINE [32] [be]` (an ELF file), `s PATH TARGET`, `h PATH TARGET`, `p PATH` (a
/// fifo); `L` starts the next layer. Config: `@arch`, `@os`, `@variant`, `@workdir`, `@user`,
/// `@env K=V`, `@label K=V`, `@port 3000/tcp`, `@entrypoint A B...`, `@cmd A B...`. Options:
/// `@require PATH`, `@platform OS/ARCH`, `@strict`, `@prisma force|off`, `@policy JSON` (lines
/// joined).
struct LayerProgram {
    var layers: [[FuzzTarEntry]] = [[]]
    var config: [String: Any] = [:]
    var container: [String: Any] = [:]
    var options = VerifyOptions()
    var policy: [UInt8]?

    init(_ bytes: [UInt8]) {
        config["architecture"] = "amd64"
        config["os"] = "linux"
        var env: [String] = []
        var labels: [String: String] = [:]
        var ports: [String: Any] = [:]
        for line in bytes.split(separator: 0x0a) {
            let fields = line.split(separator: 0x20, omittingEmptySubsequences: false).map(Self.unescape)
            guard let op = fields.first, layers.count <= 16, layers[layers.count - 1].count <= 512 else { continue }
            let a = fields.count > 1 ? fields[1] : ""
            let b = fields.count > 2 ? fields[2] : ""
            let rest = fields.dropFirst().joined(separator: " ")
            switch op {
            case "L": layers.append([])
            case "d": add(FuzzTarEntry(name: a, typeflag: UInt8(ascii: "5"), mode: 0o755))
            case "f", "x":
                add(FuzzTarEntry(name: a, mode: op == "x" ? 0o755 : 0o644, data: Array(fields.dropFirst(2).joined(separator: " ").utf8)))
            case "e":
                let machine = UInt16(clamping: Int(b) ?? 62)
                add(
                    FuzzTarEntry(
                        name: a, mode: 0o755,
                        data: FuzzArchiveBuilder.elf(machine: machine, is64Bit: !fields.contains("32"), bigEndian: fields.contains("be"))))
            case "s": add(FuzzTarEntry(name: a, typeflag: UInt8(ascii: "2"), mode: 0o777, linkName: b))
            case "h": add(FuzzTarEntry(name: a, typeflag: UInt8(ascii: "1"), mode: 0o644, linkName: b))
            case "p": add(FuzzTarEntry(name: a, typeflag: UInt8(ascii: "6"), mode: 0o644))
            case "@arch": config["architecture"] = a
            case "@os": config["os"] = a
            case "@variant": config["variant"] = a
            case "@workdir": container["WorkingDir"] = a
            case "@user": container["User"] = a
            case "@env": env.append(rest)
            case "@label":
                labels[a.split(separator: "=").first.map(String.init) ?? a] = a.split(separator: "=", maxSplits: 1).last.map(String.init)
            case "@port": ports[a] = [String: Any]()
            case "@entrypoint": container["Entrypoint"] = Array(fields.dropFirst())
            case "@cmd": container["Cmd"] = Array(fields.dropFirst())
            case "@require": options.requiredPaths.append(a)
            case "@platform": options.platform = Platform(parsing: a)
            case "@strict": options.strictELF = true
            case "@prisma": options.prisma = a == "off" ? .off : a == "force" ? .force : .auto
            case "@policy": policy = (policy ?? []) + Array(rest.utf8) + [0x0a]
            default: break
            }
        }
        if !env.isEmpty { container["Env"] = env }
        if !labels.isEmpty { container["Labels"] = labels }
        if !ports.isEmpty { container["ExposedPorts"] = ports }
        config["config"] = container
    }

    private mutating func add(_ entry: FuzzTarEntry) {
        layers[layers.count - 1].append(entry)
    }

    /// A field with its escapes undone.
    static func unescape(_ field: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        var i = field.startIndex
        while i < field.endIndex {
            let c = field[i]
            i += 1
            guard c == UInt8(ascii: "\\"), i < field.endIndex else {
                out.append(c)
                continue
            }
            let e = field[i]
            i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "s"): out.append(0x20)
            case UInt8(ascii: "x") where i + 1 < field.endIndex:
                if let v = UInt8(String(decoding: field[i...(i + 1)], as: UTF8.self), radix: 16) {
                    out.append(v)
                    i += 2
                } else {
                    out.append(e)
                }
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
