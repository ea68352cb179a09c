// Source: https://github.com/opencontainers/image-spec/blob/main/specs-go/v1/config.go and
// moby image/spec/v1.2.md (Healthcheck and other Docker-only fields).

/// An image configuration: platform, runtime defaults, layer DiffIDs and history.
///
/// Also decodes the legacy per-layer `json` of `docker save` archives from before Docker 1.10,
/// which carries the same fields plus `id` and `parent`.
public struct ImageConfig: Codable, Hashable, Sendable {
    /// The CPU architecture (GOARCH value).
    public var architecture: String?
    /// The operating system (GOOS value).
    public var os: String?
    /// The CPU variant.
    public var variant: String?
    /// The OS version.
    public var osVersion: String?
    /// When the image was created (RFC 3339).
    public var created: String?
    /// Who made it.
    public var author: String?
    /// The runtime defaults.
    public var config: ContainerConfig?
    /// The layers' DiffIDs.
    public var rootfs: RootFS?
    /// The build history, including entries that made no layer.
    public var history: [History]?
    /// Legacy v1 layer id (pre-1.10 archives only).
    public var id: String?
    /// Legacy v1 parent layer id (pre-1.10 archives only).
    public var parent: String?
    /// Legacy: the container config at build time.
    public var containerConfig: ContainerConfig?

    /// An empty config: every field absent.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant, created, author, config, rootfs, history, id, parent
        case osVersion = "os.version"
        case containerConfig = "container_config"
    }

    /// The platform the config names (OS `linux` and architecture `amd64` when absent, as Docker assumes).
    public var platform: Platform {
        Platform(os: os ?? "linux", architecture: architecture ?? "amd64", variant: variant)
    }

    /// The runtime defaults of a container.
    public struct ContainerConfig: Codable, Hashable, Sendable {
        /// The user (name or uid[:gid]).
        public var user: String?
        /// Ports, as `"3000/tcp"`.
        public var exposedPorts: [String: JSONIgnored]?
        /// Environment, `KEY=value`.
        public var env: [String]?
        /// The entrypoint.
        public var entrypoint: [String]?
        /// The default arguments.
        public var cmd: [String]?
        /// Volumes.
        public var volumes: [String: JSONIgnored]?
        /// The working directory.
        public var workingDir: String?
        /// Labels.
        public var labels: [String: String]?
        /// The stop signal.
        public var stopSignal: String?
        /// Docker's health check.
        public var healthcheck: Healthcheck?

        enum CodingKeys: String, CodingKey {
            case user = "User"
            case exposedPorts = "ExposedPorts"
            case env = "Env"
            case entrypoint = "Entrypoint"
            case cmd = "Cmd"
            case volumes = "Volumes"
            case workingDir = "WorkingDir"
            case labels = "Labels"
            case stopSignal = "StopSignal"
            case healthcheck = "Healthcheck"
        }

        /// The value of an environment variable.
        /// - Parameter name: The variable's name.
        public func environment(_ name: String) -> String? {
            for item in env ?? [] {
                if item.hasPrefix(name + "=") { return String(item.dropFirst(name.count + 1)) }
            }
            return nil
        }
    }

    /// Docker's health check; durations are in nanoseconds.
    public struct Healthcheck: Codable, Hashable, Sendable {
        /// `[]` (inherit), `["NONE"]`, `["CMD", ...]` or `["CMD-SHELL", command]`.
        public var test: [String]?
        /// Time between checks, in nanoseconds.
        public var interval: Int64?
        /// Time a check may take, in nanoseconds.
        public var timeout: Int64?
        /// Grace period at start, in nanoseconds.
        public var startPeriod: Int64?
        /// Failures before unhealthy.
        public var retries: Int?

        enum CodingKeys: String, CodingKey {
            case test = "Test"
            case interval = "Interval"
            case timeout = "Timeout"
            case startPeriod = "StartPeriod"
            case retries = "Retries"
        }
    }

    /// `rootfs`: the layers' DiffIDs, bottom to top.
    public struct RootFS: Codable, Hashable, Sendable {
        /// Always `layers`.
        public var type: String?
        /// The DiffIDs.
        public var diffIDs: [Digest]?

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
    }

    /// One build step.
    public struct History: Codable, Hashable, Sendable {
        /// When.
        public var created: String?
        /// Who.
        public var author: String?
        /// The command, such as `COPY . /app # buildkit`.
        public var createdBy: String?
        /// A comment.
        public var comment: String?
        /// Whether the step made no layer.
        public var emptyLayer: Bool?

        enum CodingKeys: String, CodingKey {
            case created, author, comment
            case createdBy = "created_by"
            case emptyLayer = "empty_layer"
        }
    }
}

/// A JSON value whose content does not matter (`{}` in `ExposedPorts` and `Volumes`).
public struct JSONIgnored: Codable, Hashable, Sendable {
    /// Accepts any JSON value.
    public init(from decoder: any Decoder) throws {}
    /// Creates the empty value.
    public init() {}
    /// Writes `{}`.
    public func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: EmptyKey.self)
    }
    private struct EmptyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
