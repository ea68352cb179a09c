import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Tar
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Small, well-formed (digest-correct where digests apply) archives built to take the tool down:
/// references multiplied, entries by the million, headers that claim gigabytes, symlinks without
/// end, a gzip bomb. Each must end, in bounded time and memory, with the right answer or a clear
/// error. The archives are written at test time (Python's `tarfile`, hand-built bytes where the
/// point is a header no tool writes) into a temporary directory, and read through the library
/// or through the built `imgtool`, whose peak memory is measured (by `/usr/bin/time`; the memory
/// checks are skipped where it is missing).
///
/// The bounds asserted are loose (a few times what this 2-core machine takes in a debug build);
/// the numbers measured before and after the fix are in the commit message.
@Suite(.serialized) struct HostileInputTests {
    // MARK: - References multiplied

    /// `index.json` lists an index 6 times, which lists the next 6 times, 7 indexes deep: 6^7
    /// paths to one manifest. Every index used to be decoded once per path (26 s for `inspect`
    /// and for `verify` here); each is now walked once (30 ms), and the image gets the names of
    /// every entry.
    @Test(.timeLimit(.minutes(2))) func nestedIndexesAreWalkedOncePerDigest() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("fanout.tar")
        // 6 indexes under index.json, each listing the next (the last: the manifest) 6 times.
        try python(Scripts.fanout, [archive, "6", "6", "fanout:1,fanout:2"])
        let headersOnly = try measure { try ImageArchive.read(path: archive, reading: .headersOnly(mapped: false)) }
        #expect(headersOnly.seconds < 10)
        #expect(headersOnly.value.images.count == 1)
        #expect(headersOnly.value.images.first?.tags == ["fanout:1", "fanout:2"])
        #expect(headersOnly.value.skipped.isEmpty)
        let whole = try measure { try ImageArchive.read(path: archive, options: .verify) }
        #expect(whole.seconds < 10)
        #expect(whole.value.problems.isEmpty)
        #expect(whole.value.images.map(\.tags) == [["fanout:1", "fanout:2"]])
        let verify = try imgtool(["verify", "--json", archive])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.seconds < 10)
        let inspect = try imgtool(["inspect", "--json", archive])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.seconds < 10)
    }

    /// Two indexes that list each other (their names are not their digests, so only a read that
    /// does not hash, or one that reports the mismatch, gets that far): a cycle, reported as
    /// one, not walked until the depth limit.
    @Test func indexCycleIsReported() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("cycle.tar")
        try python(Scripts.cycle, [archive])
        let a = "blobs/sha256/" + String(repeating: "a", count: 64)
        let b = "blobs/sha256/" + String(repeating: "b", count: 64)
        let expected = ArchiveError.malformedJSON(
            member: a, reason: "image index leads back to itself: expected a tree of indexes, found a cycle (listed by \(b))")
        for reading in [ArchiveInput.Reading.headersOnly(mapped: false), .whole] {
            #expect(throws: expected) { try ImageArchive.read(path: archive, reading: reading) }
        }
        let cli = try imgtool(["verify", archive])
        #expect(cli.status == 4)
        #expect(cli.stderr.contains("found a cycle"), "\(cli.stderr)")
    }

    /// `manifest.json` lists one 20,000-entry layer 80,000 times, and the config has no
    /// `diff_ids`. `verify` used to reserve the merged filesystem for 80,000 × 20,000 nodes and
    /// abort ("failed to allocate 102400001120 bytes", exit 134), and headers-only `inspect`
    /// hashed the layer once per reference. Now: more layers than an image may have, said so.
    @Test(.timeLimit(.minutes(2))) func layerListedTooManyTimesIsRefused() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("refs.tar")
        try python(Scripts.references, [archive, "--refs", "80000", "--entries", "20000", "--no-diff-ids"])
        let message = "Error: manifest.json: too many layers for one image in entry 1: expected at most 1000, found 80000\n"
        for command in ["verify", "inspect"] {
            let run = try imgtool([command, archive])
            #expect(run.status == 4)
            #expect(run.stderr == message)
            #expect(run.seconds < 10)
            #expect(run.maxRSSMiB < 200, "\(command): \(run.maxRSSMiB) MiB")
        }
        #expect(throws: ArchiveError.malformedJSON(member: "manifest.json", reason: "too many layers for one image in entry 1: expected at most 1000, found 80000")) {
            try ImageArchive.read(path: archive, options: .verify)
        }
    }

    /// One layer (1,000 entries and an 8 MiB file) listed 1,000 times, the most an image may
    /// have, config without `diff_ids`. Headers-only `inspect` hashes the member for its DiffID
    /// once (it used to, 1,000 times: 8 GiB of hashing); the merged filesystem reserves room for
    /// one layer's entries, not 1,000 times as many; the answer is the same as it always was.
    @Test(.timeLimit(.minutes(2))) func layerListedUpToTheLimitIsReadOnce() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("refs.tar")
        let layerDigest = try python(Scripts.references, [archive, "--refs", "1000", "--entries", "1000", "--big-mib", "8", "--no-diff-ids"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let inspect = try imgtool(["inspect", "--json", archive])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.seconds < 10)
        let report = try json(inspect.stdout)
        let image = try #require((report["images"] as? [[String: Any]])?.first)
        let layers = try #require(image["layers"] as? [[String: Any]])
        #expect(layers.count == 1000)
        #expect(Set(layers.compactMap { $0["diffID"] as? String }) == [layerDigest])
        #expect(image["entries"] as? Int == 1000 * 1001)

        let verify = try imgtool(["verify", "--json", archive])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.seconds < 30)
        // About 29 MiB (a debug imgtool reading a small archive takes 27); 45 MiB when the tree
        // was reserved for every reference (its child index of 2^21 slots is written at once).
        #expect(verify.maxRSSMiB < 40, "\(verify.maxRSSMiB) MiB")

        let read = try ImageArchive.read(path: archive, options: .verify)
        #expect(read.problems.isEmpty)
        let one = try #require(read.images.first)
        #expect(one.layers.count == 1000)
        #expect(Set(one.layers.map(\.diffID.description)) == [layerDigest])
        let fs = MergedFilesystem(image: one)
        #expect(fs.nodeCount == 1 + 1001)
        #expect(fs.lookup("/big.bin").node?.layer == 1000)
        #expect(fs.lookup("/f999").node?.size == 0)
    }

    /// 101 images (distinct configs) of 1,000 layers each: 101,000 layer references, over
    /// ``ReadOptions/maximumLayerReferences``, refused when the 101st image is counted.
    @Test func layerReferencesOverTheArchiveAreBounded() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("refs.tar")
        try python(Scripts.references, [archive, "--refs", "1000", "--entries", "1", "--images", "101"])
        let expected = ArchiveError.malformedJSON(
            member: "manifest.json",
            reason: "too many layer references over the archive's images: expected at most 100000, found 101000 by the image in entry 101")
        for reading in [ArchiveInput.Reading.headersOnly(mapped: false), .whole] {
            let outcome = measure { readFailure(archive, reading: reading) }
            #expect(outcome.value == expected)
            #expect(outcome.seconds < 10)
        }
        #expect(ReadOptions.maximumLayersPerImage == 1_000)
        #expect(ReadOptions.maximumLayerReferences == 100_000)
        #expect(ReadOptions.maximumImageReferences == 100_000)
    }

    /// `index.json` lists, 5,000 times, one index of 21 image manifests: 105,000 references to
    /// images, each adding its names to the image. The index is walked once; the references are
    /// bounded by ``ReadOptions/maximumImageReferences``.
    @Test(.timeLimit(.minutes(2))) func imageReferencesAreBounded() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("images.tar")
        try python(Scripts.imageReferences, [archive, "5000", "21"])
        let outcome = measure { readFailure(archive, reading: .headersOnly(mapped: false)) }
        // 21 references per entry of index.json: the 4,762nd entry makes 100,002.
        #expect(outcome.value == .malformedJSON(member: "index.json", reason: "too many image references over the archive: expected at most 100000, found 100002"))
        #expect(outcome.seconds < 10)
        // Under the limit (4,000 entries: 84,000 references), the 21 images, each named once.
        try python(Scripts.imageReferences, [archive, "4000", "21"])
        let fine = try measure { try ImageArchive.read(path: archive, options: .verify) }
        #expect(fine.seconds < 10)
        #expect(fine.value.images.count == 21)
        #expect(fine.value.images.allSatisfy { $0.tags == ["many:1"] })
        #expect(fine.value.problems.isEmpty)
    }

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
        #expect(throws: TarError.badHeaderField(member: nil, offset: 0, field: "size", found: "4294967296 bytes for a PAX header, more than 1048576")) {
            try TarReader(BufferSource(huge)).next()
        }
        // A record's length.
        let lying = Array("9999999999 path=f\n".utf8)
        let record = Hand.entry(Hand.header("PaxHeaders/f", size: Int64(lying.count), type: "x"), lying) + Hand.entry(Hand.header("f", size: 0), []) + Hand.end
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
        #expect(throws: TarError.badPAXRecord(member: nil, offset: 0, reason: "the PAX headers of one entry hold \(held) bytes of records, more than 1048576")) {
            try TarReader(BufferSource(twice)).next()
        }
        // A `size` record: an entry of 8 GiB, of which the stream holds 512 bytes.
        let size = Hand.paxRecord("size", "8589934592")
        let big = Hand.entry(Hand.header("PaxHeaders/big", size: Int64(size.count), type: "x"), size) + Hand.header("big", size: 0)
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
        #expect(run.stderr == "Error: l.tar: at byte 0 of the member: tar header field 'size' is invalid: found 4294967296 bytes for a PAX header, more than 1048576\n")
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

