import Foundation
import Gzip
import ImageTar
import Ship
import Synchronization

/// `imgtool ship`: verify the archive, then copy it to one or more hosts over ssh in checksummed
/// chunks that resume, publishing it under its name only once the whole file is checked there.
enum ShipCommand {
    static let spec = CommandSpec(
        name: "ship",
        abstract: "Verify an archive, then copy it to hosts over ssh in checksummed chunks that resume.",
        discussion: """
            Runs the checks of `imgtool verify` first (same options) and ships nothing if one fails. \
            The archive goes through the system's ssh (your ~/.ssh/config, agent, jump hosts and known_hosts apply), \
            in chunks whose SHA-256 is checked on arrival; the remote needs only sh, coreutils, find and a SHA-256 tool (sha256sum, openssl or shasum). \
            Run the same command again after an interruption: only the chunks the remote does not hold are sent. \
            The file appears as DIR/NAME, with DIR/NAME.sha256 beside it, only once its SHA-256 is checked there.
            """,
        arguments: [
            .init(name: "archive", help: "The archive file (.tar or .tar.gz)."),
            .init(name: "destination", help: "[user@]host[:port]:/remote/dir; several ship in parallel.", variadic: true),
        ],
        options: VerifyCommand.checkOptions.filter { !["--json", "--junit"].contains($0.names[0]) } + [
            .init(names: ["--no-verify"], valueName: nil, help: "Ship without running the checks first."),
            .init(names: ["--load"], valueName: nil, help: "Run `docker load` on the remote after arrival (decompressing on the fly) and report the image."),
            .init(names: ["--then"], valueName: "command", help: "Run this command on the remote, in the destination directory, after arrival (and --load), e.g. 'docker compose up -d app'."),
            .init(names: ["--keep"], valueName: "n", help: "Remember the last n archives shipped to a destination, so that the next ship takes the chunks it shares with them from those files instead of sending them (default: 1; 0 leaves nothing in DIR/.imgtool)."),
            .init(names: ["--chunk-size"], valueName: "size", help: "The mean chunk size, e.g. 4M (default: 4M)."),
            .init(names: ["--ssh"], valueName: "command", help: "The ssh command, e.g. 'ssh -F ./ssh_config' (default: $IMGTOOL_SSH, else ssh)."),
            .init(names: ["--json"], valueName: nil, help: "Print a JSON summary."),
        ])

