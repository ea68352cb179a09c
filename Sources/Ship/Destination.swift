import ByteIO
import OCI

/// Where an archive is shipped: `[user@]host[:port]:/remote/dir`.
///
/// The host is handed to `ssh` as one argument after `--`, so it may be an alias from
/// `~/.ssh/config`. Anything that could be read as an ssh option (`-oProxyCommand=...`) or that is
/// not a host name is refused here, before any process starts.
public struct Destination: Sendable, Hashable, CustomStringConvertible {
    /// The login name, or nil for ssh's default (from `~/.ssh/config` or the local user).
    public var user: String?
    /// A host name, an address, or a `Host` alias of `~/.ssh/config`.
    public var host: String
    /// The port, or nil for ssh's default.
    public var port: Int?
    /// The remote directory the archive lands in (absolute, or relative to the remote home).
    public var directory: String

    /// Creates a destination from its parts.
    public init(user: String? = nil, host: String, port: Int? = nil, directory: String) {
        self.user = user
        self.host = host
        self.port = port
        self.directory = directory
    }

    /// Parses `[user@]host[:port]:/remote/dir`; an IPv6 address goes in brackets (`[::1]:/srv`).
    ///
    /// - Parameter text: The command-line argument.
    /// - Throws: ``ShipError/invalidDestination(_:reason:)`` saying what is wrong.
    public init(parsing text: String) throws(ShipError) {
        func fail(_ reason: String) -> ShipError { .invalidDestination(text, reason: reason) }
        if text.hasPrefix("-") { throw fail("looks like an option, not a host") }
        var rest = Substring(text)
        var user: String?
        // The user ends at the last '@' before the host part (a '@' cannot appear in a host).
        if let at = rest.firstIndex(of: "@"), rest.firstIndex(of: ":").map({ at < $0 }) ?? true,
            rest.firstIndex(of: "[").map({ at < $0 }) ?? true
        {
            user = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        var host: String
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw fail("an IPv6 address needs its closing ']'") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            guard rest.hasPrefix(":") else { throw fail("expected ':' and a directory after the address") }
            rest = rest.dropFirst()
            guard !host.isEmpty, host.contains(":"), host.allSatisfy({ $0.isASCIILetterOrDigit || ":.%".contains($0) }) else {
                throw fail("'\(host)' is not an IPv6 address")
            }
        } else {
            guard let colon = rest.firstIndex(of: ":") else { throw fail("no ':' between host and directory") }
            host = String(rest[..<colon])
            rest = rest[rest.index(after: colon)...]
        }
        var port: Int?
        if let colon = rest.firstIndex(of: ":"), !rest[..<colon].isEmpty, rest[..<colon].allSatisfy(\.isASCIIDigit) {
            guard let p = Int(rest[..<colon]), (1...65535).contains(p) else { throw fail("port \(rest[..<colon]) is out of range") }
            port = p
            rest = rest[rest.index(after: colon)...]
        } else if !rest.isEmpty, rest.allSatisfy(\.isASCIIDigit) {
            throw fail("'\(rest)' looks like a port with no directory after it; write host:\(rest):/dir")
        }
        if let user {
            if user.isEmpty { throw fail("empty user name before '@'") }
            if user.hasPrefix("-") { throw fail("the user name looks like an option") }
            guard user.allSatisfy({ $0.isASCIILetterOrDigit || "._-$".contains($0) }) else {
                throw fail("'\(user)' is not a user name")
            }
        }
        if host.isEmpty { throw fail("no host") }
        if host.hasPrefix("-") { throw fail("the host looks like an option") }
        guard host.allSatisfy({ $0.isASCIILetterOrDigit || ".-_:%".contains($0) }) else {
            throw fail("'\(host)' is not a host name")
        }
        if rest.isEmpty { throw fail("no remote directory") }
        // scp would take a relative path from the login directory; a ship says where it goes.
        if rest.hasPrefix("~") { throw fail("'~' is not expanded: give the absolute directory, e.g. host:/home/deploy/maia") }
        if !rest.hasPrefix("/") { throw fail("the remote directory must be absolute, e.g. host:/opt/maia") }
        if rest.contains("\n") || rest.contains("\r") || rest.contains("\0") {
            throw fail("the directory contains a line break")
        }
        self.init(user: user, host: host, port: port, directory: String(rest))
    }

    /// `user@host:port`, as the destination is named in messages.
    public var label: String {
        var s = user.map { "\($0)@" } ?? ""
        s += host.contains(":") ? "[\(host)]" : host
        if let port { s += ":\(port)" }
        return s
    }

    /// `user@host:port:/dir`.
    public var description: String { "\(label):\(directory)" }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILetterOrDigit: Bool { isASCII && (isLetter || isNumber) }
}
