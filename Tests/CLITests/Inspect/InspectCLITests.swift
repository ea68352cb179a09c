import Foundation
import ImageArchive
import OCI
import TestSupport
import Testing

/// `imgtool inspect` on the fixtures and the Docker-written archives, run as a user would: the
/// facts fixtures.json holds, in text and JSON, from a file or stdin, for the image or platform
/// asked for.
@Suite struct InspectCLITests {
    /// The text of the `digests` row (and its continuation line) when only headers were read.
    static let notVerifiedRow = [
        "  digests     not verified: only tar headers were read (file contents skipped);",
        "              run `imgtool verify` to check every digest",
    ]

    /// The lines of an inspect text output without its `digests` row, which is the only part that
    /// differs between a headers-only read and a full one.
    private func withoutDigestsRow(_ text: String) -> [String] {
        var out: [String] = []
        var inRow = false
        for line in lines(text) {
            if line.hasPrefix("  digests ") {
                inRow = true
                continue
            }
            if inRow && line.hasPrefix("              ") { continue }
            inRow = false
            out.append(line)
        }
        return out
    }

    /// A plain archive file is read header by header: the facts are all there, with the entry
    /// counts, and the output says that digests were not verified and what verifies them.
    @Test func inspectShowsTheFacts() throws {
        let facts = FixtureFacts.named("skopeo-docker-archive.tar")
        let path = TS.fixture(facts.file)
        let r = try TS.imgtool(["inspect", path])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let image = try #require(facts.images?.first)
        #expect(lines(r.stdout).first == path)
        #expect(r.stdout.contains("Image 1 of 1: app:1.0"))
        #expect(r.stdout.contains("  platform    linux/amd64\n"))
        #expect(r.stdout.contains(image.configDigest!))
        for layer in image.layers ?? [] {
            #expect(r.stdout.contains(layer.diffID!))
            let n = layer.entries ?? -1
            #expect(r.stdout.contains(" \(n) \(n == 1 ? "entry" : "entries") · "), "\(layer.diffID!)")
        }
        #expect(lines(r.stdout)[3...4] == Self.notVerifiedRow[...])
        #expect(!r.stdout.contains("all verified"))
        #expect(r.stdout.contains("  ELF files   amd64 2\n"))
        expectAtMost80Columns(r.stdout, facts.file)
    }

    /// gzip and stdin are read whole, so they are verified, as before.
    @Test(arguments: [["inspect", TS.fixture("skopeo-docker-archive.tar.gz")], ["inspect", "-"]])
    func streamsAreVerified(_ args: [String]) throws {
        let r = try TS.imgtool(args, stdinPath: args.last == "-" ? TS.fixture("skopeo-docker-archive.tar") : nil)
        #expect(r.status == 0)
        #expect(r.stdout.contains("  digests     all verified (3 layers, every blob and config)\n"))
        #expect(!r.stdout.contains("not verified"))
    }

    @Test(arguments: ["skopeo-docker-archive.tar", "skopeo-docker-archive.tar.gz", "oci-multiarch.tar"])
    func inspectStdinMatchesFile(_ file: String) throws {
        let path = TS.fixture(file)
        let fromFile = try TS.imgtool(["inspect", path])
        let fromStdin = try TS.imgtool(["inspect", "-"], stdinPath: path)
        #expect(fromFile.status == 0 && fromStdin.status == 0)
        #expect(fromStdin.stderr.isEmpty)
        var expected = withoutDigestsRow(fromFile.stdout)
        try #require(!expected.isEmpty)
        expected[0] = "stdin"
        #expect(withoutDigestsRow(fromStdin.stdout) == expected)
        // A plain file is read header by header; stdin and gzip are verified.
        #expect(fromFile.stdout.contains(Self.notVerifiedRow[0]) == !file.hasSuffix(".gz"))
        #expect(fromStdin.stdout.contains("  digests     all verified"))
    }

    /// Every fixture that reads, and every readable Docker archive: text lines fit in 80 columns,
    /// the config digest and every diffID are shown, stderr stays empty.
    /// The same on Docker's own archives, when ../shared is there.
    @Test(
        .enabled(if: TS.realArchivesAvailable, Comment(rawValue: TS.realArchivesMissing)), arguments: TS.readableRealArchives.map(TS.real))
    func textOutputFitsAndIsCompleteOnDockerArchives(_ a: String) throws { try textOutputFitsAndIsComplete(a) }

