import ImageArchive
import ImageVerify
import OCI

/// The failed check that stands for an archive that could not be read (or an image selection
/// that matched nothing) in the `--json` document and the `--junit` file.
enum ReadFailureCheck {
    /// A failed check `id` (`read` or `select`) for `failure`: the error line as the message,
    /// what was found in words from its exit code, and a fix where one is known.
    static func result(_ failure: ImageSelection.Failure, id: String) -> CheckResult {
        let code = ExitCode(rawValue: failure.code)
        let expected = id == "select" ? "an image matching --platform / --image" : "a complete, readable image archive"
        let found: String
        var fix: String?
        switch code {
        case .truncated:
            found = "a truncated archive (exit code 2)"
            fix = "copy or download the archive again: it was cut short"
        case .corrupt:
            found = "a corrupt archive (exit code 3)"
            fix = "export the image again (docker save): bytes of the archive are damaged"
        case .malformed:
            found = "not a well-formed image archive (exit code 4)"
            fix = "give the archive that docker save, skopeo, podman or buildah wrote"
        case .unsupported:
            found = "a compression imgtool does not read (exit code 5)"
        case .io:
            found = "an input that cannot be opened or read (exit code 6)"
            fix = "check the path and its permissions"
        case .noMatch:
            found = "no matching image (exit code 7)"
            fix = "choose one of the images the archive holds (listed in the message) with --platform or --image"
        default:
            found = "an error (exit code \(failure.code))"
        }
        return CheckResult(id: id, status: .failed, expected: expected, found: found, message: failure.message, fix: fix)
    }
}
