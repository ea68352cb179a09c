// Source: https://github.com/opencontainers/image-spec/blob/main/media-types.md and
// containers/image internal/manifest/manifest.go (Docker schema 2 types).

/// A media type: an open set of strings with the constants and predicates imgtool needs.
///
/// Unknown media types decode as they are ("An encountered `mediaType` that is unknown MUST NOT
/// generate an error", image-spec `image-layout.md`). No media-type literal appears outside this file.
public struct MediaType: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The media type string.
    public let rawValue: String

    /// Wraps a media type string.
    /// - Parameter rawValue: Any string; unknown types are kept.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Wraps a media type literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    /// Reads a media type from a JSON string.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Writes the media type as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    // MARK: OCI
    /// `application/vnd.oci.image.index.v1+json`
    public static let ociIndex: MediaType = "application/vnd.oci.image.index.v1+json"
    /// `application/vnd.oci.image.manifest.v1+json`
    public static let ociManifest: MediaType = "application/vnd.oci.image.manifest.v1+json"
    /// `application/vnd.oci.image.config.v1+json`
    public static let ociConfig: MediaType = "application/vnd.oci.image.config.v1+json"
    /// `application/vnd.oci.image.layer.v1.tar`
    public static let ociLayer: MediaType = "application/vnd.oci.image.layer.v1.tar"
    /// `application/vnd.oci.image.layer.v1.tar+gzip`
    public static let ociLayerGzip: MediaType = "application/vnd.oci.image.layer.v1.tar+gzip"
    /// `application/vnd.oci.image.layer.v1.tar+zstd`
    public static let ociLayerZstd: MediaType = "application/vnd.oci.image.layer.v1.tar+zstd"
    /// `application/vnd.oci.empty.v1+json`
    public static let ociEmpty: MediaType = "application/vnd.oci.empty.v1+json"

    // MARK: Docker schema 2
    /// `application/vnd.docker.distribution.manifest.list.v2+json`
    public static let dockerManifestList: MediaType = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// `application/vnd.docker.distribution.manifest.v2+json`
    public static let dockerManifest: MediaType = "application/vnd.docker.distribution.manifest.v2+json"
    /// `application/vnd.docker.container.image.v1+json`
    public static let dockerConfig: MediaType = "application/vnd.docker.container.image.v1+json"
    /// `application/vnd.docker.image.rootfs.diff.tar`
    public static let dockerLayer: MediaType = "application/vnd.docker.image.rootfs.diff.tar"
    /// `application/vnd.docker.image.rootfs.diff.tar.gzip`
    public static let dockerLayerGzip: MediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    /// `application/vnd.docker.image.rootfs.foreign.diff.tar.gzip`
    public static let dockerForeignLayerGzip: MediaType = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    // MARK: buildkit attestations
    /// `application/vnd.docker.attestation.manifest.v1+json`, the artifactType of buildkit's OCI-artifact attestations.
    public static let dockerAttestationManifest: MediaType = "application/vnd.docker.attestation.manifest.v1+json"
    /// `application/vnd.in-toto+json`, an attestation layer.
    public static let inToto: MediaType = "application/vnd.in-toto+json"

    // MARK: Predicates
    /// An image index or a Docker manifest list.
    public var isIndex: Bool { self == .ociIndex || self == .dockerManifestList }
    /// An image manifest (OCI or Docker schema 2).
    public var isManifest: Bool { self == .ociManifest || self == .dockerManifest }
    /// A filesystem layer of any compression, distributable or not.
    public var isLayer: Bool {
        rawValue.hasPrefix("application/vnd.oci.image.layer.") || rawValue.hasPrefix("application/vnd.docker.image.rootfs.")
    }
    /// A layer whose media type says gzip.
    public var isGzip: Bool { rawValue.hasSuffix("+gzip") || rawValue.hasSuffix(".gzip") }
    /// A layer whose media type says zstd.
    public var isZstd: Bool { rawValue.hasSuffix("+zstd") || rawValue.hasSuffix(".zstd") }
    /// An attestation (in-toto statement or attestation manifest).
    public var isAttestation: Bool { self == .inToto || self == .dockerAttestationManifest }
}