// MARK: - Helpers (this file's own)

/// A fresh temporary directory.
private struct Scratch {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("imgtool-hostile-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// What a child process did, and what it took.
private struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double
    /// Peak resident memory, when measured.
    var maxRSS: Double?
    /// Peak resident memory in MiB, 0 when not measured (so that the bounds hold vacuously).
    var maxRSSMiB: Double { maxRSS ?? 0 }
}

/// GNU time, which reports a child's peak memory (`%M`). The child's own `wait4` usage would
/// not do: `posix_spawn` starts it sharing this process's memory (`CLONE_VM | CLONE_VFORK`),
/// and the kernel counts the high-water mark of that memory, the test runner's, as the
/// child's at `exec`; GNU time forks, so its child starts from time's few pages.
private let timeTool = "/usr/bin/time"

/// The built `imgtool`: `.build/debug/imgtool` of the package this file is in.
private let imgtoolPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent(".build/debug/imgtool").path

/// Runs the built `imgtool`, its peak memory measured by ``timeTool``.
private func imgtool(_ arguments: [String]) throws -> Run {
    try #require(FileManager.default.isExecutableFile(atPath: imgtoolPath), "build imgtool first: \(imgtoolPath)")
    guard FileManager.default.isExecutableFile(atPath: timeTool) else { return try spawn(imgtoolPath, arguments) }
    let dir = try Scratch()
    defer { dir.remove() }
    let report = dir.path("time")
    var run = try spawn(timeTool, ["-f", "%M", "-o", report, imgtoolPath] + arguments)
    // The last line is the peak in KiB (a line before it says how a failing command ended).
    let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
    run.maxRSS = text.split(separator: "\n").last.flatMap { Double($0) }.map { $0 / 1024 }
    return run
}

/// Runs `python3 -c script arguments…`; its stdout.
@discardableResult
private func python(_ script: String, _ arguments: [String]) throws -> String {
    let run = try spawn("/usr/bin/env", ["python3", "-c", script] + arguments)
    try #require(run.status == 0, "python3: \(run.stderr)")
    return run.stdout
}

private struct SpawnError: Error { var errno: Int32 }

/// Runs `executable` with stdin from `/dev/null` and stdout and stderr to files, and waits.
private func spawn(_ executable: String, _ arguments: [String]) throws -> Run {
    let dir = try Scratch()
    defer { dir.remove() }
    let outPath = dir.path("stdout")
    let errPath = dir.path("stderr")
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let clock = ContinuousClock()
    let start = clock.now
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard rc == 0 else { throw SpawnError(errno: rc) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw SpawnError(errno: errno) }
    }
    let elapsed = start.duration(to: clock.now)
    // WIFEXITED / WEXITSTATUS, and 128 + the signal otherwise, as a shell says.
    let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return Run(
        status: code, stdout: String(decoding: try Data(contentsOf: URL(fileURLWithPath: outPath)), as: UTF8.self),
        stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: errPath)), as: UTF8.self),
        seconds: seconds(elapsed), maxRSS: nil)
}

