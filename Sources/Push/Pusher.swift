import ByteIO
import Codec
import Foundation
import ImageArchive
import OCI
import Registry

/// `imgtool push`: an image archive to a repository of an OCI registry, in the one pass that
/// verifies it.
///
/// 1. `GET /v2/`: the registry is there and takes the credentials, before anything is read.
/// 2. The pass (``ImageArchive/MemberTap``): each blob member of the archive, as it streams
///    past, is looked up (`HEAD`, then a mount from `--from` or a repository the cache knows),
///    and if the registry has no such blob, uploaded in chunks: a compressed layer or a config
///    as it is, an uncompressed layer (`docker save`) compressed on the way with pack's
///    deterministic gzip. Nothing is held but a chunk or two.
/// 3. The caller's judge sees the archive, read and verified, selects the images and runs its
///    checks; when it says no, the push ends here: the blobs are in the registry, untagged and
///    unreferenced (the registry's garbage collection removes them), and nothing names them.
/// 4. Each image's config (from the archive, `HEAD` first), then its manifest by digest, then
///    for several platforms the index; the last one goes under the tag, so the tag is set only
///    when everything it leads to is there.
public enum Pusher {
    /// Pushes the archive at `path` (`-` for stdin).
    ///
    /// - Parameters:
    ///   - path: The archive.
    ///   - client: The repository's client; its reference's tag is the one set.
    ///   - cache: The push cache.
    ///   - options: Compression, chunking, mounting, events.
    ///   - judge: Given the archive as read, the images to push, or `nil` to stop before the
    ///     manifests (a check failed).
    /// - Returns: What was pushed.
    /// - Throws: ``PushError``; what `judge` throws.
    public static func push(
        path: String, client: RegistryClient, cache: PushCache, options: PushOptions,
        judge: (ImageArchive) throws -> [ArchiveImage]?
    ) throws -> PushResult {
        do { try client.ping() } catch { throw PushError.registry(error, blob: nil) }
        let context = PushContext(client: client, cache: cache, options: options)
        let archive: ImageArchive
        do {
            archive = try MemberTap.read(path: path, options: options.read, receiver: LayerReceiver(context: context), minimumSize: 1)
        } catch let e as ArchiveError {
            throw PushError.archive(e)
        }
        var result = PushResult(
            archive: archive, blobs: context.blobs, manifests: [], images: [], tagged: false, requests: 0, bytesSent: 0)
        guard archive.problems.isEmpty, let images = try judge(archive), !images.isEmpty else {
            result.requests = client.requests
            result.bytesSent = client.bytesSent
            return result
        }
        result.images = images
        let docker = [.dockerLegacy, .dockerArchiveSkopeo, .dockerV1].contains(archive.layout)
        // A member stored twice: the reader keeps the last copy, and so does the push.
        let byMember = Dictionary(context.blobs.map { ($0.member, $0) }, uniquingKeysWith: { _, last in last })
        var manifests: [(Data, Descriptor)] = []
        for image in images {
            var layers: [Descriptor] = []
            for layer in image.layers {
                guard let blob = byMember[layer.member] else {
                    throw PushError.layerNotUploaded(member: layer.member, diffID: layer.diffID)
                }
                if let expected = blob.expectedDiffID, expected != layer.diffID, let key = blob.cacheKey {
                    cache.forgetLayer(key)
                    throw PushError.staleCache(member: layer.member, expected: expected, found: layer.diffID)
                }
                if blob.compressedOnTheWay, blob.expectedDiffID != layer.diffID, let key = blob.cacheKey {
                    cache.recordLayer(key, digest: blob.digest, size: blob.size, diffID: layer.diffID)
                }
                layers.append(
                    Descriptor(mediaType: layerMediaType(blob, layer: layer, docker: docker), digest: blob.digest, size: blob.size))
            }
            let config = Data(image.rawConfig)
            do {
                _ = try client.uploadMonolithic(config, digest: image.configDigest)
            } catch {
                throw PushError.registry(error, blob: image.configMember)
            }
            if let original = originalManifest(image, layers: layers, small: context.smallBlobs) {
                // The archive's own manifest names exactly the blobs pushed: put as it is, so
                // its digest (what signatures and indexes refer to) stays the same.
                var descriptor = Descriptor(
                    mediaType: original.mediaType, digest: digest(of: original.bytes), size: Int64(original.bytes.count))
                descriptor.platform = image.platform
                manifests.append((original.bytes, descriptor))
                continue
            }
            let manifest = OCIManifest(
                mediaType: docker ? .dockerManifest : .ociManifest,
                config: Descriptor(mediaType: docker ? .dockerConfig : .ociConfig, digest: image.configDigest, size: Int64(config.count)),
                layers: layers)
            let bytes = try encode(manifest)
            var descriptor = Descriptor(mediaType: manifest.mediaType!, digest: digest(of: bytes), size: Int64(bytes.count))
            descriptor.platform = image.platform
            manifests.append((bytes, descriptor))
        }
        let tag = client.reference.tag
        do {
            if manifests.count == 1 {
                let (bytes, d) = manifests[0]
                try put(bytes, d, reference: tag, client: client)
                result.manifests = [PushedManifest(digest: d.digest, mediaType: d.mediaType, size: d.size, platform: d.platform, tag: tag)]
            } else {
                let platforms = manifests.compactMap { $0.1.platform?.description }
                if Set(platforms).count != platforms.count {
                    throw PushError.ambiguous(
                        "the archive holds \(images.count) images of the platforms \(platforms.joined(separator: ", ")): one tag can name one image per platform; choose one with --image"
                    )
                }
                for (bytes, d) in manifests {
                    try put(bytes, d, reference: d.digest.description, client: client)
                    result.manifests.append(
                        PushedManifest(digest: d.digest, mediaType: d.mediaType, size: d.size, platform: d.platform, tag: nil))
                }
                let index = OCIIndex(mediaType: docker ? .dockerManifestList : .ociIndex, manifests: manifests.map(\.1))
                let bytes = try encode(index)
                let d = Descriptor(mediaType: index.mediaType!, digest: digest(of: bytes), size: Int64(bytes.count))
                try put(bytes, d, reference: tag, client: client)
                result.manifests.append(
                    PushedManifest(
                        digest: digest(of: bytes), mediaType: index.mediaType!, size: Int64(bytes.count), platform: nil, tag: tag))
            }
        } catch let e as RegistryError {
            throw PushError.registry(e, blob: "manifest")
        }
        result.tagged = true
        result.requests = client.requests
        result.bytesSent = client.bytesSent
        return result
    }

