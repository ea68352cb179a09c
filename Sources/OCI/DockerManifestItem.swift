// Source: moby/moby image/tarexport/tarexport.go (manifestItem); containers/image
// docker/internal/tarfile/types.go (ManifestItem).

/// One entry of a `docker save` archive's `manifest.json`.
///
/// The paths are tar member paths, not digests.
public struct DockerManifestItem: Codable, Hashable, Sendable {
    /// The member holding the image config.
    public var config: String
    /// The tags, such as `app:1.0`; `null` for an untagged image.
    public var repoTags: [String]?
    /// The members holding the layers, bottom to top.
    public var layers: [String]
    /// The parent image ID, if any.
    public var parent: String?
    /// Descriptors of layers keyed by DiffID (every layer since Docker 25; foreign ones before).
    public var layerSources: [String: Descriptor]?

    enum CodingKeys: String, CodingKey {
        case config = "Config"
        case repoTags = "RepoTags"
        case layers = "Layers"
        case parent = "Parent"
        case layerSources = "LayerSources"
    }
}
