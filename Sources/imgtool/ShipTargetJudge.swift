import ImageVerify
import OCI
import Ship
import Synchronization

/// Judges each destination of a ship once it has said what it is: runs the target checks
/// (``ImageVerify/TargetChecks``) against the archive, prints them (text mode) before anything is
/// sent there, and keeps them for the report.
final class ShipTargetJudge: Sendable {
    /// One destination's target and checks.
    struct Verdict: Sendable {
        var target: RemoteTarget
        var deploy: DeployTarget
        var checks: [CheckResult]
        var failed: [String] { checks.filter { $0.status == .failed }.map(\.id) }
    }

    private let verdicts: Mutex<[Int: Verdict]>
    private let facts: ArchiveFacts?
    private let use: TargetChecks.Use
    private let write: (@Sendable (String) -> Void)?

    /// - Parameters:
    ///   - facts: What is known of the archive and the images that will run (those
    ///     `--platform`/`--image` chose, else all), from the checks or a recorded verdict;
    ///     `nil` with `--no-verify`: only the checks that need no image run.
    ///   - use: What ship does there.
    ///   - write: Where each verdict goes as it comes (stdout, the progress line cleared first);
    ///     `nil` with `--json`.
    init(facts: ArchiveFacts?, use: TargetChecks.Use, write: (@Sendable (String) -> Void)?) {
        verdicts = Mutex([:])
        self.facts = facts
        self.use = use
        self.write = write
    }

    /// The checks for destination `index`; the failed ids, or `nil` to go on.
    func judge(_ index: Int, _ destination: Destination, _ remote: RemoteTarget) -> [String]? {
        let deploy = DeployTarget(remote: remote, name: destination.host)
        let checks = TargetChecks.run(facts: facts, target: deploy, use: use)
        let v = Verdict(target: remote, deploy: deploy, checks: checks)
        verdicts.withLock { $0[index] = v }
        write?(Self.render(destination, v))
        return v.failed.isEmpty ? nil : v.failed
    }

    /// The verdict of destination `index`, once judged.
    func verdict(_ index: Int) -> Verdict? { verdicts.withLock { $0[index] } }

    /// `DEST: target linux/amd64 (x86_64), Docker 20.10.24 (classic image store): 4 target checks passed`,
    /// then a row for every check that did not pass.
    static func render(_ destination: Destination, _ v: Verdict) -> String {
        let failed = v.checks.filter { $0.status == .failed }.count
        let skipped = v.checks.filter { $0.status == .skipped }.count
        let total = v.checks.count
        var out = "\(destination): target \(v.deploy.summary): "
        out +=
            failed > 0
            ? "\(failed) of \(Format.plural(total, "target check", "target checks")) failed, nothing sent"
            : "\(Format.plural(total - skipped, "target check", "target checks")) passed" + (skipped > 0 ? ", \(skipped) skipped" : "")
        out += "\n"
        for c in v.checks where c.status != .passed {
            var t = TextReport(labelWidth: 27)
            t.row("  " + c.status.word + "  " + c.id, c.message)
            if c.status == .failed {
                t.row("", "expected: \(c.expected)")
                t.row("", "found: \(c.found)")
                if let fix = c.fix { t.row("", "fix: \(fix)") }
            }
            out += t.text
        }
        return out
    }
}
