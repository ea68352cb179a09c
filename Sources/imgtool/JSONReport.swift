import ImageArchive
import ImageVerify
import OCI

/// The JSON document of `verify --json` (and of `pack --json`, with its `pack` part).
struct JSONReport: Encodable {
    var schemaVersion = 1
    var archive: String
    var passed: Bool
    var images: [Image]
    /// `pack` only: the output and its gzip members.
    var pack: PackCommand.JSONPack?

    struct Image: Encodable {
        var tags: [String]
        var platform: String
        var configDigest: String
        var passed: Bool
        var checks: [CheckResult]
        var elfCensus: [String: Int]

        init(_ r: ImageVerdict) {
            tags = r.image.tags
            platform = r.image.platform.description
            configDigest = r.image.configDigest.description
            passed = r.passed
            checks = r.checks
            elfCensus = r.elfCensus
        }
    }
}
