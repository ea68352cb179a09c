import ByteIO
import Codec
import Foundation
import ImageArchive
import OCI
import Tar
import TestSupport
import Testing

/// What fixtures.json says about the fixtures of Tests/Fixtures/docker: `docker save` of Debian's
/// docker.io 20.10, made by `make-fixtures.sh --only docker` (section 30), with the facts python's
/// tarfile, json and hashlib found in them (the config history and its `empty_layer` entries, the
/// `repositories` file, symlink members) besides the ones every fixture has.
private struct DockerSaveFacts: Decodable {
    struct Layer: Decodable {
        var diffID: String
        var entries: Int
        var size: Int64
        /// The member holding the layer's bytes.
        var path: String
        /// What manifest.json names, when that is a symlink member to ``path``.
        var manifestPath: String?
    }

    struct Image: Decodable {
        var tags: [String]
        var platform: String
        var configDigest: String
        var configDiffIDs: Int
        var layers: [Layer]
    }

    struct History: Decodable {
        var createdBy: String
        var emptyLayer: Bool
    }

    struct SavedImage: Decodable {
        var configDigest: String
        /// The config's member (`<hex>.json`).
        var config: String
        var repoTags: [String]?
        var history: [History]
        var emptyLayerEntries: Int
    }

    struct Link: Decodable {
        var member: String
        var target: String
    }

    struct DockerSave: Decodable {
        /// In manifest.json's order.
        var images: [SavedImage]
        /// The `repositories` file: repository -> tag -> v1 id of the image's top layer.
        var repositories: [String: [String: String]]
        var symlinks: [Link]
    }

    var file: String
    var layout: String
    var compression: String
    var fileSize: Int
    var members: Int
    var madeBy: String
    var images: [Image]
    var dockerSave: DockerSave
    /// For the `.tar.gz`: the fixture its gzip stream holds byte for byte.
    var gunzipsTo: String?

    /// The `docker/` entries of fixtures.json.
    static let all: [DockerSaveFacts] = {
        let data = try! Data(contentsOf: TS.fixturesDir.appendingPathComponent("fixtures.json"))
        let entries = try! JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        let docker = entries.filter { ($0["file"] as? String)?.hasPrefix("docker/") == true }
        return try! JSONDecoder().decode([DockerSaveFacts].self, from: JSONSerialization.data(withJSONObject: docker))
    }()

    static func named(_ file: String) -> DockerSaveFacts { all.first { $0.file == file }! }

    static let files = [
        "docker/one-layer.tar", "docker/empty-layers.tar", "docker/empty-layers.tar.gz", "docker/several-tags.tar", "docker/two-images.tar",
    ]

    /// The history entry of each layer: the entries that are not `empty_layer`, in order.
    func layerHistory(_ image: Image) -> [History] {
        dockerSave.images.first { $0.configDigest == image.configDigest }!.history.filter { !$0.emptyLayer }
    }
}

/// The `docker save` output of Docker 20.10 itself (its legacy layout), read by the library and
/// compared with what independent tools found in it when the fixtures were made.
@Suite struct DockerSaveFixtureTests {
    @Test func theFolderHoldsTheFixturesFixturesJSONDescribes() throws {
        let listed = try FileManager.default.contentsOfDirectory(atPath: TS.fixture("docker")).map { "docker/" + $0 }.sorted()
        #expect(listed == DockerSaveFacts.files.sorted())
        #expect(DockerSaveFacts.all.map(\.file).sorted() == listed)
        for facts in DockerSaveFacts.all {
            #expect(facts.madeBy.hasPrefix("docker save (Docker 20.10."), "\(facts.file)")
            #expect(facts.layout == "docker-legacy", "\(facts.file)")
            // manifest.json, as python read it, against the config history: one layer per
            // history entry that is not empty_layer.
            for (image, saved) in zip(facts.images, facts.dockerSave.images) {
                #expect(image.configDigest == saved.configDigest)
                #expect(image.tags == saved.repoTags)
                #expect(image.layers.count == image.configDiffIDs)
                #expect(image.layers.count == saved.history.count - saved.emptyLayerEntries)
            }
        }
    }

