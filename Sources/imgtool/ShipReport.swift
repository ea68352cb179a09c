import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Ship

/// What `imgtool ship` prints on stdout when it is done: a line or two per destination, or the
/// JSON summary (`--json`).
struct ShipReport {
    var archive: String
    var plan: ChunkPlan
    /// Whether the checks ran (not with `--no-verify`).
    var verified: Bool
    /// How many checks passed, when they ran.
    var checksPassed: Int?
    /// The command that recorded the verdict used instead of running the checks (`pack`), if one was.
    var verdictRecordedBy: String?
    /// How long the pass over the file took (hashing, chunking and, unless a recorded verdict
    /// served, the checks).
    var readSeconds: Double
    var destinations: [Destination]
    /// One per destination, in the same order.
    var results: [Result<ShipResult, ShipError>]
    /// The target and its checks, per destination, when the probe ran.
    var verdicts: [ShipTargetJudge.Verdict?]
    /// Whether the target checks ran (not with `--no-target-check`).
    var targetChecked: Bool

    /// The text report: each destination that succeeded (the checks' verdicts, and a skipped
    /// target check, were printed before the transfer; failures go to stderr as errors).
    func text() -> String {
        var out = ""
        for r in results {
            if case .success(let s) = r { out += Self.render(s) }
        }
        if let by = verdictRecordedBy {
            out +=
                "verify: the verdict `imgtool \(by)` recorded for this file's SHA-256 and these checks: the archive was hashed, not read again (--no-cache checks again)\n"
        }
        return out
    }

    /// The JSON summary (schema version 1).
    func json() -> String {
        let doc = JSONSummary(
            archive: archive, size: plan.size, sha256: plan.digest.description,
            chunks: plan.distinctChunks.count, verified: verified, checksPassed: checksPassed,
            verdictRecordedBy: verdictRecordedBy, readSeconds: (readSeconds * 1000).rounded() / 1000, targetChecked: targetChecked,
            destinations: zip(destinations.indices, results).map { i, r in
                let v = verdicts[i]
                switch r {
                case .success(let s):
                    return JSONSummary.Destination(
                        result: s, error: nil, destination: destinations[i].description, target: v?.target,
                        targetChecks: v?.checks)
                case .failure(let e):
                    return JSONSummary.Destination(
                        result: nil, error: e.description, retriable: e.isRetriable, destination: destinations[i].description,
                        target: v?.target, targetChecks: v?.checks)
                }
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(doc)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// One destination's lines.
    static func render(_ s: ShipResult) -> String {
        var out = ""
        if s.alreadyPresent {
            out += "\(s.destination): \(s.remotePath) is already there (\(s.sha256), checked there): nothing sent\n"
        } else {
            let rate = s.seconds > 0 ? Int64(Double(s.bytesSent) / s.seconds) : 0
            out +=
                "\(s.destination): shipped \(s.remotePath)\(s.replaced ? " (replacing the file that was there)" : ""): \(Format.bytes(s.bytesSent)) sent in "
                + Format.plural(s.chunksSent, "chunk", "chunks")
            if s.chunksSkipped > 0 {
                out += ", \(Format.bytes(s.bytesSkipped)) in \(Format.plural(s.chunksSkipped, "chunk", "chunks")) already there"
                if s.chunksReused > 0 { out += " (\(Format.count(s.chunksReused)) from the archive shipped before)" }
            }
            if s.chunksResent > 0 { out += ", \(Format.plural(s.chunksResent, "damaged chunk", "damaged chunks")) sent again" }
            out += "; \(Format.decimal(s.seconds, places: 1)) s, \(Format.bytes(rate))/s\n"
            out += "  sha256: \(s.sha256) (checked on the remote; \(s.remotePath).sha256 written)\n"
        }
        if let loaded = s.loaded {
            out += "  loaded: \(loaded.isEmpty ? "(docker load named no image)" : loaded.joined(separator: ", "))\n"
        }
        if let l = s.load, l.status != 0 {
            out += "  load: `\(l.command)` \(failure(l)) (its output is above); the archive is there, --then not run\n"
        }
        if let t = s.then {
            out += "  then: `\(t.command)` " + (t.status == 0 ? "exited with status 0" : failure(t)) + "\n"
        }
        if s.stalls > 0 { out += "  stalled: \(Format.plural(s.stalls, "time", "times")) (no progress for the stall time)\n" }
        return out
    }

    /// `exited with status 1: Cannot connect to the Docker daemon…`; for 127, `was not found on
    /// the server (exit status 127)`.
    static func failure(_ c: ShipResult.CommandStatus) -> String {
        let said = c.message.map { ": \($0)" } ?? ""
        if c.status == 127 { return "was not found on the server (exit status 127)\(said)" }
        return "exited with status \(c.status)\(said)"
    }

    /// The `--json` document.
    struct JSONSummary: Encodable {
        var schemaVersion = 1
        var archive: String
        var size: Int64
        var sha256: String
        var chunks: Int
        var verified: Bool
        var checksPassed: Int?
        /// `pack` or `ship` when a recorded verdict served instead of the checks; absent when they ran.
        var verdictRecordedBy: String?
        var readSeconds: Double
        var targetChecked: Bool
        var destinations: [Destination]

        /// A destination: its ``ShipResult`` fields, `ok`, and `error` when it failed: the
        /// transfer, or, once the archive arrived, `docker load` or `--then` (exit 9), so that a
        /// CI job that checks `.ok` sees a failed load.
        struct Destination: Encodable {
            var result: ShipResult?
            var error: String?
            /// For a failure: whether the same command can resume (``Ship/ShipError/isRetriable``).
            var retriable: Bool?
            var destination: String
            var target: RemoteTarget?
            var targetChecks: [CheckResult]?

            func encode(to encoder: any Encoder) throws {
                if let result { try result.encode(to: encoder) }
                var c = encoder.container(keyedBy: Keys.self)
                if result == nil {
                    try c.encode(destination, forKey: .destination)
                    try c.encodeIfPresent(target, forKey: .target)
                }
                try c.encodeIfPresent(targetChecks, forKey: .targetChecks)
                let failure = error ?? result.flatMap(Self.remoteFailure)
                try c.encode(failure == nil, forKey: .ok)
                try c.encodeIfPresent(failure, forKey: .error)
                try c.encodeIfPresent(retriable, forKey: .retriable)
            }

            /// What failed on the remote after the archive arrived, as the error line says it.
            static func remoteFailure(_ r: ShipResult) -> String? {
                if let l = r.load, l.status != 0 { return "`\(l.command)` \(ShipReport.failure(l))" }
                if let t = r.then, t.status != 0 { return "`\(t.command)` \(ShipReport.failure(t))" }
                return nil
            }

            enum Keys: String, CodingKey { case destination, ok, error, retriable, target, targetChecks }
        }
    }
}
