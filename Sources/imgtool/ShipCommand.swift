import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
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
            Then it asks each server what it is (CPU, docker or podman and its version and image store, compose, the commands --then runs, the directory and its free space) \
            and checks the archive against it before sending (the target check; --no-target-check skips it): an image for another CPU, \
            a format that server's docker load cannot read, or a missing docker or --then command stops that destination with exit 1, nothing sent. \
            On a terminal, ssh asks its questions (an unknown host key, a passphrase) as usual; elsewhere it runs with BatchMode. \
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
            .init(
                names: ["--load"], valueName: nil,
                help: "Run `docker load` on the remote after arrival (decompressing on the fly) and report the image."),
            .init(
                names: ["--then"], valueName: "command",
                help:
                    "Run this command on the remote, in the destination directory, after arrival (and --load), e.g. 'docker compose up -d app'."
            ),
            .init(
                names: ["--keep"], valueName: "n",
                help:
                    "Remember the last n archives shipped to a destination, so that the next ship takes the chunks it shares with them from those files instead of sending them (default: 1; 0 leaves nothing in DIR/.imgtool)."
            ),
            .init(
                names: ["--no-target-check"], valueName: nil,
                help:
                    "Do not ask each server what it is (CPU, docker and its version, compose, disk) and check the archive against it before sending."
            ),
            .init(
                names: ["--allow-emulation"], valueName: nil,
                help: "Ship an image for another CPU to a server that emulates that CPU (binfmt_misc, qemu) instead of refusing it."),
            .init(
                names: ["--stall-timeout"], valueName: "seconds",
                help: "Report the transfer as stalled after this long without progress (default: 30; 0: never)."),
            .init(names: ["--chunk-size"], valueName: "size", help: "The mean chunk size, e.g. 4M (default: 4M)."),
            .init(
                names: ["--ssh"], valueName: "command",
                help: "The ssh command, e.g. 'ssh -F ./ssh_config' (default: $IMGTOOL_SSH, else ssh)."),
            .init(
                names: ["--no-cache"], valueName: nil,
                help:
                    "Run the checks even when `imgtool pack` (or an earlier ship) recorded a verdict for this file's SHA-256 and these options, and record none."
            ),
            .init(names: ["--json"], valueName: nil, help: "Print a JSON summary."),
        ])

    static func run(_ arguments: [String], io: Output) -> Int32 {
        let parsed: ParsedArguments
        switch CLI.parse(arguments, spec: spec, io: io) {
        case .exit(let code): return code
        case .run(let p): parsed = p
        }
        let request: ShipRequest
        do { request = try ShipRequest(parsed, spec: spec) } catch {
            io.err(error.text)
            return ExitCode.usage.rawValue
        }
        let path = request.path
        let destinations = request.destinations

        let display = ShipProgressLine(enabled: io.errIsTerminal)
        let sending = Flag()
        let interrupted = Flag()
        // Ctrl-C, SIGTERM, SIGHUP: stop every ssh, remove ship's directories, say how to go on,
        // then end as the signal would.
        let interrupt = Terminal.onInterrupt {
            interrupted.set()
            ShipCleanup.stopAll()
            display.clear()
            Terminal.writeError(
                sending.isSet
                    ? "imgtool: interrupted: the chunks that arrived stay on the remote, checked; run the same command again to resume\n"
                    : "imgtool: interrupted before anything was sent\n")
        }
        defer { interrupt.cancel() }

        // 0. Off a terminal (where ssh may ask its questions), the connections open and each
        // server is asked what it is while the file is read; nothing is judged or sent before
        // the pass is done.
        let name = URL(fileURLWithPath: path).lastPathComponent
        let shipOptions = request.options
        let early =
            shipOptions.client.batchMode
            ? destinations.map { d in
                PendingConnection { () throws(ShipError) in try Shipper.connect(to: d, options: shipOptions, name: name) }
            }
            : nil
        var handedOver = false
        defer {
            // Not shipped over (the checks failed, the file could not be read): stop them.
            if !handedOver, let early {
                ShipCleanup.stopAll()
                for pending in early { pending.discard() }
            }
        }

        // 1. One pass over the file: verify it (unless a verdict is recorded for its bytes) and
        // cut it into chunks.
        let verdicts =
            request.usesVerdictCache
            ? VerdictCache(directory: VerdictCache.defaultDirectory(environment: ProcessInfo.processInfo.environment)) : nil
        let planned: Planned
        switch plan(path, request: request, verdicts: verdicts, io: io) {
        case .failure(let f): return f.code
        case .success(let p): planned = p
        }
        var checksPassed: Int?
        var facts: ArchiveFacts?
        if let archive = planned.archive {
            let reports: [ImageVerdict]
            switch VerifyCommand.evaluate(archive, request: request.checks, io: io) {
            case .failure(let f): return f.code
            case .success(let r): reports = r
            }
            let passed = reports.allSatisfy { $0.passed } && archive.problems.isEmpty
            if !passed {
                let written = VerifyCommand.emit(path: path, reports: reports, request: request.checks, io: io)
                VerifyCommand.listProblems(archive, path: path, io: io)
                if let code = written { return code }
                let failed = reports.reduce(0) { $0 + $1.checks.filter { $0.status == .failed }.count }
                io.err(
                    "Error: \(path): not shipped: "
                        + (failed > 0 ? "\(Format.plural(failed, "check", "checks")) failed" : "digest mismatches")
                        + "; fix the image, or pass --no-verify to ship it anyway\n")
                return archive.problems.isEmpty ? ExitCode.checkFailed.rawValue : ExitCode.corrupt.rawValue
            }
            checksPassed = reports.reduce(0) { $0 + $1.checks.count }
            facts = ArchiveFacts(archive: archive, images: request.checks.chosenImages(archive))
            if let verdicts, let facts, let identity = planned.identity {
                let record = VerdictRecord(
                    archive: planned.plan.digest, size: planned.plan.size, options: request.checks.verdictKey, recordedBy: "ship",
                    recordedAt: FileStatus.now / 1_000_000_000, checks: reports.flatMap(\.checks), facts: facts)
                do { try verdicts.record(record, file: identity) } catch {
                    io.err("ship: cannot record the verdict in \(verdicts.directory): \(error); the ship goes on without it\n")
                }
            }
        } else if let recorded = planned.recorded {
            checksPassed = recorded.checks.count
            facts = recorded.facts
        }
        // The verdict before anything is sent.
        if let checksPassed, !request.json { io.out("verify: all \(Format.plural(checksPassed, "check", "checks")) passed\n") }
        if !request.targetCheck && !request.json { io.out("ship: target check skipped (--no-target-check)\n") }

        // 2. Ship to every destination at once, each checked against what it says it is first.
        let shipper = Shipper(path: path, plan: planned.plan, options: request.options)
        let judge = ShipTargetJudge(
            facts: facts,
            use: TargetChecks.Use(
                load: request.options.load, then: request.options.then.map(ShellCommandLine.init),
                allowEmulation: request.allowEmulation, archiveBytes: planned.plan.size),
            write: request.json ? nil : verdictWriter(display))
        let outcomes = Outcomes(count: destinations.count)
        let many = destinations.count > 1
        let targets = destinations
        let stall = Int(request.options.stallSeconds)
        handedOver = true
        DispatchQueue.concurrentPerform(iterations: targets.count) { i in
            let d = targets[i]
            let events = ShipEvents(
                target: { judge.judge(i, d, $0) },
                progress: { p in
                    sending.set()
                    display.update(i, p)
                },
                remoteOutput: { line in
                    display.clear()
                    // Straight to stderr: these lines come from the shipping threads.
                    Terminal.writeError((many ? "[\(d.label)] " : "") + line + "\n")
                },
                stalled: { _ in
                    display.clear()
                    Terminal.writeError(
                        "imgtool: \(d.label): no progress for \(stall) s; still trying (ssh gives up after 60 s without an answer from the server)\n"
                    )
                })
            let outcome: Result<ShipResult, ShipError>
            do throws(ShipError) {
                let connection = try
                    (early?[i].wait()
                    ?? Result { () throws(ShipError) in
                        try Shipper.connect(to: d, options: shipOptions, name: name)
                    }).get()
                outcome = .success(try shipper.ship(over: connection, events: events))
            } catch {
                outcome = .failure(error)
            }
            outcomes.set(i, outcome)
        }
        // Stopped by a signal: its handler ends the process once ssh is stopped; the failures
        // that stopping caused are not the outcome.
        while interrupted.isSet { pause() }
        display.clear()

        // 3. Report.
        let results = outcomes.all
        var code = ExitCode.success
        for r in results {
            switch r {
            case .failure(.targetCheckFailed):
                if code == .success || code == .remoteCommandFailed { code = .checkFailed }
            case .failure:
                code = .shipFailed
            case .success(let s):
                if s.load.map({ $0.status != 0 }) == true || s.then.map({ $0.status != 0 }) == true, code == .success {
                    code = .remoteCommandFailed
                }
            }
        }
        let report = ShipReport(
            archive: path, plan: planned.plan, verified: checksPassed != nil, checksPassed: checksPassed,
            verdictRecordedBy: planned.recorded?.recordedBy, readSeconds: planned.seconds,
            destinations: destinations, results: results, verdicts: destinations.indices.map { judge.verdict($0) },
            targetChecked: request.targetCheck)
        io.out(request.json ? report.json() : report.text())
        for r in results {
            switch r {
            case .failure(let e):
                io.err("Error: \(e)\n")
            case .success(let s):
                if let l = s.load, l.status != 0 {
                    io.err(
                        "Error: \(s.destination): `\(l.command)` \(ShipReport.failure(l)); \(s.remotePath) arrived and is checked, --then was not run\n"
                    )
                } else if let t = s.then, t.status != 0 {
                    io.err("Error: \(s.destination): `\(t.command)` \(ShipReport.failure(t)); \(s.remotePath) arrived and is checked\n")
                }
            }
        }
        return code.rawValue
    }

    /// Where the target verdicts go, from the shipping threads: stdout, one write each, the
    /// progress line cleared first.
    static func verdictWriter(_ display: ShipProgressLine) -> @Sendable (String) -> Void {
        { text in
            display.clear()
            Terminal.writeOutput(text)
        }
    }

    /// The pass over the file: its chunks, and either the archive as read and verified or the
    /// verdict recorded for its bytes.
    struct Planned {
        var plan: ChunkPlan
        var archive: ImageArchive?
        /// The verdict recorded for these bytes (``ImageVerify/VerdictCache``), used instead of
        /// reading the archive.
        var recorded: VerdictRecord?
        /// The file's status, the same before the pass and after it (`nil` if it changed).
        var identity: FileStatus?
        /// How long the pass took.
        var seconds: Double = 0
    }

    /// Reads the file once: hashes it and cuts it into chunks, and, unless a verdict is recorded
    /// for a file of its identity, its SHA-256 and these checks, reads the archive and verifies it
    /// on the way. A recorded verdict counts only if the SHA-256 of the bytes read is the one it
    /// was recorded for; if not, the file is read again, verifying.
    static func plan(_ path: String, request: ShipRequest, verdicts: VerdictCache?, io: Output) -> Result<
        Planned, ImageSelection.Failure
    > {
        let started = Date()
        let before = FileStatus.of(path)
        var hint: VerdictRecord?
        if request.verifyFirst, let verdicts, let before, let digest = verdicts.recordedDigest(of: before) {
            hint = verdicts.lookup(digest, options: request.checks.verdictKey)
        }
        var result = pass(path, verify: request.verifyFirst && hint == nil, parameters: request.chunking, io: io)
        if case .success(let p) = result, let hint {
            if p.plan.digest == hint.archive && p.plan.size == hint.size {
                result = .success(Planned(plan: p.plan, archive: nil, recorded: hint))
            } else {
                io.err("ship: \(path) is not the file its verdict was recorded for; checking it again\n")
                result = pass(path, verify: true, parameters: request.chunking, io: io)
            }
        }
        guard case .success(var planned) = result else { return result }
        planned.identity = FileStatus.of(path).flatMap { $0 == before ? $0 : nil }
        planned.seconds = Date().timeIntervalSince(started)
        return .success(planned)
    }

    /// Reads the file once: the archive reader (unless `verify` is false) and the chunk planner
    /// see the same bytes.
    static func pass(_ path: String, verify: Bool, parameters: ChunkPlanner.Parameters, io: Output) -> Result<
        Planned, ImageSelection.Failure
    > {
        let show = io.errIsTerminal
        let planner = ChunkPlanner(parameters: parameters)
        do {
            let file = try FileSource(path: path)
            defer { file.close() }
            guard file.isSeekableRegularFile else {
                CLI.error("not a regular file; ship sends a file it can read twice", input: path, io: io)
                return .failure(.init(code: ExitCode.io.rawValue))
            }
            var archive: ImageArchive?
            if verify {
                // The reader shows the planner every byte of the file, in order, on the one
                // thread that reads it, so chunking costs no pass of its own.
                var options = ReadOptions.verify
                options.progress = Terminal.progress(label: "verifying", total: file.size, enabled: show)
                let input = ArchiveInput.file(file, reading: Terminal.wholeReading).tapped { planner.feed($0) }
                archive = try ImageArchive.read(input, options: options)
            } else {
                // Two threads, two reads of the file (the second mostly from the page cache): this
                // one cuts it into chunks and hashes each, the other hashes the whole file. A file
                // changed between the reads gives a digest that is not its chunks': the remote's
                // check of the assembled file then refuses to publish it.
                let whole = FileDigestTask(path: path)
                let chunker = ChunkPlanner(parameters: parameters, hashesFile: false)
                let progress = Terminal.progress(label: "hashing", total: file.size, enabled: show)
                var done: Int64 = 0
                try file.forEachRead(bufferSize: 1 << 20) {
                    chunker.feed($0)
                    done += Int64($0.count)
                    if done & ((64 << 20) - 1) < Int64($0.count) { progress?(done) }
                }
                let hashed = try whole.wait()
                Terminal.clearProgress(enabled: show)
                guard hashed.size == done else { throw ShipError.archiveChanged(path: path, offset: min(hashed.size, done)) }
                return .success(Planned(plan: chunker.finish(fileDigest: Digest(sha256Bytes: hashed.digest.bytes)), archive: nil))
            }
            Terminal.clearProgress(enabled: show)
            return .success(Planned(plan: planner.finish(), archive: archive))
        } catch {
            Terminal.clearProgress(enabled: show)
            return .failure(.init(code: CLI.fail(error, io: io)))
        }
    }

    /// A connection opening on a thread of its own while the file is read.
    final class PendingConnection: Sendable {
        private let done = DispatchGroup()
        private let result = Mutex<Result<ShipConnection, ShipError>?>(nil)

        init(_ open: @escaping @Sendable () throws(ShipError) -> ShipConnection) {
            done.enter()
            DispatchQueue.global().async { [self] in
                let r = Result { () throws(ShipError) in try open() }
                result.withLock { $0 = r }
                done.leave()
            }
        }

        /// The connection, or why it could not be opened, once it is done.
        func wait() -> Result<ShipConnection, ShipError> {
            done.wait()
            return result.withLock { $0 } ?? .failure(.transfer(host: "", detail: "not connected"))
        }

        /// Closes the connection when it opens: it will not be shipped over.
        func discard() {
            if case .success(let c) = wait() { c.close() }
        }
    }

    /// Set once, from any thread: whether a byte was sent.
    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
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
