import Foundation
import TestSupport
import Testing

/// `imgtool inspect` on archives it cannot read, or that are corrupt: the exit code of each
/// kind of error, one line on stderr, nothing on stdout.
@Suite struct InspectExitCodeCLITests {
    typealias ExitCase = (path: String, code: Int32, mentions: String)

    static let exitCases: [ExitCase] = [
        (TS.fixture("truncated-at-boundary.tar"), 2, "at byte 80384 of the archive: archive truncated"),
        (TS.fixture("truncated-mid-member.tar"), 2, "truncated"),
        (TS.fixture("truncated.tar.gz"), 2, "Error: "),
        (TS.fixture("not-an-archive.bin"), 4, "not an image archive"),
        (TS.fixture("plain-tar-not-image.tar"), 4, "not an image archive"),
        (
            TS.fixture("bad-layer-count.tar"), 4,
            "badcount:1.0: inconsistent layer count: 1 layers in the manifest, 2 diff_ids in the config"
        ),
        (TS.fixture("skopeo-docker-archive.tar.xz"), 5, "xz -dc"),
        (TS.fixture("skopeo-docker-archive.tar.bz2"), 5, "bzip2 -dc"),
        (TS.fixture("does-not-exist.tar"), 6, "does-not-exist.tar"),
    ]

    static let realExitCases: [ExitCase] = [
        (TS.real("bad-null-manifest.tar"), 4, "manifest.json: expected a JSON array of images, found null")
    ]

    /// The same on Docker's own archives, when ../shared is there.
    @Test(.enabled(if: TS.realArchivesAvailable, Comment(rawValue: TS.realArchivesMissing)), arguments: realExitCases)
    func errorExitsOnDockerArchives(_ a: ExitCase) throws { try errorExits(a) }

    @Test(arguments: exitCases)
    func errorExits(_ c: ExitCase) throws {
        for json in [false, true] {
            let r = try TS.imgtool(["inspect"] + (json ? ["--json"] : []) + [c.path])
            #expect(r.status == c.code, "\(c.path): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(c.path): stdout \(r.stdout.prefix(200))")
            let l = lines(r.stderr)
            #expect(l.count == 1, "\(l)")
            #expect(l.first?.hasPrefix("Error: ") == true)
            #expect(r.stderr.contains(c.mentions), "\(r.stderr)")
        }
    }

    /// Exit 3 when the archive is read whole (stdin): the report is printed, but it does not
    /// claim success; the problem names the member. Read header by header, the same file cannot
    /// show the mismatch, and says so instead of claiming the digests are right.
    @Test func corruptLayerExit3() throws {
        let facts = FixtureFacts.named("bad-layer-digest.tar")
        let layer = facts.images![0].layers![0]
        let path = TS.fixture(facts.file)
        let mismatch =
            "Error: stdin: \(layer.path!): layer 1 diff_id mismatch: the config expects \(layer.diffID!), the uncompressed layer is \(layer.actualDiffID!)"
        let r = try TS.imgtool(["inspect", "-"], stdinPath: path)
        #expect(r.status == 3)
        #expect(!r.stdout.contains("all verified"))
        #expect(lines(r.stderr) == [mismatch])
        let json = try TS.imgtool(["inspect", "--json", "-"], stdinPath: path)
        #expect(json.status == 3)
        let root = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        #expect((root["problems"] as? [String])?.count == 1)
        #expect((root["archive"] as? [String: Any])?["digestsVerified"] as? Bool == true)

        let quick = try TS.imgtool(["inspect", path])
        #expect(quick.status == 0)
        #expect(quick.stderr.isEmpty)
        #expect(lines(quick.stdout)[3...4] == InspectCLITests.notVerifiedRow[...])
        let verify = try TS.imgtool(["verify", path])
        #expect(verify.status == 3)
        #expect(verify.stdout.contains("FAIL  integrity        \(layer.path!):"))
    }

    @Test func stdinErrorsToo() throws {
        let r = try TS.imgtool(["inspect", "-"], stdinPath: TS.fixture("truncated-at-boundary.tar"))
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(lines(r.stderr).count == 1)
        let x = try TS.imgtool(["inspect", "-"], stdinPath: TS.fixture("skopeo-docker-archive.tar.xz"))
        #expect(x.status == 5)
        #expect(x.stderr.contains("`... | xz -dc | imgtool inspect -`"))
        #expect(x.stderr.hasPrefix("Error: stdin: the archive is xz-compressed"))
    }
}
