import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Tar
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The readers held to the same rule: entries by the million, long paths, PAX headers claiming
/// gigabytes, symlinks without end, a gzip bomb.
extension HostileInputTests {
    // MARK: - The readers

    /// A layer of 1,000,000 zero-length files (a 512 MB archive, written by Python in about 3 s):
    /// `verify` hashes it, tables it and builds its merged filesystem of a million nodes, in
    /// about 14 s (a debug build). Memory is what the entries need (about 170 bytes each: the
    /// layer's table, the tree's nodes, names and child index), not what the archive weighs:
    /// 195 MiB at the peak, under the 400 MiB asserted.
    @Test(.timeLimit(.minutes(2))) func aMillionTinyEntries() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("many.tar")
        try python(Scripts.manyEntries, [archive, "1000000"])
        let verify = try imgtool(["verify", "--json", archive])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.seconds < 40)
        #expect(verify.maxRSSMiB < 400, "\(verify.maxRSSMiB) MiB")
        let report = try json(verify.stdout)
        let checks = (report["images"] as? [[String: Any]])?.first?["checks"] as? [[String: Any]] ?? []
        #expect(checks.first { $0["id"] as? String == "integrity" }?["status"] as? String == "passed")
    }

    /// An entry whose PAX path is 64 KiB: 32,767 directories deep, and a file whose one name
    /// is 60,000 bytes. Both are kept whole; the tree they make is looked up and walked (the
    /// walk of `--strict-elf` goes to the bottom) without running out of stack.
    @Test(.timeLimit(.minutes(2))) func pathOf64KiB() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("long.tar")
        try python(Scripts.longPath, [archive])
        let deep = String(repeating: "d/", count: 32_767) + "f"
        #expect(deep.utf8.count == 65_535)
        let long = String(repeating: "n", count: 60_000)
        let read = try ImageArchive.read(path: archive, options: .verify)
        #expect(read.problems.isEmpty)
        let image = try #require(read.images.first)
        let fs = MergedFilesystem(image: image)
        #expect(fs.lookup("/" + deep).node?.size == 5)
        #expect(fs.lookup("/" + long).node?.size == 3)
        #expect(fs.nodeCount == 1 + 32_767 + 2)
        var visited = 0
        var deepest = 0
        fs.walk("/") { node in
            visited += 1
            deepest = max(deepest, node.path.utf8.count)
            return true
        }
        #expect(visited == 1 + 32_767 + 2)
        #expect(deepest == 1 + 65_535)
        for arguments in [["inspect", "--json", archive], ["verify", "--json", "--strict-elf", "--require", "/" + deep, archive]] {
            let run = try imgtool(arguments)
            #expect(run.status == 0, "\(arguments[0]): \(run.stderr)")
            #expect(run.seconds < 20)
        }
    }

    /// A PAX header whose size field claims 4 GiB: refused by the extension-header limit
    /// (1 MiB) before anything is allocated or read; a record whose length claims 10 GB; two
    /// headers that add up to more than the limit for one entry; a `size` record claiming 8 GiB
    /// of data (read as such, and truncated where the stream ends); and the first of them in a
    /// layer, through `imgtool`.
    @Test func paxHeadersClaimingGigabytes() throws {
        // The header's size field.
        let huge = Hand.header("PaxHeaders/f", size: 4 << 30, type: "x") + [UInt8](repeating: 0, count: 1024)
        #expect(
            throws: TarError.badHeaderField(
                member: nil, offset: 0, field: "size", found: "4294967296 bytes for a PAX header, more than 1048576")
        ) {
            try TarReader(BufferSource(huge)).next()
        }
        // A record's length.
        let lying = Array("9999999999 path=f\n".utf8)
        let record =
            Hand.entry(Hand.header("PaxHeaders/f", size: Int64(lying.count), type: "x"), lying) + Hand.entry(Hand.header("f", size: 0), [])
            + Hand.end
        #expect(throws: TarError.badPAXRecord(member: nil, offset: 0, reason: "bad record length at byte 0 of the header data")) {
            try TarReader(BufferSource(record)).next()
        }
        // Two headers for one entry, each under the limit, together over it.
        let value = String(repeating: "v", count: 700_000)
        var twice: [UInt8] = []
        for key in ["SCHILY.xattr.user.a", "SCHILY.xattr.user.b"] {
            let data = Hand.paxRecord(key, value)
            twice += Hand.entry(Hand.header("PaxHeaders/f", size: Int64(data.count), type: "x"), data)
        }
        twice += Hand.entry(Hand.header("f", size: 0), []) + Hand.end
        let held = 2 * ("SCHILY.xattr.user.a".utf8.count + 700_000)
        #expect(
            throws: TarError.badPAXRecord(
                member: nil, offset: 0, reason: "the PAX headers of one entry hold \(held) bytes of records, more than 1048576")
        ) {
            try TarReader(BufferSource(twice)).next()
        }
        // A `size` record: an entry of 8 GiB, of which the stream holds 512 bytes.
        let size = Hand.paxRecord("size", "8589934592")
        let big =
            Hand.entry(Hand.header("PaxHeaders/big", size: Int64(size.count), type: "x"), size) + Hand.header("big", size: 0)
            + [UInt8](repeating: 7, count: 512)
        let reader = TarReader(BufferSource(big))
        let entry = try #require(try reader.next())
        #expect(entry.dataSize == 8 << 30)
        #expect(throws: TarError.truncated(member: nil, offset: 2048, expected: "8589934080 more bytes of the data of 'big'")) {
            try reader.next()
        }

        // In a layer: a corrupt archive (exit 3), the member named.
        let dir = try Scratch()
        defer { dir.remove() }
        let layer = dir.path("layer.tar")
        try Data(huge).write(to: URL(fileURLWithPath: layer))
        let archive = dir.path("pax.tar")
        try python(Scripts.wrapLayer, [archive, layer])
        let run = try imgtool(["verify", archive])
        #expect(run.status == 3)
        #expect(
            run.stderr
                == "Error: \(archive): l.tar: at byte 0 of the member: tar header field 'size' is invalid: found 4294967296 bytes for a PAX header, more than 1048576\n"
        )
        #expect(run.maxRSSMiB < 100, "\(run.maxRSSMiB) MiB")
    }

    /// A layer with a chain of 10,000 symlinks (`l0` → `l1` → … → `l9999` → `target`), a loop
    /// (`a` → `b` → `a`), a link to itself, and an entry under a looping parent. Lookups follow
    /// at most 40 links (Linux's `MAXSYMLINKS`) and say "too many levels of symbolic links";
    /// the entry under the loop is placed as under a dangling parent (the parent replaced by a
    /// directory, and noted); `verify` ends at once, failing the checks that need those paths.
    @Test(.timeLimit(.minutes(2))) func symlinkChainAndLoops() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("links.tar")
        try python(Scripts.symlinks, [archive, "10000"])
        let read = try measure { try ImageArchive.read(path: archive, options: .verify) }
        #expect(read.seconds < 10)
        let image = try #require(read.value.images.first)
        let built = measure { MergedFilesystem(image: image) }
        #expect(built.seconds < 10)
        let fs = built.value
        #expect(MergedFilesystem.maximumSymlinks == 40)
        // 40 links from l9960 to target: followed; one more is one too many.
        #expect(fs.lookup("/l9960").node?.path == "/target")
        #expect(fs.lookup("/l9959") == .symlinkLoop(path: "/l9959", at: "/l9999"))
        #expect(fs.lookup("/l0") == .symlinkLoop(path: "/l0", at: "/l40"))
        #expect(fs.lookup("/l0", followFinalSymlink: false).node?.linkTarget == "l1")
        #expect(fs.lookup("/a") == .symlinkLoop(path: "/a", at: "/a"))
        #expect(fs.lookup("/self/x") == .symlinkLoop(path: "/self/x", at: "/self"))
        #expect(fs.lookup("/a").reason == "/a: too many levels of symbolic links (at /a)")
        // `p/x`: a parent that does not resolve is replaced by a directory (and said so), as
        // for a dangling one.
        #expect(fs.anomalies == ["layer 1: /p/x: parent /p is a symlink to q, which does not resolve; replaced by a directory"])
        #expect(fs.lookup("/p/x").node?.size == 2)
        #expect(fs.lookup("/q").node?.path == "/p")

        let run = try imgtool(["verify", "--json", "--require", "/l0", "--require", "/a", "--require", "/l9960", archive])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.seconds < 10)
        let report = try json(run.stdout)
        let checks = (report["images"] as? [[String: Any]])?.first?["checks"] as? [[String: Any]] ?? []
        let require = checks.filter { $0["id"] as? String == "require" }
        #expect(require.map { $0["status"] as? String } == ["failed", "failed", "passed"])
        #expect((require.first?["message"] as? String)?.contains("too many levels of symbolic links") == true)
        let entrypoint = checks.first { $0["id"] as? String == "entrypoint-arch" }
        #expect(entrypoint?["status"] as? String == "failed")
    }

    /// A 2 MB `.tar.gz` whose layer member is a tar of one 2 GiB file of zeros (deflate's
    /// ~1000:1 at its best). It is inflated as a stream: memory stays at the pipeline's
    /// buffers, time is the time to inflate and hash 2 GiB, and the answer is the right one
    /// (the DiffID in the config, which Python computed, matches). No limit on the ratio:
    /// a real layer of zeros (a sparse disk image) compresses as well.
    @Test(.timeLimit(.minutes(3))) func gzipBomb() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("bomb.tar.gz")
        try python(Scripts.gzipBomb, [archive, "2"])
        let compressed = (try FileManager.default.attributesOfItem(atPath: archive)[.size] as? NSNumber)?.intValue ?? 0
        #expect(compressed < 3 << 20)
        let run = try imgtool(["verify", "--json", archive])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.seconds < 90)
        #expect(run.maxRSSMiB < 200, "\(run.maxRSSMiB) MiB")
        let report = try json(run.stdout)
        let checks = (report["images"] as? [[String: Any]])?.first?["checks"] as? [[String: Any]] ?? []
        #expect(checks.first { $0["id"] as? String == "integrity" }?["status"] as? String == "passed")
    }
}
