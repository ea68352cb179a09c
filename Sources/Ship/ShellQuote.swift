/// Quoting for the POSIX shell that runs imgtool's commands on the remote.
///
/// Every value that reaches a remote command line (paths, file names, digests, commands) goes
/// through ``quote(_:)``: single quotes, with each embedded `'` written as `'\''`, so nothing
/// inside is expanded or run.
public enum ShellQuote {
    /// `value` as one POSIX shell word.
    /// - Parameter value: Any string.
    /// - Returns: The string in single quotes, safe to paste into a shell command line.
    public static func quote(_ value: String) -> String {
        "'" + value.replacingAll("'", with: "'\\''") + "'"
    }

    /// `value` as one POSIX shell word for a person to read or paste: as it is when it holds
    /// only ASCII letters, digits and `-_./@:=+,%`, else ``quote(_:)``d.
    /// - Parameter value: Any string.
    /// - Returns: The word, quoted only where it must be.
    public static func word(_ value: String) -> String {
        let safe = !value.isEmpty && value.allSatisfy { $0.isASCIILetterOrDigit || "-_./@:=+,%".contains($0) }
        return safe ? value : quote(value)
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for c in self {
            if c == target { out += replacement } else { out.append(c) }
        }
        return out
    }
}
