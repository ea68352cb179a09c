import ByteIO
import Foundation
import Tar
import TestSupport
import Testing

/// How a tar stream ends (``TarEnd``): with its marker, without it between two entries, or
/// inside the padding after the last entry's data, as umoci 0.4.7's `insert` writes layers
/// (umoci#436). A reader that does not require the marker reads the last two as Go's
/// `archive/tar` does, to a clean end, and says which it was; one that does cuts them short.
@Suite struct TarReaderEndingTests {
    /// `a.txt` (padded), then `b.txt` whose 5 bytes of data end the stream: no padding, no marker.
    static let unpadded = TS.file("a.txt", "hello") + TS.header(name: "b.txt", size: 5) + Array("world".utf8)
    /// Where the unpadded stream ends: two headers, one padded block of data, 5 bytes.
    static let unpaddedLength = Int64(512 * 3 + 5)

    /// The ways a layer reader can be made: a stream (reads and skips), a stream that skips by
    /// reading (a hashing source), memory (a mapped file).
    enum Source: String, CaseIterable, Sendable {
        case stream, skipsByReading, memory
    }

    /// Reads every entry of `bytes`, each entry's data read whole (`readData`) or skipped.
    private func walk(_ bytes: [UInt8], _ source: Source, readData: Bool, requiresEndMarker: Bool = false) throws -> (
        names: [String], ending: TarEnd?
    ) {
        func run(_ reader: TarReader) throws -> ([String], TarEnd?) {
            var names: [String] = []
            while let e = try reader.next() {
                names.append(e.path)
                if readData { _ = try TS.readBody(reader) }
            }
            return (names, reader.ending)
        }
        switch source {
        case .stream:
            return try run(TarReader(BufferSource(bytes), context: "layer.tar", requiresEndMarker: requiresEndMarker))
        case .skipsByReading:
            return try run(
                TarReader(BufferSource(bytes), context: "layer.tar", requiresEndMarker: requiresEndMarker, skipsByReading: true))
        case .memory:
            return try bytes.withUnsafeBytes {
                try run(TarReader(memory: $0, context: "layer.tar", requiresEndMarker: requiresEndMarker))
            }
        }
    }

    @Test(arguments: Source.allCases, [false, true])
    func lastEntryWithoutItsPaddingEndsInsidePadding(_ source: Source, readData: Bool) throws {
        let (names, ending) = try walk(Self.unpadded, source, readData: readData)
        #expect(names == ["a.txt", "b.txt"])
        #expect(ending == .insidePadding(entry: "b.txt", offset: Self.unpaddedLength, missing: 507))
    }

    @Test(arguments: Source.allCases)
    func partOfThePaddingPresent(_ source: Source) throws {
        let (names, ending) = try walk(Self.unpadded + [UInt8](repeating: 0, count: 100), source, readData: false)
        #expect(names == ["a.txt", "b.txt"])
        #expect(ending == .insidePadding(entry: "b.txt", offset: Self.unpaddedLength + 100, missing: 407))
    }

    /// A stream that requires its marker (the archive's own) still calls it truncated, with the
    /// error it always gave, which is also what ``TarEnd/truncation(member:reason:)`` gives.
    @Test(arguments: Source.allCases)
    func aReaderThatRequiresTheMarkerReportsTruncation(_ source: Source) throws {
        let expected = TarError.truncated(
            member: "layer.tar", offset: Self.unpaddedLength, expected: "the padding after the data of 'b.txt'")
        #expect(throws: expected) { try walk(Self.unpadded, source, readData: false, requiresEndMarker: true) }
        let ending = TarEnd.insidePadding(entry: "b.txt", offset: Self.unpaddedLength, missing: 507)
        #expect(ending.truncation(member: "layer.tar") == expected)
        #expect(
            ending.truncation(member: "layer.tar", reason: "why")
                == .truncated(member: "layer.tar", offset: Self.unpaddedLength, expected: "the padding after the data of 'b.txt' (why)"))
        #expect(TarEnd.marker.truncation(member: "layer.tar") == nil)
        #expect(TarEnd.withoutMarker.truncation(member: "layer.tar") == nil)
    }

    /// Data cut short is truncated, marker or not, whether the data is read or skipped.
    @Test(arguments: Source.allCases, [false, true])
    func dataCutInsideTheLastEntryIsTruncated(_ source: Source, readData: Bool) throws {
        let cut = Array(Self.unpadded.dropLast(2))
        let error = try #require(throws: TarError.self) { try walk(cut, source, readData: readData) }
        guard case .truncated(let member, let offset, let expected) = error else {
            Issue.record("\(error)")
            return
        }
        #expect(member == "layer.tar")
        #expect(offset == Self.unpaddedLength - 2)
        #expect(expected == "2 more bytes of the data of 'b.txt'")
    }

    @Test(arguments: Source.allCases)
    func theOtherEndings(_ source: Source) throws {
        let complete = TS.file("a.txt", "hello") + TS.endMarker
        #expect(try walk(complete, source, readData: false).ending == .marker)
        #expect(try walk(complete, source, readData: false, requiresEndMarker: true).ending == .marker)
        let noMarker = TS.file("a.txt", "hello") + TS.file("b.txt", "world")
        let r = try walk(noMarker, source, readData: true)
        #expect(r.names == ["a.txt", "b.txt"])
        #expect(r.ending == .withoutMarker)
        // Data that fills its last block exactly has no padding to miss.
        let full = TS.header(name: "c.bin", size: 512) + [UInt8](repeating: 0x41, count: 512)
        #expect(try walk(full, source, readData: false).ending == .withoutMarker)
    }

    /// The layers umoci 0.4.7's `insert` wrote into the fixture: what Go's archive/tar read of
    /// them (fixtures.json, `layerEnds`, computed by the fixture script with a Go program) is
    /// what this reader reads, to the same ending.
    @Test func umociInsertLayers() throws {
        let archive = TarReader(try FileSource(path: TS.fixture("umoci-insert-docker-archive.tar")))
        var layers: [String: [UInt8]] = [:]
        while let e = try archive.next() {
            if e.kind == .regular && e.path.hasSuffix(".tar") { layers[e.path] = try TS.readBody(archive, chunk: 1 << 16) }
        }
        let facts = FixtureFacts.named("umoci-insert-docker-archive.tar")
        let wanted = try #require(facts.images?.first?.layers)
        let ends = try #require(facts.layerEnds)
        #expect(wanted.count == 3 && ends.count == 3)
        for (n, (layer, end)) in zip(wanted, ends).enumerated() {
            let name = try #require(layer.path)
            let bytes = try #require(layers[name])
            #expect(Int64(bytes.count) == layer.size)
            let reader = TarReader(BufferSource(bytes), context: name, requiresEndMarker: false)
            var count = 0
            var last = ""
            while let e = try reader.next() {
                count += 1
                last = e.path
            }
            #expect(count == layer.entries)
            #expect(count == end.goArchiveTarEntries)
            #expect(layer.missingPadding ?? 0 == end.missingPadding)
            if let missing = layer.missingPadding {
                #expect(n > 0 && !end.endsWithZeroBlocks && end.gnuTarExit == 2)
                #expect(reader.ending == .insidePadding(entry: last, offset: Int64(bytes.count), missing: Int64(missing)))
                // GNU tar's and python's verdict, and the archive reader's own: truncated.
                #expect(throws: TarError.self) { try TS.entries(bytes) }
            } else {
                #expect(n == 0 && end.endsWithZeroBlocks && end.gnuTarExit == 0)
                #expect(reader.ending == .marker)
            }
        }
    }
}
