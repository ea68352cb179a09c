import Foundation
import OCI

/// What fixtures.json says about a fixture (computed by independent tools when the fixtures were
/// made: see Tests/Fixtures/README.md).
package struct FixtureFacts: Decodable, Sendable {
    package struct Image: Decodable, Sendable {
        package var tags: [String]?
        package var refName: String?
        package var platform: String?
        package var configDigest: String?
        package var manifestDigest: String?
        package var present: Bool?
        package var attestationFor: String?
        package var layers: [Layer]?
    }

    package struct Layer: Decodable, Sendable {
        package var diffID: String?
        package var actualDiffID: String?
        package var entries: Int?
        package var size: Int64?
        package var path: String?
        package var digest: String?
        package var mediaType: String?
        package var compressedSize: Int64?
        /// Bytes of padding the layer's last entry lacks (umoci insert layers): the layer ends
        /// inside it, without end-of-archive blocks.
        package var missingPadding: Int?
    }

    /// How a layer's tar ends, as the fixture script found it (`layerEnds`, umoci insert fixtures).
    package struct LayerEnd: Decodable, Sendable {
        package var size: Int64
        package var missingPadding: Int
        package var endsWithZeroBlocks: Bool
        /// Entries Go's `archive/tar` read, without an error.
        package var goArchiveTarEntries: Int
        /// `tar -tf`'s exit status (2: "Unexpected EOF in archive").
        package var gnuTarExit: Int32
    }

    package var file: String
    package var layout: String
    package var compression: String
    package var fileSize: Int
    package var sha256: String
    package var expect: String
    package var members: Int?
    package var images: [Image]?
    package var manifestJson: [Image]?
    package var errorDetail: String?
    package var cutAt: Int64?
    package var manifestLayers: Int?
    package var configDiffIDs: Int?
    package var layerEnds: [LayerEnd]?

    /// The images imgtool shows (not attestations, not manifests whose blobs are absent).
    package var shownImages: [Image] {
        (images ?? []).filter { $0.attestationFor == nil && $0.present != false }
    }

    package static let all: [FixtureFacts] = {
        let data = try! Data(contentsOf: TS.fixturesDir.appendingPathComponent("fixtures.json"))
        return try! JSONDecoder().decode([FixtureFacts].self, from: data)
    }()

    package static func named(_ file: String) -> FixtureFacts { all.first { $0.file == file }! }

    package static var okFiles: [String] { all.filter { $0.expect == "ok" }.map(\.file) }
}

extension TS {
    /// A digest string of fixtures.json as a ``Digest``.
    package static func digest(_ s: String) -> Digest { try! Digest(parsing: s) }

    /// `app:1.0` for `docker.io/library/app:1.0`, as imgtool shows tags.
    package static func familiar(_ tag: String) -> String {
        if tag.hasPrefix("docker.io/library/") { return String(tag.dropFirst("docker.io/library/".count)) }
        if tag.hasPrefix("docker.io/") { return String(tag.dropFirst("docker.io/".count)) }
        return tag
    }
}
