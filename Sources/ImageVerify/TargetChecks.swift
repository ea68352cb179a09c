import Codec
import Foundation
import ImageArchive
import OCI

/// The checks of an archive against the machine it is shipped to (``DeployTarget``): whether its
/// image runs on that CPU, whether that engine's load reads it as it will arrive, and whether what
/// `--load` and `--then` will run is there. Each is a ``CheckResult`` (`target-…`) with a fix.
///
/// `imgtool ship` runs them for every destination once it has asked the remote what it is, and
/// stops that destination before a byte of the archive is sent when one fails; `imgtool verify
/// --target` runs them against a ``DeployTarget/preset(_:platform:)``.
public enum TargetChecks {
    /// What will be done on the target.
    public struct Use: Sendable {
        /// `--load`: the archive is handed to the engine's `load`.
        public var load: Bool
        /// `--then`: the command run at the end, if any.
        public var then: ShellCommandLine?
        /// `--allow-emulation`: an image for another CPU passes when the target emulates it.
        public var allowEmulation: Bool
        /// The archive's size, for the free space check (when the target's is known).
        public var archiveBytes: Int64?

        /// Creates a use.
        public init(load: Bool, then: ShellCommandLine? = nil, allowEmulation: Bool = false, archiveBytes: Int64? = nil) {
            self.load = load
            self.then = then
            self.allowEmulation = allowEmulation
            self.archiveBytes = archiveBytes
        }
    }

    /// Runs every target check that applies.
    /// - Parameters:
    ///   - archive: The archive as read; `nil` when it was not (`ship --no-verify`): the load
    ///     checks are then left out.
    ///   - images: The images that will run there: the one `--platform` or `--image` chose, else
    ///     every image of the archive.
    ///   - target: The machine.
    ///   - use: What ship will do there.
    /// - Returns: The checks, in order: platform, engine, load (compression, layout, layers),
    ///   compose, commands, disk.
    public static func run(archive: ImageArchive?, images: [ArchiveImage], target: DeployTarget, use: Use) -> [CheckResult] {
        run(facts: archive.map { ArchiveFacts(archive: $0, images: images) }, target: target, use: use)
    }

    /// Runs every target check that applies, on what is known of the archive.
    /// - Parameters:
    ///   - facts: The archive's facts, for the images that will run there; `nil` when it was
    ///     not read (`ship --no-verify`): the platform check is then skipped and the load
    ///     checks are left out.
    ///   - target: The machine.
    ///   - use: What ship will do there.
    /// - Returns: The checks, in order: platform, engine, load (compression, layout, layers),
    ///   compose, commands, disk.
    public static func run(facts: ArchiveFacts?, target: DeployTarget, use: Use) -> [CheckResult] {
        var out = [platform(facts?.images ?? [], target: target, allowEmulation: use.allowEmulation)]
        // `sudo docker …` reaches the daemon as root: the ssh user's own access says nothing.
        let thenUsesEngine =
            use.then.map { ($0.commands.contains("docker") || $0.commands.contains("podman")) && !$0.engineOnlyUnderSudo } ?? false
        if use.load || thenUsesEngine { out.append(engine(target, load: use.load, then: use.then)) }
        if use.load, let facts { out += load(facts, target: target) }
        if let then = use.then {
            if then.usesComposePlugin { out.append(compose(target)) }
            if let c = commands(then, target: target) { out.append(c) }
        }
        if let d = disk(target, archiveBytes: use.archiveBytes) { out.append(d) }
        return out
    }

    // MARK: platform

    /// How an image of one platform runs on a machine of another.
    enum Fit: Equatable {
        case native
        /// Natively, with a caveat (32-bit code on a 64-bit CPU).
        case compatible(String)
        /// Through a binfmt_misc emulator.
        case emulated
        case no
    }

