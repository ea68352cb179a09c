import Foundation
import TestSupport
import Testing

/// `imgtool pack`'s layer cache, through the built binary: a second pack reuses the layers of
/// the first and writes the same file; the summary and `--json` say what was reused; the
/// default folder, `--cache`, `--cache-size` and `--no-cache`; stdin; a damaged entry; a full
/// disk under the cache.
@Suite struct PackCacheCLITests {
    struct JSONDoc: Decodable {
        struct Pack: Decodable {
            struct Cache: Decodable {
                var directory: String
                var hits: Int
                var misses: Int
                var bytesReused: Int64
                var tarBytesReused: Int64
                var stored: Int
                var evicted: Int
                var damaged: [String]
                var mismatches: [String]
                var warnings: [String]
            }
            var written: Bool
            var cache: Cache?
        }
        var pack: Pack
    }

    static let v1 = TS.fixture("deploy-v1.tar.gz")
    static let v2 = TS.fixture("deploy-v2.tar.gz")

    /// `imgtool pack ARGS -o OUT INPUT` with `XDG_CACHE_HOME` in `dir`.
    static func pack(_ input: String, to out: String, in dir: TS.TempDir, _ extra: [String] = [], stdin: Bool = false) throws
        -> TS.ProcessResult
    {
        var env = ProcessInfo.processInfo.environment
        env["XDG_CACHE_HOME"] = dir.path("xdg")
        return try TS.run(
            TS.imgtool, ["pack"] + extra + ["-o", out, stdin ? "-" : input], stdinPath: stdin ? input : nil, currentDirectory: dir.url.path,
            environment: env)
    }

    static func json(_ r: TS.ProcessResult) throws -> JSONDoc {
        try JSONDecoder().decode(JSONDoc.self, from: r.stdoutData)
    }