    /// Every fixture, read whole: layout, compression, members, tags, platform, config digest and
    /// each layer (diffID, entries, size, the member holding it, the history entry that made it).
    @Test(arguments: DockerSaveFacts.files)
    func readsAsTheFactsSay(_ file: String) throws {
        let facts = DockerSaveFacts.named(file)
        let archive = try ImageArchive.read(path: TS.fixture(file))
        #expect(archive.layout == .dockerLegacy)
        #expect(archive.compression.rawValue == facts.compression)
        #expect(archive.verified)
        #expect(archive.problems.isEmpty, "\(archive.problems)")
        #expect(archive.skipped.isEmpty)
        #expect(archive.memberCount == facts.members)
        #expect(archive.inputBytes == Int64(facts.fileSize))
        #expect(archive.images.count == facts.images.count)
        for (image, want) in zip(archive.images, facts.images) {
            #expect(image.tags == want.tags)
            #expect(image.platform.description == want.platform)
            #expect(image.configDigest.description == want.configDigest)
            #expect(image.manifestDigest == nil)
            let saved = try #require(facts.dockerSave.images.first { $0.configDigest == want.configDigest })
            #expect(image.configMember == saved.config)
            #expect(image.layers.count == want.layers.count)
            let history = facts.layerHistory(want)
            #expect(history.count == want.layers.count)
            for (k, (layer, w)) in zip(image.layers, want.layers).enumerated() {
                #expect(layer.diffID.description == w.diffID, "layer \(k + 1)")
                #expect(layer.entryCount == w.entries, "layer \(k + 1)")
                #expect(layer.size == w.size, "layer \(k + 1)")
                #expect(layer.member == w.path, "layer \(k + 1)")
                #expect(layer.compression == .none)
                #expect(layer.digest == nil)
                #expect(layer.history?.createdBy == history[k].createdBy, "layer \(k + 1)")
                #expect(layer.history?.emptyLayer != true)
            }
        }
    }

    /// Read header by header (seeking over bodies, mapped or not) and from a pipe-like source (no
    /// seeking, short reads): the same images and layers.
    @Test(arguments: DockerSaveFacts.files)
    func everyWayOfReadingFindsTheSame(_ file: String) throws {
        let whole = try ImageArchive.read(path: TS.fixture(file))
        var others = [try ImageArchive.read(.stream(DribbleSource(inner: BufferSource(try TS.bytes(TS.fixture(file))), chunk: 4099)))]
        if !file.hasSuffix(".gz") {
            for mapped in [false, true] {
                let quick = try ImageArchive.read(path: TS.fixture(file), reading: .headersOnly(mapped: mapped))
                #expect(!quick.verified)
                #expect(quick.problems.isEmpty, "\(quick.problems)")
                others.append(quick)
            }
        }
        for other in others {
            #expect(other.layout == whole.layout)
            #expect(other.images.map(\.tags) == whole.images.map(\.tags))
            #expect(other.images.map(\.configDigest) == whole.images.map(\.configDigest))
            #expect(other.images.map { $0.layers.map(\.diffID) } == whole.images.map { $0.layers.map(\.diffID) })
            #expect(other.images.map { $0.layers.map(\.entryCount) } == whole.images.map { $0.layers.map(\.entryCount) })
            #expect(other.images.map { $0.layers.map(\.member) } == whole.images.map { $0.layers.map(\.member) })
        }
    }

    @Test func oneLayer() throws {
        let facts = DockerSaveFacts.named("docker/one-layer.tar")
        let archive = try ImageArchive.read(path: TS.fixture(facts.file))
        let image = try #require(archive.images.first)
        #expect(archive.images.count == 1)
        #expect(image.tags == ["hello:1.0"])
        #expect(image.platform.description == "linux/amd64")
        #expect(image.layers.count == 1)
        #expect(image.layers[0].diffID.description == facts.images[0].layers[0].diffID)
        // COPY hello.txt /hello.txt: one entry, the file (no directory: / is not in the diff).
        #expect(image.layers[0].entryCount == 1)
        #expect(image.layers[0].table[0].path == "hello.txt")
        #expect(image.layers[0].table[0].kind == .regular)
        // The legacy layout's members: <config>.json, <v1id>/{,VERSION,json,layer.tar}, manifest.json, repositories.
        let v1 = (image.layers[0].member as NSString).deletingLastPathComponent
        #expect(facts.dockerSave.repositories == ["hello": ["1.0": v1]])
        #expect(archive.memberCount == 7)
        #expect(facts.dockerSave.symlinks.isEmpty)
    }

