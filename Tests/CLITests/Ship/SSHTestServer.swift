import Foundation
import TestSupport
import Testing

/// A real OpenSSH server on loopback for the `ship` tests, started and stopped by each test.
///
/// It gets a fresh host key and client key, listens on free ports of 127.0.0.1 (the second
/// one gives the remote a PATH without any SHA-256 tool), and puts a stand-in `docker` that
/// records what it received first on the remote PATH. Clients use `ssh -F <dir>/ssh_config`
/// with strict host-key checking against the generated key.
///
/// Given a real ``DockerTestDaemon``, the remote's `docker` is the real client talking to it
/// instead, and three more hosts of the ssh config reach remotes with a PATH of every system
/// command except some: `nozstd` (docker, no zstd), `nodocker` (no docker, no podman) and
/// `dockerdown` (a docker whose daemon does not answer).
final class SSHTestServer {
    let dir: TS.TempDir
    let port: Int
    let noSHAPort: Int
    /// The ports of `nozstd`, `nodocker` and `dockerdown` (only with a daemon).
    let extraPorts: [Int]
    private var sshdPID: pid_t = 0

    /// sshd's pid, from its PidFile.
    private var pid: pid_t? {
        (try? String(contentsOfFile: dir.path("sshd.pid"), encoding: .utf8)).flatMap {
            pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// `ssh -F <config>`: the `--ssh` / `IMGTOOL_SSH` value for imgtool.
    var sshCommand: String { "ssh -F \(dir.path("ssh_config"))" }
    /// Where the stand-in docker writes what it saw.
    var dockerLog: String { dir.path("docker.log") }
    /// What the stand-in's `docker version --format` prints (a daemon version such as `24.0.7`;
    /// 20.10.24 without the file).
    var dockerVersionFile: String { dir.path("docker-version") }
    /// While this file exists, the stand-in docker fails as without a daemon.
    var dockerFailMarker: String { dir.path("fail-load") }
    /// A scratch directory for destinations.
    var remoteRoot: String { dir.path("remote") }

    static var user: String { ProcessInfo.processInfo.environment["USER"] ?? NSUserName() }
    /// The passphrase of the `locked` host's key.
    static let passphrase = "imgtool-secret"

    /// The podman storage of the `podman` host (with `podman: true`).
    var podmanRoot: String { dir.path("podman") }
    /// podman's run root: short, as podman wants at most 50 characters; removed by ``stop()``.
    let podmanRunRoot = "/tmp/imgtool-podrun-\(UUID().uuidString.prefix(8))"

    /// `podman` with this server's storage: what the `podman` host's remote runs.
    var podmanCommand: [String] {
        [
            "/usr/bin/podman", "--root", podmanRoot + "/root", "--runroot", podmanRunRoot, "--storage-driver", "vfs",
            "--cgroup-manager", "cgroupfs", "--events-backend", "file",
        ]
    }

    init(docker: DockerTestDaemon? = nil, podman: Bool = false) throws {
        dir = try TS.TempDir()
        let d = dir
        for key in ["host_key", "client_key", "other_key"] {
            let r = try TS.tool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "imgtool-test", "-f", d.path(key)])
            guard r.status == 0 else { throw Failure("ssh-keygen: \(r.stderr)") }
        }
        let wanted = 2 + (docker == nil ? 0 : 3) + (podman ? 1 : 0)
        let ports = try TS.python(
            "import socket\nss=[socket.socket() for _ in range(\(wanted))]\n[s.bind(('127.0.0.1',0)) for s in ss]\nprint(' '.join(str(s.getsockname()[1]) for s in ss))"
        ).split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard ports.count == wanted else { throw Failure("no free ports") }
        port = ports[0]
        noSHAPort = ports[1]
        extraPorts = Array(ports.dropFirst(2))
        try FileManager.default.createDirectory(atPath: d.path("remote"), withIntermediateDirectories: true)
        // A key with a passphrase (and no agent holds it), for the prompt tests: `locked`.
        let locked = try TS.tool(
            "ssh-keygen", ["-q", "-t", "ed25519", "-N", Self.passphrase, "-C", "imgtool-locked", "-f", d.path("locked_key")])
        guard locked.status == 0 else { throw Failure("ssh-keygen: \(locked.stderr)") }
        let keys =
            try String(contentsOfFile: d.path("client_key.pub"), encoding: .utf8)
            + String(contentsOfFile: d.path("locked_key.pub"), encoding: .utf8)
        try keys.write(toFile: d.path("authorized_keys"), atomically: true, encoding: .utf8)

        // The remote's PATH: the stand-in docker first.
        let bin = d.path("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        if let docker {
            try Self.script(at: bin + "/docker", docker.wrapper)
        } else {
            try Self.script(
                at: bin + "/docker",
                """
                #!/bin/sh
                # Stand-in for docker: records its arguments and the SHA-256 of what it was given.
                echo "args: $*" >> \(d.path("docker.log"))
                if [ -f \(d.path("fail-load")) ]; then echo "Cannot connect to the Docker daemon" >&2; exit 1; fi
                # `docker version`: the daemon version a test wrote, else 20.10.24; `docker info`: vfs.
                if [ "$1" = version ]; then cat \(d.path("docker-version")) 2>/dev/null || echo 20.10.24; exit 0; fi
                if [ "$1" = info ]; then echo 'vfs|null'; exit 0; fi
                if [ "$1" = compose ]; then exit 1; fi
                if [ "$1" = load ]; then
                    if [ "$2" = -i ]; then sha256sum < "$3"; else sha256sum; fi | cut -c1-64 | sed 's/^/stdin: /' >> \(d.path("docker.log"))
                    echo "Loaded image: app:1.0"
                fi
                """)
        }
        var matches = ""
        // Every command of the system but containers' and zstd's, for the remotes that choose.
        let farm = d.path("farm")
        if docker != nil || podman {
            try FileManager.default.createDirectory(atPath: farm, withIntermediateDirectories: true)
            for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin"] {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                where !["docker", "podman", "zstd", "unzstd", "pzstd", "dockerd", "containerd"].contains(where: { name.hasPrefix($0) }) {
                    try? FileManager.default.createSymbolicLink(atPath: farm + "/" + name, withDestinationPath: dir + "/" + name)
                }
            }
        }
        if let docker {
            for (name, text) in [
                ("withdocker", docker.wrapper),
                ("downdocker", "#!/bin/sh\nexec \(DockerTestDaemon.client) -H unix://\(d.path("no-daemon.sock")) \"$@\"\n"),
            ] {
                try FileManager.default.createDirectory(atPath: d.path(name), withIntermediateDirectories: true)
                try Self.script(at: d.path(name) + "/docker", text)
            }
            matches = """

                Match LocalPort \(extraPorts[0])
                    SetEnv PATH=\(d.path("withdocker")):\(farm)
                Match LocalPort \(extraPorts[1])
                    SetEnv PATH=\(farm)
                Match LocalPort \(extraPorts[2])
                    SetEnv PATH=\(d.path("downdocker")):\(farm)
                """
        }
        if podman, let last = extraPorts.last {
            let bin = d.path("withpodman")
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            try Self.script(at: bin + "/podman", "#!/bin/sh\nexec \(podmanCommand.joined(separator: " ")) \"$@\"\n")
            matches += """

                Match LocalPort \(last)
                    SetEnv PATH=\(bin):\(farm)
                """
        }
        // A PATH with the shell and coreutils but no SHA-256 tool.
        let nosha = d.path("nosha")
        try FileManager.default.createDirectory(atPath: nosha, withIntermediateDirectories: true)
        for tool in [
            "sh", "bash", "cat", "head", "cut", "wc", "tr", "mkdir", "rm", "mv", "df", "awk", "find", "ls", "date",
            "sleep", "rmdir", "tail", "sed", "tee", "gzip", "printf", "env", "id", "od",
        ] {
            for prefix in ["/usr/bin/", "/bin/"] where FileManager.default.fileExists(atPath: prefix + tool) {
                try? FileManager.default.createSymbolicLink(atPath: nosha + "/" + tool, withDestinationPath: prefix + tool)
                break
            }
        }
        let config = """
            ListenAddress 127.0.0.1:\(port)
            ListenAddress 127.0.0.1:\(noSHAPort)
            \(extraPorts.map { "ListenAddress 127.0.0.1:\($0)" }.joined(separator: "\n"))
            HostKey \(d.path("host_key"))
            AuthorizedKeysFile \(d.path("authorized_keys"))
            PidFile \(d.path("sshd.pid"))
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            MaxSessions 64
            MaxStartups 64
            Subsystem sftp /usr/lib/openssh/sftp-server
            SetEnv PATH=\(bin):/usr/local/bin:/usr/bin:/bin
            Match LocalPort \(noSHAPort)
                SetEnv PATH=\(nosha)
            """ + matches
        try config.write(toFile: d.path("sshd_config"), atomically: true, encoding: .utf8)
        let hostKey = try String(contentsOfFile: d.path("host_key.pub"), encoding: .utf8)
        let otherKey = try String(contentsOfFile: d.path("other_key.pub"), encoding: .utf8)
        try "imgtool-test \(hostKey)".write(toFile: d.path("known_hosts"), atomically: true, encoding: .utf8)
        try "imgtool-test \(otherKey)".write(toFile: d.path("wrong_known_hosts"), atomically: true, encoding: .utf8)
        let client = """
            Host ship
                Port \(port)
            Host nosha
                Port \(noSHAPort)
            \(zip((docker == nil ? [] : ["nozstd", "nodocker", "dockerdown"]) + (podman ? ["podman"] : []), extraPorts).map { "Host \($0)\n    Port \($1)" }.joined(separator: "\n"))
            Host wrongkey
                Port \(port)
                User imgtool-no-such-user
            Host wronghost
                Port \(port)
                UserKnownHostsFile \(d.path("wrong_known_hosts"))
            Host newhost
                Port \(port)
                UserKnownHostsFile \(d.path("new_known_hosts"))
                StrictHostKeyChecking ask
                BatchMode no
            Host locked
                Port \(port)
                HostName 127.0.0.1
                User \(Self.user)
                IdentityFile \(d.path("locked_key"))
                IdentitiesOnly yes
                UserKnownHostsFile \(d.path("known_hosts"))
                StrictHostKeyChecking yes
                HostKeyAlias imgtool-test
                BatchMode no
                LogLevel ERROR
            Host * !locked
                HostName 127.0.0.1
                User \(Self.user)
                IdentityFile \(d.path("client_key"))
                IdentitiesOnly yes
                UserKnownHostsFile \(d.path("known_hosts"))
                StrictHostKeyChecking yes
                HostKeyAlias imgtool-test
                BatchMode yes
                LogLevel ERROR
            """
        try client.write(toFile: d.path("ssh_config"), atomically: true, encoding: .utf8)

        if getuid() == 0 { try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true) }
        let sshd = ["/usr/sbin/sshd", "/usr/local/sbin/sshd"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let sshd else { throw Failure("sshd is not installed (apt-get install openssh-server)") }
        // sshd daemonizes itself (no -D): started through Foundation's Process and kept in the
        // foreground, it closes the descriptor Process watches and Process then blocks in
        // waitpid, so no other child of the test is ever reaped.
        let started = try TS.run(sshd, ["-f", d.path("sshd_config"), "-E", d.path("sshd.log")])
        guard started.status == 0 else { throw Failure("sshd did not start: \(started.stderr)") }
        // Ready once every port accepts connections.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let pid = pid, ([port, noSHAPort] + extraPorts).allSatisfy(Self.accepts) {
                self.sshdPID = pid
                return
            }
            usleep(50_000)
        }
        let log = (try? String(contentsOfFile: d.path("sshd.log"), encoding: .utf8)) ?? ""
        if let pid { kill(pid, SIGKILL) }
        d.cleanup()
        throw Failure("sshd did not start: \(log)")
    }

    /// Stops sshd and removes every file of the test.
    func stop() {
        // SIGKILL: a child started from a test thread inherits libdispatch's blocked signal mask,
        // so SIGTERM would stay pending forever.
        if sshdPID > 0 { kill(sshdPID, SIGKILL) }
        try? FileManager.default.removeItem(atPath: podmanRunRoot)
        dir.cleanup()
    }

    /// A remote directory for one test.
    func remote(_ name: String) -> String { remoteRoot + "/" + name }

    /// Runs `imgtool` with this server's ssh config.
    func imgtool(_ arguments: [String], ssh: String? = nil, environment: [String: String] = [:]) throws -> TS.ProcessResult {
        var env = ProcessInfo.processInfo.environment
        env["IMGTOOL_SSH"] = ssh ?? sshCommand
        env.merge(environment) { $1 }
        return try TS.run(TS.imgtool, arguments, currentDirectory: TS.repoRoot.path, environment: env)
    }

    /// Starts `imgtool` without waiting for it (to kill it mid-transfer).
    func startImgtool(_ arguments: [String], stderrPath: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TS.imgtool)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["IMGTOOL_SSH"] = sshCommand
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        if let stderrPath {
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            p.standardError = FileHandle(forWritingAtPath: stderrPath)
        } else {
            p.standardError = FileHandle.nullDevice
        }
        try p.run()
        return p
    }

    private static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static func script(at path: String, _ text: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}

/// The loopback proxy of `Tests/Fixtures/tools/tcp-proxy.py`: counts, slows down or cuts what a
/// client sends to the ssh server.
final class TCPProxy {
    let port: Int
    private let process: Process
    private let countFile: String

    init(to target: Int, rate: Int = 0, cutAfter: Int = 0, pauseAfter: Int = 0, pauseSeconds: Double = 0, countFile: String) throws {
        self.countFile = countFile
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var args = ["python3", TS.fixturesDir.appendingPathComponent("tools/tcp-proxy.py").path, String(target), "--count-file", countFile]
        if rate > 0 { args += ["--rate", String(rate)] }
        if cutAfter > 0 { args += ["--cut-after", String(cutAfter)] }
        if pauseAfter > 0 { args += ["--pause-after", String(pauseAfter), "--pause-seconds", String(pauseSeconds)] }
        process.arguments = args
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line.append(d)
        }
        guard let p = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw SSHTestServer.Failure("the proxy did not start")
        }
        port = p
    }

    /// Bytes the client sent through the proxy so far.
    var bytesUp: Int { Int((try? String(contentsOfFile: countFile, encoding: .utf8)) ?? "") ?? -1 }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
