import ByteIO
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request, with its whole body in memory (a chunk of an upload at most).
public struct HTTPRequest: Sendable {
    /// `GET`, `HEAD`, `POST`, `PATCH`, `PUT`, `DELETE`.
    public var method: String
    /// Where it goes.
    public var url: URL
    /// Its headers.
    public var headers: [String: String]
    /// Its body.
    public var body: Data?

    /// Describes a request.
    public init(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// What came back.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The headers, names lowercased.
    public var headers: [String: String]
    /// The body.
    public var body: Data

    /// A header by its name, any case.
    public subscript(header name: String) -> String? { headers[name.lowercased()] }
}

/// How requests are sent: the toolchain's `URLSession` (libcurl under FoundationNetworking on
/// Linux, the system's networking on Apple platforms), one request at a time, waited for.
///
/// The platform's differences sit here alone: on Apple platforms a CA certificate of one's own
/// is an anchor of the server's trust evaluation; FoundationNetworking on Linux offers no way
/// to add one (libcurl is given the system bundle, `/etc/ssl/certs/ca-certificates.crt`, and
/// its challenge delegate is never asked about server trust), so there the system trust store
/// is the only one.
public final class HTTPTransport: Sendable {
    private let session: URLSession
    private let delegate: SessionDelegate
    /// The idle timeout of a request, in seconds.
    public let timeout: TimeInterval

    /// Creates a transport.
    ///
    /// - Parameters:
    ///   - caCertificatePath: A PEM or DER certificate to trust besides the system's (Apple
    ///     platforms only).
    ///   - timeout: Seconds a request may wait without progress.
    /// - Throws: ``RegistryError/io(path:underlying:)`` when the certificate cannot be read,
    ///   ``RegistryError/unsupported(_:)`` on Linux when one is given.
    public init(caCertificatePath: String? = nil, timeout: TimeInterval = 120) throws(RegistryError) {
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        configuration.httpMaximumConnectionsPerHost = 8
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        #if canImport(Security)
        let anchor = try caCertificatePath.map { path throws(RegistryError) in try SessionDelegate.certificate(at: path) }
        delegate = SessionDelegate(anchor: anchor)
        #else
        if let caCertificatePath {
            throw .unsupported(
                "--ca-cert \(caCertificatePath): FoundationNetworking on Linux trusts only the system store; add the certificate there (copy it to /usr/local/share/ca-certificates/NAME.crt and run update-ca-certificates)"
            )
        }
        delegate = SessionDelegate()
        #endif
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    }

    /// Sends `request` and waits for the whole response.
    ///
    /// - Throws: ``RegistryError/transport(method:url:detail:)`` when no response came.
    public func send(_ request: HTTPRequest) throws(RegistryError) -> HTTPResponse {
        var r = URLRequest(url: request.url)
        r.httpMethod = request.method
        r.timeoutInterval = timeout
        for (name, value) in request.headers { r.setValue(value, forHTTPHeaderField: name) }
        if let body = request.body {
            r.httpBody = body
        } else if ["PUT", "POST", "PATCH"].contains(request.method) {
            r.httpBody = Data()
        }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: r) { data, response, error in
            box.set(data, response, error)
            done.signal()
        }
        task.resume()
        done.wait()
        let (data, response, error) = box.get()
        // A 401 the session turned into a challenge (Basic): the response the delegate kept.
        guard let http = response as? HTTPURLResponse ?? delegate.takeFailureResponse(task.taskIdentifier) else {
            throw .transport(method: request.method, url: RegistryClient.redacted(request.url), detail: Self.describe(error))
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let n = name as? String, let v = value as? String { headers[n.lowercased()] = v }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: data ?? Data())
    }

    /// Ends the session's connections.
    public func close() { session.invalidateAndCancel() }

