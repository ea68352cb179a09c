import ByteIO
import Codec
import Foundation
import OCI
import Tar

/// Resolves the images of an archive after its single pass: `index.json` → (nested) index →
/// manifests → configs and layers; `manifest.json` entries; or, before Docker 1.10,
/// `repositories` → the per-layer `json` parent chain. Checks every digest, size and DiffID it
/// can, collecting all mismatches.
///
/// Every distinct blob is decoded (or hashed) once, however many references lead to it: an index
/// that many entries list is walked once, a config or manifest that many images share is decoded
/// once, a layer that an image lists many times is hashed once. What references remain are
/// counted against ``ReadOptions/maximumLayersPerImage``, ``ReadOptions/maximumLayerReferences``
/// and ``ReadOptions/maximumImageReferences``.
struct ImageResolver {
    let scan: ArchiveScanner.Result
    let verify: Bool
    var problems: [ArchiveError] = []
    /// The messages of ``problems``, so that a mismatch that many references meet is listed once.
    var reported: Set<String> = []

    /// Configs (and pre-1.10 layer jsons) decoded, by member name.
    var configs: [String: ImageConfig] = [:]
    /// Members hashed from the file (headers-only reads), by name.
    var hashedMembers: [String: Digest] = [:]
    /// The index walk's memory, by digest: the images each index walked leads to (indexes into
    /// the images found), the indexes being walked (one met again is a cycle), and what became of
    /// each manifest met.
    var walkedIndexes: [Digest: [Int]] = [:]
    var openIndexes: Set<Digest> = []
    var manifestOutcomes: [Digest: ManifestOutcome] = [:]
    /// The manifests listed in ``ImageArchive/skipped`` already.
    var skippedDigests: Set<Digest> = []
    /// Layer references (over all images) and image references counted so far.
    var layerReferences = 0
    var imageReferences = 0
    /// The image of each config digest that `manifest.json` entries have led to.
    var imageByConfig: [Digest: Int] = [:]

    /// What became of a manifest the index walk has met.
    enum ManifestOutcome {
        /// It is image `images[n]`.
        case image(Int)
        /// It is not shown as an image.
        case skipped
    }

    init(scan: ArchiveScanner.Result, verify: Bool) {
        self.scan = scan
        self.verify = verify
    }

    mutating func resolve() throws -> ImageArchive {
        checkBlobNames()
        var images: [ArchiveImage] = []
        var skipped: [SkippedManifest] = []
        let hasIndex = scan.members["index.json"] != nil
        let hasManifestJSON = scan.members["manifest.json"] != nil
        if hasIndex {
            let member = try regular("index.json", referencedBy: "the archive")
            let index = try decode(OCIIndex.self, member, role: "an OCI image index", limit: ReadOptions.maximumManifestSize)
            _ = try walk(index, member: member.name, tags: [], depth: 0, images: &images, skipped: &skipped)
        }
        if hasManifestJSON {
            let member = try regular("manifest.json", referencedBy: "the archive")
            let items = try decode(
                [DockerManifestItem].self, member, role: "a JSON array of images", limit: ReadOptions.maximumManifestSize)
            for (k, item) in items.enumerated() {
                try addManifestItem(item, number: k + 1, images: &images)
            }
        }
        var layout: ArchiveLayout
        if hasIndex {
            let compressed = images.contains { $0.layers.contains { $0.compression != .none } }
            layout = hasManifestJSON ? (compressed ? .containerd : .dockerOCI) : .ociArchive
        } else if hasManifestJSON {
            let skopeoStyle = images.contains { $0.layers.contains { !$0.member.contains("/") && $0.member.hasSuffix(".tar") } }
            layout = skopeoStyle ? .dockerArchiveSkopeo : .dockerLegacy
        } else if scan.members["repositories"] != nil || scan.order.contains(where: { $0.hasSuffix("/json") }) {
            layout = .dockerV1
            images = try resolveV1()
        } else {
            throw ArchiveError.notAnImage(
                reason: "a tar archive of \(scan.order.count) members with no manifest.json, index.json or repositories")
        }
        if images.isEmpty {
            if let absent = skipped.first(where: { $0.reason == .blobsAbsent }) {
                throw ArchiveError.missingMember(member: absent.descriptor.digest.layoutPath, referencedBy: "index.json")
            }
            if !hasIndex || hasManifestJSON {
                throw ArchiveError.notAnImage(reason: "\(hasManifestJSON ? "manifest.json" : "the archive") lists no image")
            }
            throw ArchiveError.notAnImage(reason: "index.json lists no image manifest")
        }
        return ImageArchive(
            layout: layout, compression: scan.compression, gzipMembers: scan.gzipMembers, inputBytes: scan.inputBytes,
            tarBytes: scan.tarBytes, memberCount: scan.order.count, verified: verify, images: images, skipped: skipped,
            problems: problems)
    }

    // MARK: - Members

