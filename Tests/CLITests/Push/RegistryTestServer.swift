import Foundation
import TestSupport
import Testing

/// A real OCI registry on loopback for the `push` tests: Debian's `docker-registry` (the CNCF
/// distribution registry 2.8.2), started by a test in a temporary directory and stopped at its end.
///
/// Modes: plain HTTP; TLS (a test CA and a server certificate it signs, for 127.0.0.1 and
/// localhost; with any mode); HTTP Basic (htpasswd, bcrypt); token auth, with the token server of
/// `Tests/Fixtures/tools/registry-token-server.py` (its own loopback port, plain HTTP, a
/// self-signed RS256 key whose certificate is the registry's `rootcertbundle`).
///
/// Trusting the test CA: skopeo takes `--cert-dir` ``certDirectory`` (it holds `ca.crt`), curl
/// `--cacert` ``caCertificatePath``. FoundationNetworking (libcurl) reads only
/// /etc/ssl/certs/ca-certificates.crt: neither `SSL_CERT_FILE`, `CURL_CA_BUNDLE` nor
/// `URLSessionCertificateAuthorityInfoFile` changes that (tried with a small URLSession program:
/// each still fails with "unable to get local issuer certificate"), so ``withTrustedCA(_:)`` runs a
/// client in a private mount namespace where that file is a bind mount of ``trustedBundlePath``
/// (the system bundle + the test CA). It needs root (or CAP_SYS_ADMIN): ``canUseMountNamespace``.
///
/// What distribution 2.8.2 does, observed with curl against the plain registry:
/// - No `OCI-Chunk-Min-Length` header, on any response (POST, PATCH, GET of an upload, /v2/).
/// - `POST /v2/NAME/blobs/uploads/` → 202, `Location` ABSOLUTE, built from the request's Host
///   header (`Host: example.test:1234` gives `http://example.test:1234/v2/…`), of the form
///   `…/v2/NAME/blobs/uploads/UUID?_state=TOKEN`; `Docker-Upload-UUID: UUID`; `Range: 0-0` although
///   nothing is uploaded yet (so `0-0` means empty, never one byte); `Content-Length: 0`. The `_state` token (HMAC'd JSON: name, UUID,
///   offset, start time) changes with every answer: use the latest `Location`.
/// - `POST …/uploads/?digest=D` with a body (a single-request monolithic upload) is NOT done:
///   202 and an empty session as above, the body ignored (the blob is not stored).
/// - `GET <location>` of an upload in progress → 204, `Range: 0-(size-1)` (`0-0` when empty),
///   `Docker-Upload-UUID`, a new `Location`. With a stale `_state` (an offset the upload has moved
///   past) → 404 `BLOB_UPLOAD_INVALID`.
/// - `PATCH <location>` (`Content-Type: application/octet-stream`) → 202, `Range: 0-(size-1)`, new
///   `Location`. A second chunk with `Content-Range: 10-19` works. `Content-Range` is IGNORED:
///   a chunk sent with a wrong one (`5-14` when 10 bytes are there) is appended all the same (202,
///   `Range: 0-19`); no 416.
/// - `PUT <location>&digest=D` (with or without a last chunk in its body) → 201,
///   `Docker-Content-Digest`, `Location: …/v2/NAME/blobs/D`. A wrong digest → 400
///   `{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded
///   content","detail":{"Digest":"sha256:…","Reason":{}}}]}`; the upload survives it: GET at the
///   same location → 204 with the same Range, and a PUT with the right digest then → 201.
/// - `DELETE <location>` → 204; a GET after it → 404 `BLOB_UPLOAD_UNKNOWN`.
/// - `POST /v2/B/blobs/uploads/?mount=D&from=A` → 201 `Docker-Content-Digest: D`,
///   `Location: …/v2/B/blobs/D` when A has the blob; when A lacks it, or without `from`, → 202
///   and a fresh upload session. Token mode: a token granting pull,push on B and pull on A → 201;
///   one without pull on A → 401 `insufficient_scope`, the challenge asking for both in one scope
///   value: `scope="repository:B:pull,push repository:A:pull"` (space-separated).
/// - Manifest `PUT /v2/NAME/manifests/TAG` with `Content-Type:
///   application/vnd.oci.image.manifest.v1+json` or `application/vnd.oci.image.index.v1+json`
///   → 201, `Docker-Content-Digest` (the sha256 of the bytes sent), `Location: …/manifests/DIGEST`.
///   A blob (config or layer) not in the repository → 400 `MANIFEST_BLOB_UNKNOWN` (detail: the
///   digest; one error per missing blob); an index naming a manifest not there → the same. A
///   wrong Content-Type (`application/json`) → 400 `MANIFEST_INVALID`.
/// - `GET` of an OCI manifest or index without an `Accept` naming its OCI type → 404
///   `MANIFEST_UNKNOWN` ("OCI manifest found, but accept header does not support OCI manifests").
///
/// Auth, observed: htpasswd Basic auth works over plain HTTP in 2.8.2 (no TLS needed, not even a
/// warning in the log). Without credentials → 401 `WWW-Authenticate: Basic realm="…"`. Token mode:
/// 401 `WWW-Authenticate: Bearer realm="http://127.0.0.1:P/token",service="test-registry"` on
/// /v2/, plus `,scope="repository:NAME:pull,push"` on a repository request; a token lacking an
/// action → 401 (not 403) with `,error="insufficient_scope"` added, the body `UNAUTHORIZED` listing
/// the actions asked for; skopeo reports that as "denied: requested access to the resource is
/// denied". The `x5c` header of the token (a self-signed certificate that is the whole
/// `rootcertbundle`) is accepted; no `kid` is needed.
final class RegistryTestServer {
    /// An account of the token server: `actions` are the rights it holds on every repository.
    struct Account: Sendable {
        var user: String
        var password: String
        var actions: [String]
    }