    static func describe(_ error: (any Error)?) -> String {
        guard let error else { return "no response" }
        let ns = error as NSError
        switch ns.code {
        case NSURLErrorCannotConnectToHost: return "connection refused (is the registry running, and on this port?)"
        case NSURLErrorTimedOut: return "timed out"
        case NSURLErrorCannotFindHost: return "host not found"
        case NSURLErrorNetworkConnectionLost: return "the connection was dropped"
        case NSURLErrorNotConnectedToInternet: return "no network"
        case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasUnknownRoot,
            NSURLErrorServerCertificateHasBadDate, NSURLErrorServerCertificateNotYetValid:
            return
                "TLS failed: the registry's certificate is not trusted (\(ns.localizedDescription)); --ca-cert FILE trusts its CA, --insecure uses plain HTTP"
        default:
            if let description = ns.userInfo[NSLocalizedDescriptionKey] as? String, !description.isEmpty {
                if description.lowercased().contains("certificate") || description.lowercased().contains("ssl") {
                    return "TLS failed: \(description); --ca-cert FILE trusts its CA, --insecure uses plain HTTP"
                }
                return description
            }
            return "\(ns.domain) error \(ns.code)"
        }
    }
}

/// The completion handler's results, handed to the waiting thread.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Data?, URLResponse?, (any Error)?) = (nil, nil, nil)
    func set(_ d: Data?, _ r: URLResponse?, _ e: (any Error)?) { lock.withLock { value = (d, r, e) } }
    func get() -> (Data?, URLResponse?, (any Error)?) { lock.withLock { value } }
}

/// The session's delegate: it answers every authentication challenge itself, so that a 401 is
/// the caller's to handle (``RegistryClient`` speaks Basic and Bearer). FoundationNetworking
/// turns a 401 with a `Basic` challenge into a challenge and, with no delegate, never completes
/// the task; the response is kept here and the challenge cancelled. On Apple platforms a CA
/// certificate of one's own is added to the server-trust evaluation's anchors.
private final class SessionDelegate: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [Int: HTTPURLResponse] = [:]
    #if canImport(Security)
    private let anchor: SecCertificate?

    init(anchor: SecCertificate?) {
        self.anchor = anchor
    }
    #endif

    /// A redirect to another host (a blob's storage) goes without the registry's credentials.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        var next = request
        if let from = task.originalRequest?.url, let to = request.url,
            from.host != to.host || from.port != to.port || from.scheme != to.scheme
        {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        }
        completionHandler(next)
    }

    /// The 401 a challenge of `task` came with.
    func takeFailureResponse(_ task: Int) -> HTTPURLResponse? { lock.withLock { failures.removeValue(forKey: task) } }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        #if canImport(Security)
        if challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust {
            guard let anchor, let trust = challenge.protectionSpace.serverTrust else {
                completionHandler(.performDefaultHandling, nil)
                return
            }
            SecTrustSetAnchorCertificates(trust, [anchor] as CFArray)
            SecTrustSetAnchorCertificatesOnly(trust, false)
            if SecTrustEvaluateWithError(trust, nil) {
                completionHandler(.useCredential, URLCredential(trust: trust))
            } else {
                completionHandler(.cancelAuthenticationChallenge, nil)
            }
            return
        }
        #endif
        if let response = challenge.failureResponse as? HTTPURLResponse {
            lock.withLock { failures[task.taskIdentifier] = response }
        }
        completionHandler(.cancelAuthenticationChallenge, nil)
    }

    #if canImport(Security)
    /// A PEM or DER certificate file.
    static func certificate(at path: String) throws(RegistryError) -> SecCertificate {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(path: path, underlying: ByteIOError(operation: "open", errno: ENOENT, path: path))
        }
        var der = data
        if let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN CERTIFICATE-----") {
            let body = text.components(separatedBy: "-----BEGIN CERTIFICATE-----")[1]
                .components(separatedBy: "-----END CERTIFICATE-----")[0]
                .filter { !$0.isWhitespace }
            der = Data(base64Encoded: body) ?? Data()
        }
        guard let c = SecCertificateCreateWithData(nil, der as CFData) else {
            throw .unsupported("--ca-cert \(path): not a PEM or DER certificate")
        }
        return c
    }
    #endif
}

#if canImport(Security)
import Security
#endif
