// Resolving from `index.json` (an OCI image layout, and the OCI half of Docker 25 and containerd
// archives): the index, nested indexes, then each manifest's config and layers, by digest.
import OCI

extension ImageResolver {
    mutating func walk(_ index: OCIIndex, tags: [String], depth: Int, images: inout [ArchiveImage], skipped: inout [SkippedManifest]) throws
    {
        guard depth < 8 else {
            throw ArchiveError.malformedJSON(member: "index.json", reason: "image indexes nested more than 8 deep")
        }
        for d in index.manifests ?? [] {
            let names = depth == 0 ? Self.names(d) : []
            let childTags = tags + names.filter { !tags.contains($0) }
            if d.isAttestation {
                skipped.append(SkippedManifest(descriptor: d, platform: d.platform, reason: .attestation))
                continue
            }
            guard let blob = find(d.digest.layoutPath) else {
                skipped.append(SkippedManifest(descriptor: d, platform: d.platform, reason: .blobsAbsent))
                continue
            }
            if blob.size != d.size {
                problems.append(.sizeMismatch(member: blob.name, expected: d.size, found: blob.size))
            }
            let role = "the manifest or index that \(depth == 0 ? "index.json" : "an image index") lists"
            if d.mediaType.isIndex {
                let child = try decode(OCIIndex.self, blob, role: "an image index", limit: ReadOptions.maximumManifestSize)
                try walk(child, tags: childTags, depth: depth + 1, images: &images, skipped: &skipped)
                continue
            }
            guard d.mediaType.isManifest || !d.mediaType.rawValue.contains("index") else {
                skipped.append(SkippedManifest(descriptor: d, platform: d.platform, reason: .notAnImage))
                continue
            }
            // Unknown media types: an index if it has "manifests", else a manifest.
            if !d.mediaType.isManifest, let child = try? decode(OCIIndex.self, blob, role: role, limit: ReadOptions.maximumManifestSize),
                child.manifests != nil
            {
                try walk(child, tags: childTags, depth: depth + 1, images: &images, skipped: &skipped)
                continue
            }
            let manifest = try decode(OCIManifest.self, blob, role: "an image manifest", limit: ReadOptions.maximumManifestSize)
            if manifest.artifactType?.isAttestation == true
                || (!manifest.layers.isEmpty && manifest.layers.allSatisfy { $0.mediaType.isAttestation })
            {
                skipped.append(SkippedManifest(descriptor: d, platform: d.platform, reason: .attestation))
                continue
            }
            if manifest.config.mediaType == .ociEmpty
                || manifest.layers.contains(where: {
                    !$0.mediaType.isLayer && !$0.mediaType.rawValue.isEmpty
                        && $0.mediaType.rawValue.hasPrefix("application/vnd.oci.image") == false
                        && !$0.mediaType.rawValue.contains("docker")
                })
            {
                skipped.append(SkippedManifest(descriptor: d, platform: d.platform, reason: .notAnImage))
                continue
            }
            guard let config = find(manifest.config.digest.layoutPath),
                manifest.layers.allSatisfy({ find($0.digest.layoutPath) != nil })
            else {
                skipped.append(SkippedManifest(descriptor: d, platform: d.platform, reason: .blobsAbsent))
                continue
            }
            if config.size != manifest.config.size {
                problems.append(.sizeMismatch(member: config.name, expected: manifest.config.size, found: config.size))
            }
            let layers = manifest.layers.map { (find($0.digest.layoutPath)!, Optional($0)) }
            if let existing = images.firstIndex(where: { $0.manifestDigest == d.digest }) {
                images[existing].tags += childTags.filter { !images[existing].tags.contains($0) }
                continue
            }
            var image = try makeImage(
                config: config, layers: layers, manifestDigest: d.digest, tags: childTags,
                referencedBy: "manifest \(d.digest.layoutPath)")
            if image.platform.architecture.isEmpty, let p = d.platform { image.platform = p }
            images.append(image)
        }
    }

    /// The names an `index.json` entry gives its image, in familiar form.
    static func names(_ d: Descriptor) -> [String] {
        var out: [String] = []
        if let full = d.annotations?[Descriptor.containerdNameAnnotation] { out.append(familiar(full)) }
        if out.isEmpty, let ref = d.annotations?[Descriptor.refNameAnnotation] { out.append(ref) }
        return out
    }
}
