import ByteIO
import Tar
import TestSupport
import Testing

/// Hand-built headers of every format the reader knows: ustar's prefix, PAX records, GNU long
/// names, base-256 numbers, every typeflag, old-GNU sparse entries.
@Suite struct TarReaderFormatTests {
    @Test func ustarPrefixIsJoined() throws {
        let bytes = TS.entry(TS.header(name: "file.txt", size: 3, prefix: "some/long/dir"), Array("abc".utf8)) + TS.endMarker
        let e = try #require(try TS.entries(bytes).first)
        #expect(e.path == "some/long/dir/file.txt")
    }

    @Test func prefixIgnoredForGNUAndV7Magic() throws {
        // Old GNU headers keep atime/ctime where ustar has its prefix; v7 headers have no prefix.
        let gnu = TS.header(name: "gnu.txt", magic: .gnu, fields: [(345, Array("01234567012".utf8))])
        let v7 = TS.header(name: "v7.txt", magic: .v7, fields: [(345, Array("junk".utf8))])
        let entries = try TS.entries(gnu + v7 + TS.endMarker)
        #expect(entries.map(\.path) == ["gnu.txt", "v7.txt"])
    }

    @Test func paxRecordsOverrideTheHeader() throws {
        let longPath = "pax/" + String(repeating: "p", count: 200) + "/file"
        let longLink = "/target/" + String(repeating: "l", count: 180)
        let content = TS.noise(700, seed: 3)
        let pax = TS.paxRecords([
            ("path", Array(longPath.utf8)), ("size", Array("700".utf8)), ("uid", Array("3000000".utf8)),
            ("gid", Array("4000000".utf8)), ("mtime", Array("1704067200.987654321".utf8)),
            ("SCHILY.xattr.user.foo", Array("bar".utf8)), ("SCHILY.xattr.security.capability", [0, 1, 2, 0xff]),
        ])
        var bytes = TS.entry(TS.header(name: "PaxHeaders/f", typeflag: UInt8(ascii: "x"), size: Int64(pax.count)), pax)
        // The header's own size field says 0: the PAX size wins.
        bytes += TS.entry(TS.header(name: "short-name", size: 0), content)
        let pax2 = TS.paxRecords([("linkpath", Array(longLink.utf8))])
        bytes += TS.entry(TS.header(name: "PaxHeaders/l", typeflag: UInt8(ascii: "x"), size: Int64(pax2.count)), pax2)
        bytes += TS.header(name: "link", typeflag: UInt8(ascii: "2"), linkName: "short")
        bytes += TS.file("plain", "p")
        bytes += TS.endMarker
        let reader = TarReader(BufferSource(bytes))
        let e = try #require(try reader.next())
        #expect(e.path == longPath)
        #expect(e.kind == .regular)
        #expect(e.size == 700 && e.dataSize == 700)
        #expect(e.uid == 3_000_000 && e.gid == 4_000_000)
        #expect(e.mtime == 1_704_067_200)
        #expect(e.xattrs == ["user.foo": Array("bar".utf8), "security.capability": [0, 1, 2, 0xff]])
        #expect(e.headerOffset == 0)
        #expect(try TS.readBody(reader) == content)
        let l = try #require(try reader.next())
        #expect(l.kind == .symlink && l.linkTarget == longLink && l.path == "link")
        #expect(l.xattrs.isEmpty && l.uid == 0)
        let p = try #require(try reader.next())
        // PAX `x` records apply to the next entry only.
        #expect(p.path == "plain" && p.size == 1 && p.mtime == 1_704_067_200)
        #expect(try reader.next() == nil)
    }

    @Test func paxGlobalHeaderIsIgnored() throws {
        var bytes = TS.paxHeader([("path", "global-name"), ("uid", "77"), ("comment", "x")], typeflag: "g", name: "pax_global_header")
        bytes += TS.file("a.txt", "a")
        bytes += TS.endMarker
        let entries = try TS.entries(bytes)
        #expect(entries.count == 1)
        #expect(entries[0].path == "a.txt")
        #expect(entries[0].uid == 0)
        #expect(entries[0].headerOffset == 0)  // the entry starts at its first (extension) header
    }

    @Test func gnuLongNameAndLongLink() throws {
        let name = String(repeating: "N", count: 250) + "/leaf"
        let link = String(repeating: "K", count: 300)
        let nameData = Array(name.utf8) + [0]
        let linkData = Array(link.utf8) + [0]
        var bytes = TS.entry(
            TS.header(name: "././@LongLink", typeflag: UInt8(ascii: "L"), size: Int64(nameData.count), magic: .gnu), nameData)
        bytes += TS.entry(TS.header(name: "././@LongLink", typeflag: UInt8(ascii: "K"), size: Int64(linkData.count), magic: .gnu), linkData)
        bytes += TS.header(name: String(name.prefix(99)), typeflag: UInt8(ascii: "2"), linkName: String(link.prefix(99)), magic: .gnu)
        bytes += TS.file("next", "n", magic: .gnu)
        bytes += TS.endMarker
        let entries = try TS.entries(bytes)
        #expect(entries.count == 2)
        #expect(entries[0].path == name)
        #expect(entries[0].linkTarget == link)
        #expect(entries[0].kind == .symlink)
        #expect(entries[1].path == "next" && entries[1].linkTarget == "")
    }

