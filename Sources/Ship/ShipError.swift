import ByteIO
import OCI

/// Everything that can stop a ship, each naming the destination and saying what to do.
///
/// Errors from reading the archive are ``ImageTar/ArchiveError``s and never reach this type.
public enum ShipError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The destination argument is not `[user@]host[:port]:/dir`, or looks like an ssh option.
    case invalidDestination(String, reason: String)
    /// The host cannot be reached: name resolution, connection refused, timeout.
    /// `ssh` is the command to try by hand (``SSHClient/plainCommand(for:)``).
    case unreachable(host: String, detail: String, ssh: String)
    /// The server refused every key or password offered.
    case authenticationFailed(host: String, detail: String, ssh: String)
    /// The host key is unknown or differs from `known_hosts`.
    case hostKey(host: String, detail: String, ssh: String)
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
    /// A local file cannot be read or created: the archive, or ship's own ssh control directory.
    case localIO(path: String, underlying: ByteIOError)
    /// The ssh command itself cannot be run (not installed, or a wrong `--ssh`).
    case sshNotRunnable(host: String, command: String, detail: String)
    /// The remote cannot create the destination directory (a path under `/proc`, a missing
    /// parent it may not create).
    case cannotCreateDirectory(host: String, path: String, detail: String)
    /// A target check failed (the ``RemoteTarget`` does not suit the archive): nothing was sent.
    /// `checks` are the ids of the failed checks, listed on stdout before.
    case targetCheckFailed(host: String, checks: [String])

    /// The host this error is about, if any.
    public var host: String? {
        switch self {
        case .unreachable(let h, _, _), .authenticationFailed(let h, _, _), .hostKey(let h, _, _), .noSHA256Tool(let h),
            .notADirectory(let h, _), .permissionDenied(let h, _, _), .diskFull(let h, _, _), .transfer(let h, _),
            .sshNotRunnable(let h, _, _), .cannotCreateDirectory(let h, _, _), .targetCheckFailed(let h, _):
            h.isEmpty ? nil : h
        case .invalidDestination, .archiveChanged, .localIO:
            nil
        }
    }

    /// Whether running the same command again can succeed: a connection that dropped or timed
    /// out (``transfer(host:detail:)``, ``unreachable(host:detail:ssh:)``), or a remote disk that
    /// was full. Everything else needs a fix first, which the message names.
    public var isRetriable: Bool {
        switch self {
        case .transfer, .unreachable, .diskFull: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .invalidDestination(let text, let reason):
            "'\(text)': \(reason); a destination is [user@]host[:port]:/remote/dir"
        case .unreachable(let host, let detail, let ssh):
            "\(host): cannot connect: \(detail); check the host name, the port and the network (try `\(ssh) true`)"
        case .authenticationFailed(let host, let detail, let ssh):
            "\(host): authentication failed: \(detail); load your key into ssh-agent or set IdentityFile in ~/.ssh/config (try `\(ssh) true`)"
        case .hostKey(let host, let detail, let ssh):
            "\(host): host key check failed: \(detail); if the server was reinstalled, check its new key out of band and update ~/.ssh/known_hosts (`ssh-keygen -R`), or connect once with `\(ssh)` to accept it"
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
        case .localIO(let path, let underlying):
            "\(path): \(underlying.withoutPath)"
        case .sshNotRunnable(let host, let command, let detail):
            (host.isEmpty ? "" : "\(host): ")
                + "cannot run the ssh command `\(command)`: \(detail); install the OpenSSH client, or fix --ssh / IMGTOOL_SSH"
        case .cannotCreateDirectory(let host, let path, let detail):
            "\(host):\(path): cannot create the directory: \(detail); ship into a directory that can be created there"
        case .targetCheckFailed(let host, let checks):
            "\(host): not shipped: the target check\(checks.count == 1 ? "" : "s") \(checks.joined(separator: ", ")) failed (listed above), nothing was sent; fix the image or the server, or pass --no-target-check"
        }
    }
}