    /// The archive's manifest of `image`, when the archive holds it (an OCI layout) and it names
    /// the config and exactly the layer blobs pushed, same digests and sizes: nothing was
    /// compressed on the way.
    static func originalManifest(_ image: ArchiveImage, layers: [Descriptor], small: [Digest: Data]) -> (bytes: Data, mediaType: MediaType)?
    {
        guard let digest = image.manifestDigest, let bytes = small[digest],
            let manifest = try? JSONDecoder().decode(OCIManifest.self, from: bytes),
            manifest.config.digest == image.configDigest,
            manifest.layers.map(\.digest) == layers.map(\.digest), manifest.layers.map(\.size) == layers.map(\.size)
        else { return nil }
        let type = manifest.mediaType ?? .ociManifest
        guard type.isManifest else { return nil }
        return (bytes, type)
    }

    /// Puts a manifest under `reference` (a tag or its digest), unless the registry has that
    /// very manifest there already.
    static func put(_ bytes: Data, _ descriptor: Descriptor, reference: String, client: RegistryClient) throws(RegistryError) {
        if try client.manifestDigest(reference, accepting: [descriptor.mediaType]) == descriptor.digest.description { return }
        try client.putManifest(bytes, mediaType: descriptor.mediaType, reference: reference)
    }

    /// The media type a layer goes under: the archive's own for a blob sent as stored (when it
    /// names one), else by the flavour of the manifest and the blob's compression.
    static func layerMediaType(_ blob: PushedBlob, layer: ArchiveLayer, docker: Bool) -> MediaType {
        if !blob.compressedOnTheWay, let stored = layer.mediaType, stored.isLayer { return stored }
        switch (blob.compression, docker) {
        case (.gzip, true): return .dockerLayerGzip
        case (.gzip, false): return .ociLayerGzip
        case (.zstd, _): return .ociLayerZstd
        case (_, true): return .dockerLayer
        default: return .ociLayer
        }
    }

    /// Canonical enough JSON: sorted keys, no escaped slashes; the digest is of these bytes.
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func digest(of bytes: Data) -> Digest {
        Digest(sha256Bytes: SHA256.hash([UInt8](bytes)).bytes)
    }
}
