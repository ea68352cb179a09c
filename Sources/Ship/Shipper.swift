import ByteIO
import Foundation
import OCI

/// How a ship behaves, beyond where it goes.
public struct ShipOptions: Sendable {
    /// The ssh client.
    public var client: SSHClient
    /// How many archives published at a destination are remembered there (their chunk
    /// indexes), so that a later ship cuts the chunks it shares with them out of those files
    /// instead of sending them. 0 leaves nothing in `.imgtool` after success.
    public var keep: Int
    /// Run `docker load` on the remote after the archive is published.
    public var load: Bool
    /// A command to run on the remote, in the destination directory, at the end.
    public var then: String?
    /// How many probe–send–publish rounds to try before giving up (chunks removed by a concurrent
    /// ship, or damaged on the remote, are sent again in the next round).
    public var rounds: Int
    /// Whether to ask the remote what it is (``RemoteTarget``) before sending, and hand that to
    /// ``ShipEvents/target`` to judge (not with `--no-target-check`).
    public var probeTarget: Bool
    /// The commands `--then` starts, looked up on the remote's PATH by the target probe.
    public var thenCommands: [String]
    /// Seconds without a byte taken by the connection after which the transfer is reported as
    /// stalled (``ShipEvents/stalled``); it goes on (ssh's keep-alives end a dead link).
    public var stallSeconds: Double

    /// Creates options.
    public init(
        client: SSHClient, keep: Int = 1, load: Bool = false, then: String? = nil, rounds: Int = 3, probeTarget: Bool = true,
        thenCommands: [String] = [], stallSeconds: Double = 30
    ) {
        self.client = client
        self.keep = keep
        self.load = load
        self.then = then
        self.rounds = rounds
        self.probeTarget = probeTarget
        self.thenCommands = thenCommands
        self.stallSeconds = stallSeconds
    }
}

/// Progress of one ship, reported while chunks go out.
public struct ShipProgress: Sendable {
    /// Bytes of chunks written to the connection so far.
    public var bytesSent: Int64
    /// Bytes the remote already held.
    public var bytesSkipped: Int64
    /// Bytes still to send in this round (an estimate for the ETA).
    public var bytesToSend: Int64
    /// Chunks the remote already held.
    public var chunksSkipped: Int
}

/// Ships one archive file to destinations over ssh: chunk by chunk, each checked on arrival,
/// resuming with what the remote already holds, and publishing the file under its name only once
/// the whole of it is checked.
public struct Shipper: Sendable {
    /// The archive file.
    public var path: String
    /// Its name on the remote.
    public var name: String
    /// Its chunks and digest.
    public var plan: ChunkPlan
    /// How to ship.
    public var options: ShipOptions

    /// Creates a shipper for the archive at `path`, cut as `plan` says.
    public init(path: String, plan: ChunkPlan, options: ShipOptions, name: String? = nil) {
        self.path = path
        self.plan = plan
        self.options = options
        self.name = name ?? URL(fileURLWithPath: path).lastPathComponent
    }

    /// Ships to `destination`: ``connect(to:options:name:)``, then ``ship(over:events:)``.
    ///
    /// - Parameters:
    ///   - destination: Where to.
    ///   - events: The target judge, progress, the remote commands' output, stalls.
    /// - Returns: What was sent and skipped, the target, and the results of `--load` and `--then`.
    /// - Throws: ``ShipError``, naming the host and what to do.
    public func ship(to destination: Destination, events: ShipEvents = ShipEvents()) throws(ShipError) -> ShipResult {
        try ship(over: try Self.connect(to: destination, options: options, name: name), events: events)
    }