    /// The regular member `name` refers to, following link members.
    func regular(_ name: String, referencedBy: String) throws -> ArchiveMember {
        guard let clean = PathCleaner.clean(name), let found = find(clean) else {
            throw ArchiveError.missingMember(member: name, referencedBy: referencedBy)
        }
        return found
    }

    /// The regular member at `name`, following link members; nil when absent.
    func find(_ name: String) -> ArchiveMember? {
        var current = name
        for _ in 0..<16 {
            guard let m = scan.members[current] else { return nil }
            switch m.kind {
            case .symlink, .hardlink:
                guard let next = m.linkTarget else { return nil }
                current = next
            default:
                return m
            }
        }
        return nil
    }

    /// Adds `problem` to ``problems`` unless it is there already.
    mutating func report(_ problem: ArchiveError) {
        if reported.insert(problem.description).inserted { problems.append(problem) }
    }

    /// Counts an image's layers against ``ReadOptions/maximumLayersPerImage`` and
    /// ``ReadOptions/maximumLayerReferences``.
    /// - Parameters:
    ///   - count: How many layers the image lists.
    ///   - member: The JSON member that lists them, named in the error.
    ///   - entry: Which part of it (`entry 3`), if it lists more than one image.
    mutating func countLayers(_ count: Int, member: String, entry: String? = nil) throws {
        let place = entry.map { " in \($0)" } ?? ""
        guard count <= ReadOptions.maximumLayersPerImage else {
            throw ArchiveError.malformedJSON(
                member: member,
                reason: "too many layers for one image\(place): expected at most \(ReadOptions.maximumLayersPerImage), found \(count)")
        }
        layerReferences += count
        guard layerReferences <= ReadOptions.maximumLayerReferences else {
            throw ArchiveError.malformedJSON(
                member: member,
                reason:
                    "too many layer references over the archive's images: expected at most \(ReadOptions.maximumLayerReferences), found \(layerReferences) by the image\(place)"
            )
        }
    }

    /// Counts `count` more references to images against ``ReadOptions/maximumImageReferences``.
    /// - Parameter member: The JSON member whose entry leads to them, named in the error.
    mutating func countImageReferences(_ count: Int, member: String) throws {
        imageReferences += count
        guard imageReferences <= ReadOptions.maximumImageReferences else {
            throw ArchiveError.malformedJSON(
                member: member,
                reason:
                    "too many image references over the archive: expected at most \(ReadOptions.maximumImageReferences), found \(imageReferences)"
            )
        }
    }

    /// Every `blobs/<alg>/<hex>` member must hash to its name.
    private mutating func checkBlobNames() {
        guard verify else { return }
        for name in scan.order where name.hasPrefix("blobs/sha256/") {
            guard let m = scan.members[name], m.kind == .regular || m.kind == .sparse, let actual = m.digest else { continue }
            guard let named = try? Digest(parsing: "sha256:" + name.dropFirst("blobs/sha256/".count)) else { continue }
            if named != actual {
                report(.digestMismatch(member: name, expected: named, found: actual, bytes: m.size))
            }
        }
    }

    /// Members named after their own digest outside `blobs/` (`<hex>.json` configs, crane's
    /// `sha256:<hex>`, skopeo's `<hex>.tar` layers) must hash to their name.
    private mutating func checkNamedDigest(_ m: ArchiveMember) {
        guard verify, let actual = m.digest, !m.name.hasPrefix("blobs/") else { return }
        var base = Substring(m.name.split(separator: "/").last ?? "")
        if base.hasPrefix("sha256:") { base = base.dropFirst(7) }
        for suffix in [".json", ".tar"] where base.hasSuffix(suffix) { base = base.dropLast(suffix.count) }
        guard base.count == 64, let named = try? Digest(parsing: "sha256:" + base), named != actual else { return }
        report(.digestMismatch(member: m.name, expected: named, found: actual, bytes: m.size))
    }

    func decode<T: Decodable>(_ type: T.Type, _ member: ArchiveMember, role: String, limit: Int64) throws -> T {
        guard member.size <= limit else {
            throw ArchiveError.tooLarge(member: member.name, size: member.size, limit: limit)
        }
        guard case .json(let bytes) = member.content else {
            let found: String =
                switch member.content {
                case .layer: "a tar archive"
                case .unreadable(let f): "\(f.rawValue)-compressed data"
                default: member.size == 0 ? "an empty file" : "data that is not JSON"
                }
            throw ArchiveError.malformedJSON(member: member.name, reason: "expected \(role), found \(found)")
        }
        let trimmed = bytes.drop(while: { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 })
        if trimmed.starts(with: Array("null".utf8)) {
            throw ArchiveError.malformedJSON(member: member.name, reason: "expected \(role), found null")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw ArchiveError.malformedJSON(member: member.name, reason: "expected \(role): \(error.explanation())")
        } catch {
            throw ArchiveError.malformedJSON(member: member.name, reason: "expected \(role): \(error)")
        }
    }

    // MARK: - Images

