import ByteIO
import Codec
import Foundation
import ImageArchive
import Synchronization
import TestSupport
import Testing

/// `ArchivePacker` with a `PackCache`: a warm pack reuses the layers a cold one kept and writes
/// the same bytes; a damaged entry is told and compressed again; a member whose name says
/// nothing of its bytes (Docker's `<id>/layer.tar`) is checked against the digest the pass
/// computes; the cache stays within its size; packs at once share it safely.
@Suite struct PackCacheTests {
    /// The fixtures pack reads, plain and gzip, that read without errors.
    static let packable = ArchivePackerTests.packable

    /// A cache in `dir` that keeps every member of its own (16 KiB and up: the fixtures' layers
    /// are small).
    static func cache(_ dir: TS.TempDir, limit: Int64 = PackCache.defaultSizeLimit) -> PackCache {
        var cache = PackCache(directory: dir.path("cache"), sizeLimit: limit)
        cache.minimumMemberSize = 0
        return cache
    }

    static func pack(_ path: String, cache: PackCache?, format: CompressionFormat = .gzip) throws -> (PackedArchive, [UInt8]) {
        let sink = BufferSink()
        let packed = try ArchivePacker.pack(
            FileSource(path: path), into: sink, options: PackOptions(format: format, threads: 2, cache: cache))
        return (packed, sink.bytes)
    }

    /// The entry files of a cache, by path.
    static func entries(_ cache: PackCache) -> [String] {
        let root = cache.directory
        let enumerator = FileManager.default.enumerator(atPath: root)
        var found: [String] = []
        while let name = enumerator?.nextObject() as? String {
            if name.hasSuffix(".member") { found.append(root + "/" + name) }
        }
        return found.sorted()
    }

    @Test(arguments: packable)
    func aWarmPackWritesWhatAColdOneWrites(fixture: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = Self.cache(dir)
        let (_, uncached) = try Self.pack(TS.fixture(fixture), cache: nil)
        let (cold, coldBytes) = try Self.pack(TS.fixture(fixture), cache: cache)
        let (warm, warmBytes) = try Self.pack(TS.fixture(fixture), cache: cache)
        #expect(coldBytes == uncached)
        #expect(warmBytes == uncached)
        let own = cold.members.filter { $0.tarMember != nil }.count
        let coldReport = try #require(cold.cache)
        #expect(coldReport.hits == 0)
        #expect(coldReport.misses == own)
        #expect(coldReport.stored == own)
        let warmReport = try #require(warm.cache)
        #expect(warmReport.hits == own)
        #expect(warmReport.misses == 0)
        #expect(warmReport.stored == 0)
        #expect(warm.outputMatchesInput)
        let reused = warm.members.filter { $0.tarMember != nil }
        #expect(warmReport.bytesReused == reused.reduce(0) { $0 + $1.compressed.compressedSize })
        #expect(warmReport.tarBytesReused == reused.reduce(0) { $0 + $1.compressed.uncompressedSize })
        #expect(warm.members == cold.members)
    }

