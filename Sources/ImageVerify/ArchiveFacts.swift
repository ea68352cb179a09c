import Codec
import ImageArchive
import OCI

/// What the target checks (``TargetChecks``) need to know of an archive, and nothing more: its
/// compression and layout, and the platform, tags and layer formats of the images that will run.
///
/// A few hundred bytes that encode as JSON, so that a verdict recorded by `pack` (``VerdictRecord``)
/// can carry them and `ship` can judge each server without reading the archive again.
public struct ArchiveFacts: Codable, Sendable, Equatable {
    /// One image that will run.
    public struct Image: Codable, Sendable, Equatable {
        /// Its tags, familiar form first.
        public var tags: [String]
        /// Its platform, from the config.
        public var platform: Platform
        /// Its layers, bottom to top.
        public var layers: [Layer]

        /// Creates an image's facts.
        public init(tags: [String], platform: Platform, layers: [Layer]) {
            self.tags = tags
            self.platform = platform
            self.layers = layers
        }
    }

    /// One layer: how it is stored.
    public struct Layer: Codable, Sendable, Equatable {
        /// The media type its manifest gives, if any.
        public var mediaType: MediaType?
        /// How the blob is compressed.
        public var compression: CompressionFormat

        /// Creates a layer's facts.
        public init(mediaType: MediaType?, compression: CompressionFormat) {
            self.mediaType = mediaType
            self.compression = compression
        }
    }

    /// How the archive file is compressed.
    public var compression: CompressionFormat
    /// The writer's layout.
    public var layout: ArchiveLayout
    /// The images that will run: those `--platform`/`--image` chose, else all.
    public var images: [Image]

    /// Creates facts.
    public init(compression: CompressionFormat, layout: ArchiveLayout, images: [Image]) {
        self.compression = compression
        self.layout = layout
        self.images = images
    }

    /// The facts of `archive`, for the images of it that will run.
    /// - Parameters:
    ///   - archive: The archive as read.
    ///   - images: The images that will run there.
    public init(archive: ImageArchive, images: [ArchiveImage]) {
        self.init(
            compression: archive.compression, layout: archive.layout,
            images: images.map { image in
                Image(
                    tags: image.tags, platform: image.platform,
                    layers: image.layers.map { Layer(mediaType: $0.mediaType, compression: $0.compression) })
            })
    }
}
