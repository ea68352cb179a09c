import ByteIO
import Codec
import ImageArchive
import ImageVerify
import OCI
import Ship

/// The exit codes of imgtool, each a distinct outcome (documented in `imgtool help exit-codes`,
/// each command's `--help` and the README).
enum ExitCode: Int32, CaseIterable {
    /// Success: the archive was read and, for `verify`, every check passed.
    case success = 0
    /// A check failed (`verify`), or any other runtime failure.
    case checkFailed = 1
    /// The archive is truncated: an interrupted download or copy.
    case truncated = 2
    /// The archive is corrupt: a checksum, CRC, digest or size does not match.
    case corrupt = 3
    /// Not a (well-formed) image archive: not a tar, bad or missing JSON, inconsistent layer count.
    case malformed = 4
    /// A compression imgtool does not read (xz, bzip2), or a zstd frame over the window limit.
    case unsupported = 5
    /// The input cannot be opened or read.
    case io = 6
    /// No image matches `--platform` / `--image`.
    case noMatch = 7
    /// `ship`: the archive did not arrive (connection, authentication, host key, remote disk or
    /// permissions); nothing was published under its name.
    case shipFailed = 8
    /// `ship`: the archive arrived, but `--load` or `--then` failed on the remote.
    case remoteCommandFailed = 9
    /// `push`: the registry refused a request or could not be reached; the tag was not set.
    case pushFailed = 10
    /// `push`: the registry refused the credentials, or their rights (401, 403, `DENIED`).
    case pushDenied = 11
    /// A usage error: unknown option, missing argument (as swift-argument-parser's EX_USAGE).
    case usage = 64
    /// SIGHUP (128 + 1, as shells report a process the signal ended): the terminal went away.
    case hangup = 129
    /// SIGINT (128 + 2): Ctrl-C.
    case interrupted = 130
    /// SIGTERM (128 + 15): `kill`, a CI job cancelled.
    case terminated = 143

    init(_ kind: ArchiveError.Kind) {
        switch kind {
        case .io: self = .io
        case .truncated: self = .truncated
        case .corrupt: self = .corrupt
        case .malformed: self = .malformed
        case .unsupported: self = .unsupported
        case .selection: self = .noMatch
        }
    }

    /// The codes every command that reads an archive can return: the reader's, usage, signals.
    static let reading: [ExitCode] = [.truncated, .corrupt, .malformed, .unsupported, .io, .noMatch, .usage]
    /// The signals: the process ends of the signal, so the shell reports 128 + its number.
    static let signals: [ExitCode] = [.hangup, .interrupted, .terminated]

    /// The codes `command` can return, in order (every code for the root help).
    static func codes(of command: String) -> [ExitCode] {
        let read = [ExitCode.success, .checkFailed] + reading
        switch command {
        case "ship":
            return read.filter { $0 != .usage } + [.shipFailed, .remoteCommandFailed, .usage] + signals
        case "push":
            return read.filter { $0 != .usage } + [.pushFailed, .pushDenied, .usage] + signals
        case "inspect", "verify", "pack", "ls", "cat":
            return read + signals
        default:
            return allCases
        }
    }

    /// What the code means for `command` (`nil`: in general, for the full table).
    func meaning(for command: String?) -> String {
        switch (self, command) {
        case (.success, "verify"): "Every check passed."
        case (.success, "pack"): "Every check passed and the archive was written."
        case (.success, "ship"): "The archive arrived, checked, at every destination."
        case (.success, "push"): "Every check passed and the image is in the registry under its tag."
        case (.success, _): "Success (for verify: every check passed)."
        case (.checkFailed, "inspect"): "Another runtime failure."
        case (.checkFailed, "verify"): "A check failed, or the JUnit report could not be written."
        case (.checkFailed, "pack"): "A check failed (nothing written unless --force), or the output cannot be written."
        case (.checkFailed, "ship"):
            "A check failed: of the archive (nothing was sent), or of a server against it (nothing was sent there; the target check, listed on stdout)."
        case (.checkFailed, "push"): "A check failed: the tag was not set (blobs sent stay in the registry, unreferenced)."
        case (.checkFailed, "ls"): "The path is not in the image."
        case (.checkFailed, "cat"): "The path is not a regular file of the image, or it cannot be shown."
        case (.checkFailed, _): "A check failed (verify), or another runtime failure."
        case (.truncated, _): "The archive is truncated (an interrupted download or copy)."
        case (.corrupt, "inspect"), (.corrupt, "verify"), (.corrupt, "ls"), (.corrupt, "cat"):
            "The archive is corrupt (checksum, CRC, digest or size mismatch); each mismatch is listed on stderr."
        case (.corrupt, "pack"): "The archive is corrupt (listed on stderr); never written, even with --force."
        case (.corrupt, "push"): "The archive is corrupt (listed on stderr); no manifest or tag was put."
        case (.corrupt, "ship"): "The archive is corrupt (listed on stderr); nothing was sent."
        case (.corrupt, _): "The archive is corrupt (checksum, CRC, digest or size mismatch)."
        case (.malformed, _): "Not a well-formed image archive (not a tar, bad or missing JSON, inconsistent layer count)."
        case (.unsupported, _): "Compression imgtool does not read (xz, bzip2), or a zstd window over 128 MiB."
        case (.io, "cat"): "The input cannot be opened or read, or stdout cannot be written."
        case (.io, _): "The input cannot be opened or read."
        case (.noMatch, _): "No image matches --platform or --image."
        case (.shipFailed, _):
            "ship: the archive did not arrive (connection, authentication, host key, remote disk or permissions); nothing was published."
        case (.remoteCommandFailed, _): "ship: the archive arrived, but --load or --then failed remotely."
        case (.pushFailed, _):
            "push: the registry refused a request (its HTTP status and error code are on stderr) or could not be reached; the tag was not set, and the same command takes up what arrived."
        case (.pushDenied, _): "push: the registry refused the credentials or their rights (401, 403, DENIED)."
        case (.usage, "verify"), (.usage, "pack"):
            "Usage error (unknown option, missing argument, a bad --policy file, a --junit file that cannot be written)."
        case (.usage, _): "Usage error (unknown option, missing argument)."
        case (.hangup, _): "Ended by SIGHUP (the terminal closed)."
        case (.interrupted, "pack"): "Interrupted (SIGINT, Ctrl-C); as for 129 and 143, no output file is left."
        case (.interrupted, "ship"):
            "Interrupted (SIGINT, Ctrl-C); as for 129 and 143, the chunks that arrived stay on the remote and the same command resumes."
        case (.interrupted, "push"):
            "Interrupted (SIGINT, Ctrl-C); as for 129 and 143, the chunk in flight is let finish (up to 30 s), and the same command takes up the upload."
        case (.interrupted, _): "Interrupted (SIGINT, Ctrl-C)."
        case (.terminated, _): "Ended by SIGTERM."
        }
    }

    /// The help text's table: the codes `command` can return (every code for `nil`).
    static func helpTable(for command: String?) -> String {
        let codes = command.map(codes(of:)) ?? allCases
        var out = "EXIT CODES:"
        for code in codes {
            let number = String(code.rawValue)
            let lead = "  " + number + String(repeating: " ", count: max(1, 4 - number.count))
            out += "\n" + lead + HelpText.wrap(code.meaning(for: command), indent: lead.count, first: 0)
        }
        return out
    }
}