    @Test func base256SizeUidAndNegativeMtime() throws {
        let content = TS.noise(1000, seed: 9)
        let h = TS.header(
            name: "b256", magic: .gnu,
            fields: [
                (124, TS.base256(1000, width: 12)), (108, TS.base256(3_000_000, width: 8)),
                (116, TS.base256(2_097_152, width: 8)), (136, TS.base256(-1, width: 12)),
            ])
        let bytes = TS.entry(h, content) + TS.file("z", "z") + TS.endMarker
        let reader = TarReader(BufferSource(bytes))
        let e = try #require(try reader.next())
        #expect(e.dataSize == 1000 && e.size == 1000)
        #expect(e.uid == 3_000_000)
        #expect(e.gid == 2_097_152)
        #expect(e.mtime == -1)
        #expect(try TS.readBody(reader) == content)
        #expect(try reader.next()?.path == "z")
    }

    typealias FlagCase = (typeflag: UInt8, name: String, kind: TarEntry.Kind, headerSize: Int64, dataSize: Int64)

    static let flagCases: [FlagCase] = [
        (UInt8(ascii: "0"), "reg", .regular, 5, 5),
        (0, "areg", .regular, 5, 5),
        (0, "adir/", .directory, 0, 0),
        (UInt8(ascii: "7"), "contig", .regular, 5, 5),
        (UInt8(ascii: "1"), "hard", .hardlink, 0, 0),
        (UInt8(ascii: "2"), "sym", .symlink, 0, 0),
        (UInt8(ascii: "3"), "chr", .characterDevice, 0, 0),
        (UInt8(ascii: "4"), "blk", .blockDevice, 0, 0),
        (UInt8(ascii: "5"), "dir", .directory, 0, 0),
        (UInt8(ascii: "6"), "fifo", .fifo, 0, 0),
        (UInt8(ascii: "D"), "dumpdir", .directory, 7, 7),
        (UInt8(ascii: "V"), "volume", .other(UInt8(ascii: "V")), 3, 3),
    ]

    @Test(arguments: flagCases)
    func everyTypeflag(_ c: FlagCase) throws {
        let data = [UInt8](repeating: 0x61, count: Int(c.headerSize))
        let h = TS.header(name: c.name, typeflag: c.typeflag, size: c.headerSize, linkName: "target", devMajor: 8, devMinor: 1)
        let bytes = TS.entry(h, data) + TS.file("after", "!") + TS.endMarker
        let reader = TarReader(BufferSource(bytes))
        let e = try #require(try reader.next())
        #expect(e.kind == c.kind)
        #expect(e.path == c.name)
        #expect(e.dataSize == c.dataSize)
        if c.kind == .characterDevice || c.kind == .blockDevice {
            #expect(e.deviceMajor == 8 && e.deviceMinor == 1)
        } else {
            #expect(e.deviceMajor == 0 && e.deviceMinor == 0)
        }
        if c.kind == .hardlink || c.kind == .symlink { #expect(e.linkTarget == "target") }
        #expect(
            e.kind.letter == ["-", "-", "d", "-", "h", "l", "c", "b", "d", "p", "d", "?"][Self.flagCases.firstIndex { $0.name == c.name }!])
        let next = try #require(try reader.next())
        #expect(next.path == "after")
        #expect(next.headerOffset == 512 + (c.headerSize + 511) / 512 * 512)
        #expect(try reader.next() == nil)
    }

    /// An old-GNU sparse entry, with and without an extension block: reported, never expanded.
    @Test(arguments: [false, true])
    func oldGNUSparse(extended: Bool) throws {
        var fields: [(Int, [UInt8])] = [
            (386, Array("00000000000".utf8)), (398, Array("00000001000".utf8)),
            (410, Array("00000100000".utf8)), (422, Array("00000001000".utf8)),
            (483, Array("00004000000".utf8)),
        ]
        if extended { fields.append((482, [1])) }
        let h = TS.header(name: "sparse.bin", typeflag: UInt8(ascii: "S"), size: 1024, magic: .gnu, fields: fields)
        var bytes = h
        if extended {
            var ext = [UInt8](repeating: 0, count: 512)
            for (i, c) in "00000200000".utf8.enumerated() { ext[i] = c }
            for (i, c) in "00000000000".utf8.enumerated() { ext[12 + i] = c }
            bytes += ext
        }
        bytes += [UInt8](repeating: 0x42, count: 1024)
        bytes += TS.file("after", "a") + TS.endMarker
        let reader = TarReader(BufferSource(bytes))
        let e = try #require(try reader.next())
        #expect(e.kind == .sparse)
        #expect(e.kind.letter == "S")
        #expect(e.size == 1 << 20)
        #expect(e.dataSize == 1024)
        let next = try #require(try reader.next())
        #expect(next.path == "after")
        #expect(next.headerOffset == Int64(512 + (extended ? 512 : 0) + 1024))
    }
}
