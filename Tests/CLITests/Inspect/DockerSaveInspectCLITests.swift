import Foundation
import TestSupport
import Testing

/// The history facts of the `docker/` fixtures (fixtures.json's `dockerSave`, python's reading of
/// each image config): which entries made a layer.
private struct DockerSaveHistory: Decodable {
    struct Entry: Decodable {
        var createdBy: String
        var emptyLayer: Bool
    }

    struct SavedImage: Decodable {
        var configDigest: String
        var history: [Entry]
    }

    struct DockerSave: Decodable {
        var images: [SavedImage]
    }

    var file: String
    var dockerSave: DockerSave

    static let all: [DockerSaveHistory] = {
        let data = try! Data(contentsOf: TS.fixturesDir.appendingPathComponent("fixtures.json"))
        let entries = try! JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        let docker = entries.filter { ($0["file"] as? String)?.hasPrefix("docker/") == true }
        return try! JSONDecoder().decode([DockerSaveHistory].self, from: JSONSerialization.data(withJSONObject: docker))
    }()

    /// The `created_by` of each layer of the image with this config: the entries that are not
    /// `empty_layer`.
    static func layerCreatedBy(_ file: String, config: String) -> [String] {
        let saved = all.first { $0.file == file }!.dockerSave.images.first { $0.configDigest == config }!
        return saved.history.filter { !$0.emptyLayer }.map(\.createdBy)
    }
}

/// `imgtool inspect` (and `verify`'s integrity check, `cat`) on `docker save` archives Docker
/// 20.10 wrote (Tests/Fixtures/docker, `make-fixtures.sh --only docker`), run as a user would,
/// against the facts fixtures.json holds for them.
@Suite struct DockerSaveInspectCLITests {
    static let files = [
        "docker/one-layer.tar", "docker/empty-layers.tar", "docker/empty-layers.tar.gz", "docker/several-tags.tar", "docker/two-images.tar",
    ]