    /// Five of the eight history entries are `empty_layer` (LABEL, ENV, ENV, WORKDIR of a
    /// directory already there, CMD): they are in the config, not layers. WORKDIR of a missing
    /// directory makes a layer of its own, of that one directory.
    @Test(arguments: ["docker/empty-layers.tar", "docker/empty-layers.tar.gz"])
    func emptyLayersAreNotLayers(_ file: String) throws {
        let facts = DockerSaveFacts.named(file)
        let saved = try #require(facts.dockerSave.images.first)
        let archive = try ImageArchive.read(path: TS.fixture(file))
        let image = try #require(archive.images.first)
        #expect(image.tags == ["web:1.0"])
        let history = try #require(image.config.history)
        #expect(history.count == saved.history.count)
        #expect(history.map(\.createdBy) == saved.history.map(\.createdBy))
        #expect(history.map { $0.emptyLayer == true } == saved.history.map(\.emptyLayer))
        #expect(history.count == 8)
        #expect(saved.emptyLayerEntries == 5)
        #expect(image.layers.count == history.count - saved.emptyLayerEntries)
        #expect(image.layers.count == facts.images[0].configDiffIDs)
        #expect(image.config.rootfs?.diffIDs?.map(\.description) == facts.images[0].layers.map(\.diffID))
        #expect(image.layers.map { $0.history?.createdBy } == history.filter { $0.emptyLayer != true }.map(\.createdBy))
        #expect(image.layers[1].history?.createdBy == "/bin/sh -c #(nop) WORKDIR /app")
        #expect(image.layers[1].entryCount == 1)
        #expect(image.layers[1].table[0].path == "app")
        #expect(image.layers[1].table[0].kind == .directory)
        let paths = (0..<image.layers[2].entryCount).map { image.layers[2].table.path($0) }
        #expect(paths.contains("app/node_modules/.prisma/client/schema.prisma"))
        #expect(image.config.config?.workingDir == "/app")
        #expect(image.config.config?.cmd == ["node", "server.js"])
        #expect(image.config.config?.labels?["org.opencontainers.image.title"] == "imgtool fixture")
    }

    /// `docker save | gzip` reads as the plain save does, and says it was gzip.
    @Test func gzipReadsTheSame() throws {
        let gz = DockerSaveFacts.named("docker/empty-layers.tar.gz")
        let plainFile = try #require(gz.gunzipsTo)
        let plain = DockerSaveFacts.named(plainFile)
        let a = try ImageArchive.read(path: TS.fixture(gz.file))
        let b = try ImageArchive.read(path: TS.fixture(plainFile))
        #expect(a.compression == .gzip)
        #expect(a.gzipMembers == 1)
        #expect(b.compression == .none)
        #expect(a.tarBytes == Int64(plain.fileSize))
        #expect(a.memberCount == b.memberCount)
        #expect(a.images.map(\.tags) == b.images.map(\.tags))
        #expect(a.images.map(\.configDigest) == b.images.map(\.configDigest))
        #expect(a.images.map(\.rawConfig) == b.images.map(\.rawConfig))
        #expect(a.images.map { $0.layers.map(\.diffID) } == b.images.map { $0.layers.map(\.diffID) })
        #expect(a.images.map { $0.layers.map(\.member) } == b.images.map { $0.layers.map(\.member) })
        #expect(a.images.map { $0.layers.map(\.entryCount) } == b.images.map { $0.layers.map(\.entryCount) })
        // What gzip itself makes of it is the plain save.
        let r = try TS.run("/bin/sh", ["-c", "gzip -dc \"$1\" | cmp - \"$2\"", "sh", TS.fixture(gz.file), TS.fixture(plainFile)])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }

