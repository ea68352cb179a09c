import ByteIO
import Codec
import Gzip
import OCI
import Tar

/// An image archive read in one pass: its layout, its images and what was verified.
///
/// ``read(_:options:)`` streams the archive once (a file, or `-` for stdin; plain or gzip),
/// then resolves the images from `manifest.json`, `index.json` or, for archives from before
/// Docker 1.10, `repositories` and the per-layer `json` chain.
public struct ImageArchive: Sendable {
    /// The writer's layout, recognised by content.
    public var layout: ArchiveLayout
    /// The archive's own compression.
    public var compression: CompressionFormat
    /// How many gzip members (or zstd frames, skippable frames not counted) the archive's compressed stream had.
    public var gzipMembers: Int
    /// Bytes read from the input.
    public var inputBytes: Int64
    /// Bytes of the (uncompressed) tar stream.
    public var tarBytes: Int64
    /// How many members the archive has.
    public var memberCount: Int
    /// Whether every digest was checked (`false`: headers only).
    public var verified: Bool
    /// The images, in the order the archive lists them.
    public var images: [ArchiveImage]
    /// Manifests listed but not shown as images (attestations, platforms whose blobs are absent).
    public var skipped: [SkippedManifest]
    /// Integrity problems found (digest, size or DiffID mismatches), all of them.
    public var problems: [ArchiveError]
    /// The size and SHA-256 of every regular member's data as stored, by the offset in the tar
    /// stream where it starts, as the pass computed them (empty when the pass did not hash):
    /// how ``ArchivePacker`` checks the members it took from its cache, and those it keeps,
    /// against the bytes read, whatever the members' names.
    var dataDigests: [Int64: DataDigest] = [:]

    /// A member's data: how many bytes, and their SHA-256.
    struct DataDigest: Sendable, Equatable {
        var size: Int64
        var digest: Digest
    }

    /// Reads an archive in one pass.
    ///
    /// - Parameters:
    ///   - input: The archive's bytes and how to read them.
    ///   - options: What to capture, and a progress callback.
    /// - Returns: The archive; integrity problems are in ``problems``, not thrown.
    /// - Throws: ``ArchiveError`` when the archive cannot be read or is not an image archive; the
    ///   errors of the layers below (``Tar/TarError``, ``Gzip/GzipError``, ``ByteIO/ByteIOError``)
    ///   arrive wrapped in it, located. An error of another type that a ``ArchiveInput/stream(_:name:)``
    ///   source throws (pack's output failing under its reading) comes through unchanged.
    public static func read(_ input: ArchiveInput, options: ReadOptions = ReadOptions()) throws -> ImageArchive {
        do {
            let scan = try ArchiveScanner(options: options).scan(input)
            var resolver = ImageResolver(scan: scan, verify: scan.verified)
            var archive = try resolver.resolve()
            archive.compression = scan.compression
            archive.gzipMembers = scan.gzipMembers
            archive.inputBytes = scan.inputBytes
            archive.tarBytes = scan.tarBytes
            archive.dataDigests = scan.dataDigests
            return archive
        } catch {
            throw ArchiveError.wrapping(error, input: input.name)
        }
    }

    /// Opens `path` (`-` for stdin) and reads it.
    ///
    /// - Parameters:
    ///   - path: A file path, or `-`.
    ///   - reading: How to read the file (default: every byte, on two threads).
    ///   - options: What to capture, and a progress callback.
    /// - Throws: What ``read(_:options:)`` throws.
    public static func read(
        path: String, reading: ArchiveInput.Reading = .whole, options: ReadOptions = ReadOptions()
    ) throws -> ImageArchive {
        try read(ArchiveInput.open(path, reading: reading), options: options)
    }

    /// The images that match a selection.
    ///
    /// - Parameters:
    ///   - platform: Keep images of this platform.
    ///   - reference: Keep images with this tag (`app:1.0`, `docker.io/library/app:1.0`, `app`
    ///     meaning `app:latest`) or whose config or manifest digest starts with this.
    /// - Returns: The matching images, in archive order.
    /// - Throws: ``ArchiveError/noMatchingImage(selection:available:)`` when none matches.
    public func select(platform: Platform? = nil, reference: String? = nil) throws(ArchiveError) -> [ArchiveImage] {
        let chosen = images.filter { image in
            (platform.map { image.platform.matches($0) } ?? true) && (reference.map { image.matches(reference: $0) } ?? true)
        }
        if chosen.isEmpty && (platform != nil || reference != nil) {
            var what: [String] = []
            if let platform { what.append("platform \(platform)") }
            if let reference { what.append("image '\(reference)'") }
            var available = images.map { "\($0.displayName) (\($0.platform))" }
            available += skipped.filter { $0.reason == .blobsAbsent }.map {
                "\($0.platform?.description ?? $0.descriptor.digest.short) (listed, blobs not in the archive)"
            }
            throw ArchiveError.noMatchingImage(selection: what.joined(separator: " and "), available: available)
        }
        return chosen
    }
}

/// How an archive is laid out, by which writer.
public enum ArchiveLayout: String, Sendable, Codable {
    /// `docker save` before Docker 25: `<id>/layer.tar`, `<config>.json`, `manifest.json`, `repositories`.
    case dockerLegacy = "docker-legacy"
    /// `docker save` since Docker 25 (classic store): an OCI layout with uncompressed layers, plus `manifest.json`.
    case dockerOCI = "docker-oci"
    /// `docker save` from the containerd image store: an OCI layout with compressed layers, plus `manifest.json`.
    case containerd = "containerd"
    /// skopeo, podman or buildah `docker-archive:`: `<diffid>.tar` plus symlinked legacy directories.
    case dockerArchiveSkopeo = "docker-archive-skopeo"
    /// An OCI image layout in a tar (`oci-archive:`, `buildx --output type=oci`), no `manifest.json`.
    case ociArchive = "oci-archive"
    /// `docker save` before Docker 1.10: no `manifest.json`, only `repositories` and `<id>/json`.
    case dockerV1 = "docker-v1"

    /// A phrase for people.
    public var summary: String {
        switch self {
        case .dockerLegacy: "docker save (Docker < 25)"
        case .dockerOCI: "docker save (Docker >= 25, OCI layout + manifest.json)"
        case .containerd: "docker save (containerd image store, OCI layout + manifest.json)"
        case .dockerArchiveSkopeo: "docker-archive (skopeo/podman/buildah)"
        case .ociArchive: "OCI image layout (oci-archive)"
        case .dockerV1: "docker save (before Docker 1.10, no manifest.json)"
        }
    }
}

/// A manifest the archive lists that is not shown as an image.
public struct SkippedManifest: Sendable, Equatable {
    /// Why it is not an image.
    public enum Reason: String, Sendable, Codable {
        /// A buildkit attestation (provenance, SBOM).
        case attestation
        /// Its blobs are not in the archive (containerd exports only the platforms present locally).
        case blobsAbsent = "blobs-absent"
        /// Not an image manifest (an artifact of another kind).
        case notAnImage = "not-an-image"
    }
    /// The index entry.
    public var descriptor: Descriptor
    /// The platform the index names, if any.
    public var platform: Platform?
    /// Why.
    public var reason: Reason
}