    @Test func zstdKeepsItsOwnEntriesAndGivesTheSameBytesWarm() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = Self.cache(dir)
        let fixture = TS.fixture("deploy-v1.tar.gz")
        let (_, uncached) = try Self.pack(fixture, cache: nil, format: .zstd)
        _ = try Self.pack(fixture, cache: cache, format: .gzip)
        let (cold, coldBytes) = try Self.pack(fixture, cache: cache, format: .zstd)
        #expect(cold.cache?.hits == 0, "gzip's entries are not zstd's")
        let (warm, warmBytes) = try Self.pack(fixture, cache: cache, format: .zstd)
        #expect(coldBytes == uncached)
        #expect(warmBytes == uncached)
        #expect(warm.cache?.hits == cold.cache?.stored)
        let folders = try FileManager.default.contentsOfDirectory(atPath: cache.directory).sorted()
        #expect(folders.contains { $0.hasPrefix("gzip-6-cdc131072-zlib") })
        #expect(folders.contains { $0.hasPrefix("zstd-3-zstd") })
    }

    /// Version 2 of the deploy fixture differs in its app layer only: the base layers come from
    /// the cache, the app layer is compressed.
    @Test func aNewVersionReusesTheLayersItShares() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = Self.cache(dir)
        let (v1, _) = try Self.pack(TS.fixture("deploy-v1.tar.gz"), cache: cache)
        let (v2, v2Bytes) = try Self.pack(TS.fixture("deploy-v2.tar.gz"), cache: cache)
        let (_, v2Uncached) = try Self.pack(TS.fixture("deploy-v2.tar.gz"), cache: nil)
        #expect(v2Bytes == v2Uncached)
        let shared = Set(v1.members.compactMap(\.tarMember)).intersection(v2.members.compactMap(\.tarMember))
        let report = try #require(v2.cache)
        #expect(!shared.isEmpty)
        #expect(report.hits == shared.count)
        #expect(report.misses == v2.members.filter { $0.tarMember != nil }.count - shared.count)
        #expect(report.misses >= 1, "the app layer changed")
    }

    @Test func aDamagedEntryIsToldOnceRemovedAndCompressedAgain() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = Self.cache(dir)
        let fixture = TS.fixture("deploy-v1.tar.gz")
        let (_, uncached) = try Self.pack(fixture, cache: nil)
        _ = try Self.pack(fixture, cache: cache)
        let entries = Self.entries(cache)
        try #require(entries.count >= 2)
        // One entry with a byte flipped in its compressed bytes, another cut short.
        var bytes = try TS.bytes(entries[0])
        bytes[bytes.count / 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: entries[0]))
        let cut = try TS.bytes(entries[1])
        try Data(cut.prefix(100)).write(to: URL(fileURLWithPath: entries[1]))
        let (warm, warmBytes) = try Self.pack(fixture, cache: cache)
        #expect(warmBytes == uncached)
        let report = try #require(warm.cache)
        #expect(report.damaged.count == 2)
        #expect(report.damaged.contains { $0.hasPrefix(entries[0]) && $0.contains("its bytes hash to sha256:") })
        #expect(report.damaged.contains { $0.hasPrefix(entries[1]) && $0.contains("no valid trailer") })
        #expect(report.misses == 2)
        #expect(report.stored == 2, "compressed again and kept again")
        // Kept again whole: the next pack uses them, and reports nothing.
        let (third, thirdBytes) = try Self.pack(fixture, cache: cache)
        #expect(thirdBytes == uncached)
        #expect(third.cache?.damaged == [])
        #expect(third.cache?.misses == 0)
    }

    /// Docker 20.10's `docker save` names a layer `<v1 id>/layer.tar`: the name says nothing of
    /// its bytes, so the cache remembers the digest it had, and checks it once the pass has
    /// hashed the layer.
    @Test func aLegacyDockerLayerIsFoundByItsAliasAndCheckedAtTheEnd() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = Self.cache(dir)
        let fixture = TS.fixture("docker/empty-layers.tar")
        func pack(_ cache: PackCache?) throws -> (PackedArchive, [UInt8]) {
            let sink = BufferSink()
            let options = PackOptions(threads: 2, minimumOwnMemberSize: 512, cache: cache)
            return (try ArchivePacker.pack(FileSource(path: fixture), into: sink, options: options), sink.bytes)
        }
        let (_, uncached) = try pack(nil)
        let (cold, _) = try pack(cache)
        let layers = cold.members.compactMap(\.tarMember).filter { $0.hasSuffix("/layer.tar") }
        try #require(!layers.isEmpty)
        #expect(cold.cache?.stored == cold.members.filter { $0.tarMember != nil }.count)
        let aliases = try FileManager.default.contentsOfDirectory(atPath: cache.directory + "/aliases")
        // One alias per member kept whose name is not its digest: the layers, and the small
        // members this pack keeps too (`<id>/json`, the `<config>.json`).
        let unnamed = cold.members.compactMap(\.tarMember).filter {
            $0.hasSuffix("/layer.tar") || $0.hasSuffix("/json") || $0.hasSuffix(".json")
        }
        #expect(aliases.count == unnamed.count)
        let (warm, warmBytes) = try pack(cache)
        #expect(warmBytes == uncached)
        #expect(warm.cache?.hits == cold.cache?.stored)
        #expect(warm.outputMatchesInput)

        // An alias that names other bytes (an id reused for another layer): the member is taken,
        // then found not to match; the alias goes, and the output must not be kept.
        let alias = cache.directory + "/aliases/" + aliases.sorted()[0]
        let digest = String(decoding: try TS.bytes(alias).prefix(64), as: UTF8.self)
        let entry = try #require(Self.entries(cache).first { $0.contains("/\(digest)-") })
        let other = String(repeating: "ab", count: 32)
        try FileManager.default.copyItem(atPath: entry, toPath: entry.replacingOccurrences(of: digest, with: other))
        try Data((other + "\n").utf8).write(to: URL(fileURLWithPath: alias))
        let (stale, _) = try pack(cache)
        let report = try #require(stale.cache)
        #expect(!stale.outputMatchesInput)
        #expect(report.mismatches.count == 1)
        #expect(report.mismatches.first?.contains("the cached member is of sha256:\(other), its ") == true)
        #expect(report.mismatches.first?.contains(" bytes hash to sha256:\(digest)") == true)
        #expect(!FileManager.default.fileExists(atPath: alias))
        // Packing again without reading the cache gives the right bytes and the alias back.
        var writeOnly = cache
        writeOnly.readsEntries = false
        let (again, againBytes) = try pack(writeOnly)
        #expect(againBytes == uncached)
        #expect(again.outputMatchesInput)
        #expect(FileManager.default.fileExists(atPath: alias))
    }

    @Test func theLeastRecentlyUsedEntriesGoWhenTheCacheIsFull() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let unbounded = Self.cache(dir)
        _ = try Self.pack(TS.fixture("deploy-v1.tar.gz"), cache: unbounded)
        let v1 = Self.entries(unbounded)
        let sizes = try v1.map { try #require(FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int64) }
        // Age them, v1's least used first, so that the order is clear whatever the clock.
        for (i, path) in v1.enumerated() {
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600 + Double(i))], ofItemAtPath: path)
        }
        // A cache that holds all of v1 but the oldest entry: packing v1 again touches every entry
        // it uses, and then the oldest one goes (it was touched too, but first).
        let bounded = Self.cache(dir, limit: sizes.reduce(0, +) - 1)
        let (again, _) = try Self.pack(TS.fixture("deploy-v1.tar.gz"), cache: bounded)
        #expect(again.cache?.hits == v1.count)
        #expect(again.cache?.evicted == 1)
        #expect(Self.entries(bounded) == Array(v1.dropFirst()))
        // A cache of 0 bytes keeps nothing.
        let none = Self.cache(dir, limit: 0)
        let (last, _) = try Self.pack(TS.fixture("deploy-v2.tar.gz"), cache: none)
        #expect(Self.entries(none).isEmpty)
        #expect(last.cache?.evicted == v1.count - 1 + (last.cache?.stored ?? 0))
    }

    @Test func packsAtOnceShareTheCacheWithoutHalfWrittenEntries() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = Self.cache(dir)
        let fixtures = ["deploy-v1.tar.gz", "deploy-v2.tar.gz"].map(TS.fixture)
        let expected = try fixtures.map { try Self.pack($0, cache: nil).1 }
        // Four packs at once, two of each version, into one empty cache; then again, warm.
        for round in 0..<2 {
            let results = Mutex<[Int: [UInt8]]>([:])
            let errors = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { i in
                do {
                    let (_, bytes) = try Self.pack(fixtures[i % 2], cache: cache)
                    results.withLock { $0[i] = bytes }
                } catch {
                    errors.withLock { $0.append("\(error)") }
                }
            }
            #expect(errors.withLock { $0 } == [], "round \(round)")
            for i in 0..<4 { #expect(results.withLock { $0[i] } == expected[i % 2], "round \(round), pack \(i)") }
        }
        // No temporary file left, and every entry whole.
        let all = FileManager.default.enumerator(atPath: cache.directory)?.allObjects as? [String] ?? []
        #expect(!all.contains { $0.hasSuffix(".tmp") })
        let (warm, _) = try Self.pack(fixtures[0], cache: cache)
        #expect(warm.cache?.damaged == [])
        #expect(warm.cache?.misses == 0)
    }

    @Test func aCacheThatCannotBeWrittenNeverFailsThePack() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        // The cache's folder would be under a regular file: every write fails (ENOTDIR).
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir.path("file")))
        var cache = PackCache(directory: dir.path("file") + "/cache")
        cache.minimumMemberSize = 0
        let fixture = TS.fixture("deploy-v1.tar.gz")
        let (_, uncached) = try Self.pack(fixture, cache: nil)
        let (packed, bytes) = try Self.pack(fixture, cache: cache)
        #expect(bytes == uncached)
        let report = try #require(packed.cache)
        #expect(report.stored == 0)
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains("Not a directory") == true)
        #expect(packed.outputMatchesInput)
    }

    /// The deploy fixture as an OCI archive with gzip layers, as skopeo writes it (blobs of any
    /// size, so their data ends inside a tar block), and where its largest blob's padding lies.
    static func paddedLayer(_ dir: TS.TempDir) throws -> (tar: [UInt8], paddingStart: Int, paddingEnd: Int) {
        let tar = try ArchivePackerTests.tarBytes("deploy-v1.tar.gz")
        try Data(tar).write(to: URL(fileURLWithPath: dir.path("v1.tar")))
        let copy = try TS.tool("skopeo", ["copy", "--quiet", "docker-archive:" + dir.path("v1.tar"), "oci-archive:" + dir.path("oci.tar")])
        try #require(copy.status == 0, "skopeo: \(copy.stderr)")
        let found = try TS.python(
            """
            import sys, tarfile
            t = tarfile.open(sys.argv[1])
            m = max((m for m in t.getmembers() if m.isreg() and m.size % 512), key=lambda m: m.size)
            print(m.offset_data + m.size, m.offset_data + (m.size + 511) // 512 * 512)
            """, [dir.path("oci.tar")]
        ).split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(found.count == 2)
        return (try TS.bytes(dir.path("oci.tar")), found[0], found[1])
    }

    /// The cache's members hold a layer's padding, which no digest covers: a member whose padding
    /// is not zeros is not kept, and a cached member is not taken for one.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/skopeo"), "needs skopeo (apt-get install skopeo)"))
    func aLayerWhosePaddingIsNotZerosIsNeitherKeptNorTakenFromTheCache() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = Self.cache(dir)
        let (tar, from, to) = try Self.paddedLayer(dir)
        try #require(to - from > 0)
        var odd = tar
        for i in from..<to { odd[i] = 0x55 }
        func pack(_ bytes: [UInt8], _ cache: PackCache?) throws -> (PackedArchive, [UInt8]) {
            let sink = BufferSink()
            return (try ArchivePacker.pack(BufferSource(bytes), into: sink, options: PackOptions(threads: 2, cache: cache)), sink.bytes)
        }
        // Odd padding first: compressed (the output is the input's), not kept.
        let (first, firstBytes) = try pack(odd, cache)
        #expect(try ArchivePackerTests.inflate(firstBytes) == odd)
        let own = first.members.filter { $0.tarMember != nil }.count
        #expect(first.cache?.stored == own - 1)
        // The zero-padded archive keeps it; then the odd one must not take it.
        _ = try pack(tar, cache)
        let (again, againBytes) = try pack(odd, cache)
        #expect(!again.outputMatchesInput)
        #expect(again.cache?.mismatches.count == 1)
        #expect(again.cache?.mismatches.first?.contains("its tar padding is not zeros") == true)
        let (plain, plainBytes) = try pack(odd, nil)
        #expect(plain.outputMatchesInput)
        #expect(try ArchivePackerTests.inflate(plainBytes) == odd)
        #expect(againBytes != plainBytes)
    }

    /// A member whose size says more than any archive holds (a PAX size near Int64.max): the pack
    /// ends with the reader's error, never a crash in the cache's arithmetic.
    @Test func aHugeMemberSizeIsAnErrorNotACrash() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let name = "blobs/sha256/" + String(repeating: "ab", count: 32)
        var bytes = TS.paxHeader([("size", "9223372036854775000")])
        bytes += TS.header(name: name, size: 0)
        bytes += [UInt8](repeating: 0x41, count: 70_000)
        #expect(throws: (any Error).self) {
            try ArchivePacker.pack(BufferSource(bytes), into: BufferSink(), options: PackOptions(threads: 2, cache: Self.cache(dir)))
        }
    }

    /// Names play no part in the end-of-pass check. An archive with two members of the layer's
    /// name, the first holding other bytes (one byte of a file inside it changed; python's
    /// tarfile writes it), and the second the layer: the reader keeps the last of a name, so a
    /// check by name would pass the first member's cached bytes; by offset, it is caught.
    @Test func aSecondMemberOfTheSameNameCannotVouchForTheFirst() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = Self.cache(dir)
        let tar = try ArchivePackerTests.tarBytes("deploy-v1.tar.gz")
        try Data(tar).write(to: URL(fileURLWithPath: dir.path("v1.tar")))
        let script = """
            import io, sys, tarfile
            src, dst = sys.argv[1], sys.argv[2]
            t = tarfile.open(src)
            members = t.getmembers()
            big = max((m for m in members if m.isreg()), key=lambda m: m.size)
            data = bytearray(t.extractfile(big).read())
            inner = tarfile.open(fileobj=io.BytesIO(bytes(data)))
            f = max((m for m in inner.getmembers() if m.isreg()), key=lambda m: m.size)
            data[f.offset_data + f.size // 2] ^= 0x01
            with tarfile.open(dst, "w", format=tarfile.GNU_FORMAT) as o:
                for m in members:
                    if m is big:
                        o.addfile(m, io.BytesIO(bytes(data)))
                    o.addfile(m, t.extractfile(m) if m.isreg() else None)
            print(big.name)
            """
        let name = try TS.python(script, [dir.path("v1.tar"), dir.path("twice.tar")]).trimmingCharacters(in: .whitespacesAndNewlines)
        func pack(_ path: String, _ cache: PackCache?) throws -> PackedArchive {
            try ArchivePacker.pack(FileSource(path: path), into: BufferSink(), options: PackOptions(threads: 2, cache: cache))
        }
        _ = try pack(dir.path("v1.tar"), cache)
        let twice = try pack(dir.path("twice.tar"), cache)
        #expect(!twice.outputMatchesInput)
        let report = try #require(twice.cache)
        #expect(report.mismatches.count == 1)
        #expect(report.mismatches.first?.hasPrefix("\(name): the cached member is of sha256:") == true, "\(report.mismatches)")
        #expect(report.hits == twice.members.filter { $0.tarMember != nil }.count, "both members of the name were taken")
    }
}