    /// One image, three tags: manifest.json's RepoTags, in the order `docker save` was given them;
    /// `repositories` says the same, per repository, naming the top layer's v1 id.
    @Test func severalTags() throws {
        let facts = DockerSaveFacts.named("docker/several-tags.tar")
        let archive = try ImageArchive.read(path: TS.fixture(facts.file))
        #expect(archive.images.count == 1)
        let image = try #require(archive.images.first)
        let tags = ["app:1.0", "app:latest", "registry.example:5000/team/app:1.0"]
        #expect(facts.images[0].tags == tags)
        #expect(image.tags == tags)
        #expect(image.displayName == "app:1.0")
        let top = (try #require(image.layers.last).member as NSString).deletingLastPathComponent
        let fromRepositories = facts.dockerSave.repositories.flatMap { repo, byTag in byTag.keys.map { "\(repo):\($0)" } }
        #expect(Set(fromRepositories) == Set(tags))
        #expect(facts.dockerSave.repositories.values.allSatisfy { $0.values.allSatisfy { $0 == top } })
        for reference in tags + ["docker.io/library/app:1.0", "app", "docker.io/library/app:latest"] {
            #expect(try archive.select(reference: reference).map(\.configDigest) == [image.configDigest], "\(reference)")
        }
        #expect(throws: ArchiveError.self) { try archive.select(reference: "app:2.0") }
        #expect(throws: ArchiveError.self) { try archive.select(reference: "registry.example:5000/team/app:latest") }
    }

    /// `docker save hello:1.0 tool:2.0`, tool FROM hello: both images, in manifest.json's order
    /// (Go's map order: it can change from one save to the next, so it comes from the facts). hello's
    /// layer is stored once; the other image's `<v1id>/layer.tar` is a symlink member to it.
    @Test func twoImages() throws {
        let facts = DockerSaveFacts.named("docker/two-images.tar")
        let archive = try ImageArchive.read(path: TS.fixture(facts.file))
        #expect(archive.images.count == 2)
        #expect(archive.images.map(\.tags) == facts.images.map(\.tags))
        #expect(Set(archive.images.map(\.tags)) == [["hello:1.0"], ["tool:2.0"]])
        let hello = try #require(archive.images.first { $0.tags == ["hello:1.0"] })
        let tool = try #require(archive.images.first { $0.tags == ["tool:2.0"] })
        #expect(hello.layers.count == 1)
        #expect(tool.layers.count == 2)
        #expect(tool.layers[0].diffID == hello.layers[0].diffID)
        #expect(tool.layers[0].member == hello.layers[0].member)
        // The same hello:1.0 as one-layer.tar's (built once, saved twice).
        let one = DockerSaveFacts.named("docker/one-layer.tar")
        #expect(hello.configDigest.description == one.images[0].configDigest)
        #expect(hello.layers[0].diffID.description == one.images[0].layers[0].diffID)
        // The symlink: what manifest.json names for one image, resolved to the other's file.
        let link = try #require(facts.dockerSave.symlinks.first)
        #expect(facts.dockerSave.symlinks.count == 1)
        let linked = try #require(facts.images.flatMap(\.layers).first { $0.manifestPath != nil })
        #expect(linked.manifestPath == link.member)
        #expect(linked.path == hello.layers[0].member)
        #expect(
            URL(fileURLWithPath: "/" + link.member).deletingLastPathComponent().appendingPathComponent(link.target).standardized.path
                == "/" + hello.layers[0].member)
        // Every layer.tar is read once: the layers' members are two files.
        #expect(Set(archive.images.flatMap { $0.layers.map(\.member) }).count == 2)
        #expect(try archive.select(reference: "tool:2.0").map(\.configDigest) == [tool.configDigest])
        // `hello` is hello:latest, which neither image is.
        #expect(throws: ArchiveError.self) { try archive.select(reference: "hello") }
    }
}