private func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// `body`'s value and how long it took.
private func measure<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try body()
    return (value, seconds(start.duration(to: clock.now)))
}

/// The error reading `path` ends with, if any.
private func readFailure(_ path: String, reading: ArchiveInput.Reading) -> ArchiveError? {
    do throws(ArchiveError) {
        _ = try ImageArchive.read(path: path, reading: reading)
        return nil
    } catch {
        return error
    }
}

private func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// Hand-built tar bytes, for headers no tool writes.
private enum Hand {
    /// A ustar header block.
    static func header(_ name: String, size: Int64, type: Character = "0") -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, at offset: Int) {
            for (i, b) in s.utf8.enumerated() { h[offset + i] = b }
        }
        func octal(_ v: Int64, width: Int) -> String {
            let digits = String(v, radix: 8)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        put(name, at: 0)
        put("0000644", at: 100)
        put("0000000", at: 108)
        put("0000000", at: 116)
        put(octal(size, width: 11), at: 124)
        put("00000000000", at: 136)
        h[156] = type.asciiValue!
        put("ustar", at: 257)
        put("00", at: 263)
        put("        ", at: 148)
        let sum = h.reduce(0) { $0 + Int64($1) }
        put(octal(sum, width: 6), at: 148)
        h[154] = 0
        h[155] = 0x20
        return h
    }

    /// A header, its data, and the padding to the next block.
    static func entry(_ header: [UInt8], _ data: [UInt8]) -> [UInt8] {
        header + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    /// The end-of-archive blocks.
    static let end = [UInt8](repeating: 0, count: 1024)

    /// One PAX record, `"<length> key=value\n"`, its length counting itself.
    static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n".utf8.count
        var length = body + 1
        while String(length).count + body != length { length += 1 }
        return Array("\(length) \(key)=\(value)\n".utf8)
    }
}

