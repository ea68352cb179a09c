import Foundation
import Gzip
import Testing

@testable import ImageArchive
@testable import ImageVerify
@testable import Tar
import OCI
import ByteIO
import Codec

#if canImport(Glibc)
import Glibc
#endif

/// What python's tarfile (an independent reader) says about an archive.
private struct PyEntry: Decodable {
    var name: String
    var type: String
    var size: Int64
    var linkname: String
    var uid: Int64
    var gid: Int64
    var mtime: Int64
    var mode: UInt32
    var sha256: String?
    var devmajor: Int64
    var devminor: Int64
}

private let pythonLister = """
import tarfile, json, sys, hashlib
out = []
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        h = None
        if m.type in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE):
            h = hashlib.sha256(t.extractfile(m).read()).hexdigest()
        out.append(dict(name=m.name, type=m.type.decode('latin-1') if m.type != b'\\0' else '0', size=m.size,
            linkname=m.linkname, uid=m.uid, gid=m.gid, mtime=int(m.mtime), mode=m.mode & 0o7777, sha256=h,
            devmajor=m.devmajor, devminor=m.devminor))
print(json.dumps(out))
"""

private func pythonListing(_ path: String) throws -> [PyEntry] {
    let json = try TS.python(pythonLister, [path])
    return try JSONDecoder().decode([PyEntry].self, from: Data(json.utf8))
}

private func letter(forPythonType t: String) -> Character {
    switch t {
    case "0", "7": "-"
    case "1": "h"
    case "2": "l"
    case "3": "c"
    case "4": "b"
    case "5": "d"
    case "6": "p"
    case "S": "S"
    default: "?"
    }
}

