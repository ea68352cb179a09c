import Foundation
import TestSupport
import Testing

extension VerifyCLITests {
    /// `verify --junit`: the JUnit file, read back by python's ElementTree, holds the checks of the
    /// JSON report.
    @Suite struct JUnitReport {
        /// Parses the JUnit file with python's ElementTree; returns the counts and failed names.
        static func junitSummary(_ path: String) throws -> [String: Any] {
            let script = """
                import json, sys, xml.etree.ElementTree as E
                root = E.parse(sys.argv[1]).getroot()
                cases = root.findall('./testsuite/testcase')
                print(json.dumps({
                    'tag': root.tag,
                    'tests': int(root.get('tests')),
                    'failures': int(root.get('failures')),
                    'suites': [[int(s.get('tests')), int(s.get('failures'))] for s in root.findall('testsuite')],
                    'cases': len(cases),
                    'failed': [c.get('name').split(' ')[0] for c in cases if c.find('failure') is not None],
                    'failureElements': len(root.findall('.//failure')),
                }))
                """
            let out = try TS.python(script, [path])
            return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        }

        typealias JUnitCase = (file: String, args: [String])

        static let junitCases: [JUnitCase] = [
            ("prisma-ok-debian-amd64.tar", ["--arch", "amd64", "--require", "node_modules/.prisma"]),
            ("prisma-wrong-target.tar", ["--arch", "amd64", "--require", "node_modules/.prisma"]),
            ("prisma-missing.tar", ["--arch", "amd64", "--require", "node_modules/.prisma"]),
            ("arch-mismatch.tar.gz", ["--arch", "amd64", "--strict-elf"]),
            ("prisma-multiarch.tar", []),
            ("prisma-multiarch.tar", ["--arch", "s390x"]),
            ("prisma-arm64.tar.gz", ["--arch", "amd64"]),
            ("bad-layer-digest.tar", ["--arch", "amd64"]),
        ]

        @Test(arguments: junitCases)
        func junitReport(_ c: JUnitCase) throws {
            let tmp = try TS.TempDir()
            defer { tmp.cleanup() }
            let xml = tmp.path("report.xml")
            let r = try TS.imgtool(["verify", "--json", "--junit", xml] + c.args + [TS.fixture(c.file)])
            // Only the corrupt archive says anything on stderr: its mismatch, one line.
            #expect(lines(r.stderr).count == (c.file == "bad-layer-digest.tar" ? 1 : 0), "\(r.stderr)")
            let root = try VerifyCLITests.json(r)
            let images = try #require(root["images"] as? [[String: Any]])
            let all = images.flatMap(VerifyCLITests.checks)
            let failed = all.filter { $0["status"] as? String == "failed" }.compactMap { $0["id"] as? String }
            #expect((r.status == 0) == failed.isEmpty)

            #expect(FileManager.default.fileExists(atPath: xml))
            let j = try Self.junitSummary(xml)
            #expect(j["tag"] as? String == "testsuites")
            #expect(j["tests"] as? Int == all.count)
            #expect(j["failures"] as? Int == failed.count)
            #expect(j["cases"] as? Int == all.count)
            #expect(j["failureElements"] as? Int == failed.count)
            #expect((j["failed"] as? [String]) == failed)
            let suites = try #require(j["suites"] as? [[Int]])
            #expect(suites.count == images.count)
            for (s, image) in zip(suites, images) {
                let checks = VerifyCLITests.checks(image)
                #expect(s == [checks.count, checks.filter { $0["status"] as? String == "failed" }.count])
            }
            let text = try String(contentsOfFile: xml, encoding: .utf8)
            #expect(text.components(separatedBy: "<failure ").count - 1 == failed.count)
        }

        /// A `--junit` path that cannot be created is a usage error, found before the archive is
        /// read (the archive here does not even exist: 64, not 6); the file is not left behind.
        @Test func junitUnwritablePathIsAUsageErrorBeforeReading() throws {
            let tmp = try TS.TempDir()
            defer { tmp.cleanup() }
            let cases = [
                ("/nonexistent-imgtool-dir/report.xml", "no such directory"), (tmp.url.path, "is a directory"),
                ("/proc/version/report.xml", "not a directory"),
            ]
            for (junit, why) in cases {
                for archive in [TS.fixture("prisma-ok-debian-amd64.tar"), "/nonexistent-imgtool/app.tar"] {
                    let r = try TS.imgtool(["verify", "--arch", "amd64", "--junit", junit, archive])
                    #expect(r.status == 64, "\(junit): \(r.stderr)")
                    #expect(lines(r.stderr).first == "Error: --junit \(junit): cannot write the JUnit report: \(why)", "\(r.stderr)")
                    #expect(r.stdout.isEmpty)
                }
            }
            let pack = try TS.imgtool(["pack", "-o", tmp.path("o.tar.gz"), "--junit", "/nonexistent-imgtool-dir/r.xml", "-"])
            #expect(pack.status == 64, "\(pack.stderr)")
            #expect(!FileManager.default.fileExists(atPath: tmp.path("o.tar.gz")))
        }
    }
}
