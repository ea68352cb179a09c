import Foundation
import TestSupport
import Testing

extension VerifyCLITests {
    /// What `verify` reads: stdin gives what the file gives, and the reader's errors keep their
    /// exit codes.
    @Suite struct Input {
        @Test(arguments: Facts.singlePlatformVerify + ["prisma-multiarch.tar", "bad-layer-digest.tar", "skopeo-docker-archive.tar.gz"])
        func stdinMatchesFile(_ file: String) throws {
            let path = TS.fixture(file)
            let fromFile = try TS.imgtool(["verify", "--arch", "amd64", path])
            let fromStdin = try TS.imgtool(["verify", "--arch", "amd64", "-"], stdinPath: path)
            #expect(fromStdin.status == fromFile.status)
            // Errors name the input: `stdin`, or the path.
            #expect(fromStdin.stderr.replacingOccurrences(of: "Error: stdin: ", with: "Error: \(path): ") == fromFile.stderr)
            let f = lines(fromFile.stdout)
            let s = lines(fromStdin.stdout)
            try #require(!f.isEmpty && !s.isEmpty)
            // Titles name the input; everything else is identical.
            #expect(s.filter { $0.hasPrefix("stdin: ") }.count == f.filter { $0.hasPrefix(path + ": ") }.count)
            #expect(
                s.map { $0.hasPrefix("stdin: ") ? String($0.dropFirst("stdin: ".count)) : $0 }
                    == f.map { $0.hasPrefix(path + ": ") ? String($0.dropFirst(path.count + 2)) : $0 })
            #expect(
                VerifyCLITests.parse(fromStdin.stdout).rows.map { "\($0.status) \($0.id)" }
                    == VerifyCLITests.parse(fromFile.stdout).rows.map { "\($0.status) \($0.id)" })
        }

        @Test func stdinReaderErrors() throws {
            let t = try TS.imgtool(["verify", "--arch", "amd64", "-"], stdinPath: TS.fixture("truncated-mid-member.tar"))
            #expect(t.status == 2)
            #expect(t.stdout.isEmpty)
            let z = try TS.imgtool(["verify", "-"], stdinPath: TS.fixture("skopeo-docker-archive.tar.xz"))
            #expect(z.status == 5)
            #expect(z.stdout.isEmpty)
        }

        typealias ExitCase = (file: String, code: Int32)

        static let exitCases: [ExitCase] = [
            ("truncated.tar.gz", 2),
            ("truncated-mid-member.tar", 2),
            ("truncated-at-boundary.tar", 2),
            ("not-an-archive.bin", 4),
            ("plain-tar-not-image.tar", 4),
            ("bad-layer-count.tar", 4),
            ("skopeo-docker-archive.tar.xz", 5),
            ("skopeo-docker-archive.tar.bz2", 5),
            ("does-not-exist.tar", 6),
        ]

        @Test(arguments: exitCases)
        func readerErrors(_ c: ExitCase) throws {
            for json in [false, true] {
                let r = try TS.imgtool(["verify", "--arch", "amd64"] + (json ? ["--json"] : []) + [TS.fixture(c.file)])
                #expect(r.status == c.code, "\(c.file): \(r.stderr)")
                let l = lines(r.stderr)
                #expect(l.count == 1 && l[0].hasPrefix("Error: \(TS.fixture(c.file)): "), "\(l)")
                if json {
                    // The document still comes, the error as its failed `read` check.
                    let doc = try VerifyCLITests.json(r)
                    #expect((doc["checks"] as? [[String: Any]])?.map { $0["id"] as? String } == ["read"], "\(c.file)")
                } else {
                    #expect(r.stdout.isEmpty, "\(c.file): \(r.stdout.prefix(200))")
                }
            }
        }

        /// A digest mismatch is found during the pass: the report is printed with a failed
        /// integrity check, and the exit code is 3, not 1.
        @Test func corruptLayerExit3() throws {
            let facts = FixtureFacts.named("bad-layer-digest.tar")
            let layer = try #require(facts.images?.first?.layers?.first)
            let r = try TS.imgtool(["verify", "--arch", "amd64", TS.fixture(facts.file)])
            #expect(r.status == 3)
            let report = VerifyCLITests.parse(r.stdout)
            #expect(report.status("integrity") == ["FAIL"])
            let text = try #require(report.row("integrity")?.text)
            #expect(text.contains(layer.diffID!))
            #expect(text.contains(layer.actualDiffID!))
            #expect(!r.stdout.contains("checks passed"))

            let j = try TS.imgtool(["verify", "--arch", "amd64", "--json", TS.fixture(facts.file)])
            #expect(j.status == 3)
            let root = try VerifyCLITests.json(j)
            #expect(root["passed"] as? Bool == false)
            let images = try #require(root["images"] as? [[String: Any]])
            #expect(images.map { VerifyCLITests.checkStatus($0, "integrity") } == [["failed"]])
        }
    }
}
