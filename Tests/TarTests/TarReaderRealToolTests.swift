import ByteIO
import Foundation
import Tar
import TestSupport
import Testing

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