    @Test(
        arguments: FixtureFacts.okFiles.filter { !$0.hasSuffix(".xz") && !$0.hasSuffix(".bz2") }.map(TS.fixture))
    func textOutputFitsAndIsComplete(_ path: String) throws {
        let r = try TS.imgtool(["inspect", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        expectAtMost80Columns(r.stdout, path)
        let archive = try ImageArchive.read(path: path)
        for image in archive.images {
            #expect(r.stdout.contains(image.configDigest.description))
            for layer in image.layers { #expect(r.stdout.contains(layer.diffID.description)) }
        }
    }

    @Test(arguments: [
        "skopeo-docker-archive.tar", "skopeo-docker-archive.tar.gz", "oci-multiarch.tar", "containerd-export.tar", "docker-oci.tar",
        "skopeo-docker-archive-multi.tar",
    ])
    func jsonMatchesFixtureFacts(_ file: String) throws {
        let facts = FixtureFacts.named(file)
        let r = try TS.imgtool(["inspect", "--json", TS.fixture(file)])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let root = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        #expect(root["schemaVersion"] as? Int == 1)
        let archive = try #require(root["archive"] as? [String: Any])
        #expect(archive["layout"] as? String == facts.layout)
        #expect(archive["compression"] as? String == facts.compression)
        #expect(archive["members"] as? Int == facts.members)
        // A plain file is read header by header; a gzip one whole.
        let verified = facts.compression != "none"
        #expect(archive["digestsVerified"] as? Bool == verified)
        #expect(archive["read"] as? String == (verified ? "full" : "headers-only"))
        let note = archive["digestsNote"] as? String
        #expect((note == nil) == verified)
        if let note { #expect(note.contains("not verified") && note.contains("imgtool verify")) }
        #expect((root["problems"] as? [Any])?.isEmpty == true)
        let images = try #require(root["images"] as? [[String: Any]])
        let expected = facts.shownImages
        #expect(images.count == expected.count)
        for (image, want) in zip(images, expected) {
            #expect(image["configDigest"] as? String == want.configDigest)
            #expect(image["platform"] as? String == want.platform)
            #expect(image["manifestDigest"] as? String == want.manifestDigest)
            let layers = try #require(image["layers"] as? [[String: Any]])
            #expect(layers.count == want.layers?.count)
            for (l, w) in zip(layers, want.layers ?? []) {
                #expect(l["diffID"] as? String == w.diffID)
                #expect(l["entries"] as? Int == w.entries)
                #expect((l["size"] as? NSNumber)?.int64Value == w.size)
            }
        }
    }

    @Test func platformSelection() throws {
        let path = TS.fixture("oci-multiarch.tar")
        let arm = try TS.imgtool(["inspect", "--platform", "linux/arm64", path])
        #expect(arm.status == 0)
        #expect(arm.stdout.contains("Image 1 of 1: app:1.0"))
        #expect(arm.stdout.contains("  platform    linux/arm64/v8\n"))
        #expect(!arm.stdout.contains("linux/amd64\n"))
        let json = try TS.imgtool(["inspect", "--json", "--platform=linux/amd64", path])
        let root = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        let images = try #require(root["images"] as? [[String: Any]])
        #expect(images.map { $0["platform"] as? String } == ["linux/amd64"])

        let none = try TS.imgtool(["inspect", "--platform", "linux/s390x", path])
        #expect(none.status == 7)
        #expect(none.stdout.isEmpty)
        #expect(
            lines(none.stderr) == [
                "Error: \(path): no image matches platform linux/s390x; the archive holds: app:1.0 (linux/amd64), app:1.0 (linux/arm64/v8)"
            ])
    }

    @Test func imageSelection() throws {
        let path = TS.fixture("skopeo-docker-archive-multi.tar")
        let tool = FixtureFacts.named("skopeo-docker-archive-multi.tar").images![1]
        for ref in [
            "tool:2.0", "docker.io/library/tool:2.0", String(tool.configDigest!.dropFirst(7).prefix(12)),
            String(tool.configDigest!.prefix(19)),
        ] {
            let r = try TS.imgtool(["inspect", "--image", ref, path])
            #expect(r.status == 0, "\(ref)")
            #expect(r.stdout.contains("Image 1 of 1: tool:2.0"), "\(ref)")
            #expect(r.stdout.contains(tool.configDigest!))
            #expect(!r.stdout.contains("app:1.0"))
        }
        let none = try TS.imgtool(["inspect", "--image", "nope:9", path])
        #expect(none.status == 7)
        #expect(none.stdout.isEmpty)
        #expect(lines(none.stderr).count == 1)
        #expect(
            none.stderr.hasPrefix(
                "Error: \(path): no image matches image 'nope:9'; the archive holds: app:1.0 (linux/amd64), tool:2.0 (linux/amd64)"))
    }
}
