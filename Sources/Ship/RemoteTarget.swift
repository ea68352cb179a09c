import ByteIO
import Foundation
import OCI

/// What ship found on the remote before sending anything: the machine, the container engine that
/// will load the archive, and the tools `--load` and `--then` will use.
///
/// Facts only, as the remote reported them in one round trip (``RemoteScript/target(_:commands:)``);
/// judging them against the archive is the pre-flight's job (`ImageVerify.TargetChecks`).
public struct RemoteTarget: Sendable, Codable, Equatable {
    /// `uname -s`, as printed (`Linux`).
    public var kernel: String
    /// `uname -m`.
    public var machine: String
    /// The OCI platform of that machine (`linux/amd64`), from `uname`.
    public var platform: Platform?
    /// Docker, when a `docker` command is on the remote's PATH.
    public var docker: Engine?
    /// podman, when a `podman` command is on the remote's PATH.
    public var podman: Engine?
    /// How `docker compose` can be run there: `plugin` (`docker compose`), `standalone`
    /// (`docker-compose` v1), both, or neither.
    public var compose: Compose
    /// Compression tools on the remote's PATH that `--load` can decompress with (`gzip`, `zstd`).
    public var tools: [String]
    /// The architectures the kernel can run through binfmt_misc (qemu-user), from the enabled
    /// entries of `/proc/sys/fs/binfmt_misc`, as OCI names (`arm64`, `arm`).
    public var emulated: [String]
    /// For each command `--then` starts, whether the remote's PATH has it.
    public var commands: [String: Bool]
    /// Free space, in bytes, on the filesystem the destination directory is (or will be) on.
    public var freeBytes: Int64?
    /// What the destination directory is.
    public var directory: DirectoryState
    /// With ``DirectoryState/notWritable``: the existing directory that the ssh user cannot write.
    public var unwritablePath: String?
    /// The size of the file already published under the archive's name there, if any.
    public var existingBytes: Int64?

    /// A container engine on the remote.
    public struct Engine: Sendable, Codable, Equatable {
        /// Where its command is (`/usr/bin/docker`).
        public var path: String
        /// The client's version.
        public var clientVersion: String?
        /// The daemon's (Docker's server, podman's service) version, when it answered.
        public var serverVersion: String?
        /// What the engine printed when its daemon did not answer (`Cannot connect to the Docker
        /// daemon at unix:///var/run/docker.sock. Is the docker daemon running?`).
        public var daemonError: String?
        /// Docker's storage driver (`overlay2`, `vfs`; `overlayfs` with the containerd store).
        public var storageDriver: String?
        /// Whether Docker keeps images in the containerd image store (`docker info` reports the
        /// driver type `io.containerd.snapshotter.v1`) rather than its classic graph drivers.
        public var containerdStore: Bool

        /// Creates an engine description.
        public init(
            path: String, clientVersion: String? = nil, serverVersion: String? = nil, daemonError: String? = nil,
            storageDriver: String? = nil, containerdStore: Bool = false
        ) {
            self.path = path
            self.clientVersion = clientVersion
            self.serverVersion = serverVersion
            self.daemonError = daemonError
            self.storageDriver = storageDriver
            self.containerdStore = containerdStore
        }
    }

    /// `docker compose` and `docker-compose`.
    public struct Compose: Sendable, Codable, Equatable {
        /// The version of the compose plugin (`docker compose version --short`), if it answered.
        public var plugin: String?
        /// Whether `docker-compose` is on the PATH.
        public var standalone: Bool

        /// Creates a description.
        public init(plugin: String? = nil, standalone: Bool = false) {
            self.plugin = plugin
            self.standalone = standalone
        }
    }

    /// Whether the destination directory can take the archive.
    public enum DirectoryState: String, Sendable, Codable, Equatable {
        /// It exists and the login can write it.
        case writable
        /// It does not exist; its nearest existing parent is writable, so ship can create it.
        case creatable
        /// It exists and is not a directory.
        case notADirectory = "not-a-directory"
        /// It (or the parent it would be made in) exists and cannot be written.
        case notWritable = "not-writable"
    }

