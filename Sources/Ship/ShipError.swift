/// Everything that can stop a ship, each naming the destination and saying what to do.
///
/// Errors from reading the archive are ``ImageTar/ArchiveError``s and never reach this type.
public enum ShipError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The destination argument is not `[user@]host[:port]:/dir`, or looks like an ssh option.
    case invalidDestination(String, reason: String)
    /// The host cannot be reached: name resolution, connection refused, timeout.
    case unreachable(host: String, detail: String)
    /// The server refused every key or password offered.
    case authenticationFailed(host: String, detail: String)
    /// The host key is unknown or differs from `known_hosts`.
    case hostKey(host: String, detail: String)
    /// The remote has none of `sha256sum`, `shasum` or `openssl`.
    case noSHA256Tool(host: String)
    /// The remote path exists and is not a directory.
    case notADirectory(host: String, path: String)
    /// The remote refused to create or write a file.
    case permissionDenied(host: String, path: String, detail: String)
    /// The remote filesystem is full (or too small for the archive).
    case diskFull(host: String, path: String, detail: String)
    /// The connection ended or the remote side answered out of protocol.
    case transfer(host: String, detail: String)
    /// The local archive changed between its verification and the transfer.
    case archiveChanged(path: String, offset: Int64)
    /// The local archive cannot be read.
    case localIO(path: String, detail: String)
    /// `--load` or `--then` exited non-zero on the remote.
    case remoteCommandFailed(host: String, command: String, status: Int32)

    /// The host this error is about, if any.
    public var host: String? {
        switch self {
        case .unreachable(let h, _), .authenticationFailed(let h, _), .hostKey(let h, _), .noSHA256Tool(let h),
            .notADirectory(let h, _), .permissionDenied(let h, _, _), .diskFull(let h, _, _), .transfer(let h, _),
            .remoteCommandFailed(let h, _, _):
            h
        case .invalidDestination, .archiveChanged, .localIO:
            nil
        }
    }

    public var description: String {
        switch self {
        case .invalidDestination(let text, let reason):
            "'\(text)': \(reason); a destination is [user@]host[:port]:/remote/dir"
        case .unreachable(let host, let detail):
            "\(host): cannot connect: \(detail); check the host name, the port and the network (try `\(Self.ssh(host)) true`)"
        case .authenticationFailed(let host, let detail):
            "\(host): authentication failed: \(detail); load your key into ssh-agent or set IdentityFile in ~/.ssh/config (try `\(Self.ssh(host)) true`)"
        case .hostKey(let host, let detail):
            "\(host): host key check failed: \(detail); if the server was reinstalled, check its new key out of band and update ~/.ssh/known_hosts (`ssh-keygen -R`), or connect once with `\(Self.ssh(host))` to accept it"
        case .noSHA256Tool(let host):
            "\(host): the remote has no SHA-256 tool (looked for sha256sum, shasum and openssl); install coreutils there"
        case .notADirectory(let host, let path):
            "\(host):\(path): exists and is not a directory; give a directory to ship into"
        case .permissionDenied(let host, let path, let detail):
            "\(host):\(path): permission denied: \(detail); ship into a directory that user can write, or as another user"
        case .diskFull(let host, let path, let detail):
            "\(host):\(path): no space left: \(detail); free space on the remote (docker image prune, old archives) and run the same command again to resume"
        case .transfer(let host, let detail):
            "\(host): transfer interrupted: \(detail); run the same command again: it resumes with the chunks already there"
        case .archiveChanged(let path, let offset):
            "\(path): the file changed at byte \(offset) after it was verified; ship it again once it is complete"
        case .localIO(let path, let detail):
            "\(path): \(detail)"
        case .remoteCommandFailed(let host, let command, let status):
            "\(host): `\(command)` exited with status \(status)"
        }
    }

    /// The ssh command for a destination's label (`deploy@vps:2222` gives `ssh -p 2222 deploy@vps`).
    static func ssh(_ label: String) -> String {
        (try? Destination(parsing: label + ":/"))?.sshCommand ?? "ssh \(label)"
    }
}
