import ByteIO
import Foundation
import Tar
import TestSupport
import Testing

// @testable: the layer walk itself (`LayerScanner`, `ArchiveScanner.looksLikeTar`) is internal.
@testable import ImageArchive

/// Layers walked in memory (a mapped archive file) and split between two threads give what the
/// plain sequential walk gives: the same entries in the same order, and the same first error.
@Suite struct MappedScanTests {
    /// The layers (members that are tars) of a plain archive file: their file offsets and sizes.
    private func layerRanges(_ path: String) throws -> [(name: String, start: Int, count: Int)] {
        let reader = TarReader(try FileSource(path: path))
        var out: [(String, Int, Int)] = []
        while let entry = try reader.next() {
            guard entry.kind == .regular, entry.dataSize >= 1024 else { continue }
            let head = try reader.peekBody(512)
            if ArchiveScanner.looksLikeTar(Array(head), total: entry.dataSize) {
                out.append((entry.path, Int(reader.offset), Int(entry.dataSize)))
            }
        }
        return out
    }

    /// What `verify` captures (ImageVerify's `CapturePolicy.verify`, which this module cannot see).
    static let capture = CapturePolicy(
        exact: ["etc/os-release", "usr/lib/os-release"],
        suffixes: [
            "node_modules/@prisma/client/package.json", "node_modules/prisma/package.json",
            "node_modules/.prisma/client/schema.prisma", "node_modules/.prisma/client/package.json",
        ],
        maximumSize: 256 * 1024)

    private func scanner(_ name: String) -> LayerScanner {
        LayerScanner(member: name, capture: Self.capture, readFileHeads: true)
    }

    /// Every entry of a table, decoded.
    private func entries(_ table: LayerTable) -> [LayerEntry] { (0..<table.count).map { table[$0] } }

    /// The outcome of scanning `memory` sequentially and split (at every piece size the layer
    /// allows), compared: entries, captured files, or the error.
    /// `mapped`: `memory` is part of a ``MappedFile``, whose pages the split scan releases.
    private func expectSplitMatchesSequential(_ memory: UnsafeRawBufferPointer, name: String, mapped: Bool = false) {
        let plain = Result { try scanner(name).scan(TarReader(memory: memory, context: name, requiresEndMarker: false)) }
        let split = Result { try scanner(name).scan(memory: memory, splitAbove: 0, releasingPages: mapped) }
        switch (plain, split) {
        case (.success(let a), .success(let b)):
            #expect(a.count == b.count, "\(name)")
            #expect(entries(a) == entries(b), "\(name)")
            #expect(a.captured == b.captured, "\(name)")
            #expect(a.census == b.census, "\(name)")
        case (.failure(let a), .failure(let b)):
            #expect("\(a)" == "\(b)", "\(name)")
        default:
            Issue.record("\(name): sequential \(plain), split \(split)")
        }
    }

    private static var plainArchives: [String] {
        FixtureFacts.okFiles.filter { FixtureFacts.named($0).compression == "none" }.map { TS.fixture($0) }
            // Docker's own archives when ../shared is there (RealDockerArchiveTests reports the skip).
            + (TS.realArchivesAvailable
                ? ["docker25-hello-world.tar", "docker-legacy-whiteout.tar", "docker-legacy-two-images.tar"].map { TS.real($0) } : [])
    }

    /// Archives made by real tools (the fixture script's, and Docker's own): every plain layer,
    /// cut into pieces wherever the layer has headers to cut at.
    @Test func splitScanOfRealLayers() throws {
        var layersChecked = 0
        var layersSplit = 0
        for path in Self.plainArchives {
            let file = try FileSource(path: path)
            let mapping = try #require(MappedFile(file))
            for layer in try layerRanges(path) {
                let memory = mapping.bytes(from: Int64(layer.start), length: Int64(layer.count))
                if LayerScanner.segmentStarts(in: memory).count > 1 { layersSplit += 1 }
                expectSplitMatchesSequential(memory, name: "\(path): \(layer.name)", mapped: true)
                layersChecked += 1
            }
        }
        #expect(layersChecked >= 20)
        #expect(layersSplit >= 5)
    }

