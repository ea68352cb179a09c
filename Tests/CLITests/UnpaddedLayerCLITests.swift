import Foundation
import TestSupport
import Testing

/// Archives whose layers umoci 0.4.7's `insert` wrote (umoci#436: the tar ends right after the
/// last file's data, without its padding or end-of-archive blocks), through the built binary:
/// `inspect`, `verify` and `pack` read them as Docker does (Go's archive/tar), and report
/// truncation, exit code 2, when a layer that ends that way does not match its diff_id or when
/// an entry's data itself is cut.
@Suite struct UnpaddedLayerCLITests {
    static let files = ["umoci-insert-oci.tar", "umoci-insert-docker-archive.tar"]

    @Test(arguments: files)
    func inspectShowsEveryLayer(_ file: String) throws {
        let facts = try #require(FixtureFacts.named(file).images?.first?.layers)
        let r = try TS.imgtool(["inspect", TS.fixture(file)])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.contains("  Layers: 3, 31.8 kB uncompressed, 13 entries\n"))
        let layerLines = lines(r.stdout).filter { $0.hasPrefix("     ") && $0.contains(" · ") }
        #expect(layerLines.count == 3)
        for (n, (layer, line)) in zip(facts, layerLines).enumerated() {
            #expect(r.stdout.contains("  \(n + 1)  \(layer.diffID ?? "")\n"))
            let entries = layer.entries ?? -1
            #expect(line.contains(", \(entries) entr\(entries == 1 ? "y" : "ies")"), "\(line)")
        }
        #expect(layerLines[1].hasSuffix("· umoci insert app /app"))
        #expect(layerLines[2].hasSuffix("· umoci insert VERSION /app/VERSION"))

        let json = try TS.imgtool(["inspect", "--json", TS.fixture(file)])
        #expect(json.status == 0)
        let root = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        #expect((root["problems"] as? [Any])?.isEmpty ?? true)
        let images = try #require(root["images"] as? [[String: Any]])
        let layers = try #require(images.first?["layers"] as? [[String: Any]])
        #expect(layers.map { $0["diffID"] as? String } == facts.map(\.diffID))
        #expect(layers.map { $0["entries"] as? Int } == facts.map(\.entries))
        #expect(layers.map { ($0["size"] as? NSNumber)?.int64Value } == facts.map(\.size))
    }

    @Test(arguments: files)
    func verifyPasses(_ file: String) throws {
        for stdin in [false, true] {
            let r = try TS.imgtool(["verify", stdin ? "-" : TS.fixture(file)], stdinPath: stdin ? TS.fixture(file) : nil)
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            #expect(r.stderr.isEmpty)
            #expect(r.stdout.contains("  PASS  integrity        every blob's digest, size and layer diff_id matches\n"))
            #expect(r.stdout.hasSuffix("verify: all 2 checks passed\n"))
        }
    }

    /// A copy of `file` with `edit` applied to layer `layer` (1-based, as fixtures.json lists them).
    private func damaged(_ file: String, layer: Int, _ edit: TS.MemberEdit, in dir: TS.TempDir) throws -> String {
        let facts = try #require(FixtureFacts.named(file).images?.first?.layers)
        let member = try #require(facts[layer - 1].path ?? facts[layer - 1].digest.map { "blobs/sha256/" + $0.dropFirst(7) })
        let path = dir.path("damaged.tar")
        try TS.editArchive(TS.fixture(file), to: path, member: member, edit)
        return path
    }

    /// Every command that reads the archive says it is truncated, on one error line.
    private func expectTruncated(_ path: String, mentioning words: [String]) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let out = dir.path("out.tar.gz")
        for command in [["inspect"], ["verify"], ["inspect", "--json"], ["pack", "-o", out]] {
            let r = try TS.imgtool(command + [path])
            #expect(r.status == 2, "\(command): \(r.stdout)\(r.stderr)")
            let errors = lines(r.stderr).filter { $0.hasPrefix("Error: ") }
            #expect(errors.count == 1, "\(command): \(r.stderr)")
            for w in words { #expect(errors.first?.contains(w) == true, "\(command): \(w) in \(r.stderr)") }
        }
        #expect(!FileManager.default.fileExists(atPath: out), "pack wrote a truncated archive")
    }

    /// A complete layer cut inside its last padding: the same shape as umoci's, but its bytes do
    /// not hash to its diff_id.
    @Test(arguments: files)
    func layerCutInsideItsPaddingIsTruncated(_ file: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let path = try damaged(file, layer: 1, .cutInsidePadding(bytes: 10), in: dir)
        let diffID = try #require(FixtureFacts.named(file).images?.first?.layers?.first?.diffID)
        try expectTruncated(
            path,
            mentioning: [
                "archive truncated: expected the padding after the data of 'usr/local/bin/node' (the layer ends inside it",
                "not to the diff_id \(diffID) its config names: the layer is cut short)",
            ])
    }

    /// umoci's layer with its last file's data cut: truncated whatever the diff_id.
    @Test(arguments: files)
    func dataCutInsideTheLastEntryIsTruncated(_ file: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let path = try damaged(file, layer: 2, .dropLast(bytes: 10), in: dir)
        try expectTruncated(path, mentioning: ["at byte 2078 of the member", "expected 10 more bytes of the data of 'app/server.js'"])
    }

    /// `pack` writes the archive as it is: the gzip stream decompresses to the input byte for
    /// byte, so the layers are the ones umoci wrote, which `imgtool` verifies again.
    @Test(arguments: files)
    func packWritesTheSameLayers(_ file: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let out = dir.path("packed.tar.gz")
        let r = try TS.imgtool(["pack", "-o", out, TS.fixture(file)])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let unpacked = try TS.python(
            "import gzip, sys; sys.stdout.write(gzip.decompress(open(sys.argv[1], 'rb').read()).hex())", [out])
        #expect(unpacked == TS.hex(try TS.bytes(TS.fixture(file))))
        let again = try TS.imgtool(["verify", out])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
    }

    /// Whether `go` is on PATH, for the checks that read as Docker does.
    static let goAvailable = (try? TS.tool("go", ["version"]).status) == 0

    /// The packed archive read as `docker load` reads it: Go's compress/gzip and archive/tar over
    /// the archive, then over every layer (Tests/Fixtures/tools/go-tar-read.go).
    @Test(.enabled(if: goAvailable, "go is not installed: the archive/tar reading of the packed output is not checked"))
    func packedArchiveReadsWithGoArchiveTar() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let out = dir.path("packed.tar.gz")
        let file = "umoci-insert-docker-archive.tar"
        #expect(try TS.imgtool(["pack", "-o", out, TS.fixture(file)]).status == 0)
        var environment = ProcessInfo.processInfo.environment
        environment["GO111MODULE"] = "off"
        environment["GOCACHE"] = dir.path("gocache")
        let tool = TS.fixturesDir.appendingPathComponent("tools/go-tar-read.go").path
        let go = try TS.run("/usr/bin/env", ["go", "run", tool, out], environment: environment)
        #expect(go.status == 0, "\(go.stderr)")
        let facts = try #require(FixtureFacts.named(file).images?.first?.layers)
        let read = Dictionary(
            uniqueKeysWithValues: lines(go.stdout).compactMap { line -> (String, Int)? in
                let parts = line.split(separator: " ")
                guard parts.count == 2, let n = Int(parts[1]) else { return nil }
                return (String(parts[0]), n)
            })
        #expect(read.count == 3)
        for layer in facts { #expect(read[layer.path ?? ""] == layer.entries, "\(layer.path ?? "")") }
    }
}
