import ByteIO
import Codec
import Foundation
import ImageArchive
import OCI
import Tar
import TestSupport
import Testing

/// What python's tarfile + hashlib say about the members of an archive (an independent reader).
private struct PyMember: Decodable {
    var type: String
    var sha256: String?
    var entries: Int?
    var resolved: String?
}

private struct PyArchive: Decodable {
    var count: Int
    var members: [String: PyMember]
}

private let pythonInventory = """
    import tarfile, json, sys, hashlib, io, posixpath
    out = {}
    with tarfile.open(sys.argv[1]) as t:
        names = t.getnames()
        for m in t.getmembers():
            name = m.name
            info = dict(type=m.type.decode('latin-1'))
            if m.issym():
                info['resolved'] = posixpath.normpath(posixpath.join(posixpath.dirname(name), m.linkname))
            if m.isfile() or m.issym() or m.islnk():
                f = t.extractfile(m)
                if f is not None:
                    data = f.read()
                    info['sha256'] = hashlib.sha256(data).hexdigest()
                    try:
                        info['entries'] = len(tarfile.open(fileobj=io.BytesIO(data), mode='r:').getmembers())
                    except tarfile.ReadError:
                        info['entries'] = 0 if len(data) == 0 else None
            out[name] = info
    print(json.dumps(dict(count=len(set(names)), members=out)))
    """

private func inventory(_ path: String) throws -> PyArchive {
    try JSONDecoder().decode(PyArchive.self, from: Data(try TS.python(pythonInventory, [path]).utf8))
}

@Suite(.enabled(if: TS.realArchivesAvailable, Comment(rawValue: TS.realArchivesMissing)))
struct RealDockerArchiveTests {
    /// The archives that read (the list is TestSupport's: the ELF census and `inspect` tests run
    /// on them too).
    static let readable = TS.readableRealArchives

    @Test func theDirectoryHoldsWhatTheREADMESays() throws {
        let listed = try FileManager.default.contentsOfDirectory(atPath: TS.realDir.path).filter { $0.hasSuffix(".tar") }.sorted()
        #expect(listed == (Self.readable + ["bad-null-manifest.tar"]).sorted())
    }

    /// Entry counts, layer digests and config digests against python's tarfile + hashlib.
    @Test(arguments: readable)
    func crossCheckedWithPython(_ file: String) throws {
        let path = TS.real(file)
        let archive = try ImageArchive.read(path: path)
        #expect(archive.problems.isEmpty, "\(archive.problems)")
        #expect(archive.verified)
        let py = try inventory(path)
        #expect(archive.memberCount == py.count)
        #expect(!archive.images.isEmpty)
        for image in archive.images {
            let config = try #require(py.members[image.configMember])
            #expect(image.configDigest.hex == config.sha256)
            for layer in image.layers {
                let m = try #require(py.members[layer.member], "\(layer.member)")
                #expect(m.type == "0", "\(layer.member) should be a regular member (links followed)")
                #expect(layer.diffID.hex == m.sha256, "\(layer.member)")
                #expect(layer.entryCount == m.entries, "\(layer.member)")
                #expect(layer.compression == .none)
            }
        }
        // Read from a pipe-like source (no seeking, short reads): the same result.
        let bytes = try TS.bytes(path)
        let piped = try ImageArchive.read(.stream(DribbleSource(inner: BufferSource(bytes), chunk: 4099)))
        #expect(piped.images.map(\.configDigest) == archive.images.map(\.configDigest))
        #expect(piped.images.map { $0.layers.map(\.diffID) } == archive.images.map { $0.layers.map(\.diffID) })
        #expect(piped.layout == archive.layout)
    }

    @Test func docker25HelloWorld() throws {
        let archive = try ImageArchive.read(path: TS.real("docker25-hello-world.tar"))
        #expect(archive.layout == .dockerOCI)
        #expect(archive.compression == .none)
        #expect(archive.images.count == 1)
        let image = try #require(archive.images.first)
        #expect(image.tags.isEmpty)
        #expect(image.platform.description == "linux/arm64")
        #expect(image.configDigest.description == "sha256:ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44")
        #expect(image.layers.count == 1)
        #expect(image.layers[0].member == image.layers[0].diffID.layoutPath)
        #expect(image.layers[0].mediaType != nil)  // from LayerSources
        #expect(image.displayName == "sha256:ee301c921b8a")
        #expect(archive.problems.isEmpty)
    }