    enum Mode: Sendable {
        /// Plain HTTP, no auth.
        case plain
        /// HTTPS, no auth (the same as `.plain` with `tls: true`).
        case tls
        /// HTTP Basic auth against an htpasswd file holding one user.
        case basic(user: String, password: String)
        /// Token auth: `user` may pull and push; `others` hold what they say.
        case token(user: String, password: String, others: [Account] = [])
    }

    static let service = "test-registry"
    static let issuer = "test-issuer"
    static let realm = "test-realm"

    let mode: Mode
    let usesTLS: Bool
    let dir: TS.TempDir
    /// The registry's port on 127.0.0.1.
    let port: Int
    /// The token server's port (token mode).
    let tokenPort: Int?
    private var pid: pid_t = 0
    /// The registry's pid and the token server's (token mode): for tests that check nothing is left.
    var processIDs: [pid_t] { [pid, tokenPID].filter { $0 > 0 } }
    private var tokenPID: pid_t = 0
    private var stopped = false

    var host: String { "127.0.0.1:\(port)" }
    /// `http://127.0.0.1:PORT` or `https://…`.
    var baseURL: String { (usesTLS ? "https://" : "http://") + host }
    /// The registry's filesystem storage (`docker/registry/v2/…` under it).
    var storageRoot: String { dir.path("storage") }
    var logPath: String { dir.path("registry.log") }
    /// The test CA's certificate (TLS).
    var caCertificatePath: String? { usesTLS ? dir.path("ca.crt") : nil }
    /// A directory holding `ca.crt` only: skopeo's `--cert-dir` / `--dest-cert-dir` (TLS).
    var certDirectory: String? { usesTLS ? dir.path("certs.d") : nil }
    /// The system CA bundle followed by the test CA (TLS): what ``withTrustedCA(_:)`` mounts.
    var trustedBundlePath: String? { usesTLS ? dir.path("trusted-bundle.crt") : nil }
    /// `http://127.0.0.1:TOKENPORT/token` (token mode).
    var tokenRealm: String? { tokenPort.map { "http://127.0.0.1:\($0)/token" } }
    /// The token server's request log, one JSON object a line (token mode).
    var tokenLogPath: String? { tokenPort == nil ? nil : dir.path("token-requests.log") }
    /// The lines of that log so far.
    var tokenRequests: [String] {
        guard let path = tokenLogPath, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }
    /// An auth file for skopeo (`REGISTRY_AUTH_FILE`), so the test user's stored logins play no part.
    var authFile: String { dir.path("auth.json") }

    /// The last lines of the registry's log (and the token server's), for failure messages.
    var logTail: String { Self.logTail(of: dir) }

    private static func logTail(of d: TS.TempDir) -> String {
        var text = String(((try? String(contentsOfFile: d.path("registry.log"), encoding: .utf8)) ?? "").suffix(3000))
        if let t = try? String(contentsOfFile: d.path("token-server.err"), encoding: .utf8), !t.isEmpty {
            text += "\n[token server] " + t.suffix(1500)
        }
        return text
    }

    // MARK: - What the tests need