    /// A headers-only read through the mapping finds what the full read finds.
    @Test(arguments: FixtureFacts.okFiles.filter { FixtureFacts.named($0).compression == "none" })
    func mappedReadMatchesAFullRead(_ file: String) throws {
        let path = TS.fixture(file)
        let full = try ImageArchive.read(path: path)
        let mapped = try ImageArchive.read(path: path, reading: .headersOnly(mapped: true))
        #expect(!mapped.verified)
        #expect(mapped.images.map(\.configDigest) == full.images.map(\.configDigest))
        #expect(mapped.images.map { $0.layers.map(\.entryCount) } == full.images.map { $0.layers.map(\.entryCount) })
        // The same merged filesystem: ImageVerifyTests' HeadersOnlyFilesystemTests.
    }

    // MARK: - Hand-built layers: guesses that are not entry boundaries

    /// A layer of many small files where, near every eighth, a file's data holds blocks that
    /// parse as ustar headers (a tar inside the layer), entries with PAX and GNU long-name
    /// headers, and hardlinks and symlinks.
    private func trickyLayer(fakeHeadersAtEighths: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        let target = 4 << 20
        var nextEighth = target / 8
        while out.count < target {
            if fakeHeadersAtEighths && out.count + 4096 >= nextEighth {
                // A file holding a small tar: its headers sit on the layer's 512-byte grid.
                let inner = TS.file("inner/a.txt", "hello") + TS.file("inner/b.txt", "world") + TS.endMarker
                let pad = [UInt8](repeating: 0x41, count: 8192)
                out += TS.entry(TS.header(name: "dir\(i)/inner.tar", size: Int64(pad.count + inner.count)), pad + inner)
                nextEighth += target / 8
            }
            switch i % 7 {
            case 0:
                out += TS.paxHeader([("path", "pax/\(i)/" + String(repeating: "p", count: 120))])
                out += TS.entry(TS.header(name: "ignored", size: 3), [1, 2, 3])
            case 1:
                let long = "long/\(i)/" + String(repeating: "l", count: 150)
                let data = Array(long.utf8) + [0]
                out += TS.entry(TS.header(name: "././@LongLink", typeflag: UInt8(ascii: "L"), size: Int64(data.count), magic: .gnu), data)
                out += TS.entry(TS.header(name: "x", size: 700, magic: .gnu), [UInt8](repeating: 7, count: 700))
            case 2:
                out += TS.entry(TS.header(name: "links/\(i)", typeflag: UInt8(ascii: "2"), linkName: "../target"))
            case 3:
                out += TS.entry(TS.header(name: "links/h\(i)", typeflag: UInt8(ascii: "1"), linkName: "dir\(i - 3)/f.txt"))
            case 4:
                out += TS.entry(TS.header(name: "dir\(i)/", typeflag: UInt8(ascii: "5")))
            default:
                out += TS.file("dir\(i - i % 7)/f\(i).txt", String(repeating: "x", count: i % 1500))
            }
            i += 1
        }
        return out + TS.endMarker
    }

    /// The offset of the first entry that starts at or after `offset`, found by walking the chain.
    private func firstEntry(atOrAfter offset: Int, in layer: [UInt8]) -> Int {
        layer.withUnsafeBytes { memory in
            let reader = TarReader(memory: memory, requiresEndMarker: false)
            while (try? reader.next()) != nil {
                if reader.nextEntryOffset >= Int64(offset) { return Int(reader.nextEntryOffset) }
            }
            return 0
        }
    }

    @Test func fakeHeadersInsideFilesAreNotTakenForEntries() {
        for fake in [false, true] {
            let layer = trickyLayer(fakeHeadersAtEighths: fake)
            layer.withUnsafeBytes { memory in
                if fake {
                    // The guesses do land on the inner tar's headers.
                    let starts = LayerScanner.segmentStarts(in: memory)
                    let inner = starts.dropFirst().filter { start in
                        memory[start..<start + 11].elementsEqual("inner/a.txt".utf8)
                            || memory[start..<start + 11].elementsEqual("inner/b.txt".utf8)
                    }
                    #expect(!inner.isEmpty, "no guess fell on a header inside a file: \(starts)")
                }
                expectSplitMatchesSequential(memory, name: "tricky(\(fake))")
            }
        }
    }