/// Reads `path` with TarReader over a FileSource, hashing every regular body, and compares each
/// entry with python's tarfile.
private func compareWithPython(_ path: String) throws -> [TarEntry] {
    let py = try pythonListing(path)
    let reader = TarReader(try FileSource(path: path))
    var ours: [(TarEntry, String?)] = []
    while let e = try reader.next() {
        var hash: String? = nil
        if e.kind == .regular {
            let body = try TS.readBody(reader)
            #expect(Int64(body.count) == e.dataSize)
            hash = SHA256.hash(body).hex
        }
        ours.append((e, hash))
    }
    #expect(reader.reachedEnd)
    #expect(!reader.endedWithoutMarker)
    #expect(ours.count == py.count, "\(path): \(ours.count) entries, python \(py.count)")
    for (i, (e, hash)) in ours.enumerated() where i < py.count {
        let p = py[i]
        var name = e.path
        while name.count > 1 && name.hasSuffix("/") { name.removeLast() }
        #expect(name == p.name)
        #expect(e.kind.letter == letter(forPythonType: p.type), "\(p.name): \(e.kind) vs python type \(p.type)")
        #expect(e.size == p.size, "\(p.name)")
        #expect(e.uid == p.uid && e.gid == p.gid, "\(p.name)")
        #expect(e.mtime == p.mtime, "\(p.name)")
        #expect(e.mode == p.mode, "\(p.name)")
        if e.kind == .symlink || e.kind == .hardlink { #expect(e.linkTarget == p.linkname, "\(p.name)") }
        if e.kind == .characterDevice || e.kind == .blockDevice {
            #expect(e.deviceMajor == p.devmajor && e.deviceMinor == p.devminor, "\(p.name)")
        }
        if let h = p.sha256, e.kind == .regular { #expect(hash == h, "\(p.name)") }
    }
    return ours.map(\.0)
}

@Suite struct TarReaderRealToolTests {
    /// GNU tar writes each format from a real directory tree; python's tarfile is the referee.
    @Test(arguments: ["gnu", "oldgnu", "pax", "ustar", "v7"])
    func gnuTarFormats(format: String) throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let src = tmp.path("src")
        let fm = FileManager.default
        try fm.createDirectory(atPath: src + "/dir", withIntermediateDirectories: true)
        try TS.write(Array("hello\n".utf8), to: src + "/a.txt")
        try TS.write(TS.noise(1500, seed: 7), to: src + "/dir/b.bin")
        try TS.write([], to: src + "/empty")
        try fm.createSymbolicLink(atPath: src + "/link", withDestinationPath: "a.txt")
        try fm.linkItem(atPath: src + "/a.txt", toPath: src + "/hard")
        let long = format != "v7"
        if long {
            #expect(mkfifo(src + "/fifo", 0o644) == 0)
            // ustar can store this one through its prefix field; gnu/pax through L / path.
            let deep = src + "/" + String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60)
            try fm.createDirectory(atPath: deep, withIntermediateDirectories: true)
            try TS.write(Array("deep\n".utf8), to: deep + "/file.txt")
        }
        let beyondUstar = format == "gnu" || format == "oldgnu" || format == "pax"
        if beyondUstar {
            try TS.write(Array("long name\n".utf8), to: src + "/" + String(repeating: "n", count: 130))
            try fm.createSymbolicLink(atPath: src + "/longlink", withDestinationPath: String(repeating: "t", count: 150))
        }
        var args = ["--format=\(format)", "--sort=name", "--mtime=@1704067200", "--numeric-owner", "--group=0"]
        args.append(beyondUstar ? "--owner=3000000" : "--owner=0")
        let out = tmp.path("out.tar")
        let r = try TS.tool("tar", args + ["-cf", out, "-C", src, "."])
        try #require(r.status == 0, "tar failed: \(r.stderr)")
        let entries = try compareWithPython(out)
        #expect(entries.count >= 7)
        #expect(entries.contains { $0.kind == .hardlink && $0.linkTarget.hasSuffix("a.txt") })
        #expect(entries.contains { $0.kind == .symlink && $0.linkTarget == "a.txt" })
        if long { #expect(entries.contains { $0.kind == .fifo }) }
        if beyondUstar {
            #expect(entries.contains { $0.path.hasSuffix(String(repeating: "n", count: 130)) && $0.kind == .regular })
            #expect(entries.contains { $0.linkTarget == String(repeating: "t", count: 150) })
            #expect(entries.allSatisfy { $0.uid == 3_000_000 })
        }
    }

    /// GNU tar's sparse formats: old GNU `S` headers and PAX `GNU.sparse.*` records.
    @Test(arguments: ["gnu", "pax"])
    func gnuSparseFiles(format: String) throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let src = tmp.path("src")
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        // 1 MiB with two data islands.
        let fd = open(src + "/sparse.bin", O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        try #require(fd >= 0)
        let island = [UInt8](repeating: 0x41, count: 4096)
        _ = island.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4096, 8192) }
        _ = island.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4096, 512 * 1024) }
        #expect(ftruncate(fd, 1 << 20) == 0)
        close(fd)
        try TS.write(Array("after\n".utf8), to: src + "/z-after.txt")
        let out = tmp.path("sparse.tar")
        let r = try TS.tool("tar", ["--format=\(format)", "--sparse", "--sort=name", "-cf", out, "-C", src, "."])
        try #require(r.status == 0, "tar failed: \(r.stderr)")
        let entries = try TS.entries(try TS.bytes(out))
        let sparse = try #require(entries.first { $0.path.hasSuffix("sparse.bin") })
        #expect(sparse.kind == .sparse)
        #expect(sparse.size == 1 << 20)
        #expect(sparse.dataSize < 1 << 20)
        #expect(sparse.path == "./sparse.bin")
        // The entry after the sparse one is intact.
        let after = try #require(entries.last)
        #expect(after.path == "./z-after.txt")
        #expect(after.kind == .regular && after.size == 6)
    }

    /// python's tarfile writes ustar/gnu/pax with base-256 numbers, PAX xattrs and a global header.
    @Test(arguments: ["ustar", "gnu", "pax"])
    func pythonWrittenArchives(format: String) throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let out = tmp.path("py.tar")
        let script = """
            import tarfile, io, sys
            fmt = {'gnu': tarfile.GNU_FORMAT, 'pax': tarfile.PAX_FORMAT, 'ustar': tarfile.USTAR_FORMAT}[sys.argv[2]]
            kw = {'pax_headers': {'comment': 'global-comment'}} if sys.argv[2] == 'pax' else {}
            with tarfile.open(sys.argv[1], 'w', format=fmt, **kw) as t:
                def add(name, data=b'', type=tarfile.REGTYPE, pax=None, **attrs):
                    ti = tarfile.TarInfo(name); ti.type = type; ti.size = len(data); ti.mtime = 1704067200; ti.mode = 0o640
                    for k, v in attrs.items(): setattr(ti, k, v)
                    if pax: ti.pax_headers = pax
                    t.addfile(ti, io.BytesIO(data) if type == tarfile.REGTYPE else None)
                add('hello.txt', b'hello world\\n')
                add('dir', type=tarfile.DIRTYPE, mode=0o755)
                add('dir/link', type=tarfile.SYMTYPE, linkname='../hello.txt')
                add('dir/hard', type=tarfile.LNKTYPE, linkname='hello.txt')
                add('fifo', type=tarfile.FIFOTYPE)
                add('dev/null', type=tarfile.CHRTYPE, devmajor=1, devminor=3)
                add('dev/loop0', type=tarfile.BLKTYPE, devmajor=7, devminor=0)
                add('p' * 60 + '/' + 'q' * 60 + '/file.txt', b'prefixed\\n')
                if fmt != tarfile.USTAR_FORMAT:
                    add('x' * 150, b'long\\n')
                    add('biguid.txt', b'u\\n', uid=3000000, gid=3000001)
                    add('longlink', type=tarfile.SYMTYPE, linkname='t' * 150)
                if fmt == tarfile.PAX_FORMAT:
                    add('xattr.txt', b'x\\n', pax={'SCHILY.xattr.user.foo': 'bar', 'mtime': '1704067201.75'})
            """
        _ = try TS.python(script, [out, format])
        let entries = try compareWithPython(out)
        let prefixed = try #require(entries.first { $0.path.hasSuffix("/file.txt") })
        #expect(prefixed.path == String(repeating: "p", count: 60) + "/" + String(repeating: "q", count: 60) + "/file.txt")
        let null = try #require(entries.first { $0.path == "dev/null" })
        #expect(null.kind == .characterDevice && null.deviceMajor == 1 && null.deviceMinor == 3)
        if format != "ustar" {
            let big = try #require(entries.first { $0.path == "biguid.txt" })
            #expect(big.uid == 3_000_000 && big.gid == 3_000_001)
            if format == "gnu" {
                // The uid field really is base-256 (high bit set), not octal.
                let raw = try TS.bytes(out)
                #expect(raw[Int(big.headerOffset) + 108] & 0x80 != 0)
                #expect(raw[Int(big.headerOffset) + 156] == UInt8(ascii: "0"))
            }
            #expect(entries.contains { $0.path == String(repeating: "x", count: 150) })
        }
        if format == "pax" {
            let x = try #require(entries.first { $0.path == "xattr.txt" })
            #expect(x.xattrs == ["user.foo": Array("bar".utf8)])
            #expect(x.mtime == 1_704_067_201)
            #expect(entries.first?.path == "hello.txt")
        }
    }
}


