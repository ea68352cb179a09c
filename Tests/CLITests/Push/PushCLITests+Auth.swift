import Foundation
import TestSupport
import Testing

/// `imgtool push` to registries that ask for credentials (htpasswd Basic auth, the token flow
/// with a token server) and to one behind TLS, all real (``RegistryTestServer``).
@Suite(.enabled(if: RegistryTestServer.available, Comment(rawValue: RegistryTestServer.missing)))
struct PushAuthCLITests {
    static let v1 = TS.fixture("deploy-v1.tar.gz")
    static let reader = RegistryTestServer.Account(user: "reader", password: "r3ad", actions: ["pull"])

    /// A file holding `text`, for stdin.
    static func stdin(_ text: String, in dir: TS.TempDir) throws -> String {
        let path = dir.path("stdin-\(UUID().uuidString)")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Writes `$DOCKER_CONFIG/config.json` with `auths` for `registry`, as `docker login` does.
    static func dockerLogin(_ home: TS.TempDir, registry: String, user: String, password: String) throws {
        try FileManager.default.createDirectory(atPath: home.path("docker"), withIntermediateDirectories: true)
        let auth = Data("\(user):\(password)".utf8).base64EncodedString()
        try #"{"auths":{"\#(registry)":{"auth":"\#(auth)"}}}"#.write(
            toFile: home.path("docker/config.json"), atomically: true, encoding: .utf8)
    }

    @Test func basicAuth() throws {
        let server = try RegistryTestServer(mode: .basic(user: "alice", password: "s3cret"))
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        let target = "\(server.host)/maia/app:v1"

        let anonymous = try PushRun.push(["--insecure", Self.v1, target], home: home.url.path)
        #expect(anonymous.status == 11)
        #expect(anonymous.stderr.contains("asks for credentials"), "\(anonymous.stderr)")
        #expect(anonymous.stderr.contains("docker login \(server.host)"), "\(anonymous.stderr)")

        let wrong = try PushRun.push(
            ["--insecure", "--username", "alice", "--password-stdin", Self.v1, target], home: home.url.path,
            stdinPath: try Self.stdin("wrong\n", in: home))
        #expect(wrong.status == 11)
        #expect(wrong.stderr.contains("HTTP 401"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains("UNAUTHORIZED"), "\(wrong.stderr)")

        let given = try PushRun.push(
            ["--insecure", "--username", "alice", "--password-stdin", Self.v1, target], home: home.url.path,
            stdinPath: try Self.stdin("s3cret\n", in: home))
        #expect(given.status == 0, "\(given.stderr)")

        // Docker's config: the credentials `docker login` stored.
        try Self.dockerLogin(home, registry: server.host, user: "alice", password: "s3cret")
        let fromConfig = try PushRun.push(
            ["--insecure", TS.fixture("deploy-v2.tar.gz"), "\(server.host)/maia/app:v2"], home: home.url.path)
        #expect(fromConfig.status == 0, "\(fromConfig.stderr)")
        let inspect = try server.skopeo([
            "inspect", "--tls-verify=false", "--creds", "alice:s3cret", "--format", "{{.Digest}}", "docker://\(server.host)/maia/app:v2",
        ])
        #expect(inspect.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == fromConfig.topDigest)
    }

    @Test func tokenAuth() throws {
        let server = try RegistryTestServer(mode: .token(user: "alice", password: "s3cret", others: [Self.reader]))
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        let target = "\(server.host)/maia/app:v1"
        let pushed = try PushRun.push(
            ["--insecure", "--username", "alice", "--password-stdin", Self.v1, target], home: home.url.path,
            stdinPath: try Self.stdin("s3cret", in: home))
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.tagged)
        // The token was asked for with push on the repository, as alice.
        let requests = server.tokenRequests.joined(separator: "\n")
        #expect(requests.contains("repository:maia/app:pull,push"), "\(requests)")
        #expect(requests.contains("alice"), "\(requests)")
        let inspect = try server.skopeo([
            "inspect", "--tls-verify=false", "--creds", "reader:r3ad", "--format", "{{.Digest}}", "docker://\(target)",
        ])
        #expect(inspect.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == pushed.topDigest, "\(inspect.stderr)")

        // A token that may only pull: the upload is refused, and nothing is tagged.
        let readOnly = try PushRun.push(
            ["--insecure", "--username", "reader", "--password-stdin", TS.fixture("deploy-v2.tar.gz"), "\(server.host)/maia/app:v2"],
            home: home.url.path, stdinPath: try Self.stdin("r3ad", in: home))
        #expect(readOnly.status == 11, "\(readOnly.stderr)")
        #expect(readOnly.stderr.contains("HTTP 401") && readOnly.stderr.contains("UNAUTHORIZED"), "\(readOnly.stderr)")
        #expect(readOnly.stderr.contains("/blobs/uploads/"), "the refused request is named: \(readOnly.stderr)")
        #expect(
            try server.skopeo(["inspect", "--tls-verify=false", "--creds", "reader:r3ad", "docker://\(server.host)/maia/app:v2"]).status
                != 0)

        let wrong = try PushRun.push(
            ["--insecure", "--username", "alice", "--password-stdin", Self.v1, target], home: home.url.path,
            stdinPath: try Self.stdin("nope", in: home))
        #expect(wrong.status == 11)
        #expect(wrong.stderr.contains("the token server"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains("HTTP 401"), "\(wrong.stderr)")
    }

    @Test(.enabled(if: RegistryTestServer.canUseMountNamespace, Comment(rawValue: RegistryTestServer.missingMountNamespace)))
    func tls() throws {
        let server = try RegistryTestServer(mode: .plain, tls: true)
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        let target = "\(server.host)/maia/app:v1"
        // The test CA is not in the system store: refused, with what to do.
        let untrusted = try PushRun.push([Self.v1, target], home: home.url.path)
        #expect(untrusted.status == 10)
        #expect(untrusted.stderr.contains("TLS failed"), "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("--insecure"), "\(untrusted.stderr)")
        // Plain HTTP to a TLS port is not a registry's answer either.
        #expect(try PushRun.push(["--insecure", Self.v1, target], home: home.url.path).status == 10)
        // With the CA in the system store (this process's own view of it): pushed over TLS.
        let trusted = try PushRun.push([Self.v1, target], home: home.url.path, wrap: server.withTrustedCA)
        #expect(trusted.status == 0, "\(trusted.stderr)")
        let certDir = try #require(server.certDirectory)
        let inspect = try server.skopeo(["inspect", "--cert-dir", certDir, "--format", "{{.Digest}}", "docker://\(target)"])
        #expect(inspect.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == trusted.topDigest, "\(inspect.stderr)")
        #if os(Linux)
        // FoundationNetworking takes no CA of one's own: said before anything is read.
        let ca = try PushRun.push(["--ca-cert", try #require(server.caCertificatePath), Self.v1, target], home: home.url.path)
        #expect(ca.status == 10)
        #expect(ca.stderr.contains("update-ca-certificates"), "\(ca.stderr)")
        #endif
    }
}
