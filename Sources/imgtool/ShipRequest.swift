import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Ship

/// What `imgtool ship` is asked to do, from its command line: the checks to run first, the
/// archive, the destinations, and how to ship.
struct ShipRequest {
    /// The checks of `verify` (the same options).
    var checks: VerifyRequest
    /// Whether the checks run before anything is sent (not with `--no-verify`).
    var verifyFirst: Bool
    /// The archive file.
    var path: String
    /// Where it goes, in the order given.
    var destinations: [Destination]
    /// Chunk sizes (`--chunk-size`).
    var chunking: ChunkPlanner.Parameters
    /// ssh, `--keep`, `--load`, `--then`.
    var options: ShipOptions
    /// `--json`.
    var json: Bool
    /// Whether each destination is probed and checked before sending (not with `--no-target-check`).
    var targetCheck: Bool
    /// `--allow-emulation`.
    var allowEmulation: Bool
    /// Whether a verdict recorded for the file's bytes is used, and this ship's recorded (not with
    /// `--no-cache`).
    var usesVerdictCache: Bool

    /// Reads `parsed` (see ``ShipCommand/spec``).
    ///
    /// - Throws: A ``UsageError`` (exit 64): a bad value, stdin as the archive, a destination that
    ///   is not `[user@]host[:port]:/absolute/dir`, or `--no-verify` with an option of the checks.
    init(_ parsed: ParsedArguments, spec: CommandSpec) throws(UsageError) {
        checks = try VerifyRequest(parsed, spec: spec)
        verifyFirst = !parsed.flag("no-verify")
        if !verifyFirst {
            let given = ["arch", "platform", "require", "strict-elf", "prisma", "no-prisma", "policy", "image"]
                .filter { parsed.flag($0) || parsed.value($0) != nil }
            if let first = given.first {
                throw UsageError(.custom("--no-verify skips the checks, so --\(first) would be ignored; drop one of them"), spec: spec)
            }
        }
        path = parsed.positionals[0]
        if path == "-" {
            throw UsageError(.custom("ship reads the archive twice (to verify and to send): give a file, not stdin"), spec: spec)
        }
        destinations = []
        for text in parsed.positionals.dropFirst() {
            do { destinations.append(try Destination(parsing: text)) } catch { throw UsageError(.custom("\(error)"), spec: spec) }
        }
        if destinations.isEmpty { throw UsageError(.missingArgument("destination"), spec: spec) }
        var keep = 1
        if let k = parsed.value("keep") {
            guard let n = Int(k), n >= 0 else {
                throw UsageError(.invalidValue(value: k, label: "--keep <n>", help: "a count, 0 or more"), spec: spec)
            }
            keep = n
        }
        chunking = .standard
        if let s = parsed.value("chunk-size") {
            guard let n = Self.size(s), n >= 64 << 10, n <= 1 << 30 else {
                throw UsageError(.invalidValue(value: s, label: "--chunk-size <size>", help: "64K to 1G, e.g. 4M"), spec: spec)
            }
            chunking = ChunkPlanner.Parameters(average: n)
        }
        var stall = 30.0
        if let t = parsed.value("stall-timeout") {
            guard let n = Double(t), n >= 0, n <= 86_400 else {
                throw UsageError(
                    .invalidValue(value: t, label: "--stall-timeout <seconds>", help: "seconds, 0 to 86400 (0: never)"), spec: spec)
            }
            stall = n
        }
        usesVerdictCache = !parsed.flag("no-cache")
        targetCheck = !parsed.flag("no-target-check")
        allowEmulation = parsed.flag("allow-emulation")
        if !targetCheck && allowEmulation {
            throw UsageError(
                .custom("--no-target-check skips the target check, so --allow-emulation would be ignored; drop one of them"), spec: spec)
        }
        let ssh = parsed.value("ssh") ?? ProcessInfo.processInfo.environment["IMGTOOL_SSH"] ?? "ssh"
        let words = SSHClient.split(ssh)
        if words.isEmpty { throw UsageError(.invalidValue(value: ssh, label: "--ssh <command>", help: "an ssh command"), spec: spec) }
        let client = SSHClient(command: words, batchMode: !Terminal.isTerminal(0))
        let then = parsed.value("then")
        if let then, then.allSatisfy(\.isWhitespace) {
            throw UsageError(.invalidValue(value: then, label: "--then <command>", help: "a shell command"), spec: spec)
        }
        options = ShipOptions(
            client: client, keep: keep, load: parsed.flag("load"), then: then, probeTarget: targetCheck,
            thenCommands: then.map { ShellCommandLine($0).commands } ?? [], stallSeconds: stall)
        json = parsed.flag("json")
    }

    /// `4M`, `512K`, `1G` or a byte count.
    static func size(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "k": 1 << 10, "M": 1 << 20, "m": 1 << 20, "G": 1 << 30, "g": 1 << 30]
        if let last = text.last, let unit = units[last] { return Int(text.dropLast()).map { $0 * unit } }
        return Int(text)
    }
}