    static func fit(_ image: Platform, on host: Platform, emulated: Set<String>) -> Fit {
        guard image.os == host.os else { return .no }
        if image.architecture == host.architecture {
            // arm/v7 on an arm/v6 machine needs instructions the CPU lacks.
            if image.architecture == "arm", let iv = image.variant, let hv = host.variant, iv > hv { return .no }
            return .native
        }
        switch (image.architecture, host.architecture) {
        // x86-64 kernels run i386 binaries (IA32 emulation, on in every distribution kernel).
        case ("386", "amd64"): return .compatible("32-bit x86 code, which x86-64 kernels run")
        // AArch32 is optional in ARMv8: Graviton 2 and later, Ampere Altra and Apple silicon lack it.
        case ("arm", "arm64"):
            return .compatible(
                "32-bit ARM code, which runs only on arm64 CPUs with AArch32 (not Graviton 2 or later, Ampere Altra, or Apple silicon)")
        default: break
        }
        return emulated.contains(image.architecture) ? .emulated : .no
    }

    static func platform(_ images: [ArchiveFacts.Image], target: DeployTarget, allowEmulation: Bool) -> CheckResult {
        let id = "target-platform"
        let platforms = images.map(\.platform).filter { !$0.isUnknown }
        let found = Array(Set(platforms.map(\.description))).sorted().joined(separator: ", ")
        guard let host = target.platform else {
            return CheckResult(
                id: id, status: .skipped, expected: "the target's platform", found: found.isEmpty ? "no image" : found,
                message: "\(target.name): its platform is not known (give --arch or --platform with --target)")
        }
        let hostText = host.description + (target.machine.map { " (\($0))" } ?? "")
        guard !platforms.isEmpty else {
            return CheckResult(id: id, status: .skipped, expected: host.description, found: "no image", message: "no image to check")
        }
        // Images of one name with several platforms (a multi-platform archive): the engine
        // picks the one of its host, so the best fit of each name counts.
        let named = Dictionary(grouping: images.filter { !$0.platform.isUnknown }, by: { $0.tags.first ?? "" })
        let rank: (Fit) -> Int = {
            switch $0 {
            case .native: 0
            case .compatible: 1
            case .emulated: 2
            case .no: 3
            }
        }
        let chosen: [(Platform, Fit)] = named.keys.sorted().compactMap { key in
            named[key]?.map { ($0.platform, fit($0.platform, on: host, emulated: target.emulated)) }
                .min { rank($0.1) < rank($1.1) }
        }
        let multiPlatform = named.values.contains { Set($0.map(\.platform.description)).count > 1 }
        let fix = "rebuild it for the server: docker buildx build --platform \(host.os)/\(host.architecture) -t IMAGE ."
        if let bad = chosen.first(where: { $0.1 == .no }) {
            return CheckResult(
                id: id, status: .failed, expected: hostText, found: found,
                message:
                    "\(target.name) is \(hostText); the image is \(bad.0), which cannot run there (`exec format error`)"
                    + (target.emulated.isEmpty ? "" : "; the server emulates \(target.emulated.sorted().joined(separator: ", ")) only"),
                fix: fix)
        }
        if let e = chosen.first(where: { $0.1 == .emulated }) {
            let text =
                "\(target.name) is \(hostText); the image is \(e.0), which runs there only under emulation (binfmt_misc, qemu), many times slower"
            return allowEmulation
                ? CheckResult(id: id, status: .warning, expected: hostText, found: found, message: text + " (allowed by --allow-emulation)")
                : CheckResult(
                    id: id, status: .failed, expected: hostText, found: found, message: text,
                    fix: fix + ", or pass --allow-emulation to run it emulated")
        }
        if let c = chosen.first(where: { if case .compatible = $0.1 { true } else { false } }), case .compatible(let why) = c.1 {
            return CheckResult(
                id: id, status: .warning, expected: hostText, found: found,
                message: "\(target.name) is \(hostText); the image is \(c.0): \(why)")
        }
        let picked = multiPlatform ? chosen.first.map { " (the engine picks \($0.0) of \(platforms.count) platforms)" } ?? "" : ""
        return CheckResult(
            id: id, status: .passed, expected: hostText, found: found,
            message: "\(target.name) is \(hostText); the image runs there\(picked)")
    }

    // MARK: engine, compose, commands, disk

