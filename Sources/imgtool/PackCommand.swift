import ByteIO
import Codec
import Gzip
import ImageArchive
import ImageVerify
import OCI
import Ship
import Tar
import Zstd

/// `imgtool pack`: verify an archive and write it as layer-aligned gzip (or zstd), compressed on
/// every core, in the same single pass.
enum PackCommand {
    static let spec = CommandSpec(
        name: "pack",
        abstract: "Verify an image archive and write it as gzip (or zstd) whose members follow its layers, compressed on every core.",
        discussion:
            "Reads a docker save archive once, runs the checks of `imgtool verify` (same options) on the way, and writes the tar as standard gzip that gunzip, pigz and docker load read, or with --zstd as standard zstd that zstd -d and docker load (Docker 23 and later) read. Each tar member of 16 KiB or more (every layer) is a gzip member (zstd frame) of its own, compressed from a fresh start, so the same layer gives the same bytes in every archive; smaller members are grouped. The format is gzip unless --zstd or --format says otherwise, or the output's name ends in .zst or .tzst. The output is the same for the same input. It is written under a temporary name and renamed when complete; nothing is written when a check fails (unless --force) or the archive is corrupt, truncated or unreadable.",
        arguments: [.init(name: "archive", help: "The archive: a .tar, .tar.gz or .tar.zst file, or - for stdin.")],
        options: [
            .init(
                names: ["-o", "--output"], valueName: "file",
                help: "The .tar.gz (or .tar.zst) to write; replaced only when the pack succeeds.",
                isRequired: true),
            .init(names: ["--format"], valueName: "format", help: "The output's compression: gzip (the default) or zstd."),
            .init(names: ["--zstd"], valueName: nil, help: "Write zstd frames instead of gzip members (--format zstd)."),
            .init(
                names: ["--level"], valueName: "level",
                help:
                    "The compression level: for gzip 0 (store) to 9 (smallest), 6 by default as gzip; for zstd 1 to 19, 3 by default as zstd."
            ),
            .init(
                names: ["--threads"], valueName: "n",
                help: "How many threads compress (default: one per processor); the output does not depend on it."),
            .init(names: ["--force"], valueName: nil, help: "Write the archive even when checks fail (never a corrupt one)."),
        ] + VerifyCommand.checkOptions)

    static func run(_ arguments: [String], io: Output) -> Int32 {
        let parsed: ParsedArguments
        switch CLI.parse(arguments, spec: spec, io: io) {
        case .exit(let code): return code
        case .run(let p): parsed = p
        }
        let request: VerifyRequest
        var options = PackOptions(read: .verify)
        let output: String
        do throws(UsageError) {
            request = try VerifyRequest(parsed, spec: spec)
            guard let o = parsed.value("output") else {
                throw UsageError(.custom("Missing expected argument '--output <file>'"), spec: spec)
            }
            guard o != "-" else {
                throw UsageError(
                    .invalidValue(
                        value: o, label: "--output <file>",
                        help: "a file: pack renames it into place when complete (pipe `docker save` into pack, not out of it)"), spec: spec)
            }
            output = o
            options.format = try format(parsed, output: o)
            options.level = options.format == .zstd ? ZstdCompressor.defaultLevel : 6
            if let text = parsed.value("level") {
                let range: ClosedRange<Int32> = options.format == .zstd ? 1...19 : 0...9
                guard let level = Int32(text), range.contains(level) else {
                    let help = options.format == .zstd ? "1 to 19 for zstd" : "0 (store) to 9 (smallest)"
                    throw UsageError(.invalidValue(value: text, label: "--level <level>", help: help), spec: spec)
                }
                options.level = level
            }
            if let text = parsed.value("threads") {
                guard let n = Int(text), (1...256).contains(n) else {
                    throw UsageError(.invalidValue(value: text, label: "--threads <n>", help: "1 to 256"), spec: spec)
                }
                options.threads = n
            }
        } catch {
            io.err(error.text)
            return ExitCode.usage.rawValue
        }
        let path = parsed.positionals[0]

        let sink: AtomicFileSink
        do { sink = try AtomicFileSink(destination: output) } catch {
            CLI.error("cannot create the output \(output): \(error)", input: path, io: io)
            return ExitCode.checkFailed.rawValue
        }
        let cleanup = Terminal.removeOnInterrupt(sink.temporaryPath)
        defer { cleanup.cancel() }

        let show = io.errIsTerminal
        options.progress = Terminal.progress(label: "packing", total: FileSize.of(path), enabled: show)
        let packed: PackedArchive
        do {
            packed = try ArchivePacker.pack(path: path, into: sink, options: options)
            Terminal.clearProgress(enabled: show)
        } catch {
            Terminal.clearProgress(enabled: show)
            sink.discard()
            if let e = error as? PackError {
                CLI.error("\(output): \(e)", input: path, io: io)
                return ExitCode.checkFailed.rawValue
            }
            return VerifyCommand.reportFailure(.printing(error, io: io), check: "read", path: path, request: request, io: io)
        }
        let archive = packed.archive
        let reports: [ImageVerdict]
        switch VerifyCommand.evaluate(archive, request: request, io: io) {
        case .failure(let f):
            sink.discard()
            return VerifyCommand.reportFailure(f, check: "select", path: path, request: request, io: io)
        case .success(let r): reports = r
        }
        let failed = reports.reduce(0) { $0 + $1.checks.filter { $0.status == .failed }.count }
        let total = reports.reduce(0) { $0 + $1.checks.count }
        var refusal: (message: String, code: Int32)?
        if !archive.problems.isEmpty {
            let n = archive.problems.count
            refusal = (
                "\(output) not written: the archive is corrupt (\(n) integrity problem\(n == 1 ? "" : "s"), see the integrity check); --force never writes a corrupt archive",
                ExitCode.corrupt.rawValue
            )
        } else if failed > 0 && !parsed.flag("force") {
            refusal = (
                "\(output) not written: \(failed) of \(total) checks failed; --force writes it anyway", ExitCode.checkFailed.rawValue
            )
        }
        if refusal == nil {
            do { try sink.commit() } catch {
                CLI.error("cannot write the packed archive \(output): \(error)", input: path, io: io)
                return ExitCode.checkFailed.rawValue
            }
        } else {
            sink.discard()
        }
        let json = JSONPack(output: output, written: refusal == nil, packed: packed)
        let trailer = refusal == nil ? summary(output: output, packed: packed, failedChecks: failed) : ""
        let written = VerifyCommand.emit(path: path, reports: reports, request: request, io: io, pack: json, trailer: trailer)
        VerifyCommand.listProblems(archive, path: path, io: io)
        if let code = written { return code }
        if let refusal {
            CLI.error(refusal.message, input: path, io: io)
            return refusal.code
        }
        return ExitCode.success.rawValue
    }