    /// The same layer in a mapped file, with the pages behind each walk released on the way
    /// (which must change nothing but the resident set), scanned twice over the same mapping.
    @Test func releasedPagesReadTheSameAgain() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let layer = trickyLayer(fakeHeadersAtEighths: true)
        try TS.write(layer, to: tmp.path("layer.tar"))
        let mapping = try #require(MappedFile(try FileSource(path: tmp.path("layer.tar"))))
        let first = try scanner("l").scan(memory: mapping.bytes, splitAbove: 0, releasingPages: true)
        let again = try scanner("l").scan(memory: mapping.bytes, splitAbove: 0, releasingPages: true)
        let plain = try layer.withUnsafeBytes { try scanner("l").scan(TarReader(memory: $0, requiresEndMarker: false)) }
        #expect(entries(first) == entries(plain))
        #expect(entries(again) == entries(plain))
        #expect(plain.count > 1000)
    }

    /// A damaged header in the second half: the split scan reports the same first error as the
    /// sequential one (the helper's pieces never report), and one in the first half likewise.
    @Test func theFirstErrorIsTheSequentialOne() {
        let layer = trickyLayer(fakeHeadersAtEighths: false)
        for at in [layer.count / 3, layer.count * 3 / 4] {
            var damaged = layer
            let offset = firstEntry(atOrAfter: at, in: layer)
            #expect(offset > 0)
            damaged[offset + 10] ^= 0x01
            damaged.withUnsafeBytes { expectSplitMatchesSequential($0, name: "damaged at \(offset)") }
            // Cut short there as well.
            Array(layer[0..<(offset + 100)]).withUnsafeBytes { expectSplitMatchesSequential($0, name: "cut at \(offset + 100)") }
        }
    }

    /// The error names the offset in the layer, also when it is found in a later piece.
    @Test func errorOffsetsAreTheLayers() throws {
        var layer = trickyLayer(fakeHeadersAtEighths: false)
        let offset = firstEntry(atOrAfter: layer.count * 7 / 8, in: layer)
        #expect(offset > layer.count / 2)
        layer[offset + 148] = UInt8(ascii: "9")
        layer.withUnsafeBytes { memory in
            #expect(throws: TarError.self) { try scanner("l").scan(memory: memory, splitAbove: 0) }
            do {
                _ = try scanner("l").scan(memory: memory, splitAbove: 0)
            } catch let e as TarError {
                #expect("\(e)".contains("\(offset)"), "\(e)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    // MARK: - Sizes near Int64.max

    /// A layer whose fifth entry claims a size of `Int64.max - 1000` (base-256), with files
    /// before and after it.
    private func hugeSizeLayer(filler: Int = 4) -> [UInt8] {
        var out: [UInt8] = []
        for i in 0..<filler { out += TS.file("f\(i).txt", String(repeating: "x", count: 600)) }
        out += TS.entry(TS.header(name: "huge.bin", fields: [(124, TS.base256(Int64.max - 1000, width: 12))]), [1, 2, 3])
        for i in 0..<filler { out += TS.file("g\(i).txt", String(repeating: "y", count: 600)) }
        return out
    }

    /// Streamed, in memory, split, and through a mapping with pages released: the same
    /// truncation error, never an arithmetic trap (found by review: the next entry's offset
    /// overflowed).
    @Test func aSizeNearInt64MaxIsATruncatedLayer() throws {
        let streamed = Result { try scanner("l").scan(TarReader(BufferSource(hugeSizeLayer()), context: "l", requiresEndMarker: false)) }
        guard case .failure(let expected) = streamed else {
            Issue.record("no error")
            return
        }
        #expect("\(expected)".contains("truncated"), "\(expected)")
        hugeSizeLayer(filler: 64).withUnsafeBytes { expectSplitMatchesSequential($0, name: "huge, split") }
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        try TS.write(hugeSizeLayer(), to: tmp.path("layer.tar"))
        let mapping = try #require(MappedFile(try FileSource(path: tmp.path("layer.tar"))))
        #expect(throws: TarError.self) { try scanner("l").scan(memory: mapping.bytes, releasingPages: true) }
    }
}
