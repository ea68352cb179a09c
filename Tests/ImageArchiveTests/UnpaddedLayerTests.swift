import ByteIO
import Foundation
import OCI
import Tar
import TestSupport
import Testing

// @testable: the split walk of a layer in memory (`LayerScanner`) is internal.
@testable import ImageArchive

/// Layers written by umoci 0.4.7's `insert` (umoci#436): the tar ends right after the last
/// file's data, without its padding or the end-of-archive blocks. Read as Go's archive/tar reads
/// them, with the ending recorded in the layer table, and accepted because the DiffID matches;
/// a layer that ends the same way and does not match its DiffID (or has none to match) is the
/// truncation it looks like, and data cut inside an entry is truncated whatever the DiffID.
@Suite struct UnpaddedLayerTests {
    static let dockerArchive = "umoci-insert-docker-archive.tar"
    static let ociArchive = "umoci-insert-oci.tar"

    /// Every way an archive is read: a stream, a file on two threads or one, headers only.
    static let readings: [String] = ["stream", "whole", "one-thread", "headers", "mapped"]

    static func read(_ path: String, _ how: String) throws -> ImageArchive {
        switch how {
        case "stream": try ImageArchive.read(.stream(BufferSource(try TS.bytes(path))))
        case "whole": try ImageArchive.read(path: path)
        case "one-thread": try ImageArchive.read(path: path, reading: .wholeOnOneThread)
        case "headers": try ImageArchive.read(path: path, reading: .headersOnly(mapped: false))
        default: try ImageArchive.read(path: path, reading: .headersOnly(mapped: true))
        }
    }

    /// What the layer tables say of how each layer ended: the repacked base layer with its
    /// marker, the two inserted ones inside their last padding (the padding fixtures.json says
    /// they lack).
    static let endings: [TarEnd] = [
        .marker,
        .insidePadding(entry: "app/server.js", offset: 2088, missing: 472),
        .insidePadding(entry: "app/VERSION", offset: 531, missing: 493),
    ]

    @Test(arguments: [dockerArchive, ociArchive], readings)
    func umociInsertLayersRead(_ file: String, _ how: String) throws {
        let archive = try Self.read(TS.fixture(file), how)
        #expect(archive.problems.isEmpty)
        #expect(archive.verified == !["headers", "mapped"].contains(how))
        let image = try #require(archive.images.first)
        let facts = try #require(FixtureFacts.named(file).images?.first?.layers)
        #expect(image.layers.map(\.diffID.description) == facts.map(\.diffID))
        #expect(image.layers.map(\.entryCount) == facts.map(\.entries))
        #expect(image.layers.map(\.size) == facts.map(\.size))
        #expect(image.layers.map(\.table.ending) == Self.endings)
        #expect(facts.map { $0.missingPadding ?? 0 } == [0, 472, 493])
        #expect(image.layers[2].table.path(0) == "app/VERSION")
    }

    // MARK: - Truncation

    /// A copy of fixture `file` with `edit` applied to the data of its layer `layer` (1-based).
    private func damaged(_ file: String, layer: Int, _ edit: TS.MemberEdit, in dir: TS.TempDir) throws -> (path: String, member: String) {
        let image = try #require(try ImageArchive.read(path: TS.fixture(file)).images.first)
        let member = image.layers[layer - 1].member
        let path = dir.path("damaged.tar")
        try TS.editArchive(TS.fixture(file), to: path, member: member, edit)
        return (path, member)
    }

    /// The truncation a read reports, checked to be one, in `member`.
    private func truncation(_ path: String, _ how: String, member: String) throws -> (offset: Int64, expected: String) {
        let error = try #require(throws: ArchiveError.self) { try Self.read(path, how) }
        #expect(error.kind == .truncated)
        guard case .tar(.truncated(let m, let offset, let expected)) = error else {
            Issue.record("not a tar truncation: \(error)")
            return (0, "")
        }
        #expect(m == member)
        return (offset, expected)
    }

    /// A complete layer cut inside the padding after its last entry's data looks like umoci's,
    /// but its bytes no longer hash to its DiffID: truncated, saying so.
    @Test(arguments: [dockerArchive, ociArchive], readings)
    func cutInsideThePaddingWithoutAMatchingDiffIDIsTruncated(_ file: String, _ how: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let (path, member) = try damaged(file, layer: 1, .cutInsidePadding(bytes: 10), in: dir)
        let (offset, expected) = try truncation(path, how, member: member)
        // Before the end-of-archive blocks the layer had, 10 bytes into a block.
        #expect(offset < 29184 - 1024 && offset % 512 > 10)
        #expect(
            expected.hasPrefix(
                "the padding after the data of 'usr/local/bin/node' (the layer ends inside it, and its bytes hash to sha256:"))
        let diffID = try #require(FixtureFacts.named(file).images?.first?.layers?.first?.diffID)
        #expect(expected.contains("not to the diff_id \(diffID) its config names: the layer is cut short)"))
        #expect(ArchiveError.tar(.truncated(member: member, offset: offset, expected: expected)).description.contains("archive truncated"))
    }

    /// umoci's own layers, with no DiffID in the config to vouch for them: truncated.
    @Test(arguments: readings)
    func insideThePaddingWithNoDiffIDIsTruncated(_ how: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let image = try #require(try ImageArchive.read(path: TS.fixture(Self.dockerArchive)).images.first)
        let path = dir.path("no-diff-ids.tar")
        try TS.editArchive(TS.fixture(Self.dockerArchive), to: path, member: image.configMember, .deleteJSONKey("rootfs"))
        let (offset, expected) = try truncation(path, how, member: image.layers[1].member)
        #expect(offset == 2088)
        #expect(
            expected
                == "the padding after the data of 'app/server.js' (the layer ends inside it, and its config names no diff_id that would show the layer whole)"
        )
    }

    /// An umoci layer whose last file's data is itself cut: truncated in the walk, as before.
    @Test(arguments: [dockerArchive, ociArchive], readings)
    func dataCutInsideTheLastEntryIsTruncated(_ file: String, _ how: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let (path, member) = try damaged(file, layer: 2, .dropLast(bytes: 10), in: dir)
        let (offset, expected) = try truncation(path, how, member: member)
        #expect(offset == 2078)
        #expect(expected == "10 more bytes of the data of 'app/server.js'")
    }

    // MARK: - The split walk

    /// A layer held in memory and walked on two threads ends as the sequential walk does.
    @Test func splitWalkRecordsTheSameEnding() throws {
        var layer: [UInt8] = []
        for i in 0..<64 { layer += TS.file("app/f\(i).txt", String(repeating: "x", count: 700 + i)) }
        layer += TS.header(name: "app/last.txt", size: 5) + Array("hello".utf8)
        let scanner = LayerScanner(member: "layer.tar", capture: CapturePolicy(), readFileHeads: true)
        let ending = TarEnd.insidePadding(entry: "app/last.txt", offset: Int64(layer.count), missing: 507)
        try layer.withUnsafeBytes { memory in
            let plain = try scanner.scan(TarReader(memory: memory, context: "layer.tar", requiresEndMarker: false))
            let split = try scanner.scan(memory: memory, splitAbove: 0)
            #expect(LayerScanner.segmentStarts(in: memory).count > 1)
            #expect(plain.count == 65 && split.count == 65)
            #expect(plain.ending == ending)
            #expect(split.ending == ending)
        }
    }
}
