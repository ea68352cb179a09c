import Foundation
import TestSupport
import Testing

/// A real Docker daemon (Debian's `docker.io`) for the ship tests, as real-peers.md runs it: its
/// own socket, data root and exec root in a temporary directory, vfs storage, no iptables, no
/// bridge. Started by a test and stopped (SIGTERM, then SIGKILL) at its end.
final class DockerTestDaemon {
    let dir: TS.TempDir
    /// `unix://…/docker.sock`.
    let host: String

    /// Whether the tests can start one: root, and `dockerd` and the Debian `docker` client installed.
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/dockerd")
            && FileManager.default.isExecutableFile(atPath: client)
    }
    static let missing =
        "needs root and Debian's docker.io and containerd (apt-get install docker.io containerd): the tests start their own dockerd"
    /// Debian's client, the one that matches the daemon (`/usr/local/bin/docker` may be another).
    static let client = "/usr/bin/docker"

    private var pidFile: String { dir.path("docker.pid") }

    init() throws {
        dir = try TS.TempDir()
        host = "unix://" + dir.path("docker.sock")
        let d = dir
        // Started by a shell that returns at once (dockerd stays in the foreground, reparented),
        // through python, which unblocks the signals a test thread's child inherits blocked (so
        // that SIGTERM stops it cleanly, and its containerd with it) and closes every descriptor
        // but the three (one of them is how Foundation's Process sees the shell end).
        let unblock = TS.execDetached
        let command = """
            python3 -c '\(unblock)' /usr/sbin/dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
              --data-root '\(d.path("root"))' --exec-root '\(d.path("exec"))' --pidfile '\(pidFile)' -H '\(host)' \
              > '\(d.path("dockerd.log"))' 2>&1 < /dev/null &
            """
        let started = try TS.run("/bin/sh", ["-c", command])
        guard started.status == 0 else { throw SSHTestServer.Failure("dockerd did not start: \(started.stderr)") }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let v = try? docker(["version", "--format", "{{.Server.Version}}"]), v.status == 0 { return }
            usleep(200_000)
        }
        let log = (try? String(contentsOfFile: d.path("dockerd.log"), encoding: .utf8)) ?? ""
        stop()
        throw SSHTestServer.Failure("dockerd did not answer within 30 s: \(log.suffix(2000))")
    }

    /// Runs the Debian docker client against this daemon.
    @discardableResult
    func docker(_ arguments: [String], stdinPath: String? = nil, environment: [String: String] = [:]) throws -> TS.ProcessResult {
        var env = ProcessInfo.processInfo.environment
        env["DOCKER_HOST"] = host
        env["DOCKER_BUILDKIT"] = "0"
        for (k, v) in environment { env[k] = v }
        return try TS.run(Self.client, arguments, stdinPath: stdinPath, environment: env)
    }

    /// Stops the daemon and removes its directory.
    func stop() {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(15)
            while kill(pid, 0) == 0 && Date() < deadline { usleep(100_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        // containerd, should it outlive dockerd.
        if let text = try? String(contentsOfFile: dir.path("exec/containerd/containerd.pid"), encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGKILL)
        }
        _ = try? TS.run(
            "/bin/sh", ["-c", "umount -R '\(dir.path("root"))' 2>/dev/null; umount -R '\(dir.path("exec"))' 2>/dev/null; true"])
        dir.cleanup()
    }

    /// The shell text of a `docker` wrapper for the remote's PATH that talks to this daemon.
    var wrapper: String { "#!/bin/sh\nexec \(Self.client) -H \(host) \"$@\"\n" }
}
