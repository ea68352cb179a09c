import Foundation
import ImageArchive
import ImageVerify
import OCI

/// The JSON document of `verify --json` (and of `pack --json`, with its `pack` part).
struct JSONReport: Encodable {
    var schemaVersion = 1
    var archive: String
    var passed: Bool
    var images: [Image]
    /// Checks about the archive as a whole rather than an image: a failed `read` (the archive
    /// could not be read) or `select` (no image matches `--platform` / `--image`); empty when
    /// the images were checked.
    var checks: [CheckResult]
    /// `pack` only: the output and its gzip members.
    var pack: PackCommand.JSONPack?
    /// `push` only: what went to the registry.
    var push: PushReport.JSON?

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

    /// The document, pretty-printed with sorted keys, and a newline.
    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }
}