    mutating func makeImage(
        config member: ArchiveMember, layers: [(ArchiveMember, Descriptor?)], manifestDigest: Digest?, tags: [String],
        referencedBy: String
    ) throws -> ArchiveImage {
        checkNamedDigest(member)
        let config = try decodeConfig(member, role: "an image config")
        guard case .json(let raw) = member.content else {
            throw ArchiveError.malformedJSON(member: member.name, reason: "expected an image config")
        }
        let name = tags.first ?? member.digest.map(\.short) ?? member.name
        let diffIDs = config.rootfs?.diffIDs
        if let diffIDs, diffIDs.count != layers.count {
            throw ArchiveError.layerCountMismatch(image: name, manifestLayers: layers.count, configDiffIDs: diffIDs.count)
        }
        let history = ArchiveImage.pairHistory(config.history, layerCount: layers.count)
        var out: [ArchiveLayer] = []
        for (i, (m, descriptor)) in layers.enumerated() {
            var layer = try makeLayer(m, expected: diffIDs?[i], number: i + 1, referencedBy: referencedBy)
            layer.history = history[i]
            if let descriptor {
                layer.digest = descriptor.digest
                layer.mediaType = descriptor.mediaType
                if m.size != descriptor.size {
                    report(.sizeMismatch(member: m.name, expected: descriptor.size, found: m.size))
                }
                if verify, let actual = m.digest, actual != descriptor.digest, !m.name.hasPrefix("blobs/") {
                    report(.digestMismatch(member: m.name, expected: descriptor.digest, found: actual, bytes: m.size))
                }
            }
            out.append(layer)
        }
        return ArchiveImage(
            tags: tags, platform: config.platform, manifestDigest: manifestDigest,
            configDigest: member.digest ?? Digest.sha256(of: raw), config: config, rawConfig: raw, configMember: member.name, layers: out)
    }

    private mutating func makeLayer(_ m: ArchiveMember, expected: Digest?, number: Int, referencedBy: String) throws -> ArchiveLayer {
        switch m.content {
        case .layer(let info):
            try checkEnd(of: m, info, expected: expected)
            if verify, let expected, let actual = info.diffID, actual != expected {
                report(.diffIDMismatch(member: m.name, layer: number, expected: expected, found: actual))
            }
            return ArchiveLayer(
                member: m.name, diffID: try expected ?? info.diffID ?? hashFromFile(m), digest: nil, mediaType: nil,
                compression: info.compression, compressedSize: info.compression == .none ? nil : m.size,
                size: info.uncompressedSize, table: info.table, history: nil)
        case .other where m.size == 0:
            // An empty file as a layer (pre-1.10 archives): no entries.
            if verify, let expected, expected != Digest.sha256OfNothing {
                report(.diffIDMismatch(member: m.name, layer: number, expected: expected, found: Digest.sha256OfNothing))
            }
            return ArchiveLayer(
                member: m.name, diffID: expected ?? Digest.sha256OfNothing, digest: nil, mediaType: nil, compression: .none,
                compressedSize: nil, size: 0, table: LayerTable(), history: nil)
        case .unreadable(let format):
            throw ArchiveError.unsupportedLayerCompression(member: m.name, format: format)
        default:
            throw ArchiveError.notALayer(member: m.name, referencedBy: referencedBy)
        }
    }

    /// The SHA-256 of a member read straight from the file: for a layer that no config names a
    /// DiffID for (archives from before Docker 1.10) when only headers were read, so that the
    /// DiffID shown is the layer's own. Without a file (a stream read without hashing), the
    /// digest of nothing stands in. Each member is read once, however many layers refer to it.
    private mutating func hashFromFile(_ m: ArchiveMember) throws -> Digest {
        try memberDigestFromFile(m) ?? Digest.sha256OfNothing
    }

    /// The SHA-256 of a member read straight from the file (headers-only reads), once per
    /// member; `nil` without a file.
    mutating func memberDigestFromFile(_ m: ArchiveMember) throws -> Digest? {
        guard let file = scan.file else { return nil }
        if let known = hashedMembers[m.name] { return known }
        let hashing = HashingSource(FileRangeSource(file: file, start: scan.fileBase + m.dataOffset, length: m.size))
        let digest = Digest(try hashing.finish().digest)
        hashedMembers[m.name] = digest
        return digest
    }

    /// The image config (or pre-1.10 layer json) in `member`, decoded once however many images
    /// or layers refer to it.
    mutating func decodeConfig(_ member: ArchiveMember, role: String) throws -> ImageConfig {
        if let known = configs[member.name] { return known }
        let config = try decode(ImageConfig.self, member, role: role, limit: ReadOptions.maximumConfigSize)
        configs[member.name] = config
        return config
    }

    // MARK: - Names

    /// `app:1.0` for `docker.io/library/app:1.0`.
    static func familiar(_ reference: String) -> String {
        if reference.hasPrefix("docker.io/library/") { return String(reference.dropFirst("docker.io/library/".count)) }
        if reference.hasPrefix("docker.io/") { return String(reference.dropFirst("docker.io/".count)) }
        return reference
    }
}