    static func run(_ arguments: [String], io: Output) -> Int32 {
        let parsed: ParsedArguments
        switch CLI.parse(arguments, spec: spec, io: io) {
        case .exit(let code): return code
        case .run(let p): parsed = p
        }
        let request: VerifyRequest
        do { request = try VerifyRequest(parsed, spec: spec) } catch { io.err(error.text); return ExitCode.usage.rawValue }
        if parsed.flag("no-verify") {
            let given = ["arch", "platform", "require", "strict-elf", "prisma", "no-prisma", "policy", "image"]
                .filter { parsed.flag($0) || parsed.value($0) != nil }
            if let first = given.first {
                io.err(UsageError(.custom("--no-verify skips the checks, so --\(first) would be ignored; drop one of them"), spec: spec).text)
                return ExitCode.usage.rawValue
            }
        }
        let path = parsed.positionals[0]
        if path == "-" {
            io.err(UsageError(.custom("ship reads the archive twice (to verify and to send): give a file, not stdin"), spec: spec).text)
            return ExitCode.usage.rawValue
        }
        var destinations: [Destination] = []
        for text in parsed.positionals.dropFirst() {
            do { destinations.append(try Destination(parsing: text)) } catch {
                io.err(UsageError(.custom("\(error)"), spec: spec).text)
                return ExitCode.usage.rawValue
            }
        }
        if destinations.isEmpty {
            io.err(UsageError(.missingArgument("destination"), spec: spec).text)
            return ExitCode.usage.rawValue
        }
        var keep = 1
        if let k = parsed.value("keep") {
            guard let n = Int(k), n >= 0 else {
                io.err(UsageError(.invalidValue(value: k, label: "--keep <n>", help: "a count, 0 or more"), spec: spec).text)
                return ExitCode.usage.rawValue
            }
            keep = n
        }
        var parameters = ChunkPlanner.Parameters.standard
        if let s = parsed.value("chunk-size") {
            guard let n = parseSize(s), n >= 64 << 10, n <= 1 << 30 else {
                io.err(UsageError(.invalidValue(value: s, label: "--chunk-size <size>", help: "64K to 1G, e.g. 4M"), spec: spec).text)
                return ExitCode.usage.rawValue
            }
            parameters = ChunkPlanner.Parameters(average: n)
        }
        let sshText = parsed.value("ssh") ?? ProcessInfo.processInfo.environment["IMGTOOL_SSH"] ?? "ssh"
        let client = SSHClient(command: SSHClient.split(sshText), batchMode: !Terminal.isTerminal(0))
        let options = ShipOptions(client: client, keep: keep, load: parsed.flag("load"), then: parsed.value("then"))

        // 1. One pass over the file: verify it and cut it into chunks.
        let planned: Planned
        switch plan(path, verify: !parsed.flag("no-verify"), parameters: parameters, io: io) {
        case .failure(let f): return f.code
        case .success(let p): planned = p
        }
        var checksPassed: Int?
        if let archive = planned.archive {
            let reports: [VerifyCommand.ImageReport]
            switch VerifyCommand.evaluate(archive, request: request, io: io) {
            case .failure(let f): return f.code
            case .success(let r): reports = r
            }
            let passed = reports.allSatisfy { $0.passed } && archive.problems.isEmpty
            if !passed {
                if let code = VerifyCommand.emit(path: path, reports: reports, request: request, io: io) { return code }
                let failed = reports.reduce(0) { $0 + $1.checks.filter { $0.status == .failed }.count }
                io.err("Error: \(path): not shipped: " + (failed > 0 ? "\(Format.plural(failed, "check", "checks")) failed" : "digest mismatches") + "; fix the image, or pass --no-verify to ship it anyway\n")
                return archive.problems.isEmpty ? ExitCode.checkFailed.rawValue : ExitCode.corrupt.rawValue
            }
            checksPassed = reports.reduce(0) { $0 + $1.checks.count }
        }

        // 2. Ship to every destination at once.
        let shipper = Shipper(path: path, plan: planned.plan, options: options)
        let display = ShipProgressLine(enabled: io.errIsTerminal)
        // Ctrl-C: say how to go on, then end as the signal would.
        let interrupt = Terminal.onInterrupt {
            display.clear()
            Terminal.writeError("imgtool: interrupted: the chunks that arrived stay on the remote, checked; run the same command again to resume\n")
        }
        defer { interrupt.cancel() }
        let outcomes = Outcomes(count: destinations.count)
        let many = destinations.count > 1
        let targets = destinations
        DispatchQueue.concurrentPerform(iterations: targets.count) { i in
            let d = targets[i]
            let outcome: Result<ShipResult, ShipError>
            do throws(ShipError) {
                outcome = .success(try shipper.ship(
                    to: d, progress: { display.update(i, $0) },
                    remoteOutput: { line in
                        display.clear()
                        // Straight to stderr: these lines come from the shipping threads.
                        Terminal.writeError((many ? "[\(d.label)] " : "") + line + "\n")
                    }))
            } catch {
                outcome = .failure(error)
            }
            outcomes.set(i, outcome)
        }
        display.clear()

        // 3. Report.
        let results = outcomes.all
        var code = ExitCode.success
        for r in results {
            switch r {
            case .failure:
                code = .shipFailed
            case .success(let s):
                if s.load.map({ $0.status != 0 }) == true || s.then.map({ $0.status != 0 }) == true, code == .success {
                    code = .remoteCommandFailed
                }
            }
        }
        if parsed.flag("json") {
            let doc = JSONSummary(
                archive: path, size: planned.plan.size, sha256: planned.plan.digest.description,
                chunks: planned.plan.distinctChunks.count, verified: planned.archive != nil, checksPassed: checksPassed,
                destinations: zip(destinations, results).map { d, r in
                    switch r {
                    case .success(let s): JSONSummary.Destination(result: s, error: nil, destination: d.description)
                    case .failure(let e): JSONSummary.Destination(result: nil, error: e.description, destination: d.description)
                    }
                })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            io.out(String(decoding: (try? encoder.encode(doc)) ?? Data(), as: UTF8.self) + "\n")
        } else {
            if let n = checksPassed { io.out("verify: all \(n) checks passed\n") }
            for r in results {
                if case .success(let s) = r { io.out(render(s)) }
            }
        }
        for r in results {
            switch r {
            case .failure(let e):
                io.err("Error: \(e)\n")
            case .success(let s):
                if let l = s.load, l.status != 0 {
                    io.err("Error: \(s.destination): `docker load` exited with status \(l.status); \(s.remotePath) arrived and is checked, --then was not run\n")
                } else if let t = s.then, t.status != 0 {
                    io.err("Error: \(s.destination): `\(t.command)` exited with status \(t.status)\n")
                }
            }
        }
        return code.rawValue
    }

    struct Planned {
        var plan: ChunkPlan
        var archive: ImageArchive?
    }