    static let registryBinary = "/usr/bin/docker-registry"
    static let skopeoBinary = "/usr/bin/skopeo"
    static let htpasswdBinary = "/usr/bin/htpasswd"
    static let unshareBinary = "/usr/bin/unshare"
    static let systemBundle = "/etc/ssl/certs/ca-certificates.crt"

    /// Whether a registry can be started: docker-registry, openssl and python3 installed.
    static var available: Bool {
        let fm = FileManager.default
        return fm.isExecutableFile(atPath: registryBinary) && which("openssl") != nil && which("python3") != nil
            && which("curl") != nil
    }
    static let missing =
        "needs Debian's docker-registry (apt-get install docker-registry), openssl, curl and python3: the tests start their own registry"
    static var hasSkopeo: Bool { FileManager.default.isExecutableFile(atPath: skopeoBinary) }
    static let missingSkopeo = "needs skopeo (apt-get install skopeo): the independent client"
    static var hasHtpasswd: Bool { FileManager.default.isExecutableFile(atPath: htpasswdBinary) }
    static let missingHtpasswd = "needs htpasswd (apt-get install apache2-utils): Basic auth's user file"

    /// Whether ``withTrustedCA(_:)`` works here: `unshare --mount` and a bind mount over the
    /// system CA bundle (root, or CAP_SYS_ADMIN).
    static var canUseMountNamespace: Bool { mountNamespaceWorks }
    static let missingMountNamespace =
        "needs unshare(1) and the right to make a mount namespace (root): FoundationNetworking trusts only /etc/ssl/certs/ca-certificates.crt"
    private static let mountNamespaceWorks: Bool = {
        guard FileManager.default.isExecutableFile(atPath: unshareBinary), FileManager.default.fileExists(atPath: systemBundle)
        else { return false }
        let r = try? TS.run(
            unshareBinary, ["--mount", "--propagation", "private", "/bin/sh", "-c", "mount --bind \"$0\" \"$0\"", systemBundle])
        return r?.status == 0
    }()

    // MARK: - Start and stop

    /// Starts a registry in `mode` (over TLS with `tls: true`, or in `.tls` mode); returns once
    /// `GET /v2/` answers (200 or 401), throws with the log's tail if it does not within 15 s.
    init(mode: Mode, tls: Bool = false) throws {
        self.mode = mode
        var tls = tls
        if case .tls = mode { tls = true }
        usesTLS = tls
        let d = try TS.TempDir()
        dir = d
        var registryPID: pid_t = 0
        var tokenServerPID: pid_t = 0
        var tokenServerPort: Int? = nil
        do {
            try FileManager.default.createDirectory(atPath: d.path("storage"), withIntermediateDirectories: true)
            if tls { try Self.makeCertificates(in: d) }
            var auth: [String] = []
            switch mode {
            case .plain, .tls:
                break
            case .basic(let user, let password):
                let r = try TS.run(Self.htpasswdBinary, ["-Bbn", user, password])
                guard r.status == 0 else { throw Failure("htpasswd: \(r.stderr)") }
                try r.stdout.write(toFile: d.path("htpasswd"), atomically: true, encoding: .utf8)
                auth = ["auth:", "  htpasswd:", "    realm: \(Self.realm)", "    path: \(d.path("htpasswd"))"]
            case .token(let user, let password, let others):
                try Self.openssl([
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d.path("token.key"), "-out", d.path("token.crt"),
                    "-days", "2", "-subj", "/CN=\(Self.issuer)",
                ])
                let accounts = [Account(user: user, password: password, actions: ["pull", "push"])] + others
                let (port, serverPID) = try Self.startTokenServer(in: d, accounts: accounts)
                tokenServerPort = port
                tokenServerPID = serverPID
                auth = [
                    "auth:", "  token:", "    realm: http://127.0.0.1:\(port)/token", "    service: \(Self.service)",
                    "    issuer: \(Self.issuer)", "    rootcertbundle: \(d.path("token.crt"))",
                ]
            }
            // A free port, chosen before the registry binds it: another process may take it in
            // between, so a registry that cannot bind it is started again on another.
            var attempt = 0
            while true {
                attempt += 1
                let port = try Self.freePort()
                var config = [
                    "version: 0.1", "log:", "  level: info", "storage:", "  filesystem:", "    rootdirectory: \(d.path("storage"))",
                    "  delete:", "    enabled: true", "http:", "  addr: 127.0.0.1:\(port)", "  secret: imgtool-test-\(UUID().uuidString)",
                ]
                if tls { config += ["  tls:", "    certificate: \(d.path("server.crt"))", "    key: \(d.path("server.key"))"] }
                config += auth
                try (config.joined(separator: "\n") + "\n").write(toFile: d.path("config.yml"), atomically: true, encoding: .utf8)
                try? FileManager.default.removeItem(atPath: d.path("registry.log"))
                registryPID = try Self.startDetached([Self.registryBinary, "serve", d.path("config.yml")], log: d.path("registry.log"))
                switch Self.waitUntilAnswering("\(tls ? "https" : "http")://127.0.0.1:\(port)/v2/", pid: registryPID) {
                case .ready:
                    self.port = port
                    pid = registryPID
                    tokenPort = tokenServerPort
                    tokenPID = tokenServerPID
                    return
                case .exited where attempt < 3 && Self.logTail(of: d).contains("address already in use"):
                    continue
                case .exited, .timedOut:
                    throw Failure("docker-registry did not answer on 127.0.0.1:\(port) within 15 s:\n\(Self.logTail(of: d))")
                }
            }
        } catch {
            if registryPID > 0 { Self.terminate(registryPID) }
            if tokenServerPID > 0 { Self.terminate(tokenServerPID) }
            d.cleanup()
            throw error
        }
    }

