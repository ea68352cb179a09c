import ByteIO
import OCI

/// A failure talking to a registry, located: which request, what came back.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The registry answered `status` to `method url`, with the errors of its JSON body
    /// (`{"errors":[{"code":"DENIED","message":…}]}`), if any.
    case status(method: String, url: String, status: Int, errors: [ServerError])
    /// The request never got an answer: the connection was refused or dropped, TLS failed, it
    /// timed out.
    case transport(method: String, url: String, detail: String)
    /// The registry asked for credentials and none were given (or found for `registry`).
    case credentialsRequired(registry: String, realm: String?)
    /// The token server at `realm` refused the credentials or gave no token.
    case token(realm: String, status: Int, detail: String)
    /// A credential helper (`docker-credential-NAME`) failed.
    case credentialHelper(name: String, detail: String)
    /// `~/.docker/config.json` (or the file named) is not what Docker writes.
    case config(path: String, detail: String)
    /// Not a `REGISTRY/REPOSITORY[:TAG]` reference.
    case invalidReference(String, reason: String)
    /// The registry answered something the protocol does not allow (a missing `Location`, …).
    case protocolViolation(method: String, url: String, detail: String)
    /// What this platform's HTTP stack cannot do (a CA certificate of one's own with
    /// FoundationNetworking on Linux).
    case unsupported(String)
    /// A file this module reads (a CA certificate) cannot be read.
    case io(path: String, underlying: ByteIOError)

    /// One entry of a registry's error body.
    public struct ServerError: Sendable, Equatable, Codable {
        /// The code: `BLOB_UNKNOWN`, `DENIED`, `UNAUTHORIZED`, `MANIFEST_INVALID`, `DIGEST_INVALID`, …
        public var code: String
        /// The registry's message.
        public var message: String?

        /// Describes an error.
        public init(code: String, message: String? = nil) {
            self.code = code
            self.message = message
        }
    }

    /// The HTTP status, when the registry answered.
    public var httpStatus: Int? {
        switch self {
        case .status(_, _, let status, _): status
        case .token(_, let status, _): status
        default: nil
        }
    }

    /// The registry's error codes, when it gave any.
    public var codes: [String] {
        if case .status(_, _, _, let errors) = self { return errors.map(\.code) }
        return []
    }

    /// Whether the credentials (or their rights) were the problem: 401, 403, `DENIED`, `UNAUTHORIZED`.
    public var isAuthentication: Bool {
        switch self {
        case .credentialsRequired, .token, .credentialHelper: return true
        case .status(_, _, let status, let errors):
            return status == 401 || status == 403 || errors.contains { $0.code == "DENIED" || $0.code == "UNAUTHORIZED" }
        default: return false
        }
    }

    /// Whether running the same command again may succeed: the connection, a timeout, a 5xx,
    /// or a 429 (too many requests).
    public var isRetriable: Bool {
        switch self {
        case .transport: return true
        case .status(_, _, let status, _): return status >= 500 || status == 429 || status == 408
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .status(let method, let url, let status, let errors):
            var text = "\(method) \(url): HTTP \(status) \(Self.reason(status))"
            if !errors.isEmpty {
                text += ": " + errors.map { e in e.message.map { "\(e.code) (\($0))" } ?? e.code }.joined(separator: ", ")
            }
            return text
        case .transport(let method, let url, let detail):
            return "\(method) \(url): \(detail)"
        case .credentialsRequired(let registry, let realm):
            return
                "\(registry) asks for credentials\(realm.map { " (realm \($0))" } ?? "") and none were found: docker login \(registry), or --username with --password-stdin"
        case .token(let realm, let status, let detail):
            return "the token server \(realm) answered HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")"
        case .credentialHelper(let name, let detail):
            return "the credential helper docker-credential-\(name) failed: \(detail)"
        case .config(let path, let detail):
            return "\(path): \(detail)"
        case .invalidReference(let text, let reason):
            return "`\(text)` is not a REGISTRY/REPOSITORY[:TAG] reference: \(reason)"
        case .protocolViolation(let method, let url, let detail):
            return "\(method) \(url): \(detail)"
        case .io(let path, let underlying):
            return "\(path): \(underlying)"
        case .unsupported(let what):
            return what
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Payload Too Large"
        case 416: "Range Not Satisfiable"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: ""
        }
    }
}
