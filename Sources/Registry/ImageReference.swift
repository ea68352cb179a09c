/// `REGISTRY/REPOSITORY[:TAG]`, as `docker push` and the distribution spec read it.
///
/// The first component is the registry when it holds a `.` or a `:` or is `localhost`
/// (Docker's rule, distribution/reference `normalize.go`); otherwise the reference is on
/// Docker Hub (`docker.io`, `library/` for one-component names). The tag defaults to
/// `latest`; a digest (`@sha256:…`) is refused, as pushing sets a tag.
public struct ImageReference: Sendable, Equatable, CustomStringConvertible {
    /// The registry as written (`127.0.0.1:5000`, `ghcr.io`, `docker.io`): what credentials are
    /// looked up by.
    public var registry: String
    /// The repository (`maia/web`, `library/nginx`).
    public var repository: String
    /// The tag.
    public var tag: String

    /// The host (and port) requests go to: `registry-1.docker.io` for Docker Hub.
    public var apiHost: String { registry == "docker.io" ? "registry-1.docker.io" : registry }

    /// Whether the registry is on this machine (`localhost`, `127.*`, `[::1]`).
    public var isLoopback: Bool {
        let host = registry.hasPrefix("[") ? String(registry.prefix { $0 != "]" }.dropFirst()) : String(registry.prefix { $0 != ":" })
        return host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }

    public var description: String { "\(registry)/\(repository):\(tag)" }

    /// Parses a reference.
    ///
    /// - Parameter text: `REGISTRY/REPOSITORY[:TAG]`.
    /// - Throws: ``RegistryError/invalidReference(_:reason:)``.
    public init(parsing text: String) throws(RegistryError) {
        guard !text.isEmpty else { throw .invalidReference(text, reason: "it is empty") }
        if text.contains("@") {
            throw .invalidReference(text, reason: "push sets a tag; give REPOSITORY:TAG, not a digest")
        }
        if text.contains("://") {
            throw .invalidReference(text, reason: "give the registry without a scheme (--insecure chooses plain HTTP)")
        }
        var components = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let first = components[0]
        if components.count > 1 && (first.contains(".") || first.contains(":") || first == "localhost") {
            registry = first
            components.removeFirst()
        } else {
            registry = "docker.io"
        }
        guard Self.isValidHost(registry) else {
            throw .invalidReference(
                text, reason: "the registry `\(registry)` must be HOST or HOST:PORT (letters, digits, . and -; [IPv6] in brackets)")
        }
        var last = components.removeLast()
        var tag = "latest"
        if let colon = last.lastIndex(of: ":") {
            tag = String(last[last.index(after: colon)...])
            last = String(last[..<colon])
        }
        components.append(last)
        if registry == "docker.io" && components.count == 1 { components.insert("library", at: 0) }
        repository = components.joined(separator: "/")
        self.tag = tag
        guard Self.isValidRepository(repository) else {
            throw .invalidReference(
                text, reason: "the repository `\(repository)` must be lowercase letters, digits and . _ - separated by /")
        }
        guard Self.isValidTag(tag) else {
            throw .invalidReference(text, reason: "the tag `\(tag)` must be 1 to 128 letters, digits, _ . - (not starting with . or -)")
        }
    }

    /// The distribution spec's `<name>`: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
    static func isValidRepository(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 255 else { return false }
        for component in name.split(separator: "/", omittingEmptySubsequences: false) {
            guard let f = component.first, let l = component.last, isAlnum(f), isAlnum(l) else { return false }
            var previous: Character = f
            for c in component {
                if isAlnum(c) {
                } else if c == "." || c == "_" || c == "-" {
                    if previous == "." && c != "-" { return false }
                } else {
                    return false
                }
                previous = c
            }
        }
        return true
    }

    /// `host[:port]`: a name or IPv4 address of letters, digits, `.` and `-`, or `[IPv6]`; the
    /// port digits.
    static func isValidHost(_ text: String) -> Bool {
        var host = Substring(text)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inside = host[host.index(after: host.startIndex)..<close]
            guard !inside.isEmpty, inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { return false }
                port = rest.dropFirst()
            }
            host = inside
        } else {
            let parts = host.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = parts[0]
            if parts.count == 2 { port = parts[1] }
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else {
                return false
            }
        }
        if let port {
            guard port.allSatisfy(\.isNumber), let n = Int(port), (1...65535).contains(n) else { return false }
        }
        return true
    }

    /// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
    static func isValidTag(_ tag: String) -> Bool {
        guard let f = tag.first, tag.count <= 128, f.isASCII, f.isLetter || f.isNumber || f == "_" else { return false }
        return tag.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }
    }

    private static func isAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLowercase || c.isNumber) }
}