    deinit { stop() }

    /// Stops the registry (SIGTERM, then SIGKILL after 5 s) and the token server, and removes
    /// every file. Safe to call twice.
    func stop() {
        guard !stopped else { return }
        stopped = true
        if pid > 0 { Self.terminate(pid) }
        if tokenPID > 0 { Self.terminate(tokenPID) }
        dir.cleanup()
    }

    // MARK: - Clients

    /// `command` run where the test CA is trusted the way the system's CAs are: in a private
    /// mount namespace where /etc/ssl/certs/ca-certificates.crt is ``trustedBundlePath``.
    /// `command[0]` is a path or a name looked up on PATH. Needs ``canUseMountNamespace``; TLS only.
    func withTrustedCA(_ command: [String]) -> [String] {
        precondition(usesTLS, "withTrustedCA is for a TLS registry")
        return Self.withBundle(dir.path("trusted-bundle.crt"), command)
    }

    /// `command` in a mount namespace where the system CA bundle is `bundle`.
    static func withBundle(_ bundle: String, _ command: [String]) -> [String] {
        [
            unshareBinary, "--mount", "--propagation", "private", "/bin/sh", "-c",
            "mount --bind \"$0\" \(systemBundle) && exec \"$@\"", bundle,
        ] + command
    }

    /// Runs curl with `arguments`; with `trusted`, through ``withTrustedCA(_:)``.
    func curl(_ arguments: [String], trusted: Bool = false) throws -> TS.ProcessResult {
        let command = [Self.which("curl") ?? "/usr/bin/curl"] + arguments
        let full = trusted ? withTrustedCA(command) : command
        return try TS.run(full[0], Array(full.dropFirst()))
    }

    /// Runs skopeo with an auth file of this server's own (empty unless a test writes one).
    func skopeo(_ arguments: [String]) throws -> TS.ProcessResult {
        var env = ProcessInfo.processInfo.environment
        env["REGISTRY_AUTH_FILE"] = authFile
        return try TS.run(Self.skopeoBinary, arguments, environment: env)
    }

    /// The digests of the blobs stored (layers, configs and manifests alike: the registry keeps
    /// manifests as blobs too).
    var storedBlobs: [String] {
        let root = storageRoot + "/docker/registry/v2/blobs/sha256"
        let fm = FileManager.default
        var digests: [String] = []
        for prefix in (try? fm.contentsOfDirectory(atPath: root)) ?? [] {
            for hex in (try? fm.contentsOfDirectory(atPath: root + "/" + prefix)) ?? []
            where fm.fileExists(atPath: root + "/" + prefix + "/" + hex + "/data") {
                digests.append("sha256:" + hex)
            }
        }
        return digests.sorted()
    }

    // MARK: - Internals

