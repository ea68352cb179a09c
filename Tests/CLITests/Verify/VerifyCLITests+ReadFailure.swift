import Foundation
import TestSupport
import Testing

extension VerifyCLITests {
    /// CI reports never come up empty: when the archive cannot be read (or no image matches),
    /// `--json` and `--junit` still write their document, the error as one failed check, and the
    /// exit code is the one without them. And damage is reported on stderr as `inspect` does.
    @Suite struct ReadFailureReports {
        /// An input, how to make it, the exit code, and the failed check's id.
        struct Case: Sendable, CustomTestStringConvertible {
            var name: String
            var code: Int32
            var check = "read"
            var extra: [String] = []
            var testDescription: String { name }
        }

        static let cases: [Case] = [
            Case(name: "truncated.tar.gz", code: 2),
            Case(name: "text.gz", code: 4),
            Case(name: "empty.gz", code: 4),
            Case(name: "cut-header.gz", code: 2),
            Case(name: "skopeo-docker-archive.tar.xz", code: 5),
            Case(name: "missing.tar", code: 6),
            Case(name: "skopeo-docker-archive-multi.tar", code: 7, check: "select", extra: ["--image", "nope:9"]),
        ]

        /// The input `name` of a case: a fixture, or made in `dir`.
        static func input(_ name: String, in dir: TS.TempDir) throws -> String {
            switch name {
            case "text.gz": return try InputCauseCLITests.gzip(Array("hello, world\n".utf8), in: dir, name: name)
            case "empty.gz": return try InputCauseCLITests.gzip([], in: dir, name: name)
            case "cut-header.gz":
                let whole = try TS.bytes(TS.fixture("skopeo-docker-archive.tar.gz"))
                try TS.write(Array(whole.prefix(5)), to: dir.path(name))
                return dir.path(name)
            case "missing.tar": return dir.path("missing.tar")
            default: return TS.fixture(name)
            }
        }

        @Test(arguments: cases)
        func jsonAndJUnitAreWrittenWhenTheArchiveCannotBeRead(_ c: Case) throws {
            let dir = try TS.TempDir()
            defer { dir.cleanup() }
            let archive = try Self.input(c.name, in: dir)
            let plain = try TS.imgtool(["verify"] + c.extra + [archive])
            #expect(plain.status == c.code, "\(plain.stderr)")
            #expect(plain.stdout.isEmpty)
            let error = try #require(lines(plain.stderr).first)
            #expect(error.hasPrefix("Error: \(archive): "), "the error names the input: \(error)")

            let xml = dir.path("report.xml")
            let r = try TS.imgtool(["verify", "--json", "--junit", xml] + c.extra + [archive])
            #expect(r.status == c.code, "the exit code is the one without --json: \(r.stderr)")
            #expect(lines(r.stderr).count == 1, "\(r.stderr)")
            // (The xz advice repeats the command run, --json included.)
            let line = try #require(lines(r.stderr).first)
            if c.code != 5 { #expect(r.stderr == plain.stderr) }
            let doc = try VerifyCLITests.json(r)
            #expect(doc["schemaVersion"] as? Int == 1)
            #expect(doc["archive"] as? String == archive)
            #expect(doc["passed"] as? Bool == false)
            #expect((doc["images"] as? [Any])?.isEmpty == true)
            let checks = try #require(doc["checks"] as? [[String: Any]])
            #expect(checks.count == 1)
            #expect(checks.first?["id"] as? String == c.check)
            #expect(checks.first?["status"] as? String == "failed")
            #expect(checks.first?["message"] as? String == String(line.dropFirst("Error: ".count)))
            #expect((checks.first?["found"] as? String)?.contains("exit code \(c.code)") == true)

            let j = try JUnitReport.junitSummary(xml)
            #expect(j["tests"] as? Int == 1)
            #expect(j["failures"] as? Int == 1)
            #expect(j["failed"] as? [String] == [c.check])
            #expect(j["suites"] as? [[Int]] == [[1, 1]])
            let text = try String(contentsOfFile: xml, encoding: .utf8)
            #expect(text.contains("<testsuite name=\"\(archive)\""), "\(text)")
        }

        /// A readable archive keeps its document as before: an empty top-level `checks`.
        @Test func aReadArchiveHasNoArchiveChecks() throws {
            let r = try TS.imgtool(["verify", "--json", "--arch", "amd64", TS.fixture("prisma-ok-debian-amd64.tar")])
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try VerifyCLITests.json(r)
            #expect((doc["checks"] as? [Any])?.isEmpty == true)
            #expect((doc["images"] as? [Any])?.count == 1)
        }

        /// `pack` shares the reports: a document (without a `pack` object) and nothing written.
        @Test func packWritesTheReportsWhenTheArchiveCannotBeRead() throws {
            let dir = try TS.TempDir()
            defer { dir.cleanup() }
            let xml = dir.path("report.xml")
            let r = try TS.imgtool(["pack", "--json", "--junit", xml, "-o", dir.path("out.tar.gz"), TS.fixture("truncated.tar.gz")])
            #expect(r.status == 2, "\(r.stderr)")
            let doc = try VerifyCLITests.json(r)
            #expect((doc["checks"] as? [[String: Any]])?.first?["id"] as? String == "read")
            #expect(doc["pack"] == nil)
            #expect(try JUnitReport.junitSummary(xml)["failed"] as? [String] == ["read"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["report.xml"])
        }

        /// `verify` lists every digest mismatch on stderr, naming the input, exactly as `inspect`
        /// does on the same stream; so do `pack` and `ship` before refusing. Exit 3 for each.
        @Test func everyMismatchIsListedOnStderrByEveryCommand() throws {
            let path = TS.fixture("bad-layer-digest.tar")
            let inspect = try TS.imgtool(["inspect", "-"], stdinPath: path)
            #expect(inspect.status == 3)
            let mismatches = lines(inspect.stderr)
            #expect(mismatches.count == 1)
            #expect(mismatches.allSatisfy { $0.hasPrefix("Error: stdin: ") && $0.contains("diff_id mismatch") }, "\(mismatches)")

            for args in [["verify", "-"], ["verify", "--json", "-"]] {
                let r = try TS.imgtool(args, stdinPath: path)
                #expect(r.status == 3, "\(args)")
                #expect(lines(r.stderr) == mismatches, "\(args): \(r.stderr)")
            }
            let file = try TS.imgtool(["verify", path])
            #expect(file.status == 3)
            let named = mismatches.map { $0.replacingOccurrences(of: "Error: stdin: ", with: "Error: \(path): ") }
            #expect(lines(file.stderr) == named)

            let dir = try TS.TempDir()
            defer { dir.cleanup() }
            let pack = try TS.imgtool(["pack", "-o", dir.path("out.tar.gz"), path])
            #expect(pack.status == 3)
            #expect(Array(lines(pack.stderr).prefix(1)) == named, "\(pack.stderr)")
            #expect(
                lines(pack.stderr).last?.hasPrefix("Error: \(path): \(dir.path("out.tar.gz")) not written: the archive is corrupt") == true)
            let ship = try TS.imgtool(["ship", path, "nowhere.invalid:/srv"])
            #expect(ship.status == 3)
            #expect(Array(lines(ship.stderr).prefix(1)) == named, "\(ship.stderr)")
            #expect(lines(ship.stderr).last?.hasPrefix("Error: \(path): not shipped: ") == true)
        }
    }
}