    /// The output's format: `--zstd`, `--format`, or else the output's name.
    static func format(_ parsed: ParsedArguments, output: String) throws(UsageError) -> CompressionFormat {
        if let text = parsed.value("format") {
            guard let f = CompressionFormat(rawValue: text), f == .gzip || f == .zstd else {
                throw UsageError(.invalidValue(value: text, label: "--format <format>", help: "gzip or zstd"), spec: spec)
            }
            if parsed.flag("zstd"), f != .zstd {
                throw UsageError(.custom("--zstd and --format \(text) disagree: give one of them"), spec: spec)
            }
            return f
        }
        if parsed.flag("zstd") || output.hasSuffix(".zst") || output.hasSuffix(".tzst") { return .zstd }
        return .gzip
    }

    /// `pack: wrote app.tar.gz: 1.1 GB tar -> 341.8 MB gzip (30.8%), 13 gzip members (4 on their own), level 6, 2 threads`
    static func summary(output: String, packed: PackedArchive, failedChecks: Int) -> String {
        let own = packed.members.filter { $0.tarMember != nil }.count
        let percent = packed.tarBytes > 0 ? Format.decimal(Double(packed.compressedBytes) * 100 / Double(packed.tarBytes), places: 1) : "0"
        let zstd = packed.format == .zstd
        var line =
            "pack: wrote \(output): \(Format.bytes(packed.tarBytes)) tar -> \(Format.bytes(packed.compressedBytes)) \(packed.format.rawValue) (\(percent)%)"
        line +=
            ", \(Format.plural(packed.members.count, zstd ? "zstd frame" : "gzip member", zstd ? "zstd frames" : "gzip members")) (\(own) on their own)"
        line += ", level \(packed.level), \(Format.plural(packed.threads, "thread", "threads"))"
        if failedChecks > 0 { line += ", despite \(Format.plural(failedChecks, "failed check", "failed checks")) (--force)" }
        return line + "\n"
    }

    /// The `pack` object of `--json`: the output, and where each gzip member (zstd frame) lies.
    struct JSONPack: Encodable {
        var output: String
        /// Whether the output was written (renamed into place).
        var written: Bool
        /// `gzip` or `zstd`.
        var format: String
        var level: Int32
        /// Bytes of the compressed output.
        var bytes: Int64
        /// Bytes of the tar it decompresses to.
        var tarBytes: Int64
        var members: [Member]

        struct Member: Encodable {
            var compressedOffset: Int64
            var compressedSize: Int64
            var tarOffset: Int64
            var tarSize: Int64
            /// gzip only: the CRC-32 of the member's tar bytes.
            var crc32: UInt32?
            /// The tar member whose data this gzip member holds alone; absent for grouped headers and small members.
            var tarMember: String?
        }

        init(output: String, written: Bool, packed: PackedArchive) {
            self.output = output
            self.written = written
            format = packed.format.rawValue
            level = packed.level
            bytes = packed.compressedBytes
            tarBytes = packed.tarBytes
            members = packed.members.map { m in
                Member(
                    compressedOffset: m.compressed.compressedOffset, compressedSize: m.compressed.compressedSize,
                    tarOffset: m.compressed.uncompressedOffset, tarSize: m.compressed.uncompressedSize, crc32: m.compressed.crc32,
                    tarMember: m.tarMember)
            }
        }
    }
}