    static func engine(_ target: DeployTarget, load: Bool, then: ShellCommandLine?) -> CheckResult {
        let id = "target-engine"
        let why = load ? "--load" : "--then"
        guard let e = target.engine else {
            return CheckResult(
                id: id, status: .failed, expected: "docker or podman", found: "neither on the PATH",
                message: "\(target.name) has no docker or podman command, which \(why) runs",
                fix: "install Docker Engine on the server (Debian: apt-get install docker.io), or ship without --load")
        }
        if let error = e.daemonError, e.kind == .podman {
            return CheckResult(
                id: id, status: .failed, expected: "podman that works", found: error,
                message: "\(target.name): podman is installed but does not work: \(error)",
                fix: "run `podman info` on the server and fix what it says")
        }
        if let error = e.daemonError {
            let denied = error.localizedCaseInsensitiveContains("permission denied")
            return CheckResult(
                id: id, status: .failed, expected: "a \(e.kind.rawValue) daemon that answers", found: error,
                message: "\(target.name): \(e.kind.rawValue) is installed but its daemon does not answer: \(error)",
                fix: denied
                    ? "give the ssh user access to the daemon: sudo usermod -aG docker USER (then log in again), or ship as root"
                    : "start the daemon on the server: sudo systemctl start \(e.kind.rawValue)")
        }
        return CheckResult(
            id: id, status: .passed, expected: "docker or podman with a daemon", found: e.summary,
            message: "\(target.name) runs \(e.summary)")
    }

    static func compose(_ target: DeployTarget) -> CheckResult {
        let id = "target-compose"
        switch target.composePlugin {
        case true?:
            return CheckResult(
                id: id, status: .passed, expected: "docker compose", found: "the plugin", message: "`docker compose` works there")
        case false?:
            return CheckResult(
                id: id, status: .failed, expected: "docker compose (the plugin)", found: "not installed",
                message:
                    "\(target.name) has no `docker compose` plugin, which --then runs (Debian 12's docker.io has none: `docker compose up -d` fails there with exit 125)",
                fix:
                    "install the compose plugin on the server (docker-compose-plugin from Docker's apt repository), or use `docker-compose` (Debian: apt-get install docker-compose) in --then"
            )
        case nil:
            return CheckResult(
                id: id, status: .skipped, expected: "docker compose", found: "unknown",
                message: "\(target.name): whether `docker compose` works is not known offline")
        }
    }

    static func commands(_ then: ShellCommandLine, target: DeployTarget) -> CheckResult? {
        guard !target.commands.isEmpty else { return nil }
        let missing = then.commands.filter { target.commands[$0] == false }
        let id = "target-commands"
        if missing.isEmpty {
            return CheckResult(
                id: id, status: .passed, expected: then.commands.joined(separator: ", "), found: "all on the PATH",
                message: "every command --then starts is there (\(then.commands.joined(separator: ", ")))")
        }
        return CheckResult(
            id: id, status: .failed, expected: then.commands.joined(separator: ", "), found: "missing: " + missing.joined(separator: ", "),
            message: "\(target.name) has no \(missing.map { "`\($0)`" }.joined(separator: ", ")) on the PATH, which --then runs",
            fix: "install \(missing.joined(separator: ", ")) on the server, or change --then")
    }

    static func disk(_ target: DeployTarget, archiveBytes: Int64?) -> CheckResult? {
        let id = "target-disk"
        if let problem = target.directoryProblem {
            return CheckResult(
                id: id, status: .failed, expected: "a directory ship can write", found: problem,
                message: "\(target.name): the destination \(problem)", fix: "ship into a directory the ssh user can create and write")
        }
        guard let free = target.freeBytes, let need = archiveBytes else { return nil }
        let text = "\(megabytes(free)) free, the archive is \(megabytes(need))"
        // A file of the archive's size there already: most likely this very archive, which a
        // re-run finds published and does not send (the exact check follows the chunk probe).
        if free < need, target.existingBytes == need {
            return CheckResult(
                id: id, status: .warning, expected: "at least \(megabytes(need)) free", found: megabytes(free) + " free",
                message: text + "; a file of that size is there under the archive's name, so nothing may need sending")
        }
        if free < need {
            return CheckResult(
                id: id, status: .failed, expected: "at least \(megabytes(need)) free", found: megabytes(free) + " free",
                message: "\(target.name): not enough space for the archive: \(text)",
                fix: "free space on the server (docker image prune, old archives)")
        }
        return CheckResult(id: id, status: .passed, expected: "at least \(megabytes(need)) free", found: megabytes(free), message: text)
    }

    static func megabytes(_ n: Int64) -> String {
        let tenths = (n + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10) MB"
    }
}
