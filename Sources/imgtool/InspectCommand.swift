import ByteIO
import Codec
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Ship

/// `imgtool inspect`: what an archive holds.
enum InspectCommand {
    static let spec = CommandSpec(
        name: "inspect",
        abstract: "Show what an image archive holds: images, platforms, layers, config.",
        discussion:
            "On an uncompressed archive file, reads the tar headers only and skips file contents by seeking: it is fast, but digests are not verified (imgtool verify checks them). A gzip archive or stdin is read once, whole, checking every blob digest and layer diff_id on the way; integrity problems are listed on stderr and give exit code 3.",
        arguments: [.init(name: "archive", help: "The archive: a .tar or .tar.gz file, or - for stdin.")],
        options: [
            .init(names: ["--json"], valueName: nil, help: "Print a JSON document (see the README for its fields)."),
            .init(
                names: ["--platform"], valueName: "platform",
                help: "Show only images of this platform: os/arch[/variant], e.g. linux/amd64."),
            .init(names: ["--image"], valueName: "image", help: "Show only the image with this tag or digest (prefix)."),
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
        let path = parsed.positionals[0]
        let showProgress = io.errIsTerminal
        let total = FileSize.of(path)
        // A plain file is walked header by header; a stream (gzip, stdin) is read whole anyway,
        // so its digests are checked on the way.
        let options = ReadOptions(
            capture: .none, readFileHeads: true, progress: Terminal.progress(label: "reading", total: total, enabled: showProgress))
        // A plain file's layers are walked through a memory mapping (released when the read
        // returns): a file cut short under it is reported as truncated.
        let mapped = path != "-"
        let reading: ArchiveInput.Reading = mapped ? .headersOnly(mapped: true) : Terminal.wholeReading
        let archive: ImageArchive
        let images: [ArchiveImage]
        do {
            let read = { try ImageArchive.read(path: path, reading: reading, options: options) }
            archive = mapped ? try Terminal.reportingTruncationOnBusError(path: path, read) : try read()
            Terminal.clearProgress(enabled: showProgress)
            images = try archive.select(platform: platform, reference: parsed.value("image"))
        } catch {
            Terminal.clearProgress(enabled: showProgress)
            return CLI.fail(error, io: io)
        }
        if parsed.flag("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            var report = InspectReport(path: path, archive: archive, images: images)
            for i in report.images.indices { report.images[i].elfCensus = MergedFilesystem.elfCensus(of: images[i]) }
            guard let data = try? encoder.encode(report) else {
                CLI.error("could not encode the report", input: path, io: io)
                return ExitCode.checkFailed.rawValue
            }
            io.out(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            io.out(render(path: path, archive: archive, images: images))
        }
        for p in archive.problems { CLI.error("\(p)", input: path, io: io) }
        return archive.problems.isEmpty ? ExitCode.success.rawValue : ExitCode.corrupt.rawValue
    }

    /// What inspect says when it read tar headers only (text, and `digestsNote` in JSON).
    static let notVerifiedNote =
        "not verified: only tar headers were read (file contents skipped); run `imgtool verify` to check every digest"

    static func render(path: String, archive a: ImageArchive, images: [ArchiveImage]) -> String {
        var r = TextReport()
        r.line("\(path == "-" ? "stdin" : path)")
        r.row("layout", a.layout.summary)
        var input = a.compression == .none ? "uncompressed tar" : "\(a.compression.rawValue)"
        if a.compression == .gzip { input += " (\(Format.plural(a.gzipMembers, "member", "members")))" }
        if a.compression == .zstd { input += " (\(Format.plural(a.gzipMembers, "frame", "frames")))" }
        input += ", \(Format.bytes(a.inputBytes))"
        if a.compression != .none { input += " -> \(Format.bytes(a.tarBytes)) tar" }
        input += ", \(Format.count(a.memberCount)) members"
        r.row("archive", input)
        let layerCount = Set(a.images.flatMap { $0.layers.map(\.member) }).count
        if a.verified {
            r.row(
                "digests",
                a.problems.isEmpty
                    ? "all verified (\(layerCount) layer\(layerCount == 1 ? "" : "s"), every blob and config)"
                    : "\(a.problems.count) mismatch\(a.problems.count == 1 ? "" : "es") (listed on stderr)")
        } else {
            r.row("digests", Self.notVerifiedNote)
        }
        for s in a.skipped {
            let what = s.platform.map { "\($0) " } ?? ""
            let why =
                switch s.reason {
                case .attestation: "attestation manifest (not an image)"
                case .blobsAbsent: "listed, but its blobs are not in the archive"
                case .notAnImage: "not an image manifest"
                }
            r.row("skipped", "\(what)\(s.descriptor.digest.short): \(why)")
        }
        for (n, image) in images.enumerated() {
            r.line()
            let title = image.tags.first ?? "untagged image \(image.configDigest.short)"
            r.line("Image \(n + 1) of \(images.count): \(title) (\(image.platform))")
            if image.tags.count > 1 { r.row("tags", image.tags.joined(separator: ", ")) }
            r.row("platform", image.platform.description)
            r.row("config", image.configDigest.description)
            if let m = image.manifestDigest { r.row("manifest", m.description) }
            if let created = image.config.created { r.row("created", created) }
            let c = image.config.config
            r.row("entrypoint", c?.entrypoint.map(Format.list) ?? "-")
            r.row("cmd", c?.cmd.map(Format.list) ?? "-")
            r.row("workdir", c?.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "-")
            r.row("user", c?.user.flatMap { $0.isEmpty ? nil : $0 } ?? "- (root)")
            for (k, e) in (c?.env ?? []).enumerated() { r.row(k == 0 ? "env" : "", e) }
            let ports = (c?.exposedPorts ?? [:]).keys.sorted()
            if !ports.isEmpty { r.row("ports", ports.joined(separator: ", ")) }
            if let h = c?.healthcheck, let test = h.test, !test.isEmpty {
                var words =
                    test.first == "CMD-SHELL"
                    ? "CMD-SHELL " + test.dropFirst().joined(separator: " ")
                    : test.first == "CMD" ? "CMD " + Format.list(Array(test.dropFirst())) : test.joined(separator: " ")
                var timing: [String] = []
                if let i = h.interval { timing.append("every \(Format.duration(nanoseconds: i))") }
                if let t = h.timeout { timing.append("timeout \(Format.duration(nanoseconds: t))") }
                if let s = h.startPeriod { timing.append("start period \(Format.duration(nanoseconds: s))") }
                if let n = h.retries { timing.append("\(n) retries") }
                if !timing.isEmpty { words += " (" + timing.joined(separator: ", ") + ")" }
                r.row("healthcheck", words)
            } else {
                r.row("healthcheck", "-")
            }
            for (k, key) in (c?.labels ?? [:]).keys.sorted().enumerated() {
                r.row(k == 0 ? "labels" : "", "\(key)=\(c?.labels?[key] ?? "")")
            }
            let census = MergedFilesystem.elfCensus(of: image)
            r.row("ELF files", census.isEmpty ? "none" : census.keys.sorted().map { "\($0) \(census[$0] ?? 0)" }.joined(separator: ", "))
            let total = image.layers.reduce(Int64(0)) { $0 + $1.size }
            let entries = image.layers.reduce(0) { $0 + $1.entryCount }
            r.line()
            r.line("  Layers: \(image.layers.count), \(Format.bytes(total)) uncompressed, \(Format.plural(entries, "entry", "entries"))")
            for (i, layer) in image.layers.enumerated() {
                let number = String(i + 1)
                r.line("  " + number.padding(toLength: max(3, number.count + 1), withPad: " ", startingAt: 0) + layer.diffID.description)
                var facts = "\(Format.bytes(layer.size)), \(Format.plural(layer.entryCount, "entry", "entries"))"
                if let cs = layer.compressedSize { facts += ", \(layer.compression.rawValue) \(Format.bytes(cs))" }
                if let by = layer.history?.createdBy { facts += " · " + by }
                r.row("", facts, indent: 5, labelWidth: 0)
            }
        }
        return r.text
    }
}