    /// Ships over an open connection, which it closes: judges the server (``ShipEvents/target``)
    /// before anything is sent, then probes, sends, assembles and publishes.
    ///
    /// - Parameters:
    ///   - connection: From ``connect(to:options:name:)``, with this shipper's options and name.
    ///   - events: The target judge, progress, the remote commands' output, stalls.
    /// - Returns: What was sent and skipped, the target, and the results of `--load` and `--then`;
    ///   its `seconds` count the connection's and this ship's, not a wait between them.
    /// - Throws: ``ShipError``, naming the host and what to do.
    public func ship(over connection: ShipConnection, events: ShipEvents = ShipEvents()) throws(ShipError) -> ShipResult {
        let started = Date().addingTimeInterval(-connection.seconds)
        let session = connection.session
        defer { session.close() }
        let destination = connection.destination
        var result = ShipResult(destination: destination, name: name, plan: plan)
        var context = RemoteScript.Context(
            directory: destination.directory, name: name, digest: plan.digest.hex, size: plan.size, shipID: Self.randomID())
        if let target = connection.target {
            result.target = target
            if let failed = events.target(target) { throw .targetCheckFailed(host: destination.label, checks: failed) }
        }
        let distinct = plan.distinctChunks
        var published = false
        for round in 1...max(1, options.rounds) {
            // 1. What is there already?
            let probe = try session.run(RemoteScript.probe(context)) { sink in
                var text = ""
                for c in distinct { text += "\(c.digest.hex) \(c.length)\n" }
                try Self.write(text, to: sink)
            }
            var present = Set<String>()
            var free: Int64?
            for line in probe {
                let (word, rest) = Self.split(line)
                switch word {
                case "tool": context.tool = rest
                case "free": free = Int64(rest).map { $0 * 1024 }
                case "replaces": result.replaced = true
                case "published": published = true
                case "have": present.insert(rest)
                case "reused":
                    present.insert(rest)
                    if round == 1 { result.chunksReused += 1 }
                case "corrupt": result.chunksResent += 1
                case "error": throw remoteError(rest, destination: destination)
                default: break
                }
            }
            if published {
                result.alreadyPresent = round == 1
                break
            }
            let missing = distinct.filter { !present.contains($0.digest.hex) }
            if round == 1 {
                result.chunksSkipped = distinct.count - missing.count
                result.bytesSkipped = distinct.filter { present.contains($0.digest.hex) }.reduce(0) { $0 + Int64($1.length) }
            }
            let toSend = missing.reduce(Int64(0)) { $0 + Int64($1.length) }
            if let free, free < toSend + plan.size {
                throw .diskFull(
                    host: destination.label, path: destination.directory,
                    detail:
                        "needs \(Self.megabytes(toSend + plan.size)) for the chunks and the assembled archive, \(Self.megabytes(free)) free"
                )
            }
            // 2. Send what is missing; chunks that fail their check on arrival go again.
            var pending = missing
            var attempts = 0
            while !pending.isEmpty {
                attempts += 1
                let failed = try send(pending, session: session, context: context, result: &result, events: events)
                if failed.isEmpty { break }
                result.chunksResent += failed.count
                if attempts >= 3 {
                    throw .transfer(
                        host: destination.label,
                        detail:
                            "chunk \(failed[0].digest.short) at offset \(failed[0].offset) failed its SHA-256 check \(attempts) times on arrival"
                    )
                }
                pending = failed
            }
            // 3. Assemble, check, publish, clean up.
            let finish = try session.run(RemoteScript.finish(context, keep: options.keep)) { sink in
                try Self.write(plan.chunks.map { "\($0.digest.hex) \($0.offset) \($0.length)\n" }.joined(), to: sink)
            }
            for line in finish {
                let (word, rest) = Self.split(line)
                switch word {
                case "published": published = true
                case "corrupt": result.chunksResent += 1
                case "error": throw remoteError(rest, destination: destination)
                default: break
                }
            }
            if published { break }
        }
        guard published else {
            throw .transfer(
                host: destination.label,
                detail:
                    "the archive could not be assembled after \(options.rounds) rounds (chunks kept disappearing or failing their check)")
        }
        if options.load {
            let loaded = Shared<[String]>([])
            let loader = Shared(result.target?.loader?.kind ?? "docker")
            let (status, stderr) = try session.runCommand(RemoteScript.load(context)) { line in
                // The script's own first line: which engine it hands the archive to.
                if line.hasPrefix("imgtool-loader ") {
                    loader.withLock { $0 = String(line.dropFirst("imgtool-loader ".count)) }
                    return
                }
                for prefix in ["Loaded image: ", "Loaded image ID: "] where line.hasPrefix(prefix) {
                    loaded.withLock { $0.append(String(line.dropFirst(prefix.count))) }
                }
                events.remoteOutput(line)
            }
            for line in stderr.split(separator: "\n") { events.remoteOutput(String(line)) }
            result.loaded = loaded.value
            result.load = .init(command: "\(loader.value) load", status: status, message: Self.lastLine(stderr))
        }
        if let command = options.then, result.load.map({ $0.status == 0 }) ?? true {
            let (status, stderr) = try session.runCommand(RemoteScript.then(context, command: command), onLine: events.remoteOutput)
            for line in stderr.split(separator: "\n") { events.remoteOutput(String(line)) }
            result.then = .init(command: command, status: status, message: Self.lastLine(stderr))
        }
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    /// Streams `chunks` to the remote's receiver; returns the chunks that arrived damaged.
    private func send(
        _ chunks: [Chunk], session: SSHSession, context: RemoteScript.Context, result: inout ShipResult, events: ShipEvents
    ) throws(ShipError) -> [Chunk] {
        let file: FileSource
        do { file = try FileSource(path: path) } catch { throw .localIO(path: path, underlying: error) }
        defer { file.close() }
        let total = chunks.reduce(Int64(0)) { $0 + Int64($1.length) }
        let sent = Shared<Int64>(0)
        let base = result
        let watchdog = StallWatchdog(seconds: options.stallSeconds, report: events.stalled)
        defer { result.stalls += watchdog.stop() }
        let lines = try session.run(RemoteScript.receive(context)) { sink in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            var position: Int64 = 0
            for chunk in chunks.sorted(by: { $0.offset < $1.offset }) {
                if chunk.offset > position {
                    let skipped = try file.skip(chunk.offset - position)
                    position += skipped
                    if position != chunk.offset { throw ShipError.archiveChanged(path: path, offset: position) }
                }
                try Self.write("\(chunk.digest.hex) \(chunk.length)\n", to: sink)
                let hasher = SHA256()
                var left = chunk.length
                while left > 0 {
                    let want = min(left, buffer.count)
                    let n = try file.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
                    if n < want { throw ShipError.archiveChanged(path: path, offset: position + Int64(n)) }
                    let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                    hasher.update(bytes)
                    try sink.write(bytes)
                    left -= n
                    position += Int64(n)
                    let done = sent.withLock { s in
                        s += Int64(n)
                        return s
                    }
                    watchdog.moved()
                    events.progress(
                        ShipProgress(
                            bytesSent: base.bytesSent + done, bytesSkipped: base.bytesSkipped, bytesToSend: total,
                            chunksSkipped: base.chunksSkipped))
                }
                if Digest(hasher.finalize()) != chunk.digest { throw ShipError.archiveChanged(path: path, offset: chunk.offset) }
            }
        }
        var ok = Set<String>()
        var bad = Set<String>()
        for line in lines {
            let (word, rest) = Self.split(line)
            switch word {
            case "ok": ok.insert(rest)
            case "bad": bad.insert(rest)
            case "error": throw remoteError(rest, destination: session.destination)
            default: break
            }
        }
        let arrived = chunks.filter { ok.contains($0.digest.hex) }
        result.chunksSent += arrived.count
        result.bytesSent += arrived.reduce(0) { $0 + Int64($1.length) }
        let failed = chunks.filter { !ok.contains($0.digest.hex) }
        if !failed.isEmpty && bad.isEmpty {
            throw .transfer(host: session.destination.label, detail: "the remote stopped after \(ok.count) of \(chunks.count) chunks")
        }
        return failed
    }

    /// An `error <kind> <detail>` reply as the error that says what to do.
    private func remoteError(_ text: String, destination: Destination) -> ShipError {
        let (kind, detail) = Self.split(text)
        let host = destination.label
        let dir = destination.directory
        switch kind {
        case "nosha": return .noSHA256Tool(host: host)
        case "notdir": return .notADirectory(host: host, path: dir)
        case "mkdir" where !detail.localizedCaseInsensitiveContains("No space left"):
            let d = detail.trimmingCharacters(in: .whitespaces)
            if d.localizedCaseInsensitiveContains("Permission denied") || d.localizedCaseInsensitiveContains("Read-only") {
                return .permissionDenied(host: host, path: dir, detail: d)
            }
            if d.localizedCaseInsensitiveContains("Not a directory") { return .notADirectory(host: host, path: dir) }
            return .cannotCreateDirectory(host: host, path: dir, detail: d.isEmpty ? "mkdir failed" : d)
        default:
            let d = detail.trimmingCharacters(in: .whitespaces)
            if d.localizedCaseInsensitiveContains("No space left") || d.localizedCaseInsensitiveContains("quota") {
                return .diskFull(host: host, path: dir, detail: d)
            }
            if d.localizedCaseInsensitiveContains("Permission denied") || d.localizedCaseInsensitiveContains("Read-only") {
                return .permissionDenied(host: host, path: dir, detail: d)
            }
            if d.localizedCaseInsensitiveContains("Not a directory") {
                return .notADirectory(host: host, path: dir)
            }
            return .transfer(host: host, detail: d.isEmpty ? "the remote reported an error" : d)
        }
    }

    /// The last non-empty line of a command's stderr: its own message, for the report.
    private static func lastLine(_ text: String) -> String? {
        text.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) }.map {
            String($0).trimmingCharacters(in: .whitespaces)
        }
    }

    private static func split(_ line: String) -> (String, String) {
        guard let space = line.firstIndex(of: " ") else { return (line, "") }
        return (String(line[..<space]), String(line[line.index(after: space)...]))
    }

    private static func write(_ text: String, to sink: FileSink) throws {
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBytes { try sink.write(UnsafeRawBufferPointer($0)) }
    }

    private static func megabytes(_ n: Int64) -> String {
        let tenths = (n + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10) MB"
    }

    static func randomID() -> String {
        String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12))
    }
}
