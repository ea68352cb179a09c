import ByteIO
import Codec
import Foundation
import OCI
import Tar
import TestSupport
import Testing

// @testable: the xattrs flag of a layer table record (`LayerTable.Flag.xattrs`) is internal.
@testable import ImageArchive

/// Compares what imgtool reads with the facts fixtures.json holds (computed by independent tools).
func assertMatchesFacts(
    _ archive: ImageArchive, _ facts: FixtureFacts, compression: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    let file = facts.file
    #expect(archive.layout.rawValue == facts.layout, "\(file)", sourceLocation: sourceLocation)
    #expect(archive.compression.rawValue == (compression ?? facts.compression), "\(file)", sourceLocation: sourceLocation)
    if let members = facts.members {
        #expect(archive.memberCount == members, "\(file)", sourceLocation: sourceLocation)
    }
    #expect(archive.verified, sourceLocation: sourceLocation)
    #expect(archive.problems.isEmpty, "\(file): \(archive.problems)", sourceLocation: sourceLocation)
    let expected = facts.shownImages
    #expect(archive.images.count == expected.count, "\(file)", sourceLocation: sourceLocation)
    for (image, want) in zip(archive.images, expected) {
        var tags: [String] = []
        for t in (want.tags ?? []).map(TS.familiar) where !tags.contains(t) { tags.append(t) }
        // Layouts with both index.json and manifest.json add manifest.json's tags.
        for m in facts.manifestJson ?? [] where m.configDigest == want.configDigest {
            for t in (m.tags ?? []).map(TS.familiar) where !tags.contains(t) { tags.append(t) }
        }
        #expect(Set(image.tags) == Set(tags), "\(file)", sourceLocation: sourceLocation)
        #expect(image.platform.description == want.platform, "\(file)", sourceLocation: sourceLocation)
        #expect(image.configDigest.description == want.configDigest, "\(file)", sourceLocation: sourceLocation)
        #expect(image.manifestDigest?.description == want.manifestDigest, "\(file)", sourceLocation: sourceLocation)
        let layers = want.layers ?? []
        #expect(image.layers.count == layers.count, "\(file)", sourceLocation: sourceLocation)
        for (k, (layer, w)) in zip(image.layers, layers).enumerated() {
            let context = "\(file) layer \(k + 1)"
            #expect(layer.diffID.description == w.diffID, "\(context)", sourceLocation: sourceLocation)
            #expect(layer.entryCount == w.entries, "\(context)", sourceLocation: sourceLocation)
            #expect(layer.size == w.size, "\(context)", sourceLocation: sourceLocation)
            if let path = w.path { #expect(layer.member == path, "\(context)", sourceLocation: sourceLocation) }
            if let digest = w.digest {
                #expect(layer.digest?.description == digest, "\(context)", sourceLocation: sourceLocation)
                #expect(layer.member == TS.digest(digest).layoutPath, "\(context)", sourceLocation: sourceLocation)
            }
            if let mt = w.mediaType { #expect(layer.mediaType?.rawValue == mt, "\(context)", sourceLocation: sourceLocation) }
            #expect(layer.compressedSize == w.compressedSize, "\(context)", sourceLocation: sourceLocation)
            #expect(layer.compression == (w.compressedSize == nil ? .none : .gzip), "\(context)", sourceLocation: sourceLocation)
        }
    }
}

@Suite struct ArchiveLayoutTests {
    @Test func fixturesJSONIsPresentAndConsistent() throws {
        #expect(FixtureFacts.all.count >= 30)
        #expect(FixtureFacts.okFiles.count >= 25)
        // The fixture files are the ones fixtures.json describes (size and sha256).
        for f in FixtureFacts.all {
            let bytes = try TS.bytes(TS.fixture(f.file))
            #expect(bytes.count == f.fileSize, "\(f.file)")
            #expect(SHA256.hash(bytes).hex == f.sha256, "\(f.file)")
        }
    }

    /// Every fixture expected to read: layout, compression, tags, platform, digests, layers.
    @Test(arguments: FixtureFacts.okFiles)
    func okFixture(_ file: String) throws {
        let facts = FixtureFacts.named(file)
        let path = TS.fixture(file)
        switch facts.compression {
        case "xz", "bzip2":
            let format = CompressionFormat(rawValue: facts.compression)!
            #expect(throws: ArchiveError.unsupportedCompression(format)) { try ImageArchive.read(path: path) }
            #expect(ArchiveError.unsupportedCompression(format).kind == .unsupported)
            // Decompressed by the real tool, the tar inside reads with the same facts.
            let tmp = try TS.TempDir()
            defer { tmp.cleanup() }
            let tarPath = tmp.path("plain.tar")
            let r = try TS.run("/bin/sh", ["-c", "\(format.decompressCommand!) \"$1\" > \"$2\"", "sh", path, tarPath])
            try #require(r.status == 0, "\(r.stderr)")
            let archive = try ImageArchive.read(path: tarPath)
            assertMatchesFacts(archive, facts, compression: "none")
        default:
            let archive = try ImageArchive.read(path: path)
            assertMatchesFacts(archive, facts)
            if facts.compression == "gzip" {
                let members = file.contains("multimember") ? 3 : 1
                #expect(archive.gzipMembers == members)
                #expect(archive.inputBytes == Int64(facts.fileSize))
            } else if facts.compression == "zstd" {
                #expect(archive.gzipMembers >= 1)
                #expect(archive.inputBytes == Int64(facts.fileSize))
            } else {
                #expect(archive.inputBytes == Int64(facts.fileSize))
                #expect(archive.tarBytes == Int64(facts.fileSize))
            }
            // Headers-only reading (skipping bodies by seeking) finds the same structure.
            if facts.compression == "none" {
                let quick = try ImageArchive.read(path: path, reading: .headersOnly(mapped: false))
                #expect(!quick.verified)
                #expect(quick.images.map(\.configDigest) == archive.images.map(\.configDigest))
                #expect(quick.images.map { $0.layers.map(\.diffID) } == archive.images.map { $0.layers.map(\.diffID) })
                #expect(quick.images.map { $0.layers.map(\.entryCount) } == archive.images.map { $0.layers.map(\.entryCount) })
            }
        }
    }

    @Test func skippedManifests() throws {
        let multi = try ImageArchive.read(path: TS.fixture("oci-multiarch.tar"))
        #expect(multi.skipped.map(\.reason) == [.attestation])
        #expect(multi.skipped.first?.descriptor.digest.description == FixtureFacts.named("oci-multiarch.tar").images?[2].manifestDigest)
        let containerd = try ImageArchive.read(path: TS.fixture("containerd-export.tar"))
        #expect(containerd.skipped.map(\.reason) == [.blobsAbsent])
        #expect(
            containerd.skipped.first?.descriptor.digest.description == FixtureFacts.named("containerd-export.tar").images?[1].manifestDigest
        )
        #expect(containerd.skipped.first?.platform?.description == "linux/arm64/v8")
    }

    @Test func selection() throws {
        let multi = try ImageArchive.read(path: TS.fixture("oci-multiarch.tar"))
        let arm = try multi.select(platform: Platform(parsing: "linux/arm64"))
        #expect(arm.map(\.platform.description) == ["linux/arm64/v8"])
        #expect(try multi.select(platform: Platform(parsing: "linux/amd64")).count == 1)
        #expect(try multi.select().count == 2)
        #expect(
            throws: ArchiveError.noMatchingImage(
                selection: "platform linux/s390x", available: ["app:1.0 (linux/amd64)", "app:1.0 (linux/arm64/v8)"])
        ) {
            try multi.select(platform: Platform(parsing: "linux/s390x"))
        }
        let two = try ImageArchive.read(path: TS.fixture("skopeo-docker-archive-multi.tar"))
        #expect(try two.select(reference: "tool:2.0").map { String($0.configDigest.hex.prefix(8)) } == ["1f3ae8be"])
        #expect(try two.select(reference: "docker.io/library/app:1.0").count == 1)
        #expect(try two.select(reference: "sha256:1f3ae8be6f16").count == 1)
        #expect(try two.select(reference: "c2f29c5c").map(\.tags) == [["app:1.0"]])
        #expect(throws: ArchiveError.self) { try two.select(reference: "nope:1") }
    }

    // MARK: - Fixtures that must fail

    @Test func badLayerDigestIsReportedAsAProblem() throws {
        let facts = FixtureFacts.named("bad-layer-digest.tar")
        let layer = try #require(facts.images?.first?.layers?.first)
        let archive = try ImageArchive.read(path: TS.fixture(facts.file))
        let problem = ArchiveError.diffIDMismatch(
            member: layer.path!, layer: 1, expected: TS.digest(layer.diffID!), found: TS.digest(layer.actualDiffID!))
        #expect(archive.problems == [problem])
        #expect(problem.kind == .corrupt)
        #expect(problem.description.contains(layer.path!))
        #expect(archive.images.first?.layers.first?.entryCount == layer.entries)
    }

    @Test func badLayerCount() throws {
        let facts = FixtureFacts.named("bad-layer-count.tar")
        #expect(
            throws: ArchiveError.layerCountMismatch(
                image: "badcount:1.0", manifestLayers: facts.manifestLayers!, configDiffIDs: facts.configDiffIDs!)
        ) {
            try ImageArchive.read(path: TS.fixture(facts.file))
        }
    }

    @Test func notAnArchive() throws {
        let bytes = try TS.bytes(TS.fixture("not-an-archive.bin"))
        let shown = bytes.prefix(8).map { TS.hex([$0]) }.joined(separator: " ")
        #expect(throws: ArchiveError.notAnArchive(found: "bytes \(shown)")) {
            try ImageArchive.read(path: TS.fixture("not-an-archive.bin"))
        }
        #expect(throws: ArchiveError.notAnArchive(found: "an empty input")) { try ImageArchive.read(.stream(BufferSource([]))) }
    }

    @Test func plainTarIsNotAnImage() throws {
        let error = try #require(throws: ArchiveError.self) { try ImageArchive.read(path: TS.fixture("plain-tar-not-image.tar")) }
        guard case .notAnImage = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(error.kind == .malformed)
    }

    @Test func truncatedAtBoundary() throws {
        let facts = FixtureFacts.named("truncated-at-boundary.tar")
        #expect(
            throws: ArchiveError.tar(
                .truncated(member: nil, offset: facts.cutAt!, expected: "another header or the end-of-archive marker (two zero blocks)"))
        ) {
            try ImageArchive.read(path: TS.fixture(facts.file))
        }
    }

    @Test(arguments: ["truncated-mid-member.tar", "truncated.tar.gz"])
    func truncatedFixtures(_ file: String) throws {
        let error = try #require(throws: ArchiveError.self) { try ImageArchive.read(path: TS.fixture(file)) }
        #expect(error.kind == .truncated, "\(error)")
        if file.hasSuffix(".gz") {
            guard case .gzip(nil, _) = error else {
                Issue.record("expected the archive's gzip error, got \(error)")
                return
            }
        } else {
            guard case .tar(.truncated(_, let offset, _)) = error else {
                Issue.record("got \(error)")
                return
            }
            // The cut is inside the first layer's data: the error is located at or before the cut.
            #expect(offset <= FixtureFacts.named(file).cutAt!)
        }
    }

    // MARK: - Layer tables

    @Test func whiteoutsAreFlagged() throws {
        let archive = try ImageArchive.read(path: TS.fixture("whiteouts.tar"))
        let layers = try #require(archive.images.first?.layers)
        #expect(layers.count == 3)
        let l2 = (0..<layers[1].table.count).map { layers[1].table[$0] }
        let wa = try #require(l2.first { $0.path == "app/.wh.a" })
        #expect(wa.isWhiteout && !wa.isOpaqueMarker)
        #expect(l2.first { $0.path == "app/c" }?.isWhiteout == false)
        let l3 = (0..<layers[2].table.count).map { layers[2].table[$0] }
        #expect(l3.map(\.path) == ["app", "app/dir", "app/dir/y", "app/dir/.wh..wh..opq", "app/e", "app/.wh.e"])
        #expect(l3.map(\.isOpaqueMarker) == [false, false, false, true, false, false])
        #expect(l3.map(\.isWhiteout) == [false, false, false, false, false, true])
        #expect(layers[2].table.census.whiteouts == 2)
        let l1 = (0..<layers[0].table.count).map { layers[0].table[$0] }
        #expect(l1.allSatisfy { !$0.isWhiteout && !$0.isOpaqueMarker })
    }

    @Test func tarCornersLayerTables() throws {
        let archive = try ImageArchive.read(path: TS.fixture("tar-corners.tar"))
        #expect(archive.problems.isEmpty)
        let layers = try #require(archive.images.first?.layers)
        #expect(layers.count == 4)
        func entries(_ i: Int) -> [LayerEntry] { (0..<layers[i].table.count).map { layers[i].table[$0] } }
        // A: GNU format.
        let a = entries(0)
        func find(_ p: String) -> LayerEntry? { a.first { $0.path == p } }
        #expect(find("sparse.bin")?.kind == .sparse)
        #expect(find("sparse.bin")?.size == 1_048_576)
        #expect(find("dev/fifo")?.kind == .fifo)
        #expect(find("dev/null")?.kind == .characterDevice)
        #expect(find("dev/loop0")?.kind == .blockDevice)
        #expect(find("target.txt")?.kind == .hardlink)
        #expect(find("target.txt")?.linkTarget == "hardlink.txt")
        #expect(find("empty-dir")?.kind == .directory)
        let longDir = "very-long-directory-name-number-one/very-long-directory-name-number-two/very-long-directory-name-number-three"
        #expect(find(longDir + "/file-with-a-long-name.txt")?.size == 30)
        #expect(find("long-symlink")?.kind == .symlink)
        #expect(find("long-symlink")?.linkTarget == "/" + longDir + "/file-with-a-long-name.txt")
        #expect(find("big-ids.txt")?.uid == 3_000_000)
        #expect(find("big-ids.txt")?.gid == 3_000_001)
        // B: PAX.
        let b = entries(1)
        #expect(b.count == 7)
        let paxDir = "pax-long-directory-name-number-one/pax-long-directory-name-number-two/pax-long-directory-name-number-three"
        #expect(b.contains { $0.path == paxDir + "/file-with-a-long-name.txt" && $0.kind == .regular })
        #expect(b.first { $0.path == "subsecond.txt" }?.mtime == 1_704_067_200)
        let xattrIndex = try #require(b.firstIndex { $0.path == "xattr.txt" })
        #expect(layers[1].table.records[xattrIndex].flags & LayerTable.Flag.xattrs != 0)
        #expect(
            layers[1].table.records.enumerated().filter { $0.element.flags & LayerTable.Flag.xattrs != 0 }.map(\.offset) == [xattrIndex])
        // C: ustar prefix.
        let c = entries(2)
        #expect(
            c.contains {
                $0.path == "ustar-prefix-directory-" + String(repeating: "a", count: 45) + "/ustar-prefix-directory-"
                    + String(repeating: "b", count: 41)
                    + "/file-in-prefixed-directory.txt" && $0.size == 41
            })
        // D: '\0' typeflag.
        let d = entries(3)
        #expect(d.map(\.path) == ["old", "old/areg.txt", "old/reg.txt"])
        #expect(d.map(\.kind) == [.directory, .regular, .regular])
        #expect(d[1].size == 23)
    }
}