    /// A CA and a server certificate it signs (127.0.0.1, localhost), the certs.d directory and
    /// the trusted bundle.
    private static func makeCertificates(in d: TS.TempDir) throws {
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d.path("ca.key"), "-out", d.path("ca.crt"), "-days", "2",
            "-subj", "/CN=imgtool test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ])
        try openssl([
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", d.path("server.key"), "-out", d.path("server.csr"), "-subj",
            "/CN=localhost",
        ])
        try """
        subjectAltName=IP:127.0.0.1,DNS:localhost
        basicConstraints=CA:FALSE
        keyUsage=critical,digitalSignature,keyEncipherment
        extendedKeyUsage=serverAuth

        """.write(toFile: d.path("server.ext"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", d.path("server.csr"), "-CA", d.path("ca.crt"), "-CAkey", d.path("ca.key"), "-set_serial", "2",
            "-days", "2", "-out", d.path("server.crt"), "-extfile", d.path("server.ext"),
        ])
        let fm = FileManager.default
        try fm.createDirectory(atPath: d.path("certs.d"), withIntermediateDirectories: true)
        try fm.copyItem(atPath: d.path("ca.crt"), toPath: d.path("certs.d/ca.crt"))
        var bundle = (try? Data(contentsOf: URL(fileURLWithPath: systemBundle))) ?? Data()
        if let last = bundle.last, last != 0x0A { bundle.append(0x0A) }
        bundle.append(try Data(contentsOf: URL(fileURLWithPath: d.path("ca.crt"))))
        try bundle.write(to: URL(fileURLWithPath: d.path("trusted-bundle.crt")))
    }

    private static func openssl(_ arguments: [String]) throws {
        let r = try TS.run("/usr/bin/env", ["openssl"] + arguments)
        guard r.status == 0 else { throw Failure("openssl \(arguments.prefix(2).joined(separator: " ")): \(r.stderr)") }
    }

    /// Starts the token server; returns its port (the first line of its stdout) and pid.
    private static func startTokenServer(in d: TS.TempDir, accounts: [Account]) throws -> (Int, pid_t) {
        let script = TS.fixturesDir.appendingPathComponent("tools/registry-token-server.py").path
        var command = [
            "/usr/bin/env", "python3", script, "--key", d.path("token.key"), "--cert", d.path("token.crt"), "--issuer", issuer,
            "--log", d.path("token-requests.log"),
        ]
        for a in accounts { command += ["--user", "\(a.user):\(a.password):\(a.actions.joined(separator: ","))"] }
        let out = d.path("token-server.out")
        let pid = try startDetached(command, log: d.path("token-server.err"), stdout: out)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: out, encoding: .utf8), text.hasSuffix("\n"),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return (port, pid)
            }
            if !alive(pid) { break }
            usleep(50_000)
        }
        terminate(pid)
        let err = (try? String(contentsOfFile: d.path("token-server.err"), encoding: .utf8)) ?? ""
        throw Failure("the token server did not start: \(err.suffix(2000))")
    }

    /// Starts `command` in the background through a shell that returns at once, with every
    /// signal unblocked and no descriptor but 0, 1 and 2 (``TS/execDetached``); returns its pid.
    private static func startDetached(_ command: [String], log: String, stdout: String? = nil) throws -> pid_t {
        let quoted = (["python3", "-c", TS.execDetached] + command).map(shellQuote).joined(separator: " ")
        let redirect = stdout.map { "> \(shellQuote($0)) 2> \(shellQuote(log))" } ?? "> \(shellQuote(log)) 2>&1"
        let r = try TS.run("/bin/sh", ["-c", "\(quoted) \(redirect) < /dev/null & echo $!"])
        guard r.status == 0, let pid = pid_t(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failure("\(command[0]) did not start: \(r.stderr)")
        }
        return pid
    }

    private enum Readiness { case ready, exited, timedOut }

    /// Polls `url` until it answers 200 or 401 (TLS unverified: only readiness is asked here).
    private static func waitUntilAnswering(_ url: String, pid: pid_t) -> Readiness {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let r = try? TS.run(
                "/usr/bin/env", ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", url]),
                r.stdout == "200" || r.stdout == "401"
            {
                return .ready
            }
            if !alive(pid) { return .exited }
            usleep(100_000)
        }
        return .timedOut
    }

    /// A port of 127.0.0.1 free a moment ago.
    static func freePort() throws -> Int {
        let text = try TS.python("import socket\ns=socket.socket()\ns.bind(('127.0.0.1',0))\nprint(s.getsockname()[1])")
        guard let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw Failure("no free port") }
        return port
    }

    /// Whether `pid` runs (a zombie, left to whoever reaps it, does not).
    private static func alive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    private static func terminate(_ pid: pid_t) {
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while alive(pid) && Date() < deadline { usleep(50_000) }
        if alive(pid) { kill(pid, SIGKILL) }
    }

    private static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    private static func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}