    /// Reads the file once: the archive reader (unless `verify` is false) and the chunk planner
    /// see the same bytes.
    static func plan(_ path: String, verify: Bool, parameters: ChunkPlanner.Parameters, io: Output) -> Result<Planned, ImageSelection.Failure> {
        let show = io.errIsTerminal
        let planner = ChunkPlanner(parameters: parameters)
        do {
            let file = try FileSource(path: path)
            defer { file.close() }
            guard file.isSeekableRegularFile else {
                io.err("Error: \(path): not a regular file; ship sends a file it can read twice\n")
                return .failure(.init(code: ExitCode.io.rawValue))
            }
            var archive: ImageArchive?
            if verify {
                // The reader hands the planner every byte it reads, on the thread that reads it
                // (for gzip, the inflating one), so chunking costs no pass of its own.
                var options = ReadOptions()
                options.progress = Terminal.progress(label: "verifying", total: file.size, enabled: show)
                options.inflateOnSecondThread = Terminal.inflateOnSecondThread
                options.inputTap = { planner.feed($0) }
                archive = try ImageArchive.read(file, options: options)
            }
            // The rest of the file: all of it without --no-verify, and whatever the reader left
            // after the end of the archive (tar padding) otherwise.
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            var at = planner.bytesSeen
            while true {
                let n = try file.read(into: buffer, at: at)
                if n == 0 { break }
                planner.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                at += Int64(n)
            }
            Terminal.clearProgress(enabled: show)
            return .success(Planned(plan: planner.finish(), archive: archive))
        } catch {
            Terminal.clearProgress(enabled: show)
            return .failure(.init(code: CLI.fail(error, io: io)))
        }
    }

    static func render(_ s: ShipResult) -> String {
        var out = ""
        if s.alreadyPresent {
            out += "\(s.destination): \(s.remotePath) is already there (\(s.sha256), checked there): nothing sent\n"
        } else {
            let rate = s.seconds > 0 ? Int64(Double(s.bytesSent) / s.seconds) : 0
            out += "\(s.destination): shipped \(s.remotePath)\(s.replaced ? " (replacing the file that was there)" : ""): \(Format.bytes(s.bytesSent)) sent in "
                + Format.plural(s.chunksSent, "chunk", "chunks")
            if s.chunksSkipped > 0 {
                out += ", \(Format.bytes(s.bytesSkipped)) in \(Format.plural(s.chunksSkipped, "chunk", "chunks")) already there"
                if s.chunksReused > 0 { out += " (\(Format.count(s.chunksReused)) from the archive shipped before)" }
            }
            if s.chunksResent > 0 { out += ", \(Format.plural(s.chunksResent, "damaged chunk", "damaged chunks")) sent again" }
            out += "; \(Format.decimal(s.seconds, places: 1)) s, \(Format.bytes(rate))/s\n"
            out += "  sha256: \(s.sha256) (checked on the remote; \(s.remotePath).sha256 written)\n"
        }
        if let loaded = s.loaded { out += "  loaded: \(loaded.isEmpty ? "(docker load named no image)" : loaded.joined(separator: ", "))\n" }
        if let l = s.load, l.status != 0 {
            out += "  load: `docker load` exited with status \(l.status) (its output is above); the archive is there, --then not run\n"
        }
        if let t = s.then { out += "  then: `\(t.command)` exited with status \(t.status)\n" }
        return out
    }

    /// `4M`, `512K`, `1G` or a byte count.
    static func parseSize(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "k": 1 << 10, "M": 1 << 20, "m": 1 << 20, "G": 1 << 30, "g": 1 << 30]
        if let last = text.last, let unit = units[last] { return Int(text.dropLast()).map { $0 * unit } }
        return Int(text)
    }

    struct JSONSummary: Encodable {
        var schemaVersion = 1
        var archive: String
        var size: Int64
        var sha256: String
        var chunks: Int
        var verified: Bool
        var checksPassed: Int?
        var destinations: [Destination]

        struct Destination: Encodable {
            var result: ShipResult?
            var error: String?
            var destination: String

            func encode(to encoder: any Encoder) throws {
                if let result { try result.encode(to: encoder) }
                var c = encoder.container(keyedBy: Keys.self)
                if result == nil { try c.encode(destination, forKey: .destination) }
                try c.encode(error == nil, forKey: .ok)
                try c.encodeIfPresent(error, forKey: .error)
            }

            enum Keys: String, CodingKey { case destination, ok, error }
        }
    }

    /// The outcome of each destination, filled in from the shipping threads.
    final class Outcomes: Sendable {
        private let slots: Mutex<[Result<ShipResult, ShipError>?]>
        init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
        func set(_ i: Int, _ r: Result<ShipResult, ShipError>) { slots.withLock { $0[i] = r } }
        var all: [Result<ShipResult, ShipError>] {
            slots.withLock { $0.map { $0 ?? .failure(.transfer(host: "", detail: "not run")) } }
        }
    }
}
