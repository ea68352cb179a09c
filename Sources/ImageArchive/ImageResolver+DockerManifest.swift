// Resolving from `manifest.json` (docker save, skopeo docker-archive, Docker 25, containerd):
// each entry's config and layers, by member name.
import OCI

extension ImageResolver {
    mutating func addManifestItem(_ item: DockerManifestItem, number: Int, images: inout [ArchiveImage]) throws {
        let ref = "manifest.json entry \(number)"
        let config = try regular(item.config, referencedBy: ref)
        let tags = (item.repoTags ?? []).map(Self.familiar)
        try countImageReferences(1, member: "manifest.json")
        if imageByConfig.isEmpty {
            // The images found through index.json, the first of each config.
            for (i, image) in images.enumerated() where imageByConfig[image.configDigest] == nil { imageByConfig[image.configDigest] = i }
        }
        if let digest = config.digest, let existing = imageByConfig[digest] {
            // The same image, already found through index.json: the manifest.json tags come first.
            images[existing].tags = tags + images[existing].tags.filter { !tags.contains($0) }
            return
        }
        try countLayers(item.layers.count, member: "manifest.json", entry: "entry \(number)")
        let layers = try item.layers.map { (try regular($0, referencedBy: ref), Descriptor?.none) }
        var image = try makeImage(config: config, layers: layers, manifestDigest: nil, tags: tags, referencedBy: ref)
        // Docker >= 25 lists every layer's descriptor in LayerSources.
        if let sources = item.layerSources {
            for i in image.layers.indices {
                if let d = sources[image.layers[i].diffID.description] {
                    image.layers[i].digest = d.digest
                    image.layers[i].mediaType = d.mediaType
                }
            }
        }
        images.append(image)
        if imageByConfig[image.configDigest] == nil { imageByConfig[image.configDigest] = images.count - 1 }
    }
}
