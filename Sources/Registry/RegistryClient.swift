import ByteIO
import Foundation
import OCI

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client of one repository of an OCI registry (the distribution spec's `/v2/<name>/…`
/// endpoints), authenticating as the registry asks.
///
/// Each call is one request, or two when the registry first answers 401: the client then takes
/// up the challenge (``AuthChallenge``): `Basic` with the credentials; `Bearer` by asking the
/// token server named in `realm` for a token with pull and push on the repository (and pull on
/// each repository blobs may be mounted from), with the credentials as Basic, or anonymously.
/// The token is kept for the requests that follow, and asked for again when it expires.
public final class RegistryClient: @unchecked Sendable {
    /// The registry and repository.
    public let reference: ImageReference
    /// `https://HOST` or, with ``init(reference:plainHTTP:transport:credentials:mountFrom:)``'s
    /// `plainHTTP`, `http://HOST`.
    public let base: URL
    private let transport: HTTPTransport
    private let credentials: RegistryCredentials?
    private let mountFrom: [String]
    private let lock = NSLock()
    private var authorization: String?
    private var _requests = 0
    private var _bytesSent: Int64 = 0

    /// Requests sent so far (token requests included).
    public var requests: Int { lock.withLock { _requests } }
    /// Body bytes sent so far (blob chunks, configs, manifests).
    public var bytesSent: Int64 { lock.withLock { _bytesSent } }

    /// Creates a client; sends nothing.
    ///
    /// - Parameters:
    ///   - reference: The registry and repository (the tag is not used here).
    ///   - plainHTTP: Plain HTTP instead of HTTPS.
    ///   - transport: How requests are sent.
    ///   - credentials: What to answer a challenge with (`nil`: anonymous).
    ///   - mountFrom: Repositories of the same registry that blobs may be mounted from: their
    ///     pull scope is asked for with the token.
    public init(
        reference: ImageReference, plainHTTP: Bool, transport: HTTPTransport, credentials: RegistryCredentials?, mountFrom: [String] = []
    ) {
        self.reference = reference
        // ImageReference checked the host: letters, digits, `.`, `-`, a port, or [IPv6].
        self.base = URL(string: "\(plainHTTP ? "http" : "https")://\(reference.apiHost)") ?? URL(fileURLWithPath: "/")
        self.transport = transport
        self.credentials = credentials
        self.mountFrom = mountFrom
    }

    // MARK: - Endpoints

    /// `GET /v2/`: the registry is there and takes these credentials.
    public func ping() throws(RegistryError) {
        _ = try send("GET", url("/v2/"), expecting: [200])
    }

    /// `HEAD /v2/<name>/blobs/<digest>`: the blob's size, or `nil` when the repository does not
    /// have it.
    public func blobSize(_ digest: Digest) throws(RegistryError) -> Int64? {
        let r = try send("HEAD", url("/v2/\(reference.repository)/blobs/\(digest)"), expecting: [200, 404])
        guard r.status == 200 else { return nil }
        // A HEAD answer without its Content-Length says nothing of the size: treated as absent.
        return r[header: "content-length"].flatMap { Int64($0) }
    }

    /// `POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<repository>`: whether the registry
    /// mounted the blob (201). When it opened an upload instead (202), that upload is cancelled.
    public func mount(_ digest: Digest, from repository: String) throws(RegistryError) -> Bool {
        var c = URLComponents(url: url("/v2/\(reference.repository)/blobs/uploads/"), resolvingAgainstBaseURL: false)!
        c.queryItems = [URLQueryItem(name: "mount", value: digest.description), URLQueryItem(name: "from", value: repository)]
        let r = try send("POST", c.url!, expecting: [201, 202], body: Data())
        if r.status == 201 { return true }
        if let location = try? location(of: r, method: "POST") { cancel(location) }
        return false
    }

    /// `POST /v2/<name>/blobs/uploads/`: a new upload's location, and the smallest chunk the
    /// registry takes (`OCI-Chunk-Min-Length`, 0 when it says nothing).
    public func startUpload() throws(RegistryError) -> (location: URL, minimumChunk: Int) {
        let r = try send("POST", url("/v2/\(reference.repository)/blobs/uploads/"), expecting: [202], body: Data())
        return (try location(of: r, method: "POST"), r[header: "oci-chunk-min-length"].flatMap { Int($0) } ?? 0)
    }

    /// `GET <location>`: how many bytes of the upload the registry holds, or `nil` when it no
    /// longer knows the upload (it expired, or was completed or cancelled).
    public func uploadedBytes(at location: URL) throws(RegistryError) -> (bytes: Int64, location: URL)? {
        let r = try send("GET", location, expecting: [204, 200, 404])
        guard r.status != 404 else { return nil }
        let next = (try? self.location(of: r, method: "GET")) ?? location
        return (Self.rangeEnd(r[header: "range"]), next)
    }

    /// `PATCH <location>` with `Content-Range: <offset>-<offset + count - 1>`: the next chunk.
    ///
    /// - Returns: The location of the next request.
    public func patch(_ location: URL, _ chunk: Data, offset: Int64) throws(RegistryError) -> URL {
        let headers = [
            "Content-Type": "application/octet-stream",
            "Content-Range": "\(offset)-\(offset + Int64(chunk.count) - 1)",
        ]
        let r = try send("PATCH", location, expecting: [202], headers: headers, body: chunk)
        return try self.location(of: r, method: "PATCH")
    }

    /// `PUT <location>?digest=<digest>`, with the last bytes of the blob if any: completes the
    /// upload; the registry checks the digest.
    public func complete(_ location: URL, digest: Digest, last: Data = Data()) throws(RegistryError) {
        var c = URLComponents(url: location, resolvingAgainstBaseURL: false)!
        c.queryItems = (c.queryItems ?? []) + [URLQueryItem(name: "digest", value: digest.description)]
        _ = try send("PUT", c.url!, expecting: [201, 204], headers: ["Content-Type": "application/octet-stream"], body: last)
    }

    /// Uploads a small blob in two requests (`POST`, then `PUT ?digest=` with all of it), unless
    /// the repository has it.
    ///
    /// - Returns: Whether it was sent.
    public func uploadMonolithic(_ bytes: Data, digest: Digest) throws(RegistryError) -> Bool {
        if try blobSize(digest) != nil { return false }
        let (location, _) = try startUpload()
        try complete(location, digest: digest, last: bytes)
        return true
    }

    /// `DELETE <location>`: cancels an upload (best effort).
    public func cancel(_ location: URL) {
        _ = try? send("DELETE", location, expecting: [204, 404])
    }

    /// `PUT /v2/<name>/manifests/<reference>`: a manifest or index, by tag or digest.
    ///
    /// - Returns: The digest the registry reports (`Docker-Content-Digest`), if any.
    @discardableResult
    public func putManifest(_ bytes: Data, mediaType: MediaType, reference tagOrDigest: String) throws(RegistryError) -> String? {
        let r = try send(
            "PUT", url("/v2/\(reference.repository)/manifests/\(tagOrDigest)"), expecting: [201, 200],
            headers: ["Content-Type": mediaType.rawValue], body: bytes)
        return r[header: "docker-content-digest"]
    }

    /// `HEAD /v2/<name>/manifests/<reference>`: the manifest's digest, or `nil` when there is none.
    public func manifestDigest(_ tagOrDigest: String, accepting types: [MediaType]) throws(RegistryError) -> String? {
        let r = try send(
            "HEAD", url("/v2/\(reference.repository)/manifests/\(tagOrDigest)"), expecting: [200, 404],
            headers: ["Accept": types.map(\.rawValue).joined(separator: ", ")])
        return r.status == 200 ? (r[header: "docker-content-digest"] ?? "") : nil
    }

    // MARK: - Requests and authentication

    private func url(_ path: String) -> URL { URL(string: path, relativeTo: base)!.absoluteURL }

    /// The absolute URL of a response's `Location`.
    private func location(of r: HTTPResponse, method: String) throws(RegistryError) -> URL {
        guard let text = r[header: "location"], let u = URL(string: text, relativeTo: base) else {
            throw .protocolViolation(method: method, url: base.absoluteString, detail: "the registry's answer has no Location header")
        }
        return u.absoluteURL
    }

    /// The byte count a `Range: 0-<end>` header says the registry holds.
    static func rangeEnd(_ header: String?) -> Int64 {
        guard let header, let dash = header.lastIndex(of: "-"),
            let end = Int64(header[header.index(after: dash)...].trimmingCharacters(in: .whitespaces))
        else {
            return 0
        }
        // distribution answers `0-0` for an upload that holds nothing yet and `0-N` for N + 1
        // bytes (N is the last byte's offset), so one byte also reads `0-0`; chunks are
        // megabytes, so an upload never holds exactly one.
        return end == 0 ? 0 : end + 1
    }

    private func send(
        _ method: String, _ url: URL, expecting statuses: Set<Int>, headers: [String: String] = [:], body: Data? = nil
    ) throws(RegistryError) -> HTTPResponse {
        var reauthenticated = false
        while true {
            var request = HTTPRequest(method, url, headers: headers, body: body)
            // The credentials go to the registry alone, not to another host a Location names.
            if let a = lock.withLock({ authorization }), url.host == base.host, url.port == base.port, url.scheme == base.scheme {
                request.headers["Authorization"] = a
            }
            lock.withLock {
                _requests += 1
                _bytesSent += Int64(body?.count ?? 0)
            }
            let r = try transport.send(request)
            if r.status == 401 && !reauthenticated {
                reauthenticated = true
                try authenticate(r[header: "www-authenticate"], after: method, url)
                continue
            }
            guard statuses.contains(r.status) else {
                var errors = Self.errors(in: r.body)
                // FoundationNetworking hands a Basic 401 over without its body.
                if errors.isEmpty && r.status == 401 {
                    errors = [
                        RegistryError.ServerError(
                            code: "UNAUTHORIZED",
                            message: credentials == nil
                                ? "authentication required" : "the credentials from \(credentials!.source) were refused")
                    ]
                }
                throw .status(method: method, url: Self.redacted(url), status: r.status, errors: errors)
            }
            return r
        }
    }

    private func authenticate(_ header: String?, after method: String, _ url: URL) throws(RegistryError) {
        guard let header, let challenge = AuthChallenge(parsing: header) else {
            throw .status(method: method, url: Self.redacted(url), status: 401, errors: [ServerErrorCode.unauthorized])
        }
        switch challenge.scheme {
        case "basic":
            guard let credentials else { throw .credentialsRequired(registry: reference.registry, realm: challenge.realm) }
            lock.withLock { authorization = credentials.basicAuthorization }
        case "bearer":
            let token = try fetchToken(challenge)
            lock.withLock { authorization = "Bearer \(token)" }
        default:
            throw .unsupported("\(reference.registry) asks for \(challenge.scheme) authentication; imgtool speaks Basic and Bearer")
        }
    }

    /// The token flow: `GET realm?service=…&scope=repository:<name>:pull,push[&scope=repository:<from>:pull]`.
    private func fetchToken(_ challenge: AuthChallenge) throws(RegistryError) -> String {
        guard let realm = challenge.realm, var c = URLComponents(string: realm) else {
            throw .protocolViolation(method: "GET", url: base.absoluteString, detail: "the Bearer challenge names no realm")
        }
        var items = c.queryItems ?? []
        if let service = challenge.parameters["service"] { items.append(URLQueryItem(name: "service", value: service)) }
        // The scopes this push needs, and any the registry's challenge names (space-separated:
        // a mount from a repository not asked for before).
        var scopes =
            ["repository:\(reference.repository):pull,push"]
            + mountFrom.filter { $0 != reference.repository }.map { "repository:\($0):pull" }
        for scope in (challenge.parameters["scope"] ?? "").split(separator: " ").map(String.init) where !scopes.contains(scope) {
            scopes.append(scope)
        }
        items += scopes.map { URLQueryItem(name: "scope", value: $0) }
        if let credentials { items.append(URLQueryItem(name: "account", value: credentials.username)) }
        c.queryItems = items
        guard let tokenURL = c.url else {
            throw .protocolViolation(method: "GET", url: realm, detail: "the realm is not a URL")
        }
        var request = HTTPRequest("GET", tokenURL)
        if let credentials {
            // Not in clear to a token server elsewhere when the registry itself is HTTPS.
            let loopback = ["localhost", "127.0.0.1", "::1"].contains(tokenURL.host ?? "") || (tokenURL.host ?? "").hasPrefix("127.")
            if base.scheme == "https" && tokenURL.scheme == "http" && !loopback {
                throw .protocolViolation(
                    method: "GET", url: realm,
                    detail:
                        "the registry is HTTPS but its token server is plain HTTP: the credentials would cross the network in clear; refused"
                )
            }
            request.headers["Authorization"] = credentials.basicAuthorization
        }
        lock.withLock { _requests += 1 }
        let r = try transport.send(request)
        guard r.status == 200 else {
            let said = Self.errors(in: r.body).map { $0.message ?? $0.code }.joined(separator: ", ")
            let detail =
                said.isEmpty ? (credentials == nil ? "anonymous access refused; give credentials" : "the credentials were refused") : said
            throw .token(realm: realm, status: r.status, detail: detail)
        }
        struct Answer: Decodable {
            var token: String?
            var accessToken: String?
            enum CodingKeys: String, CodingKey {
                case token
                case accessToken = "access_token"
            }
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: r.body), let token = answer.token ?? answer.accessToken,
            !token.isEmpty
        else {
            throw .token(realm: realm, status: r.status, detail: "the answer holds no token")
        }
        return token
    }

    /// The errors of a registry's JSON error body.
    static func errors(in body: Data) -> [RegistryError.ServerError] {
        struct Body: Decodable { var errors: [RegistryError.ServerError]? }
        return (try? JSONDecoder().decode(Body.self, from: body))?.errors ?? []
    }

    /// A URL for messages: without the upload state (`_state=…`) distribution adds to locations.
    static func redacted(_ url: URL) -> String {
        guard var c = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url.absoluteString }
        c.queryItems = c.queryItems?.filter { $0.name != "_state" }
        if c.queryItems?.isEmpty == true { c.queryItems = nil }
        return c.url?.absoluteString ?? url.absoluteString
    }
}

/// Error codes the client itself reports.
enum ServerErrorCode {
    static let unauthorized = RegistryError.ServerError(
        code: "UNAUTHORIZED", message: "the registry answered 401 without a WWW-Authenticate challenge")
}
