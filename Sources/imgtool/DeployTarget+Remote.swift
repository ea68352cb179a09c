import ImageVerify
import OCI
import Ship

extension DeployTarget {
    /// The target checks' view of what a remote said it is (``Ship/RemoteTarget``).
    /// - Parameters:
    ///   - remote: The probe's facts.
    ///   - name: The destination, for messages.
    init(remote: RemoteTarget, name: String) {
        var engine: Engine?
        if let (kind, e) = remote.loader {
            engine = Engine(
                kind: kind == "podman" ? .podman : .docker, version: e.serverVersion.flatMap(EngineVersion.init(parsing:)),
                containerdStore: e.containerdStore,
                daemonError: e.serverVersion == nil ? (e.daemonError ?? "the daemon did not answer") : nil)
        }
        let problem: String? =
            switch remote.directory {
            case .writable, .creatable: nil
            case .notADirectory: "exists and is not a directory"
            case .notWritable:
                remote.unwritablePath.map { $0.hasPrefix("/") ? "cannot be written: \($0) is not writable by the ssh user" : "is on \($0)" }
                    ?? "cannot be written by the ssh user"
            }
        self.init(
            name: name, platform: remote.platform, machine: remote.machine, engine: engine,
            composePlugin: remote.docker == nil ? nil : remote.compose.plugin != nil, tools: Set(remote.tools),
            emulated: Set(remote.emulated), commands: remote.commands, freeBytes: remote.freeBytes, directoryProblem: problem)
        existingBytes = remote.existingBytes
    }

    /// `linux/amd64 (x86_64), Docker 20.10.24+dfsg1 (classic image store), no docker compose`.
    var summary: String {
        var parts: [String] = []
        parts.append(platform.map { "\($0)" + (machine.map { " (\($0))" } ?? "") } ?? "platform unknown")
        if let e = engine {
            parts.append(e.daemonError == nil ? e.summary : "\(e.kind.rawValue) (daemon not answering)")
        } else {
            parts.append("no docker or podman")
        }
        if let c = composePlugin { parts.append(c ? "docker compose" : "no docker compose") }
        return parts.joined(separator: ", ")
    }
}
