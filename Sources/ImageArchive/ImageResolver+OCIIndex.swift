// Resolving from `index.json` (an OCI image layout, and the OCI half of Docker 25 and containerd
// archives): the index, nested indexes, then each manifest's config and layers, by digest.
import OCI

extension ImageResolver {
    /// Walks the entries of `index` (`index.json`, or an index it leads to), adding the images
    /// they lead to and the manifests skipped.
    ///
    /// Each index and manifest is decoded once, by digest: an entry that leads to one walked
    /// already adds its names to the images found under it, and nothing else, so a graph of
    /// indexes that list each other many times costs its distinct indexes, not its paths. An
    /// index that leads back to one being walked (possible only when blobs do not match their
    /// digests) is a cycle, reported; the depth limit stays, for chains of distinct indexes.
    ///
    /// - Parameters:
    ///   - member: The member `index` was read from, named in errors.
    ///   - tags: The names the entry that led here gives (only `index.json`'s entries give names).
    ///   - depth: How many indexes lead here (0: `index.json`).
    /// - Returns: The images `index` leads to, as indexes into `images`, each once, in walk order.
    mutating func walk(
        _ index: OCIIndex, member: String, tags: [String], depth: Int, images: inout [ArchiveImage], skipped: inout [SkippedManifest]
    ) throws -> [Int] {
        guard depth < 8 else {
            throw ArchiveError.malformedJSON(member: "index.json", reason: "image indexes nested more than 8 deep")
        }
        var reached: [Int] = []
        var reachedSet = Set<Int>()
        /// Notes that the entry leads to `image`, and adds its names to it.
        func reach(_ image: Int, tags childTags: [String]) {
            images[image].tags += childTags.filter { !images[image].tags.contains($0) }
            if reachedSet.insert(image).inserted { reached.append(image) }
        }
        for d in index.manifests ?? [] {
            let names = depth == 0 ? Self.names(d) : []
            let childTags = tags + names.filter { !tags.contains($0) }
            if d.isAttestation {
                skip(d, .attestation, &skipped)
                continue
            }
            guard let blob = find(d.digest.layoutPath) else {
                skip(d, .blobsAbsent, &skipped)
                continue
            }
            if blob.size != d.size {
                report(.sizeMismatch(member: blob.name, expected: d.size, found: blob.size))
            }
            // Met already: what it led to then, with this entry's names.
            if let earlier = walkedIndexes[d.digest] {
                try countImageReferences(earlier.count, member: member)
                for image in earlier { reach(image, tags: childTags) }
                continue
            }
            if openIndexes.contains(d.digest) {
                throw ArchiveError.malformedJSON(
                    member: blob.name,
                    reason: "image index leads back to itself: expected a tree of indexes, found a cycle (listed by \(member))")
            }
            switch manifestOutcomes[d.digest] {
            case .image(let image):
                try countImageReferences(1, member: member)
                reach(image, tags: childTags)
                continue
            case .skipped:
                continue
            case nil:
                break
            }
            let role = "the manifest or index that \(depth == 0 ? "index.json" : "an image index") lists"
            if d.mediaType.isIndex {
                let child = try decode(OCIIndex.self, blob, role: "an image index", limit: ReadOptions.maximumManifestSize)
                for image in try walkChild(child, d, blob, tags: childTags, depth: depth, images: &images, skipped: &skipped) {
                    reach(image, tags: [])
                }
                continue
            }
            guard d.mediaType.isManifest || !d.mediaType.rawValue.contains("index") else {
                skipManifest(d, .notAnImage, &skipped)
                continue
            }
            // Unknown media types: an index if it has "manifests", else a manifest.
            if !d.mediaType.isManifest, let child = try? decode(OCIIndex.self, blob, role: role, limit: ReadOptions.maximumManifestSize),
                child.manifests != nil
            {
                for image in try walkChild(child, d, blob, tags: childTags, depth: depth, images: &images, skipped: &skipped) {
                    reach(image, tags: [])
                }
                continue
            }
            let manifest = try decode(OCIManifest.self, blob, role: "an image manifest", limit: ReadOptions.maximumManifestSize)
            if manifest.artifactType?.isAttestation == true
                || (!manifest.layers.isEmpty && manifest.layers.allSatisfy { $0.mediaType.isAttestation })
            {
                skipManifest(d, .attestation, &skipped)
                continue
            }
            if manifest.config.mediaType == .ociEmpty
                || manifest.layers.contains(where: {
                    !$0.mediaType.isLayer && !$0.mediaType.rawValue.isEmpty
                        && $0.mediaType.rawValue.hasPrefix("application/vnd.oci.image") == false
                        && !$0.mediaType.rawValue.contains("docker")
                })
            {
                skipManifest(d, .notAnImage, &skipped)
                continue
            }
            guard let config = find(manifest.config.digest.layoutPath),
                manifest.layers.allSatisfy({ find($0.digest.layoutPath) != nil })
            else {
                skipManifest(d, .blobsAbsent, &skipped)
                continue
            }
            if config.size != manifest.config.size {
                report(.sizeMismatch(member: config.name, expected: manifest.config.size, found: config.size))
            }
            try countImageReferences(1, member: member)
            try countLayers(manifest.layers.count, member: blob.name)
            let layers = manifest.layers.map { (find($0.digest.layoutPath)!, Optional($0)) }
            var image = try makeImage(
                config: config, layers: layers, manifestDigest: d.digest, tags: childTags,
                referencedBy: "manifest \(d.digest.layoutPath)")
            if image.platform.architecture.isEmpty, let p = d.platform { image.platform = p }
            images.append(image)
            manifestOutcomes[d.digest] = .image(images.count - 1)
            reach(images.count - 1, tags: [])
        }
        return reached
    }

    /// Walks the index `child` that descriptor `d` (member `blob`) leads to, once: remembered
    /// as being walked while it is, and by the images it leads to after.
    private mutating func walkChild(
        _ child: OCIIndex, _ d: Descriptor, _ blob: ArchiveMember, tags: [String], depth: Int, images: inout [ArchiveImage],
        skipped: inout [SkippedManifest]
    ) throws -> [Int] {
        openIndexes.insert(d.digest)
        let reached = try walk(child, member: blob.name, tags: tags, depth: depth + 1, images: &images, skipped: &skipped)
        openIndexes.remove(d.digest)
        walkedIndexes[d.digest] = reached
        return reached
    }

    /// Lists `d` as skipped, once per manifest digest.
    private mutating func skip(_ d: Descriptor, _ reason: SkippedManifest.Reason, _ skipped: inout [SkippedManifest]) {
        if skippedDigests.insert(d.digest).inserted {
            skipped.append(SkippedManifest(descriptor: d, platform: d.platform, reason: reason))
        }
    }

    /// Lists the manifest `d` as skipped, and remembers that it is not an image.
    private mutating func skipManifest(_ d: Descriptor, _ reason: SkippedManifest.Reason, _ skipped: inout [SkippedManifest]) {
        manifestOutcomes[d.digest] = .skipped
        skip(d, reason, &skipped)
    }

    /// The names an `index.json` entry gives its image, in familiar form.
    static func names(_ d: Descriptor) -> [String] {
        var out: [String] = []
        if let full = d.annotations?[Descriptor.containerdNameAnnotation] { out.append(familiar(full)) }
        if out.isEmpty, let ref = d.annotations?[Descriptor.refNameAnnotation] { out.append(ref) }
        return out
    }
}