@Suite struct TarReaderHandBuiltTests {
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
        var bytes = TS.entry(TS.header(name: "././@LongLink", typeflag: UInt8(ascii: "L"), size: Int64(nameData.count), magic: .gnu), nameData)
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
            fields: [(124, TS.base256(1000, width: 12)), (108, TS.base256(3_000_000, width: 8)),
                     (116, TS.base256(2_097_152, width: 8)), (136, TS.base256(-1, width: 12))])
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
        #expect(e.kind.letter == ["-", "-", "d", "-", "h", "l", "c", "b", "d", "p", "d", "?"][Self.flagCases.firstIndex { $0.name == c.name }!])
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
        #expect(ArchiveError.tar(.badHeaderChecksum(member: nil, offset: 0, expected: 1, found: 2)).kind == .corrupt)
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
        #expect(throws: TarError.truncated(member: nil, offset: 2048, expected: "another header or the end-of-archive marker (two zero blocks)")) {
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
        #expect(throws: TarError.truncated(member: nil, offset: Int64(pax.count), expected: "the header that the extension header at 0 belongs to")) {
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
        #expect(ArchiveError.tar(.truncated(member: nil, offset: 0, expected: "")).kind == .truncated)
    }

    @Test func malformedExtensionsAndFields() throws {
        // A PAX record whose length is wrong.
        let badPax = Array("99 path=x\n".utf8)
        let b1 = TS.entry(TS.header(name: "p", typeflag: UInt8(ascii: "x"), size: Int64(badPax.count)), badPax) + TS.file("a", "a") + TS.endMarker
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
        #expect(throws: TarError.badHeaderField(member: nil, offset: 1536, field: "end-of-archive", found: "a zero block followed by a non-zero block")) {
            try TS.entries(b3)
        }
    }

    @Test func peekAndReadBody() throws {
        let content = Array(String(repeating: "0123456789", count: 100).utf8)
        let bytes = TS.entry(TS.header(name: "digits", size: 1000), content) + TS.file("second", "2nd") + TS.endMarker
        let reader = TarReader(BufferSource(bytes))
        let e = try #require(try reader.next())
        #expect(e.dataSize == 1000)
        #expect(reader.remainingInEntry == 1000)
        #expect(Array(try reader.peekBody(10)) == Array("0123456789".utf8))
        #expect(try reader.peekBody(5000).count == 1000)  // never past the entry
        #expect(reader.remainingInEntry == 1000)  // peeking consumes nothing
        var four = [UInt8](repeating: 0, count: 4)
        #expect(try four.withUnsafeMutableBytes { try reader.readBody(into: $0) } == 4)
        #expect(four == Array("0123".utf8))
        #expect(reader.remainingInEntry == 996)
        #expect(Array(try reader.peekBody(3)) == Array("456".utf8))
        #expect(try reader.skipBody(6) == 6)
        var body = reader.body()
        var rest = [UInt8](repeating: 0, count: 2000)
        let n = try rest.withUnsafeMutableBytes { try body.readFully(into: $0) }
        #expect(n == 990)
        #expect(Array(rest[0..<n]) == Array(content[10...]))
        #expect(try four.withUnsafeMutableBytes { try reader.readBody(into: $0) } == 0)
        #expect(try reader.peekBody(10).count == 0)
        let second = try #require(try reader.next())
        #expect(second.path == "second")
        #expect(second.headerOffset == 1536)
        #expect(reader.offset == 2048)
        #expect(try reader.next() == nil)
        #expect(try reader.next() == nil)
    }

    @Test func partialReadThenNextSkipsTheRest() throws {
        let content = TS.noise(200_000, seed: 5)
        let bytes = TS.entry(TS.header(name: "big", size: 200_000), content) + TS.file("small", "s") + TS.endMarker
        for dribble in [false, true] {
            let source: any ByteSource = dribble ? DribbleSource(inner: BufferSource(bytes), chunk: 777) : BufferSource(bytes)
            let reader = TarReader(source, bufferSize: 4096)
            _ = try #require(try reader.next())
            // Big reads go straight from the source; the bytes must still be right.
            var first = [UInt8](repeating: 0, count: 100_000)
            let got = try first.withUnsafeMutableBytes { buf -> Int in
                var body = reader.body()
                return try body.readFully(into: buf)
            }
            #expect(got == 100_000)
            #expect(first == Array(content[0..<100_000]))
            let next = try #require(try reader.next())
            #expect(next.path == "small")
            #expect(next.headerOffset == 512 + 200_192)
            #expect(try TS.readBody(reader) == Array("s".utf8))
        }
    }

    @Test func bodiesAreSkippedNotRead() throws {
        let size = 8 << 20
        var bytes = TS.header(name: "huge", size: Int64(size))
        bytes += [UInt8](repeating: 0x5a, count: size)
        bytes += TS.file("tail", "t") + TS.endMarker
        let counting = CountingByteSource(BufferSource(bytes))
        let reader = TarReader(counting, bufferSize: 4096)
        #expect(try reader.next()?.path == "huge")
        #expect(try reader.next()?.path == "tail")
        #expect(try reader.next() == nil)
        #expect(counting.bytesRead < 64 * 1024, "read \(counting.bytesRead) bytes")
        #expect(counting.bytesSkipped >= Int64(size - 4096))
    }

    @Test func fileSourceSeeksOverA64MiBSparseBody() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let path = tmp.path("sparse.tar")
        let size: Int64 = 64 << 20
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        try #require(fd >= 0)
        let h = TS.header(name: "huge.bin", size: size)
        let tail = TS.file("tail.txt", "tail") + TS.endMarker
        _ = h.withUnsafeBytes { pwrite(fd, $0.baseAddress, 512, 0) }
        _ = tail.withUnsafeBytes { pwrite(fd, $0.baseAddress, tail.count, off_t(512 + size)) }
        close(fd)
        let file = try FileSource(path: path)
        #expect(file.isSeekableRegularFile)
        let counting = CountingByteSource(file)
        let clock = ContinuousClock()
        let start = clock.now
        let reader = TarReader(counting)
        #expect(try reader.next()?.path == "huge.bin")
        let t = try #require(try reader.next())
        #expect(t.path == "tail.txt")
        #expect(t.headerOffset == 512 + size)
        #expect(try TS.readBody(reader) == Array("tail".utf8))
        #expect(try reader.next() == nil)
        let elapsed = clock.now - start
        #expect(counting.bytesRead <= 512 * 1024, "read \(counting.bytesRead) bytes of a \(size)-byte body")
        #expect(counting.bytesSkipped >= size - 512 * 1024)
        #expect(file.offset == 512 + size + Int64(tail.count))
        #expect(elapsed < .seconds(2))
    }
}