    private func json(_ args: [String], stdinPath: String? = nil) throws -> (TS.ProcessResult, [String: Any]) {
        let r = try TS.imgtool(args, stdinPath: stdinPath)
        let root = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any], "\(r.stderr)")
        return (r, root)
    }

    @Test(arguments: files)
    func jsonMatchesTheFacts(_ file: String) throws {
        let facts = FixtureFacts.named(file)
        let (r, root) = try json(["inspect", "--json", TS.fixture(file)])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let archive = try #require(root["archive"] as? [String: Any])
        #expect(archive["layout"] as? String == "docker-legacy")
        #expect(archive["layout"] as? String == facts.layout)
        #expect(archive["compression"] as? String == facts.compression)
        #expect(archive["members"] as? Int == facts.members)
        #expect(archive["bytes"] as? Int == facts.fileSize)
        #expect(archive["digestsVerified"] as? Bool == (facts.compression == "gzip"))
        #expect((root["problems"] as? [Any])?.isEmpty == true)
        #expect((root["skipped"] as? [Any])?.isEmpty == true)
        let images = try #require(root["images"] as? [[String: Any]])
        let expected = try #require(facts.images)
        #expect(images.count == expected.count)
        for (image, want) in zip(images, expected) {
            #expect(image["tags"] as? [String] == want.tags)
            #expect(image["platform"] as? String == want.platform)
            #expect(image["configDigest"] as? String == want.configDigest)
            #expect(image["manifestDigest"] == nil)
            let layers = try #require(image["layers"] as? [[String: Any]])
            let wantLayers = want.layers ?? []
            let createdBy = DockerSaveHistory.layerCreatedBy(file, config: try #require(want.configDigest))
            // One layer per history entry that made one: the empty_layer entries are not layers.
            #expect(layers.count == wantLayers.count)
            #expect(layers.count == createdBy.count)
            for (k, (l, w)) in zip(layers, wantLayers).enumerated() {
                #expect(l["diffID"] as? String == w.diffID, "layer \(k + 1)")
                #expect(l["entries"] as? Int == w.entries, "layer \(k + 1)")
                #expect((l["size"] as? NSNumber)?.int64Value == w.size, "layer \(k + 1)")
                #expect(l["member"] as? String == w.path, "layer \(k + 1)")
                #expect(l["compression"] as? String == "none", "layer \(k + 1)")
                #expect(l["createdBy"] as? String == createdBy[k], "layer \(k + 1)")
            }
            #expect(image["entries"] as? Int == wantLayers.reduce(0) { $0 + ($1.entries ?? 0) })
        }
    }

    /// The text report: one section per image, in manifest.json's order, with every tag, the
    /// config digest, the layer count and each diffID; 80 columns.
    @Test(arguments: files)
    func textNamesEveryImageAndLayer(_ file: String) throws {
        let facts = FixtureFacts.named(file)
        let r = try TS.imgtool(["inspect", TS.fixture(file)])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        expectAtMost80Columns(r.stdout, file)
        #expect(r.stdout.contains("  layout      docker save (Docker < 25)\n"))
        let images = try #require(facts.images)
        for (k, image) in images.enumerated() {
            let tags = image.tags ?? []
            #expect(r.stdout.contains("\nImage \(k + 1) of \(images.count): \(tags[0]) (\(image.platform!))\n"))
            if tags.count > 1 { #expect(r.stdout.contains("\n  tags        \(tags.joined(separator: ", "))\n")) }
            #expect(r.stdout.contains(image.configDigest!))
            let layers = image.layers ?? []
            #expect(r.stdout.contains("\n  Layers: \(layers.count), "))
            for layer in layers { #expect(r.stdout.contains(layer.diffID!)) }
        }
        #expect(!r.stdout.contains("Image \(images.count + 1) of"))
    }

    /// `docker save | gzip`, from a file or from stdin, shows what the plain save shows; both
    /// are read whole, so verified.
    @Test(arguments: [false, true])
    func gzipMatchesThePlainSave(fromStdin: Bool) throws {
        let gz = TS.fixture("docker/empty-layers.tar.gz")
        let (r, root) = try json(["inspect", "--json", fromStdin ? "-" : gz], stdinPath: fromStdin ? gz : nil)
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let (_, plain) = try json(["inspect", "--json", TS.fixture("docker/empty-layers.tar")])
        let archive = try #require(root["archive"] as? [String: Any])
        #expect(archive["compression"] as? String == "gzip")
        #expect(archive["gzipMembers"] as? Int == 1)
        #expect(archive["digestsVerified"] as? Bool == true)
        #expect(archive["tarBytes"] as? Int == FixtureFacts.named("docker/empty-layers.tar").fileSize)
        #expect(archive["members"] as? Int == (plain["archive"] as? [String: Any])?["members"] as? Int)
        let canonical: (Any?) throws -> Data = { try JSONSerialization.data(withJSONObject: $0 ?? [], options: [.sortedKeys]) }
        #expect(try canonical(root["images"]) == canonical(plain["images"]))
    }

    /// `--image` picks one of the two images; a tag neither has lists both.
    @Test func imageSelectionInTwoImages() throws {
        let path = TS.fixture("docker/two-images.tar")
        let facts = FixtureFacts.named("docker/two-images.tar")
        let tool = try #require(facts.images?.first { $0.tags == ["tool:2.0"] })
        let (r, root) = try json(["inspect", "--json", "--image", "tool:2.0", path])
        #expect(r.status == 0)
        let images = try #require(root["images"] as? [[String: Any]])
        #expect(images.map { $0["configDigest"] as? String } == [tool.configDigest])
        #expect((images.first?["layers"] as? [Any])?.count == 2)
        let none = try TS.imgtool(["inspect", "--image", "tool:1.0", path])
        #expect(none.status == 7)
        let listed = (facts.images ?? []).map { "\($0.tags![0]) (\($0.platform!))" }.joined(separator: ", ")
        #expect(none.stderr.contains("the archive holds: \(listed)"), "\(none.stderr)")
    }

    /// `verify` reads every byte: each image's integrity check passes (every layer's sha256 is
    /// its diff_id, symlinked layer included).
    @Test(arguments: files)
    func integrityPasses(_ file: String) throws {
        let (_, root) = try json(["verify", "--json", TS.fixture(file)])
        let images = try #require(root["images"] as? [[String: Any]])
        #expect(images.count == FixtureFacts.named(file).images?.count)
        for image in images {
            let checks = try #require(image["checks"] as? [[String: Any]])
            let integrity = try #require(checks.first { $0["id"] as? String == "integrity" }, "\(image["tags"] ?? "")")
            #expect(integrity["status"] as? String == "passed", "\(integrity)")
        }
    }

    /// `cat` of tool:2.0's /hello.txt: read through the layer manifest.json names (a symlink
    /// member in one of the two images), the bytes python's tarfile finds there.
    @Test(arguments: ["hello:1.0", "tool:2.0"])
    func catReadsTheSharedLayer(_ tag: String) throws {
        let path = TS.fixture("docker/two-images.tar")
        let r = try TS.imgtool(["cat", "--image", tag, path, "/hello.txt"])
        #expect(r.status == 0, "\(r.stderr)")
        let py = try TS.python(
            """
            import tarfile, json, sys
            t = tarfile.open(sys.argv[1])
            m = [e for e in json.load(t.extractfile('manifest.json')) if sys.argv[2] in e['RepoTags']][0]
            for name in m['Layers']:
                layer = tarfile.open(fileobj=t.extractfile(name))
                if 'hello.txt' in layer.getnames():
                    sys.stdout.write(layer.extractfile('hello.txt').read().decode())
            """, [path, tag])
        #expect(!py.isEmpty)
        #expect(r.stdout == py)
    }
}
