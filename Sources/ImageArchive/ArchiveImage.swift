import ByteIO
import Codec
import Gzip
import OCI
import Tar

/// One image of an archive, resolved after the stream ended.
public struct ArchiveImage: Sendable {
    /// The tags (`app:1.0`), familiar form first; empty for an untagged image.
    public var tags: [String]
    /// The platform, from the config (the authority; index platforms are only hints).
    public var platform: Platform
    /// The manifest's digest, when the layout has a manifest.
    public var manifestDigest: Digest?
    /// The config's digest (the image ID).
    public var configDigest: Digest
    /// The config.
    public var config: ImageConfig
    /// The config's bytes as stored, which its digest covers.
    public var rawConfig: [UInt8]
    /// The archive member holding the config.
    public var configMember: String
    /// The layers, bottom to top.
    public var layers: [ArchiveLayer]

    /// The first tag, or the short config digest.
    public var displayName: String { tags.first ?? configDigest.short }

    /// Whether `reference` names this image: a tag (with or without `docker.io/library/` and an
    /// implicit `:latest`), or a prefix of the config or manifest digest.
    /// - Parameter reference: What the user typed.
    public func matches(reference: String) -> Bool {
        let wanted = Self.normalise(reference)
        if tags.contains(where: { Self.normalise($0) == wanted }) { return true }
        let hex = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        guard hex.count >= 4, hex.allSatisfy({ $0.isHexDigit }) else { return false }
        return configDigest.hex.hasPrefix(hex) || (manifestDigest?.hex.hasPrefix(hex) ?? false)
    }

    /// `docker.io/library/app:latest` for `app`, `app:latest`, `library/app` and so on.
    static func normalise(_ reference: String) -> String {
        var r = reference
        if !r.contains("@") {
            let lastSlash = r.lastIndex(of: "/")
            let lastColon = r.lastIndex(of: ":")
            if lastColon == nil || (lastSlash != nil && lastColon! < lastSlash!) { r += ":latest" }
        }
        let first = r.split(separator: "/", maxSplits: 1).first.map(String.init) ?? r
        let hasRegistry = r.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
        if !hasRegistry {
            r = (r.contains("/") ? "docker.io/" : "docker.io/library/") + r
        }
        return r
    }

    /// The history entries that made layers, paired with the layers (empty layers skipped).
    static func pairHistory(_ history: [ImageConfig.History]?, layerCount: Int) -> [ImageConfig.History?] {
        let made = (history ?? []).filter { $0.emptyLayer != true }
        return (0..<layerCount).map { $0 < made.count ? made[$0] : nil }
    }
}

/// One layer of an image.
public struct ArchiveLayer: Sendable {
    /// The archive member holding the layer (after following link members).
    public var member: String
    /// The DiffID: from the config, checked against the bytes when verified.
    public var diffID: Digest
    /// The blob digest the manifest names (compressed layers), if any.
    public var digest: Digest?
    /// The media type the manifest gives, if any.
    public var mediaType: MediaType?
    /// How the blob is compressed.
    public var compression: CompressionFormat
    /// Bytes of the blob as stored, when compressed.
    public var compressedSize: Int64?
    /// Bytes of the uncompressed tar.
    public var size: Int64
    /// The layer's entries.
    public var table: LayerTable
    /// The history entry that made the layer.
    public var history: ImageConfig.History?

    /// How many tar entries the layer has.
    public var entryCount: Int { table.count }
}
