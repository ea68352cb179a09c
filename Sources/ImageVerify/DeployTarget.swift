import OCI

/// The machine an archive is shipped to, as the target checks see it: its platform, the engine
/// that will load the archive, and what `--then` will find there.
///
/// `imgtool ship` fills one in from the remote itself; `imgtool verify --target NAME` takes one
/// of the ``presets`` (what is unknown offline stays `nil`, and the checks that need it say so).
public struct DeployTarget: Sendable, Equatable {
    /// Which engine.
    public enum EngineKind: String, Sendable, Codable {
        /// Docker Engine (`docker load`).
        case docker
        /// podman (`podman load`).
        case podman
    }

    /// The engine `--load` hands the archive to.
    public struct Engine: Sendable, Equatable {
        /// Docker or podman.
        public var kind: EngineKind
        /// The daemon's version, when it answered (`20.10.24+dfsg1`).
        public var version: EngineVersion?
        /// Whether Docker keeps images in the containerd image store.
        public var containerdStore: Bool
        /// What the engine said when its daemon did not answer.
        public var daemonError: String?

        /// Creates an engine.
        public init(kind: EngineKind, version: EngineVersion?, containerdStore: Bool = false, daemonError: String? = nil) {
            self.kind = kind
            self.version = version
            self.containerdStore = containerdStore
            self.daemonError = daemonError
        }

        /// `Docker 20.10.24 (classic image store)`, `podman 4.3.1`.
        public var summary: String {
            let name = kind == .docker ? "Docker" : "podman"
            let v = version.map { " \($0)" } ?? ""
            guard kind == .docker else { return name + v }
            return name + v + (containerdStore ? " (containerd image store)" : " (classic image store)")
        }
    }

    /// A name for people: the host (`vps`), or the preset (`docker-20.10`).
    public var name: String
    /// The machine's platform, if known.
    public var platform: Platform?
    /// The machine's own name for its CPU (`uname -m`: `x86_64`), if known.
    public var machine: String?
    /// The engine `--load` uses; `nil` when the machine has none.
    public var engine: Engine?
    /// Whether `docker compose` (the plugin) works there; `nil` when unknown.
    public var composePlugin: Bool?
    /// Decompressors on the machine (`gzip`, `zstd`), for the archives the engine cannot read itself.
    public var tools: Set<String>
    /// Architectures the kernel runs through binfmt_misc emulators (`arm64`).
    public var emulated: Set<String>
    /// Whether each command `--then` starts is on the PATH; empty when unknown.
    public var commands: [String: Bool]
    /// Free bytes where the archive will land, if known.
    public var freeBytes: Int64?
    /// Why the destination directory cannot take the archive, if it cannot.
    public var directoryProblem: String?
    /// The size of the file already there under the archive's name, if any.
    public var existingBytes: Int64?

    /// Creates a target.
    public init(
        name: String, platform: Platform? = nil, machine: String? = nil, engine: Engine? = nil, composePlugin: Bool? = nil,
        tools: Set<String> = ["gzip"], emulated: Set<String> = [], commands: [String: Bool] = [:], freeBytes: Int64? = nil,
        directoryProblem: String? = nil
    ) {
        self.name = name
        self.platform = platform
        self.machine = machine
        self.engine = engine
        self.composePlugin = composePlugin
        self.tools = tools
        self.emulated = emulated
        self.commands = commands
        self.freeBytes = freeBytes
        self.directoryProblem = directoryProblem
    }

    /// The names `imgtool verify --target` takes.
    public static let presetNames = ["docker-20.10", "docker-23", "docker-25", "docker-25-containerd", "podman-4"]

    /// A known server, for the offline checks: the engine and its version; the platform is the
    /// one given (`--arch`/`--platform`), the tools only `gzip`, the rest unknown.
    /// - Parameters:
    ///   - name: One of ``presetNames``.
    ///   - platform: The server's platform, if the caller knows it.
    /// - Returns: The target, or `nil` for another name.
    public static func preset(_ name: String, platform: Platform? = nil) -> DeployTarget? {
        let engine: Engine
        switch name {
        case "docker-20.10": engine = Engine(kind: .docker, version: EngineVersion(major: 20, minor: 10))
        case "docker-23": engine = Engine(kind: .docker, version: EngineVersion(major: 23, minor: 0))
        case "docker-25": engine = Engine(kind: .docker, version: EngineVersion(major: 25, minor: 0))
        case "docker-25-containerd":
            engine = Engine(kind: .docker, version: EngineVersion(major: 25, minor: 0), containerdStore: true)
        case "podman-4": engine = Engine(kind: .podman, version: EngineVersion(major: 4, minor: 3))
        default: return nil
        }
        return DeployTarget(name: name, platform: platform, engine: engine)
    }
}