    @Test func symlinkedLayerResolves() throws {
        let path = TS.real("docker-legacy-symlinked-layer.tar")
        let py = try inventory(path)
        let link = "b159278ac0c8813245b6c3b22cbbe7abefe3b2ec3fac6c7e87138811e1ef2a88/layer.tar"
        let target = try #require(py.members[link]?.resolved)
        #expect(py.members[link]?.type == "2")
        let archive = try ImageArchive.read(path: path)
        #expect(archive.layout == .dockerLegacy)
        #expect(archive.images.map(\.tags) == [["bazel/v1/tarball:test_image_1"], ["bazel/v1/tarball:test_image_3"]])
        let image3 = archive.images[1]
        #expect(image3.layers.count == 2)
        // manifest.json names the symlink; the layer is the member it points at.
        #expect(image3.layers[0].member == target)
        #expect(image3.layers[0].diffID == archive.images[0].layers[0].diffID)
        #expect(image3.layers[0].entryCount == py.members[target]?.entries)
        #expect(archive.problems.isEmpty)
    }

    @Test func legacyArchives() throws {
        let almost = try ImageArchive.read(path: TS.real("docker-legacy-almostempty.tar"))
        #expect(almost.layout == .dockerLegacy)
        #expect(almost.images.map(\.tags) == [["emptyimage:latest"]])
        let two = try ImageArchive.read(path: TS.real("docker-legacy-two-images.tar"))
        #expect(two.layout == .dockerLegacy)
        #expect(two.images.map(\.tags) == [["test_image_2"], ["test_image_1"]])
        // LayerSources names a foreign gzip blob for the first image's layer.
        #expect(two.images[0].layers[0].digest?.description == "sha256:321460fa87fd42433950b42d04b7aff249f4ed960d43404a9f699886906cc9d3")
        let whiteout = try ImageArchive.read(path: TS.real("docker-legacy-whiteout.tar"))
        #expect(whiteout.images.count == 1)
        #expect(whiteout.images[0].layers.count == 3)
        let flagged = whiteout.images[0].layers.flatMap { l in (0..<l.table.count).map { l.table[$0] } }.filter {
            $0.isWhiteout || $0.isOpaqueMarker
        }
        #expect(!flagged.isEmpty)
        #expect(flagged.allSatisfy { ($0.path as NSString).lastPathComponent.hasPrefix(".wh.") })
    }

    @Test func v1WithoutManifest() throws {
        let archive = try ImageArchive.read(path: TS.real("docker-v1-no-manifest.tar"))
        #expect(archive.layout == .dockerV1)
        #expect(archive.images.count == 1)
        let image = archive.images[0]
        #expect(image.tags == ["bazel/v1/tarball:test_image"])
        #expect(image.configMember == "c47412cb682fcf4ae43f536a788069f78552f928a55eeb09ba1455e0f9a2306e/json")
        #expect(image.layers.map(\.member) == ["c47412cb682fcf4ae43f536a788069f78552f928a55eeb09ba1455e0f9a2306e/layer.tar"])
        #expect(image.platform.description == "linux/amd64")
    }

    @Test func v1WithEmptyLayers() throws {
        let archive = try ImageArchive.read(path: TS.real("docker-v1-empty-layers.tar"))
        #expect(archive.layout == .dockerV1)
        #expect(archive.images.count == 1)
        let image = archive.images[0]
        #expect(image.tags == ["matthughes/library-centos:6-2015.03.20"])
        // The parent chain, bottom to top.
        #expect(
            image.layers.map(\.member) == [
                "17d1436ef796af2fc2210cc37c4672e5aa1b62cb08ac4b95dd15372321105a66/layer.tar",
                "9c7cb910d84346a3fbf3cc2be046f44bf0af7f11eb8db2ef1f45e93c1202faac/layer.tar",
                "25445a0fc5025c3917a0cd6e307d92322540e0da691614312ddea22511b71513/layer.tar",
            ])
        #expect(image.layers[1].size == 0)
        #expect(image.layers[1].entryCount == 0)
        #expect(image.layers[1].diffID == Digest.sha256OfNothing)
        #expect(image.configMember == "25445a0fc5025c3917a0cd6e307d92322540e0da691614312ddea22511b71513/json")
        #expect(archive.problems.isEmpty)
    }

    @Test func nullManifestIsMalformed() throws {
        let expected = ArchiveError.malformedJSON(member: "manifest.json", reason: "expected a JSON array of images, found null")
        #expect(throws: expected) { try ImageArchive.read(path: TS.real("bad-null-manifest.tar")) }
        #expect(expected.kind == .malformed)
    }
}