    /// Creates a description.
    public init(
        kernel: String, machine: String, docker: Engine? = nil, podman: Engine? = nil, compose: Compose = Compose(),
        tools: [String] = [], emulated: [String] = [], commands: [String: Bool] = [:], freeBytes: Int64? = nil,
        directory: DirectoryState = .writable, unwritablePath: String? = nil
    ) {
        self.kernel = kernel
        self.machine = machine
        self.platform = Platform(kernel: kernel, machine: machine)
        self.unwritablePath = unwritablePath
        self.docker = docker
        self.podman = podman
        self.compose = compose
        self.tools = tools
        self.emulated = emulated
        self.commands = commands
        self.freeBytes = freeBytes
        self.directory = directory
    }

    /// The engine `--load` uses: Docker when its command is there, else podman.
    public var loader: (kind: String, engine: Engine)? {
        if let docker { return ("docker", docker) }
        if let podman { return ("podman", podman) }
        return nil
    }

    /// Reads the replies of ``RemoteScript/target(_:commands:)``, one fact a line.
    static func parse(_ lines: [String]) -> RemoteTarget {
        var t = RemoteTarget(kernel: "", machine: "")
        /// Changes the engine `kind` (`docker`, `podman`) when an `engine` line named it.
        func update(_ kind: String, _ change: (inout Engine) -> Void) {
            if kind == "docker", var e = t.docker {
                change(&e)
                t.docker = e
            } else if kind == "podman", var e = t.podman {
                change(&e)
                t.podman = e
            }
        }
        for raw in lines {
            // Blanks at either end carry nothing.
            let line = raw.trimmingCharacters(in: .whitespaces)
            let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard let key = words.first else { continue }
            let a = words.count > 1 ? words[1] : ""
            let b = words.count > 2 ? words[2] : ""
            let value = b.isEmpty ? nil : b
            switch key {
            case "uname":
                t.kernel = a
                t.machine = b
                t.platform = Platform(kernel: a, machine: b)
            case "engine":
                if a == "docker" { t.docker = Engine(path: b) } else if a == "podman" { t.podman = Engine(path: b) }
            case "client": update(a) { $0.clientVersion = value }
            case "server": update(a) { $0.serverVersion = value }
            case "daemon-error": update(a) { $0.daemonError = value ?? "the daemon did not answer" }
            case "driver": update(a) { $0.storageDriver = value }
            case "driver-status": update(a) { $0.containerdStore = b.contains("io.containerd.snapshotter") }
            case "compose-plugin": t.compose.plugin = a.isEmpty ? "unknown" : a
            case "compose-standalone": t.compose.standalone = true
            case "tool": t.tools.append(a)
            case "binfmt" where a.hasPrefix("qemu-"):
                // Only qemu's entries emulate a CPU (others run jar, python, Windows programs).
                if let p = Platform(kernel: "linux", machine: Self.qemuMachine(a)), !t.emulated.contains(p.architecture) {
                    t.emulated.append(p.architecture)
                }
            case "command": t.commands[a] = b == "yes"
            case "existing": t.existingBytes = Int64(a)
            case "free":
                // KiB from df; a filesystem that reports an absurd size is taken as unknown.
                t.freeBytes = Int64(a).flatMap { n in
                    let (bytes, overflow) = n.multipliedReportingOverflow(by: 1024)
                    return overflow ? nil : bytes
                }
                // A filesystem of no size: proc, sysfs, where nothing can be created.
                if b == "0", t.directory != .notADirectory {
                    t.directory = .notWritable
                    t.unwritablePath = t.unwritablePath ?? "a filesystem that stores no files (such as /proc)"
                }
            case "dir":
                switch a {
                case "writable": t.directory = .writable
                case "creatable": t.directory = .creatable
                case "notdir": t.directory = .notADirectory
                default:
                    t.directory = .notWritable
                    t.unwritablePath = value
                }
            default: break
            }
        }
        return t
    }

    /// `qemu-aarch64` → `aarch64`: binfmt_misc entries are named after the emulator.
    private static func qemuMachine(_ entry: String) -> String {
        let name = entry.hasPrefix("qemu-") ? String(entry.dropFirst(5)) : entry
        switch name {
        case "arm": return "armv7l"
        case "i386": return "i686"
        default: return name
        }
    }
}