    static func lines(_ text: String, _ prefix: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix(prefix) }
    }

    @Test func aSecondPackReusesTheLayersAndWritesTheSameFile() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let plain = try Self.pack(Self.v1, to: dir.path("plain.tar.gz"), in: dir, ["--no-cache"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(Self.lines(plain.stdout, "pack: cache").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.path("xdg")), "--no-cache writes nothing")

        let cold = try Self.pack(Self.v1, to: dir.path("cold.tar.gz"), in: dir)
        #expect(cold.status == 0, "\(cold.stderr)")
        #expect(Self.lines(cold.stdout, "pack: cache") == ["pack: cache: 0 of 1 layer reused, 1 compressed, 1 stored"])
        let warm = try Self.pack(Self.v1, to: dir.path("warm.tar.gz"), in: dir)
        #expect(warm.status == 0, "\(warm.stderr)")
        #expect(
            Self.lines(warm.stdout, "pack: cache") == ["pack: cache: 1 of 1 layer reused (765.4 kB not compressed again), 0 compressed"])
        #expect(warm.stderr == "")
        let bytes = try TS.bytes(dir.path("plain.tar.gz"))
        #expect(try TS.bytes(dir.path("cold.tar.gz")) == bytes)
        #expect(try TS.bytes(dir.path("warm.tar.gz")) == bytes)
        // The default folder: imgtool/pack in XDG_CACHE_HOME, one folder per compressor setting.
        let folders = try FileManager.default.contentsOfDirectory(atPath: dir.path("xdg/imgtool/pack"))
        #expect(folders.count == 1)
        #expect(folders.first?.hasPrefix("gzip-6-cdc131072-zlib") == true)
        // gzip reads it back to the input's tar.
        let gunzipped = try TS.tool("gzip", ["-dc", dir.path("warm.tar.gz")])
        #expect(gunzipped.stdoutData == (try TS.tool("gzip", ["-dc", Self.v1])).stdoutData)
    }

    @Test func jsonSaysWhatTheCacheDid() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = dir.path("my cache")
        let cold = try Self.json(try Self.pack(Self.v1, to: dir.path("a.tar.gz"), in: dir, ["--json", "--cache", cache]))
        let coldCache = try #require(cold.pack.cache)
        #expect(coldCache.directory == cache)
        #expect((coldCache.hits, coldCache.misses, coldCache.stored, coldCache.bytesReused) == (0, 1, 1, 0))
        let warm = try Self.json(try Self.pack(Self.v2, to: dir.path("b.tar.gz"), in: dir, ["--json", "--cache", cache]))
        let warmCache = try #require(warm.pack.cache)
        #expect(warm.pack.written)
        #expect((warmCache.hits, warmCache.misses) == (1, 0), "v2 shares v1's large layer")
        #expect(warmCache.tarBytesReused == 765_440)
        #expect(warmCache.bytesReused > 100_000 && warmCache.bytesReused < warmCache.tarBytesReused)
        #expect(warmCache.damaged.isEmpty && warmCache.mismatches.isEmpty && warmCache.warnings.isEmpty)
        // The layers in --cache DIR, not the default folder (which holds the verdicts for ship).
        #expect(!FileManager.default.fileExists(atPath: dir.path("xdg") + "/imgtool/pack"), "--cache DIR, not the default")
        let none = try Self.json(try Self.pack(Self.v1, to: dir.path("c.tar.gz"), in: dir, ["--json", "--no-cache"]))
        #expect(none.pack.cache == nil)
    }

    /// `--cache DIR` relative to the current directory, as every path argument is.
    @Test func aRelativeCacheFolderIsTakenFromTheCurrentDirectory() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        #expect(try Self.pack(Self.v1, to: "a.tar.gz", in: dir, ["--cache", "rel/cache"]).status == 0)
        let r = try Self.pack(Self.v1, to: "b.tar.gz", in: dir, ["--cache", "rel/cache"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        #expect(Self.lines(r.stdout, "pack: cache").first?.hasPrefix("pack: cache: 1 of 1 layer reused") == true)
        let folders = try FileManager.default.contentsOfDirectory(atPath: dir.path("rel/cache"))
        #expect(folders.contains { $0.hasPrefix("gzip-6-cdc131072-zlib") })
    }

    @Test func stdinUsesTheCacheAsAFileDoes() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        #expect(try Self.pack(Self.v1, to: dir.path("file.tar.gz"), in: dir).status == 0)
        let r = try Self.pack(Self.v1, to: dir.path("stdin.tar.gz"), in: dir, stdin: true)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.lines(r.stdout, "pack: cache") == ["pack: cache: 1 of 1 layer reused (765.4 kB not compressed again), 0 compressed"])
        #expect(try TS.bytes(dir.path("stdin.tar.gz")) == (try TS.bytes(dir.path("file.tar.gz"))))
    }

    @Test func aDamagedEntryIsReportedOnceAndCompressedAgain() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        #expect(try Self.pack(Self.v1, to: dir.path("a.tar.gz"), in: dir).status == 0)
        let folder = dir.path("xdg/imgtool/pack")
        let namespace = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first)
        let entry = try #require(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/\(namespace)").first)
        let path = "\(folder)/\(namespace)/\(entry)"
        var bytes = try TS.bytes(path)
        bytes[1000] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let r = try Self.pack(Self.v1, to: dir.path("b.tar.gz"), in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let told = Self.lines(r.stderr, "pack: cache entry damaged: ")
        #expect(told.count == 1)
        #expect(told.first?.contains("\(path): its bytes hash to sha256:") == true)
        #expect(told.first?.hasSuffix("removed, the layer compressed instead") == true)
        #expect(Self.lines(r.stdout, "pack: cache") == ["pack: cache: 0 of 1 layer reused, 1 compressed, 1 stored"])
        #expect(try TS.bytes(dir.path("b.tar.gz")) == (try TS.bytes(dir.path("a.tar.gz"))))
        let again = try Self.pack(Self.v1, to: dir.path("c.tar.gz"), in: dir)
        #expect(again.stderr == "")
    }

    @Test func cacheSizeBoundsWhatIsKept() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let r = try Self.pack(Self.v1, to: dir.path("a.tar.gz"), in: dir, ["--cache-size", "100K"])
        #expect(r.status == 0, "\(r.stderr)")
        // The one layer's member (about 300 kB) does not fit in 100 KiB: stored, then removed.
        #expect(Self.lines(r.stdout, "pack: cache") == ["pack: cache: 0 of 1 layer reused, 1 compressed, 1 stored, 1 old entry removed"])
        let again = try Self.pack(Self.v1, to: dir.path("b.tar.gz"), in: dir, ["--cache-size", "1G"])
        #expect(Self.lines(again.stdout, "pack: cache") == ["pack: cache: 0 of 1 layer reused, 1 compressed, 1 stored"])
    }

    @Test(arguments: [
        (["--no-cache", "--cache", "x"], "--no-cache and --cache or --cache-size disagree"),
        (["--cache-size", "lots"], "The value 'lots' is invalid for '--cache-size <size>'"),
    ])
    func conflictingOrBadCacheOptionsAreUsageErrors(extra: [String], message: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let r = try Self.pack(Self.v1, to: dir.path("a.tar.gz"), in: dir, extra)
        #expect(r.status == 64)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("a.tar.gz")))
    }

    /// A cache on a file system that fills up mid-entry (a 64 KiB tmpfs, in a mount namespace of
    /// the test's own): the pack writes its output all the same, says why the cache was not
    /// written, and leaves no temporary file in the cache.
    @Test(.enabled(if: getuid() == 0, "needs root to mount a small tmpfs (unshare -m)"))
    func aFullDiskUnderTheCacheNeverFailsThePack() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        #expect(try Self.pack(Self.v1, to: dir.path("plain.tar.gz"), in: dir, ["--no-cache"]).status == 0)
        try FileManager.default.createDirectory(atPath: dir.path("small"), withIntermediateDirectories: true)
        let script = """
            mount -t tmpfs -o size=64k tmpfs "$1" || exit 99
            "$2" pack --cache "$1/cache" -o "$3" "$4"; rc=$?
            find "$1" -type f > "$5"
            exit $rc
            """
        let r = try TS.run(
            "/usr/bin/unshare",
            ["-m", "/bin/sh", "-c", script, "sh", dir.path("small"), TS.imgtool, dir.path("out.tar.gz"), Self.v1, dir.path("left")])
        try #require(r.status != 99, "mount failed: \(r.stderr)")
        #expect(r.status == 0, "\(r.stderr)")
        let warning = Self.lines(r.stderr, "pack: cannot write the pack cache in \(dir.path("small"))/cache: ")
        #expect(warning.count == 1, "\(r.stderr)")
        #expect(warning.first?.contains("No space left on device") == true)
        #expect(warning.first?.hasSuffix("; the pack goes on without it") == true)
        #expect(Self.lines(r.stdout, "pack: cache") == ["pack: cache: 0 of 1 layer reused, 1 compressed"])
        #expect(try TS.bytes(dir.path("out.tar.gz")) == (try TS.bytes(dir.path("plain.tar.gz"))))
        #expect(try String(contentsOfFile: dir.path("left"), encoding: .utf8) == "", "no temporary file left in the cache")
    }
}
