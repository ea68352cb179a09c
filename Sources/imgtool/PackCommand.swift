import ByteIO
import Codec
import Foundation
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
            "Reads a docker save archive once, runs the checks of `imgtool verify` (same options) on the way, and writes the tar as standard gzip that gunzip, pigz and docker load read, or with --zstd as standard zstd that zstd -d and docker load (Docker 23 and later) read. Each tar member of 16 KiB or more (every layer) is a gzip member (zstd frame) of its own, compressed from a fresh start, so the same layer gives the same bytes in every archive; smaller members are grouped. The format is gzip unless --zstd or --format says otherwise, or the output's name ends in .zst or .tzst. The output is the same for the same input. It is written under a temporary name and renamed when complete; nothing is written when a check fails (unless --force) or the archive is corrupt, truncated or unreadable. Layers packed before are copied from a cache instead of compressed again (the same bytes; every byte is still read and hashed), up to --cache-size, least recently used first out. The verdict of the checks is recorded with the output's SHA-256 (in imgtool/verdicts in the user's cache directory), so that `imgtool ship` of the file hashes it instead of reading the archive again.",
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
            .init(
                names: ["--cache"], valueName: "dir",
                help: "Where compressed layers are kept and reused (default: imgtool/pack in the user's cache directory)."),
            .init(
                names: ["--cache-size"], valueName: "size",
                help: "The most the cache may hold, e.g. 5G (default: 2G); the least recently used layers go first."),
            .init(
                names: ["--no-cache"], valueName: nil,
                help: "Compress every layer and keep none, and record no verdict for `imgtool ship` of the output."),
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
            options.cache = try cache(parsed)
            // The output's SHA-256, for the verdict that ship reuses.
            options.hashesOutput = options.cache != nil
        } catch {
            io.err(error.text)
            return ExitCode.usage.rawValue
        }
        let path = parsed.positionals[0]

        let show = io.errIsTerminal
        options.progress = Terminal.progress(label: "packing", total: FileSize.of(path), enabled: show)
        var done: Attempt
        switch attempt(path: path, output: output, options: options, request: request, io: io) {
        case .failure(let f): return f.code
        case .success(let a): done = a
        }
        defer { done.discard() }
        if !done.packed.outputMatchesInput && done.packed.archive.problems.isEmpty {
            // A member from the cache did not hold the bytes read: this output is not the input's.
            done.discard()
            let packed = done.packed
            let why = packed.cache?.mismatches.joined(separator: "; ") ?? ""
            guard path != "-", FileSize.of(path) != nil else {
                CLI.error(
                    "\(output) not written: the pack cache did not match the archive (\(why)); run it again with --no-cache", input: path,
                    io: io)
                return ExitCode.checkFailed.rawValue
            }
            reportCache(packed.cache, io: io)
            io.err("pack: \(CLI.inputName(path)): the pack cache did not match the archive (\(why)); packing again without it\n")
            options.cache?.readsEntries = false
            switch attempt(path: path, output: output, options: options, request: request, io: io) {
            case .failure(let f): return f.code
            case .success(let a): done = a
            }
        }
        let packed = done.packed
        let sink = done.sink
        reportCache(packed.cache, io: io)
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
            if failed == 0 { recordVerdict(packed, output: output, reports: reports, request: request, io: io) }
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

    /// Packs `path` into a new temporary file beside `output`: the file (not committed) and what
    /// was packed, or the exit code after the error is printed.
    private static func attempt(
        path: String, output: String, options: PackOptions, request: VerifyRequest, io: Output
    ) -> Result<Attempt, Failure> {
        let sink: AtomicFileSink
        do { sink = try AtomicFileSink(destination: output) } catch {
            CLI.error("cannot create the output \(output): \(error)", input: path, io: io)
            return .failure(Failure(code: ExitCode.checkFailed.rawValue))
        }
        let cleanup = Terminal.removeOnInterrupt(sink.temporaryPath)
        let show = io.errIsTerminal
        do {
            let packed = try ArchivePacker.pack(path: path, into: sink, options: options)
            Terminal.clearProgress(enabled: show)
            return .success(Attempt(sink: sink, packed: packed, cleanup: cleanup))
        } catch {
            Terminal.clearProgress(enabled: show)
            cleanup.cancel()
            sink.discard()
            if let e = error as? PackError {
                CLI.error("\(output): \(e)", input: path, io: io)
                return .failure(Failure(code: ExitCode.checkFailed.rawValue))
            }
            let code = VerifyCommand.reportFailure(.printing(error, io: io), check: "read", path: path, request: request, io: io)
            return .failure(Failure(code: code))
        }
    }

    /// Records the verdict of the file written, for `imgtool ship` of it (``ImageVerify/VerdictCache``):
    /// its SHA-256 (computed as it was written), its identity, the checks and what the target
    /// checks need. A failure to record it is a warning.
    private static func recordVerdict(_ packed: PackedArchive, output: String, reports: [ImageVerdict], request: VerifyRequest, io: Output)
    {
        guard let digest = packed.outputDigest, let file = FileStatus.of(output), file.size == packed.compressedBytes else { return }
        let verdicts = VerdictCache(directory: VerdictCache.defaultDirectory(environment: ProcessInfo.processInfo.environment))
        // The output holds the input's tar as it was: its layout and layers; only the outer
        // compression is pack's.
        var facts = ArchiveFacts(archive: packed.archive, images: request.chosenImages(packed.archive))
        facts.compression = packed.format
        let record = VerdictRecord(
            archive: digest, size: file.size, options: request.verdictKey, recordedBy: "pack", recordedAt: FileStatus.now / 1_000_000_000,
            checks: reports.flatMap(\.checks), facts: facts)
        do { try verdicts.record(record, file: file) } catch {
            io.err("pack: cannot record the verdict in \(verdicts.directory): \(error); the pack goes on without it\n")
        }
    }

    /// An exit code, as an error.
    struct Failure: Error { var code: Int32 }

    /// A pack done: its output (not committed), what it packed, and the handler that removes
    /// the output on a signal until it is committed or discarded.
    struct Attempt {
        var sink: AtomicFileSink
        var packed: PackedArchive
        var cleanup: InterruptCleanup

        /// Removes the output and the handler.
        func discard() {
            cleanup.cancel()
            sink.discard()
        }
    }

    /// The cache `--cache`, `--cache-size` and `--no-cache` describe: by default
    /// `imgtool/pack` in the user's cache directory, 2 GiB.
    static func cache(_ parsed: ParsedArguments) throws(UsageError) -> PackCache? {
        if parsed.flag("no-cache") {
            if parsed.value("cache") != nil || parsed.value("cache-size") != nil {
                throw UsageError(.custom("--no-cache and --cache or --cache-size disagree: give one of them"), spec: spec)
            }
            return nil
        }
        let environment = ProcessInfo.processInfo.environment
        var directory = parsed.value("cache") ?? PackCache.defaultDirectory(environment: environment)
        if !directory.hasPrefix("/") { directory = FileManager.default.currentDirectoryPath + "/" + directory }
        var cache = PackCache(directory: directory)
        if let text = parsed.value("cache-size") {
            guard let n = ShipRequest.size(text), n >= 0 else {
                throw UsageError(.invalidValue(value: text, label: "--cache-size <size>", help: "a size such as 5G or 500M"), spec: spec)
            }
            cache.sizeLimit = Int64(n)
        }
        return cache
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
}
