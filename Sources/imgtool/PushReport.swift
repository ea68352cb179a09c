import Codec
import Foundation
import OCI
import Push
import Registry

/// The summary of a push: a line for people, an object for `--json`.
struct PushReport {
    var result: PushResult
    var reference: ImageReference
    var seconds: Double

    /// `push: 127.0.0.1:5000/maia/web:v1 … 4 blobs: 3 uploaded (12.3 MB sent), 1 existed …`
    var text: String {
        let blobs = result.blobs
        let count = { (o: PushedBlob.Outcome) in blobs.filter { $0.outcome == o }.count }
        var parts: [String] = []
        if count(.uploaded) > 0 { parts.append("\(count(.uploaded)) uploaded") }
        if count(.resumed) > 0 { parts.append("\(count(.resumed)) resumed") }
        if count(.existed) > 0 { parts.append("\(count(.existed)) already there") }
        if count(.mounted) > 0 { parts.append("\(count(.mounted)) mounted") }
        let top = result.manifests.last
        var line = "push: \(reference)"
        if let top { line += " -> \(top.digest)" }
        line += "\npush: \(Format.plural(blobs.count, "blob", "blobs")): \(parts.joined(separator: ", "))"
        line += "; \(Format.bytes(result.bytesSent)) sent in \(result.requests) requests, \(Format.decimal(seconds, places: 1)) s"
        if result.manifests.count > 1 { line += "; \(result.manifests.count - 1) platform manifests and an index" }
        return line + "\n"
    }

    static func outcomeText(_ blob: PushedBlob) -> String {
        switch blob.outcome {
        case .uploaded: "uploaded (\(Format.bytes(blob.bytesSent))\(blob.compressedOnTheWay ? ", compressed on the way" : ""))"
        case .resumed: "resumed (\(Format.bytes(blob.bytesSent)) of \(Format.bytes(blob.size)) sent)"
        case .existed: "already in the repository"
        case .mounted: "mounted from \(blob.mountedFrom ?? "another repository")"
        }
    }

    var json: JSON {
        JSON(
            reference: reference.description, registry: reference.registry, repository: reference.repository, tag: reference.tag,
            tagged: result.tagged,
            manifests: result.manifests.map {
                .init(
                    digest: $0.digest.description, mediaType: $0.mediaType.rawValue, size: $0.size, platform: $0.platform?.description,
                    tag: $0.tag)
            },
            blobs: result.blobs.map {
                .init(
                    member: $0.member, digest: $0.digest.description, size: $0.size, compression: $0.compression.rawValue,
                    compressedOnTheWay: $0.compressedOnTheWay, outcome: $0.outcome.rawValue, bytesSent: $0.bytesSent,
                    mountedFrom: $0.mountedFrom)
            },
            bytesSent: result.bytesSent, requests: result.requests, seconds: (seconds * 1000).rounded() / 1000)
    }

    /// The `push` object of `--json`.
    struct JSON: Encodable {
        var reference: String
        var registry: String
        var repository: String
        var tag: String
        /// Whether the tag was set (every manifest is there).
        var tagged: Bool
        var manifests: [Manifest]
        var blobs: [Blob]
        /// Request body bytes sent, blobs and manifests.
        var bytesSent: Int64
        var requests: Int
        var seconds: Double

        struct Manifest: Encodable {
            var digest: String
            var mediaType: String
            var size: Int64
            var platform: String?
            var tag: String?
        }

        struct Blob: Encodable {
            var member: String
            var digest: String
            var size: Int64
            /// The registry blob's compression: gzip, zstd or none.
            var compression: String
            var compressedOnTheWay: Bool
            /// uploaded, resumed, existed or mounted.
            var outcome: String
            var bytesSent: Int64
            var mountedFrom: String?
        }
    }
}
