import ByteIO
import Tar
import TestSupport
import Testing

/// Damaged and cut-short tar streams: each error names what was expected and the offset.
/// (How ImageArchive classifies these errors is in ImageArchiveTests' ArchiveErrorTests.)
@Suite struct TarReaderErrorTests {
    @Test func checksumMismatchNamesTheOffset() throws {
        let good = TS.file("a.txt", "hello")
        var bad = TS.header(name: "b.txt", size: 0)
        let claimed = TS.checksumOf(bad)
        bad[0] ^= 0x01  // "b" -> "c": the stored checksum no longer adds up
        let bytes = good + bad + TS.endMarker
        let reader = TarReader(BufferSource(bytes))
        #expect(try reader.next()?.path == "a.txt")
        #expect(throws: TarError.badHeaderChecksum(member: nil, offset: 1024, expected: claimed, found: TS.checksumOf(bad))) {
            try reader.next()
        }
        // Inside a layer, the error names the member.
        let inner = TarReader(BufferSource(bad + TS.endMarker), context: "blobs/sha256/abc")
        #expect(throws: TarError.badHeaderChecksum(member: "blobs/sha256/abc", offset: 0, expected: claimed, found: TS.checksumOf(bad))) {
            try inner.next()
        }
    }

    @Test func signedChecksumIsAccepted() throws {
        // Historic writers summed signed chars: a name byte >= 0x80 makes the two sums differ.
        var h = TS.header(name: "x", rawName: [0x78, 0xe9])
        var signed: Int64 = 0
        for (i, c) in h.enumerated() { signed += (148..<156).contains(i) ? 0x20 : Int64(Int8(bitPattern: c)) }
        var s = String(signed, radix: 8)
        while s.count < 6 { s = "0" + s }
        for (i, c) in s.utf8.enumerated() { h[148 + i] = c }
        let e = try #require(try TS.entries(h + TS.endMarker).first)
        #expect(e.name == [0x78, 0xe9])
    }

    @Test func cutAtAnEntryBoundaryIsTruncated() throws {
        let bytes = TS.file("a.txt", "hello") + TS.file("b.txt", "world")
        #expect(
            throws: TarError.truncated(member: nil, offset: 2048, expected: "another header or the end-of-archive marker (two zero blocks)")
        ) {
            try TS.entries(bytes)
        }
        // Layers may end without the marker.
        let reader = TarReader(BufferSource(bytes), context: "layer.tar", requiresEndMarker: false)
        #expect(try reader.next()?.path == "a.txt")
        #expect(try reader.next()?.path == "b.txt")
        #expect(try reader.next() == nil)
        #expect(reader.endedWithoutMarker)
        #expect(reader.reachedEnd)
        // With the marker, the flag stays off.
        let marked = TarReader(BufferSource(bytes + TS.endMarker), requiresEndMarker: false)
        while try marked.next() != nil {}
        #expect(!marked.endedWithoutMarker)
    }

    @Test func cutInsideAHeaderOrAfterAnExtensionHeader() throws {
        let bytes = TS.file("a.txt", "hello") + Array(TS.header(name: "b").prefix(100))
        #expect(throws: TarError.truncated(member: nil, offset: 1024, expected: "a 512-byte header, found 100 bytes")) {
            try TS.entries(bytes)
        }
        let pax = TS.paxHeader([("path", "x")])
        #expect(
            throws: TarError.truncated(
                member: nil, offset: Int64(pax.count), expected: "the header that the extension header at 0 belongs to")
        ) {
            try TS.entries(pax, requiresEndMarker: false)
        }
    }

    @Test func cutInsideDataIsTruncated() throws {
        let content = TS.noise(1000, seed: 1)
        let full = TS.entry(TS.header(name: "f", size: 1000), content) + TS.endMarker
        let cut = Array(full.prefix(512 + 300))
        // Skipped by next().
        let r1 = TarReader(BufferSource(cut), context: "l.tar")
        #expect(try r1.next()?.path == "f")
        #expect(throws: TarError.truncated(member: "l.tar", offset: 812, expected: "700 more bytes of the data of 'f'")) {
            try r1.next()
        }
        // Read through readBody.
        let r2 = TarReader(BufferSource(cut))
        _ = try r2.next()
        #expect(throws: TarError.truncated(member: nil, offset: 812, expected: "700 more bytes of the data of 'f'")) {
            try TS.readBody(r2, chunk: 4096)
        }
        // Cut in the padding after the data.
        let r3 = TarReader(BufferSource(Array(full.prefix(512 + 1010))))
        _ = try r3.next()
        #expect(throws: TarError.truncated(member: nil, offset: 1522, expected: "the padding after the data of 'f'")) {
            try r3.next()
        }
    }

    @Test func malformedExtensionsAndFields() throws {
        // A PAX record whose length is wrong.
        let badPax = Array("99 path=x\n".utf8)
        let b1 =
            TS.entry(TS.header(name: "p", typeflag: UInt8(ascii: "x"), size: Int64(badPax.count)), badPax) + TS.file("a", "a")
            + TS.endMarker
        #expect(throws: TarError.badPAXRecord(member: nil, offset: 0, reason: "bad record length at byte 0 of the header data")) {
            try TS.entries(b1)
        }
        // A size field that is not octal.
        let b2 = TS.header(name: "s", fields: [(124, Array("12345678z01".utf8))]) + TS.endMarker
        #expect(throws: TarError.badHeaderField(member: nil, offset: 0, field: "size", found: "'12345678z01\\0'")) {
            try TS.entries(b2)
        }
        // A zero block followed by a non-zero block.
        let b3 = TS.file("a", "a") + [UInt8](repeating: 0, count: 512) + TS.file("b", "b")
        #expect(
            throws: TarError.badHeaderField(
                member: nil, offset: 1536, field: "end-of-archive", found: "a zero block followed by a non-zero block")
        ) {
            try TS.entries(b3)
        }
    }
}
