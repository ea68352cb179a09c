import Foundation
import TestSupport
import Testing

/// ``RegistryTestServer`` in each of its modes, proved with clients that are not imgtool (curl,
/// skopeo), and the upload protocol of distribution 2.8 that its doc comment describes.
/// Each test starts its own registry and stops it (and its token server) at its end.
@Suite(.enabled(if: RegistryTestServer.available, Comment(rawValue: RegistryTestServer.missing)))
struct RegistryTestServerTests {
    static let archive = "docker-archive:" + TS.fixture("skopeo-docker-archive.tar")

    /// One answer of curl: the status, the headers of the last response (names lowercased), the body.
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// `curl -X method url` with `headers`, `body` and `user` (`name:password`); the test CA is
    /// trusted through `--cacert` for a TLS server.
    static func request(
        _ server: RegistryTestServer, _ method: String, _ url: String, headers: [String] = [], body: Data? = nil,
        user: String? = nil
    ) throws -> Reply {
        let id = UUID().uuidString
        let headerFile = server.dir.path("curl-\(id).headers")
        let bodyFile = server.dir.path("curl-\(id).body")
        defer {
            for f in [headerFile, bodyFile, bodyFile + ".in"] { try? FileManager.default.removeItem(atPath: f) }
        }
        var arguments = ["-sS", "-X", method, "-D", headerFile, "-o", bodyFile, "--max-time", "10"]
        if method == "HEAD" { arguments = ["-sS", "-I", "-D", headerFile, "-o", bodyFile, "--max-time", "10"] }
        for h in headers { arguments += ["-H", h] }
        if let body {
            try body.write(to: URL(fileURLWithPath: bodyFile + ".in"))
            arguments += ["--data-binary", "@" + bodyFile + ".in"]
        }
        if let user { arguments += ["-u", user] }
        if let ca = server.caCertificatePath { arguments += ["--cacert", ca] }
        let r = try server.curl(arguments + [url])
        guard r.status == 0 else { throw RegistryTestServer.Failure("curl \(method) \(url): \(r.stderr)") }
        let text = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        // The last response's block (curl writes one per response, e.g. after a 100 Continue).
        let block = text.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }.last ?? ""
        var lines = block.components(separatedBy: "\r\n")
        let statusLine = lines.isEmpty ? "" : lines.removeFirst()
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? -1
        var fields: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let bodyText = (try? String(contentsOfFile: bodyFile, encoding: .utf8)) ?? ""
        return Reply(status: status, headers: fields, body: bodyText)
    }

    static func sha256(_ data: Data) throws -> String {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        try data.write(to: URL(fileURLWithPath: dir.path("blob")))
        let r = try TS.tool("sha256sum", [dir.path("blob")])
        return "sha256:" + r.stdout.prefix(64)
    }

    // MARK: - Plain

    @Test func plainAnswersV2() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        let r = try server.curl(["-fsS", "-w", "\n%{http_code}", server.baseURL + "/v2/"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "{}\n200")
        #expect(server.caCertificatePath == nil && server.tokenPort == nil)
        #expect(server.host == "127.0.0.1:\(server.port)")
    }

    @Test(.enabled(if: RegistryTestServer.hasSkopeo, Comment(rawValue: RegistryTestServer.missingSkopeo)))
    func plainTakesAPushBySkopeo() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        #expect(server.storedBlobs.isEmpty)
        let copy = try server.skopeo(["copy", "-q", "--dest-tls-verify=false", Self.archive, "docker://\(server.host)/test/img:v1"])
        #expect(copy.status == 0, "\(copy.stderr)\n\(server.logTail)")
        let inspect = try server.skopeo(["inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(server.host)/test/img:v1"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let digest = inspect.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(digest.hasPrefix("sha256:") && digest.count == 71)
        // The registry's own word on the tag, and the manifest among the stored blobs.
        let head = try Self.request(
            server, "HEAD", server.baseURL + "/v2/test/img/manifests/v1",
            headers: ["Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"])
        #expect(head.status == 200)
        #expect(head.header("Docker-Content-Digest") == digest)
        #expect(server.storedBlobs.contains(digest))
        #expect(server.storedBlobs.count >= 3, "a config, a layer at least, and the manifest: \(server.storedBlobs)")
    }

    // MARK: - Basic auth

    @Test(.enabled(if: RegistryTestServer.hasHtpasswd, Comment(rawValue: RegistryTestServer.missingHtpasswd)))
    func basicAuthChallengesAndChecksThePassword() throws {
        let server = try RegistryTestServer(mode: .basic(user: "alice", password: "s3cret"))
        defer { server.stop() }
        let anonymous = try Self.request(server, "GET", server.baseURL + "/v2/")
        #expect(anonymous.status == 401)
        #expect(anonymous.header("WWW-Authenticate") == "Basic realm=\"\(RegistryTestServer.realm)\"")
        #expect(anonymous.body.contains("UNAUTHORIZED"))
        #expect(try Self.request(server, "GET", server.baseURL + "/v2/", user: "alice:s3cret").status == 200)
        #expect(try Self.request(server, "GET", server.baseURL + "/v2/", user: "alice:wrong").status == 401)
        #expect(try Self.request(server, "GET", server.baseURL + "/v2/", user: "bob:s3cret").status == 401)
    }

    @Test(
        .enabled(if: RegistryTestServer.hasHtpasswd, Comment(rawValue: RegistryTestServer.missingHtpasswd)),
        .enabled(if: RegistryTestServer.hasSkopeo, Comment(rawValue: RegistryTestServer.missingSkopeo)))
    func basicAuthTakesAPushBySkopeoWithTheRightPassword() throws {
        let server = try RegistryTestServer(mode: .basic(user: "alice", password: "s3cret"))
        defer { server.stop() }
        let target = "docker://\(server.host)/test/img:v1"
        let wrong = try server.skopeo(["copy", "-q", "--dest-tls-verify=false", "--dest-creds", "alice:wrong", Self.archive, target])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.lowercased().contains("unauthorized"), "\(wrong.stderr)")
        let none = try server.skopeo(["copy", "-q", "--dest-tls-verify=false", Self.archive, target])
        #expect(none.status != 0)
        let copy = try server.skopeo(["copy", "-q", "--dest-tls-verify=false", "--dest-creds", "alice:s3cret", Self.archive, target])
        #expect(copy.status == 0, "\(copy.stderr)\n\(server.logTail)")
        let inspect = try server.skopeo(["inspect", "--tls-verify=false", "--creds", "alice:s3cret", "--format", "{{.Digest}}", target])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.hasPrefix("sha256:"))
        #expect(try server.skopeo(["inspect", "--tls-verify=false", target]).status != 0)
    }

    // MARK: - Token auth

    static let reader = RegistryTestServer.Account(user: "reader", password: "r3ad", actions: ["pull"])

    @Test func tokenAuthChallengesWithTheRealmServiceAndScope() throws {
        let server = try RegistryTestServer(mode: .token(user: "alice", password: "s3cret", others: [Self.reader]))
        defer { server.stop() }
        let realm = try #require(server.tokenRealm)
        let root = try Self.request(server, "GET", server.baseURL + "/v2/")
        #expect(root.status == 401)
        #expect(root.header("WWW-Authenticate") == "Bearer realm=\"\(realm)\",service=\"\(RegistryTestServer.service)\"")
        let upload = try Self.request(server, "POST", server.baseURL + "/v2/test/img/blobs/uploads/")
        #expect(upload.status == 401)
        // distribution lists the actions in no fixed order (a Go map): pull,push or push,pull.
        let challenge = "Bearer realm=\"\(realm)\",service=\"\(RegistryTestServer.service)\",scope=\"repository:test/img:"
        #expect(
            [challenge + "pull,push\"", challenge + "push,pull\""].contains(upload.header("WWW-Authenticate") ?? ""),
            "\(upload.header("WWW-Authenticate") ?? "none")")

        // The token server: the intersection of what is asked and what the user holds.
        func token(_ user: String?) throws -> (reply: Reply, claims: [String: Any], jwt: String) {
            let url = realm + "?service=\(RegistryTestServer.service)&scope=repository:test/img:pull,push"
            let reply = try Self.request(server, "GET", url, user: user)
            guard reply.status == 200 else { return (reply, [:], "") }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])
            let jwt = try #require(object["token"] as? String)
            #expect(object["access_token"] as? String == jwt)
            #expect(object["expires_in"] as? Int == 300)
            var payload = String(jwt.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+")
                .replacingOccurrences(of: "_", with: "/")
            payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
            let decoded = try #require(Data(base64Encoded: payload))
            let claims = try #require(try JSONSerialization.jsonObject(with: decoded) as? [String: Any])
            return (reply, claims, jwt)
        }
        func actions(_ claims: [String: Any]) -> [String] {
            ((claims["access"] as? [[String: Any]]) ?? []).flatMap { ($0["actions"] as? [String]) ?? [] }
        }
        let (_, alice, jwt) = try token("alice:s3cret")
        #expect(actions(alice) == ["pull", "push"])
        #expect(alice["aud"] as? String == RegistryTestServer.service)
        #expect(alice["iss"] as? String == RegistryTestServer.issuer)
        #expect(alice["sub"] as? String == "alice")
        let (_, reader, readerJWT) = try token("reader:r3ad")
        #expect(actions(reader) == ["pull"])
        let (_, anonymous, _) = try token(nil)
        #expect(actions(anonymous).isEmpty)
        let (wrong, _, _) = try token("alice:wrong")
        #expect(wrong.status == 401)
        #expect(server.tokenRequests.count == 4)

        // A token alice got is good for an upload; one the reader got is not.
        let uploads = server.baseURL + "/v2/test/img/blobs/uploads/"
        let authorized = try Self.request(server, "POST", uploads, headers: ["Authorization: Bearer \(jwt)"])
        #expect(authorized.status == 202, "\(authorized.body)\n\(server.logTail)")
        let refused = try Self.request(server, "POST", uploads, headers: ["Authorization: Bearer \(readerJWT)"])
        #expect(refused.status == 401)
        #expect(refused.header("WWW-Authenticate")?.hasSuffix(",error=\"insufficient_scope\"") == true, "\(refused.headers)")
        // The signature is checked: alice's claims under the reader's signature are refused.
        let a = jwt.split(separator: ".")
        let r = readerJWT.split(separator: ".")
        let forged = [a[0], a[1], r[2]].joined(separator: ".")
        let forgedReply = try Self.request(server, "POST", uploads, headers: ["Authorization: Bearer \(forged)"])
        #expect(forgedReply.status == 401)
    }

    @Test(.enabled(if: RegistryTestServer.hasSkopeo, Comment(rawValue: RegistryTestServer.missingSkopeo)))
    func tokenAuthLetsThePusherPushAndTheReaderOnlyPull() throws {
        let server = try RegistryTestServer(mode: .token(user: "alice", password: "s3cret", others: [Self.reader]))
        defer { server.stop() }
        let target = "docker://\(server.host)/test/img:v1"
        let copy = try server.skopeo(["copy", "-q", "--dest-tls-verify=false", "--dest-creds", "alice:s3cret", Self.archive, target])
        #expect(copy.status == 0, "\(copy.stderr)\n\(server.logTail)")
        let inspect = try server.skopeo(["inspect", "--tls-verify=false", "--creds", "reader:r3ad", "--format", "{{.Digest}}", target])
        #expect(inspect.status == 0, "\(inspect.stderr)\n\(server.logTail)")
        #expect(inspect.stdout.hasPrefix("sha256:"))
        // The reader's push, to a repository of its own so that no blob is there already.
        let denied = try server.skopeo([
            "copy", "-q", "--dest-tls-verify=false", "--dest-creds", "reader:r3ad", Self.archive, "docker://\(server.host)/test/other:v1",
        ])
        #expect(denied.status != 0)
        let message = denied.stderr.lowercased()
        #expect(message.contains("denied") || message.contains("unauthorized"), "\(denied.stderr)")
        // Anonymous: no access at all.
        #expect(try server.skopeo(["inspect", "--tls-verify=false", target]).status != 0)
        #expect(server.tokenRequests.contains { $0.contains("\"user\": \"alice\"") })
        #expect(server.tokenRequests.contains { $0.contains("\"user\": \"reader\"") })
    }

    // MARK: - TLS

    @Test func tlsServesTheTestCAsCertificate() throws {
        let server = try RegistryTestServer(mode: .tls)
        defer { server.stop() }
        #expect(server.baseURL.hasPrefix("https://"))
        let ca = try #require(server.caCertificatePath)
        let untrusted = try server.curl(["-sS", server.baseURL + "/v2/"])
        #expect(untrusted.status == 60, "curl's CURLE_PEER_FAILED_VERIFICATION: \(untrusted.stderr)")
        #expect(untrusted.stderr.contains("certificate"))
        let trusted = try server.curl(["-fsS", "--cacert", ca, server.baseURL + "/v2/"])
        #expect(trusted.status == 0 && trusted.stdout == "{}", "\(trusted.stderr)")
        let byName = try server.curl(["-fsS", "--cacert", ca, "https://localhost:\(server.port)/v2/"])
        #expect(byName.status == 0, "\(byName.stderr)")
    }

    @Test(.enabled(if: RegistryTestServer.canUseMountNamespace, Comment(rawValue: RegistryTestServer.missingMountNamespace)))
    func tlsIsTrustedInsideTheMountNamespaceOnly() throws {
        let server = try RegistryTestServer(mode: .tls)
        defer { server.stop() }
        let inside = try server.curl(["-fsS", server.baseURL + "/v2/"], trusted: true)
        #expect(inside.status == 0 && inside.stdout == "{}", "\(inside.stderr)")
        let outside = try server.curl(["-sS", server.baseURL + "/v2/"])
        #expect(outside.status == 60 && outside.stderr.contains("certificate"), "\(outside.stderr)")
        // The bind mount stayed in the namespace.
        let bundle = try String(contentsOfFile: RegistryTestServer.systemBundle, encoding: .utf8)
        let ca = try String(contentsOfFile: try #require(server.caCertificatePath), encoding: .utf8)
        #expect(!bundle.contains(ca.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test(.enabled(if: RegistryTestServer.hasSkopeo, Comment(rawValue: RegistryTestServer.missingSkopeo)))
    func tlsTakesAPushBySkopeoWithTheCertDirectory() throws {
        let server = try RegistryTestServer(mode: .tls)
        defer { server.stop() }
        let certs = try #require(server.certDirectory)
        let target = "docker://\(server.host)/test/img:v1"
        let copy = try server.skopeo(["copy", "-q", "--dest-cert-dir", certs, Self.archive, target])
        #expect(copy.status == 0, "\(copy.stderr)\n\(server.logTail)")
        let inspect = try server.skopeo(["inspect", "--cert-dir", certs, "--format", "{{.Digest}}", target])
        #expect(inspect.status == 0 && inspect.stdout.hasPrefix("sha256:"), "\(inspect.stderr)")
        let untrusted = try server.skopeo(["inspect", target])
        #expect(untrusted.status != 0)
        #expect(untrusted.stderr.contains("x509") || untrusted.stderr.contains("certificate"), "\(untrusted.stderr)")
    }

    @Test(.enabled(if: RegistryTestServer.hasHtpasswd, Comment(rawValue: RegistryTestServer.missingHtpasswd)))
    func tlsWithBasicAuth() throws {
        let server = try RegistryTestServer(mode: .basic(user: "alice", password: "s3cret"), tls: true)
        defer { server.stop() }
        #expect(try Self.request(server, "GET", server.baseURL + "/v2/").status == 401)
        #expect(try Self.request(server, "GET", server.baseURL + "/v2/", user: "alice:s3cret").status == 200)
    }

    // MARK: - Stop

    @Test func stopEndsTheRegistryAndTheTokenServer() throws {
        let server = try RegistryTestServer(mode: .token(user: "alice", password: "s3cret"))
        let pids = server.processIDs
        #expect(pids.count == 2)
        #expect(pids.allSatisfy { kill($0, 0) == 0 })
        server.stop()
        #expect(pids.allSatisfy { kill($0, 0) != 0 || Self.isZombie($0) }, "still running: \(pids)")
        #expect(!FileManager.default.fileExists(atPath: server.dir.url.path))
        server.stop()
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    // MARK: - The upload protocol (what RegistryTestServer's doc comment says)

    @Test func chunkedUploadMountAndOCIManifests() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        let base = server.baseURL
        let octet = "Content-Type: application/octet-stream"
        let first = Data(repeating: 0x41, count: 10)
        let second = Data(repeating: 0x42, count: 10)
        let digest = try Self.sha256(first + second)

        let start = try Self.request(server, "POST", base + "/v2/a/blobs/uploads/")
        #expect(start.status == 202)
        #expect(start.header("OCI-Chunk-Min-Length") == nil)
        #expect(start.header("Range") == "0-0")
        let uuid = try #require(start.header("Docker-Upload-UUID"))
        var location = try #require(start.header("Location"))
        #expect(location.hasPrefix(base + "/v2/a/blobs/uploads/\(uuid)?_state="), "absolute: \(location)")

        let patch1 = try Self.request(server, "PATCH", location, headers: [octet, "Content-Range: 0-9"], body: first)
        #expect(patch1.status == 202 && patch1.header("Range") == "0-9")
        location = try #require(patch1.header("Location"))
        let status = try Self.request(server, "GET", location)
        #expect(status.status == 204 && status.header("Range") == "0-9")
        #expect(status.header("Docker-Upload-UUID") == uuid)
        let stale = location
        let patch2 = try Self.request(server, "PATCH", location, headers: [octet, "Content-Range: 10-19"], body: second)
        #expect(patch2.status == 202 && patch2.header("Range") == "0-19")
        location = try #require(patch2.header("Location"))
        #expect(try Self.request(server, "GET", stale).body.contains("BLOB_UPLOAD_INVALID"))

        let zeros = "sha256:" + String(repeating: "0", count: 64)
        let wrong = try Self.request(server, "PUT", location + "&digest=" + zeros)
        #expect(wrong.status == 400)
        #expect(wrong.body.contains("\"code\":\"DIGEST_INVALID\""), "\(wrong.body)")
        #expect(try Self.request(server, "GET", location).header("Range") == "0-19", "the upload survives a wrong digest")
        let done = try Self.request(server, "PUT", location + "&digest=" + digest)
        #expect(done.status == 201 && done.header("Docker-Content-Digest") == digest)
        #expect(done.header("Location") == base + "/v2/a/blobs/" + digest)

        // Cross-repository mount: 201 from a repository holding the blob, a session otherwise.
        let mount = try Self.request(server, "POST", base + "/v2/b/blobs/uploads/?mount=\(digest)&from=a")
        #expect(mount.status == 201 && mount.header("Docker-Content-Digest") == digest)
        let missing = try Self.request(server, "POST", base + "/v2/b/blobs/uploads/?mount=\(zeros)&from=a")
        #expect(missing.status == 202 && missing.header("Docker-Upload-UUID") != nil)

        // OCI manifest and index.
        let config = Data(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"#.utf8)
        let configDigest = try Self.sha256(config)
        let session = try #require(try Self.request(server, "POST", base + "/v2/b/blobs/uploads/").header("Location"))
        #expect(try Self.request(server, "PUT", session + "&digest=" + configDigest, headers: [octet], body: config).status == 201)
        let manifest = Data(
            """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":\(config.count)},\
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(digest)","size":20}]}
            """.utf8)
        let manifestDigest = try Self.sha256(manifest)
        let ociManifest = "application/vnd.oci.image.manifest.v1+json"
        let put = try Self.request(server, "PUT", base + "/v2/b/manifests/v1", headers: ["Content-Type: " + ociManifest], body: manifest)
        #expect(put.status == 201 && put.header("Docker-Content-Digest") == manifestDigest, "\(put.body)")
        let index = Data(
            """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"\(ociManifest)",\
            "digest":"\(manifestDigest)","size":\(manifest.count),"platform":{"architecture":"amd64","os":"linux"}}]}
            """.utf8)
        let putIndex = try Self.request(
            server, "PUT", base + "/v2/b/manifests/multi", headers: ["Content-Type: application/vnd.oci.image.index.v1+json"], body: index)
        let indexDigest = try Self.sha256(index)
        #expect(putIndex.status == 201 && putIndex.header("Docker-Content-Digest") == indexDigest, "\(putIndex.body)")
        let noAccept = try Self.request(server, "GET", base + "/v2/b/manifests/v1")
        #expect(noAccept.status == 404 && noAccept.body.contains("MANIFEST_UNKNOWN"))
        let withAccept = try Self.request(server, "GET", base + "/v2/b/manifests/v1", headers: ["Accept: " + ociManifest])
        #expect(withAccept.status == 200 && withAccept.header("Content-Type") == ociManifest)
        let unknownBlob = Data(String(decoding: manifest, as: UTF8.self).replacingOccurrences(of: digest, with: zeros).utf8)
        let bad = try Self.request(
            server, "PUT", base + "/v2/b/manifests/bad", headers: ["Content-Type: " + ociManifest], body: unknownBlob)
        #expect(bad.status == 400 && bad.body.contains("MANIFEST_BLOB_UNKNOWN"))
    }
}