/// The Python scripts that write the archives (`python3 -c script arguments…`).
private enum Scripts {
    /// Shared by the scripts: tar members from bytes, by `tarfile`.
    static let prelude = #"""
        import hashlib, io, json, os, sys, tarfile, zlib
        def add(t, name, data, **kw):
            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 0
            for k, v in kw.items(): setattr(ti, k, v)
            t.addfile(ti, io.BytesIO(data))
        def sha(data): return "sha256:" + hashlib.sha256(data).hexdigest()
        def layer_tar(entries):
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
                for e in entries: e(t)
            return buf.getvalue()
        """#

    /// `out k depth names`: an OCI layout whose `index.json` lists an index `k` times, each
    /// index listing the next `k` times, `depth` indexes deep, the last listing one image
    /// manifest `k` times. `names` (comma-separated) name index.json's entries, in turn.
    static let fanout = prelude + #"""

        out, k, depth, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")
        blobs = {}
        def blob(data, media):
            blobs[hashlib.sha256(data).hexdigest()] = data
            return {"mediaType": media, "digest": sha(data), "size": len(data)}
        def one(t): add(t, "hello.txt", b"hello\n")
        layer = layer_tar([one])
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/hello.txt"]},
                             "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": blob(config, "application/vnd.oci.image.config.v1+json"),
                               "layers": [blob(layer, "application/vnd.oci.image.layer.v1.tar")]}).encode()
        child = blob(manifest, "application/vnd.oci.image.manifest.v1+json")
        for _ in range(depth):
            index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                "manifests": [child] * k}).encode()
            child = blob(index, "application/vnd.oci.image.index.v1+json")
        top = []
        for i in range(k):
            d = dict(child); d["annotations"] = {"org.opencontainers.image.ref.name": names[i * len(names) // k]}
            top.append(d)
        with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
            add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            add(t, "index.json", json.dumps({"schemaVersion": 2, "manifests": top}).encode())
            for h, data in blobs.items(): add(t, "blobs/sha256/" + h, data)
        """#

    /// `out`: index.json → index `aaaa…` → index `bbbb…` → index `aaaa…`, under names that
    /// are not their digests.
    static let cycle = prelude + #"""

        out = sys.argv[1]
        a, b = "a" * 64, "b" * 64
        def index(target):
            return json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
                               "digest": "sha256:" + target, "size": 0}]}).encode()
        ia, ib = index(b), index(a)
        top = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
               "digest": "sha256:" + a, "size": len(ia)}]}
        with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
            add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            add(t, "index.json", json.dumps(top).encode())
            add(t, "blobs/sha256/" + a, ia)
            add(t, "blobs/sha256/" + b, ib)
        """#

    /// `out --refs N --entries E [--big-mib M] [--images I] [--no-diff-ids]`: a docker-archive
    /// whose `manifest.json` has `I` entries (distinct configs), each listing the one layer
    /// `l.tar` `N` times; the layer holds an `M` MiB file of zeros (`big.bin`), then `E`
    /// zero-length files. Prints the layer's digest.
    static let references = prelude + #"""

        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("out"); p.add_argument("--refs", type=int); p.add_argument("--entries", type=int)
        p.add_argument("--big-mib", type=int, default=0); p.add_argument("--images", type=int, default=1)
        p.add_argument("--no-diff-ids", action="store_true")
        a = p.parse_args()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
            if a.big_mib: add(t, "big.bin", bytes(a.big_mib << 20))
            for i in range(a.entries): add(t, "f%d" % i, b"")
        layer = buf.getvalue()
        rootfs = {"type": "layers"} if a.no_diff_ids else {"type": "layers", "diff_ids": [sha(layer)] * a.refs}
        with tarfile.open(a.out, "w", format=tarfile.USTAR_FORMAT) as t:
            add(t, "l.tar", layer)
            items = []
            for i in range(a.images):
                config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"n": str(i)}},
                                     "rootfs": rootfs}).encode()
                add(t, "c%d.json" % i, config)
                items.append({"Config": "c%d.json" % i, "RepoTags": ["refs:%d" % i], "Layers": ["l.tar"] * a.refs})
            add(t, "manifest.json", json.dumps(items, separators=(",", ":")).encode())
        print(sha(layer))
        """#

    /// `out n m`: an OCI layout whose `index.json` lists one index `n` times (the first entry
    /// named `many:1`), that index listing `m` image manifests (distinct configs, one shared
    /// layer).
    static let imageReferences = prelude + #"""

        out, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        blobs = {}
        def blob(data, media):
            blobs[hashlib.sha256(data).hexdigest()] = data
            return {"mediaType": media, "digest": sha(data), "size": len(data)}
        def one(t): add(t, "hello.txt", b"hello\n")
        layer = layer_tar([one])
        manifests = []
        for i in range(m):
            config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"n": str(i)}},
                                 "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
            manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                   "config": blob(config, "application/vnd.oci.image.config.v1+json"),
                                   "layers": [blob(layer, "application/vnd.oci.image.layer.v1.tar")]}).encode()
            manifests.append(blob(manifest, "application/vnd.oci.image.manifest.v1+json"))
        index = json.dumps({"schemaVersion": 2, "manifests": manifests}).encode()
        d = blob(index, "application/vnd.oci.image.index.v1+json")
        named = dict(d); named["annotations"] = {"org.opencontainers.image.ref.name": "many:1"}
        with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
            add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            add(t, "index.json", json.dumps({"schemaVersion": 2, "manifests": [named] + [d] * (n - 1)}, separators=(",", ":")).encode())
            for h, data in blobs.items(): add(t, "blobs/sha256/" + h, data)
        """#

    /// `out n`: a docker-archive with one layer of `n` zero-length files, written in one pass
    /// (the layer straight into the archive). The layer's headers are one header by `tarfile`,
    /// repeated with only the name changed: the names (`f<i><9999999-i>`) all have the same byte
    /// sum, so the checksum is the same too (`tarfile` itself takes about a minute per million
    /// entries).
    static let manyEntries = prelude + #"""

        out, n = sys.argv[1], int(sys.argv[2])
        ti = tarfile.TarInfo("f00000009999999"); ti.mtime = 0; ti.mode = 0o644
        block = ti.tobuf(tarfile.USTAR_FORMAT)
        assert len(block) == 512
        rest = block[15:]
        def header(name, size):
            t = tarfile.TarInfo(name); t.size = size; t.mtime = 0
            return t.tobuf(tarfile.USTAR_FORMAT)
        def entry(name, data): return header(name, len(data)) + data + bytes(-len(data) % 512)
        h = hashlib.sha256()
        with open(out, "wb") as f:
            f.write(header("l.tar", n * 512 + 1024))
            for start in range(0, n, 8192):
                chunk = b"".join(b"f%07d%07d" % (i, 9999999 - i) + rest for i in range(start, min(n, start + 8192)))
                h.update(chunk); f.write(chunk)
            h.update(bytes(1024)); f.write(bytes(1024))
            config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                                 "rootfs": {"type": "layers", "diff_ids": ["sha256:" + h.hexdigest()]}}).encode()
            f.write(entry("c.json", config))
            f.write(entry("manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["many:1"], "Layers": ["l.tar"]}]).encode()))
            f.write(bytes(1024))
        """#

    /// `out`: a docker-archive whose layer has `d/d/…/d/f` (65,535 bytes: PAX `path`) and a file
    /// named with 60,000 `n`s.
    static let longPath = prelude + #"""

        out = sys.argv[1]
        def deep(t): add(t, "d/" * 32767 + "f", b"deep\n")
        def wide(t): add(t, "n" * 60000, b"n\n\n")
        layer = layer_tar([deep, wide])
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                             "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
        with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
            add(t, "l.tar", layer)
            add(t, "c.json", config)
            add(t, "manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["long:1"], "Layers": ["l.tar"]}]).encode())
        """#

    /// `out layer`: a docker-archive around the layer bytes in the file `layer` (no `diff_ids`).
    static let wrapLayer = prelude + #"""

        out, layer = sys.argv[1], open(sys.argv[2], "rb").read()
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers"}}).encode()
        with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as t:
            add(t, "l.tar", layer)
            add(t, "c.json", config)
            add(t, "manifest.json", json.dumps([{"Config": "c.json", "Layers": ["l.tar"]}]).encode())
        """#

    /// `out n`: a docker-archive whose layer has `target` (a script), `l<n-1>` → `target`,
    /// `l<i>` → `l<i+1>`, `a` → `b` → `a`, `self` → `self`, and `p` → `q` → `p` with `p/x`
    /// under it.
    static let symlinks = prelude + #"""

        out, n = sys.argv[1], int(sys.argv[2])
        def link(name, target):
            def f(t):
                ti = tarfile.TarInfo(name); ti.type = tarfile.SYMTYPE; ti.linkname = target; ti.mtime = 0
                t.addfile(ti)
            return f
        entries = [lambda t: add(t, "target", b"#!/bin/sh\necho hi\n", mode=0o755)]
        entries.append(link("l%d" % (n - 1), "target"))
        for i in range(n - 2, -1, -1): entries.append(link("l%d" % i, "l%d" % (i + 1)))
        entries += [link("a", "b"), link("b", "a"), link("self", "self"), link("p", "q"), link("q", "p")]
        entries.append(lambda t: add(t, "p/x", b"x\n"))
        layer = layer_tar(entries)
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/l0"]},
                             "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
        with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
            add(t, "l.tar", layer)
            add(t, "c.json", config)
            add(t, "manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["links:1"], "Layers": ["l.tar"]}]).encode())
        """#

    /// `out gib`: a gzip docker-archive whose layer `l.tar` is a tar of one file of `gib` GiB of
    /// zeros, its DiffID in the config. The deflate stream is written in pieces that each end
    /// with a full flush, so that they decode on their own: the piece for 1 MiB of zeros is
    /// compressed once and written `gib` × 1024 times; the gzip header and trailer (CRC-32,
    /// length) are written around them.
    static let gzipBomb = prelude + #"""

        out, gib = sys.argv[1], int(sys.argv[2])
        zeros = bytes(1 << 20)
        big = gib << 30
        def piece(data, final=False):
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)
        def header(name, size):
            ti = tarfile.TarInfo(name); ti.size = size; ti.mtime = 0; ti.mode = 0o644
            return ti.tobuf(tarfile.GNU_FORMAT)
        def entry(name, data): return header(name, len(data)) + data + bytes(-len(data) % 512)
        layer_head, layer_tail = header("zeros.bin", big), bytes(1024)
        layer_size = len(layer_head) + big + len(layer_tail)
        h = hashlib.sha256(layer_head)
        for _ in range(big >> 20): h.update(zeros)
        h.update(layer_tail)
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                             "rootfs": {"type": "layers", "diff_ids": ["sha256:" + h.hexdigest()]}}).encode()
        manifest = json.dumps([{"Config": "c.json", "RepoTags": ["bomb:1"], "Layers": ["l.tar"]}]).encode()
        head = header("l.tar", layer_size) + layer_head
        tail = layer_tail + bytes(-layer_size % 512) + entry("c.json", config) + entry("manifest.json", manifest) + bytes(1024)
        crc = zlib.crc32(head)
        for _ in range(big >> 20): crc = zlib.crc32(zeros, crc)
        crc = zlib.crc32(tail, crc)
        total = len(head) + big + len(tail)
        zero_piece = piece(zeros)
        with open(out, "wb") as f:
            f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
            f.write(piece(head))
            for _ in range(big >> 20): f.write(zero_piece)
            f.write(piece(tail, final=True))
            f.write(crc.to_bytes(4, "little") + (total & 0xffffffff).to_bytes(4, "little"))
        """#
}
