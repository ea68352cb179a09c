import Foundation
import Testing

/// `imgtool verify`, `ls` and `cat`, run through the built binary as a user would, against the
/// facts `make-fixtures.sh` computed with independent tools (fixtures.json).
@Suite struct VerifyCLITests {
    // MARK: - Fixture facts (the `verify` and `mergedPaths` fields of fixtures.json)

    struct Facts: Decodable, Sendable {
        struct EngineFile: Decodable, Sendable {
            var path: String
            var elf: String
        }

        struct Verify: Decodable, Sendable {
            var result: String?
            var expectedTarget: String?
            var engineFiles: [EngineFile]?
            var nodeElf: String?
            var perPlatform: [String: Verify]?
        }

        var file: String
        var verify: Verify?
        var mergedPaths: [String]?
        var mergedPathsAll: [String]?

        static let all: [Facts] = {
            let data = try! Data(contentsOf: TS.fixturesDir.appendingPathComponent("fixtures.json"))
            return try! JSONDecoder().decode([Facts].self, from: data)
        }()

        static func named(_ file: String) -> Facts { all.first { $0.file == file }! }

        /// The single-platform Prisma/arch fixtures (every one with a `verify.result`).
        static var singlePlatformVerify: [String] { all.filter { $0.verify?.result != nil }.map(\.file) }
    }

    /// `verify.result` → the status the `prisma` check must have.
    static func prismaStatus(_ result: String) -> String {
        switch result {
        case "ok", "arch-mismatch": "passed"  // arch-mismatch: the engine is right, node is not
        default: "failed"  // missing-engine, wrong-target, wrong-elf-arch
        }
    }

    // MARK: - Reading the text report

    struct Row {
        var status: String  // PASS, FAIL, SKIP, WARN
        var id: String
        /// The row and its continuation lines, joined by spaces.
        var text: String
    }

    struct TextReport {
        var titles: [String] = []
        var rows: [Row] = []
        var summary: String?
        func status(_ id: String) -> [String] { rows.filter { $0.id == id }.map(\.status) }
        func row(_ id: String) -> Row? { rows.first { $0.id == id } }
    }

    static let statusWords: Set<String> = ["PASS", "FAIL", "SKIP", "WARN"]

    /// `  PASS  integrity        every blob's ...` rows, `  ELF files ...`, `verify: ...`.
    static func parse(_ text: String) -> TextReport {
        var report = TextReport()
        var current: Row?
        func flush() {
            if let c = current { report.rows.append(c) }
            current = nil
        }
        for line in lines(text) {
            let word = line.count > 6 ? String(line.dropFirst(2).prefix(4)) : ""
            if line.hasPrefix("  "), statusWords.contains(word), line.dropFirst(6).hasPrefix("  ") {
                flush()
                let rest = line.dropFirst(8)
                let id = String(rest.prefix { $0 != " " })
                current = Row(status: word, id: id, text: String(rest))
            } else if line.hasPrefix("verify: ") {
                flush()
                report.summary = line
            } else if line.hasPrefix("  ELF files") {
                flush()
            } else if !line.hasPrefix(" "), !line.isEmpty {
                flush()
                report.titles.append(line)
            } else if current != nil {
                current!.text += " " + line.trimmingCharacters(in: .whitespaces)
            }
        }
        flush()
        return report
    }

    static func lines(_ s: String) -> [String] {
        var l = s.components(separatedBy: "\n")
        if l.last == "" { l.removeLast() }
        return l
    }

    static func json(_ r: TS.ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any], sourceLocation: sourceLocation)
    }

    static func checks(_ image: [String: Any]) -> [[String: Any]] { image["checks"] as? [[String: Any]] ?? [] }

    static func checkStatus(_ image: [String: Any], _ id: String) -> [String] {
        checks(image).filter { $0["id"] as? String == id }.compactMap { $0["status"] as? String }
    }

    /// A file of a layer of `archive`, read by python's tarfile (outer tar → layer tars).
    /// Fails unless exactly one layer holds it.
    static func layerFile(_ archive: String, _ member: String) throws -> String {
        let script = """
            import sys, tarfile
            found = []
            with tarfile.open(sys.argv[1]) as outer:
                for m in outer.getmembers():
                    if not m.isfile():
                        continue
                    try:
                        inner = tarfile.open(fileobj=outer.extractfile(m), mode='r:*')
                    except tarfile.TarError:
                        continue
                    for im in inner.getmembers():
                        name = im.name[2:] if im.name.startswith('./') else im.name
                        if name == sys.argv[2] and im.isfile():
                            found.append(inner.extractfile(im).read())
            if len(found) != 1:
                sys.exit('found %d copies' % len(found))
            sys.stdout.write(found[0].decode())
            """
        return try TS.python(script, [archive, member])
    }

    // MARK: - verify on every Prisma/arch fixture

    /// `verify --arch amd64 --require node_modules/.prisma` on each single-platform Prisma/arch
    /// fixture. Expectations come from fixtures.json: `verify.result`, `nodeElf`, `engineFiles`,
    /// and whether `/app/node_modules/.prisma` is in `mergedPaths` (it is not in the pnpm layout nor
    /// with Prisma 7, so `require` fails there even though the Prisma check passes).
    @Test(arguments: Facts.singlePlatformVerify)
    func verifyPrismaFixture(_ file: String) throws {
        let facts = Facts.named(file)
        let v = try #require(facts.verify)
        let result = try #require(v.result)
        let r = try TS.imgtool(["verify", "--arch", "amd64", "--require", "node_modules/.prisma", TS.fixture(file)])
        #expect(r.stderr.isEmpty, "\(r.stderr)")
        let report = Self.parse(r.stdout)
        #expect(report.titles.count == 1)
        #expect(report.titles.first?.hasPrefix(TS.fixture(file) + ": ") == true)
        #expect(report.status("integrity") == ["PASS"])

        if v.nodeElf == "aarch64" && result == "ok" {
            // prisma-arm64: an arm64 image checked for amd64 fails on the platform alone.
            #expect(r.status == 1)
            #expect(report.status("platform") == ["FAIL"])
            #expect(report.row("platform")?.text.contains("linux/arm64/v8") == true)
            #expect(report.row("prisma") == nil)
            #expect(report.summary == "verify: 1 of \(report.rows.count) checks failed")
            return
        }

        #expect(report.status("platform") == ["PASS"])
        let hasPrismaDir = facts.mergedPaths?.contains("/app/node_modules/.prisma") == true
        let wrongEngineELF = (v.engineFiles ?? []).contains { $0.path.hasPrefix("/app/node_modules/.prisma/") && $0.elf != "x86-64" }
        var expectedFailures: Set<String> = []
        if !hasPrismaDir { expectedFailures.insert("require") }
        if Self.prismaStatus(result) == "failed" { expectedFailures.insert("prisma") }
        if hasPrismaDir && wrongEngineELF { expectedFailures.insert("elf-arch") }
        if v.nodeElf != "x86-64" { expectedFailures.insert("entrypoint-arch") }

        let failed = Set(report.rows.filter { $0.status == "FAIL" }.map(\.id))
        #expect(failed == expectedFailures, "\(file):\n\(r.stdout)")
        #expect(r.status == (expectedFailures.isEmpty ? 0 : 1), "\(file):\n\(r.stdout)")
        #expect(report.status("require") == [hasPrismaDir ? "PASS" : "FAIL"])
        #expect(report.status("entrypoint-arch") == [v.nodeElf == "x86-64" ? "PASS" : "FAIL"])
        #expect(report.status("prisma") == [Self.prismaStatus(result) == "passed" ? "PASS" : "FAIL"])
        if hasPrismaDir { #expect(report.status("elf-arch") == [wrongEngineELF ? "FAIL" : "PASS"]) }
        if let target = v.expectedTarget {
            #expect(report.row("prisma")?.text.contains(target) == true, "\(file): prisma row names \(target)")
        }
        if expectedFailures.isEmpty {
            #expect(report.summary == "verify: all \(report.rows.count) checks passed")
        } else {
            #expect(report.summary == "verify: \(expectedFailures.count) of \(report.rows.count) checks failed")
        }
    }

    /// The failing fixtures the README lists, each with its check and the words that explain it.
    typealias FailureCase = (file: String, failed: [String], mentions: [String])
    static let failureCases: [FailureCase] = [
        ("prisma-missing.tar", ["require", "prisma"], ["libquery_engine-debian-openssl-3.0.x.so.node", "/app/node_modules/.prisma/client (missing)"]),
        ("prisma-whiteout.tar", ["require", "prisma"], ["libquery_engine-debian-openssl-3.0.x.so.node"]),
        ("prisma-opaque.tar", ["require", "prisma"], ["libquery_engine-debian-openssl-3.0.x.so.node"]),
        ("prisma-wrong-target.tar", ["elf-arch", "prisma"], ["\"darwin-arm64\"", "\"linux-musl-openssl-3.0.x\"", "required \"debian-openssl-3.0.x\""]),
        ("prisma-wrong-elf.tar.gz", ["elf-arch", "prisma"], ["ARM aarch64", "linux/amd64"]),
        ("arch-mismatch.tar.gz", ["entrypoint-arch"], ["/usr/local/bin/node", "ARM aarch64", "exec format error"]),
    ]

    @Test(arguments: failureCases)
    func failingFixtureNamesTheCheck(_ c: FailureCase) throws {
        let r = try TS.imgtool(["verify", "--arch", "amd64", "--require", "node_modules/.prisma", TS.fixture(c.file)])
        #expect(r.status == 1)
        let report = Self.parse(r.stdout)
        for id in c.failed {
            #expect(r.stdout.contains("  FAIL  \(id) "), "\(c.file): no FAIL \(id)")
        }
        let failedText = report.rows.filter { $0.status == "FAIL" }.map(\.text).joined(separator: " ")
        for m in c.mentions { #expect(failedText.contains(m), "\(c.file): \(m)") }
        #expect(failedText.contains("expected: ") && failedText.contains("found: "))
    }

    @Test func alpineAndArm64NameTheirTargets() throws {
        let alpine = try TS.imgtool(["verify", "--arch", "amd64", TS.fixture("prisma-alpine-musl.tar")])
        #expect(alpine.status == 0)
        let a = Self.parse(alpine.stdout)
        #expect(a.status("prisma") == ["PASS"])
        #expect(a.row("prisma")?.text.contains("\"linux-musl-openssl-3.0.x\"") == true)
        #expect(a.row("prisma")?.text.contains("ID=alpine") == true)

        let arm = try TS.imgtool(["verify", "--arch", "arm64", TS.fixture("prisma-arm64.tar.gz")])
        #expect(arm.status == 0, "\(arm.stdout)")
        let b = Self.parse(arm.stdout)
        #expect(b.rows.allSatisfy { $0.status == "PASS" })
        #expect(b.status("platform") == ["PASS"])
        #expect(b.status("entrypoint-arch") == ["PASS"])
        #expect(b.row("prisma")?.text.contains("\"linux-arm64-openssl-3.0.x\"") == true)

        let armAsAmd = try TS.imgtool(["verify", "--arch", "amd64", TS.fixture("prisma-arm64.tar.gz")])
        #expect(armAsAmd.status == 1)
        let c = Self.parse(armAsAmd.stdout)
        #expect(c.status("platform") == ["FAIL"])
        #expect(armAsAmd.stdout.contains("  FAIL  platform "))
    }

    // MARK: - Multi-platform

    @Test func multiarchPlatformSelection() throws {
        let path = TS.fixture("prisma-multiarch.tar")
        let per = try #require(Facts.named("prisma-multiarch.tar").verify?.perPlatform)

        let amd = try TS.imgtool(["verify", "--platform", "linux/amd64", path])
        #expect(amd.status == 0, "\(amd.stdout)")
        let a = Self.parse(amd.stdout)
        #expect(a.titles.count == 1)
        #expect(a.titles.first?.hasSuffix("(linux/amd64)") == true)
        #expect(a.status("prisma") == [Self.prismaStatus(per["linux/amd64"]!.result!) == "passed" ? "PASS" : "FAIL"])

        let arm = try TS.imgtool(["verify", "--platform", "linux/arm64", path])
        #expect(arm.status == 1)
        let b = Self.parse(arm.stdout)
        #expect(b.titles.count == 1)
        #expect(b.titles.first?.hasSuffix("(linux/arm64/v8)") == true)
        #expect(b.status("platform") == ["PASS"])
        #expect(b.status("entrypoint-arch") == ["PASS"])
        #expect(b.status("prisma") == ["FAIL"])
        let target = try #require(per["linux/arm64/v8"]?.expectedTarget)
        #expect(b.row("prisma")?.text.contains("\"\(target)\"") == true)
        #expect(b.summary == "verify: 1 of \(b.rows.count) checks failed")
    }

    @Test func multiarchMissingPlatformIsAFailedCheck() throws {
        let path = TS.fixture("prisma-multiarch.tar")
        let r = try TS.imgtool(["verify", "--arch", "s390x", path])
        #expect(r.status == 1)
        #expect(r.stderr.isEmpty)
        let report = Self.parse(r.stdout)
        #expect(report.status("platform") == ["FAIL"])
        let text = try #require(report.row("platform")?.text)
        #expect(text.contains("linux/s390x"))
        #expect(text.contains("linux/amd64, linux/arm64/v8"))

        let j = try TS.imgtool(["verify", "--json", "--arch", "s390x", path])
        #expect(j.status == 1)
        let root = try Self.json(j)
        #expect(root["passed"] as? Bool == false)
        let images = try #require(root["images"] as? [[String: Any]])
        let platform = images.flatMap(Self.checks).filter { $0["id"] as? String == "platform" }
        #expect(platform.count == 1)
        #expect(platform.first?["status"] as? String == "failed")
        #expect(platform.first?["expected"] as? String == "linux/s390x")
        #expect(platform.first?["found"] as? String == "linux/amd64, linux/arm64/v8")
    }

    @Test func multiarchWithoutSelectionReportsEveryImage() throws {
        let path = TS.fixture("prisma-multiarch.tar")
        let r = try TS.imgtool(["verify", path])
        #expect(r.status == 1)
        let report = Self.parse(r.stdout)
        #expect(report.titles.count == 2)
        #expect(report.titles.contains { $0.hasSuffix("(linux/amd64)") })
        #expect(report.titles.contains { $0.hasSuffix("(linux/arm64/v8)") })
        #expect(report.status("prisma") == ["PASS", "FAIL"])

        let j = try TS.imgtool(["verify", "--json", path])
        #expect(j.status == 1)
        let root = try Self.json(j)
        let images = try #require(root["images"] as? [[String: Any]])
        #expect(images.map { $0["platform"] as? String } == ["linux/amd64", "linux/arm64/v8"])
        #expect(images.map { $0["passed"] as? Bool } == [true, false])
        #expect(images.map { Self.checkStatus($0, "prisma") } == [["passed"], ["failed"]])
        // No platform was asked for: there is no platform check.
        #expect(images.allSatisfy { Self.checkStatus($0, "platform").isEmpty })
    }

    // MARK: - stdin

    @Test(arguments: Facts.singlePlatformVerify + ["prisma-multiarch.tar", "bad-layer-digest.tar", "skopeo-docker-archive.tar.gz"])
    func stdinMatchesFile(_ file: String) throws {
        let path = TS.fixture(file)
        let fromFile = try TS.imgtool(["verify", "--arch", "amd64", path])
        let fromStdin = try TS.imgtool(["verify", "--arch", "amd64", "-"], stdinPath: path)
        #expect(fromStdin.status == fromFile.status)
        #expect(fromStdin.stderr == fromFile.stderr)
        let f = Self.lines(fromFile.stdout)
        let s = Self.lines(fromStdin.stdout)
        try #require(!f.isEmpty && !s.isEmpty)
        // Titles name the input; everything else is identical.
        #expect(s.filter { $0.hasPrefix("stdin: ") }.count == f.filter { $0.hasPrefix(path + ": ") }.count)
        #expect(s.map { $0.hasPrefix("stdin: ") ? String($0.dropFirst("stdin: ".count)) : $0 }
            == f.map { $0.hasPrefix(path + ": ") ? String($0.dropFirst(path.count + 2)) : $0 })
        #expect(Self.parse(fromStdin.stdout).rows.map { "\($0.status) \($0.id)" } == Self.parse(fromFile.stdout).rows.map { "\($0.status) \($0.id)" })
    }

    @Test func stdinReaderErrors() throws {
        let t = try TS.imgtool(["verify", "--arch", "amd64", "-"], stdinPath: TS.fixture("truncated-mid-member.tar"))
        #expect(t.status == 2)
        #expect(t.stdout.isEmpty)
        let z = try TS.imgtool(["verify", "-"], stdinPath: TS.fixture("skopeo-docker-archive.tar.zst"))
        #expect(z.status == 5)
        #expect(z.stdout.isEmpty)
    }

    // MARK: - --json

    /// The arch (or platform) each fixture is built for, so that every check runs.
    static func selection(_ file: String) -> [String] {
        file == "prisma-arm64.tar.gz" ? ["--arch", "arm64"] : ["--arch", "amd64"]
    }

    @Test(arguments: Facts.singlePlatformVerify)
    func jsonReport(_ file: String) throws {
        let v = try #require(Facts.named(file).verify)
        let r = try TS.imgtool(["verify", "--json"] + Self.selection(file) + [TS.fixture(file)])
        #expect(r.stderr.isEmpty)
        let root = try Self.json(r)
        #expect(root["schemaVersion"] as? Int == 1)
        #expect(root["archive"] as? String == TS.fixture(file))
        let passed = try #require(root["passed"] as? Bool)
        #expect(passed == (r.status == 0), "exit \(r.status), passed \(passed)")
        #expect(r.status == 0 || r.status == 1)
        let images = try #require(root["images"] as? [[String: Any]])
        #expect(images.count == 1)
        let image = try #require(images.first)
        #expect(image["passed"] as? Bool == passed)
        let checks = Self.checks(image)
        #expect(!checks.isEmpty)
        for c in checks {
            for key in ["id", "status", "expected", "found", "message"] {
                #expect(c[key] is String, "\(file): check \(c["id"] ?? "?") lacks \(key)")
            }
            #expect(["passed", "failed", "skipped", "warning"].contains(c["status"] as? String ?? ""))
        }
        #expect(passed == !checks.contains { $0["status"] as? String == "failed" })
        #expect(Self.checkStatus(image, "prisma") == [Self.prismaStatus(v.result!)], "\(file)")
        #expect(Self.checkStatus(image, "entrypoint-arch") == [v.result == "arch-mismatch" ? "failed" : "passed"])
        if let target = v.expectedTarget, Self.prismaStatus(v.result!) == "failed" {
            let prisma = checks.first { $0["id"] as? String == "prisma" }
            #expect((prisma?["expected"] as? String)?.contains(target) == true)
        }
        // The text and the JSON report the same checks.
        let text = try TS.imgtool(["verify"] + Self.selection(file) + [TS.fixture(file)])
        #expect(text.status == r.status)
        let words = ["passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "warning": "WARN"]
        #expect(Self.parse(text.stdout).rows.map { "\($0.status) \($0.id)" }
            == checks.map { "\(words[$0["status"] as? String ?? ""] ?? "?") \($0["id"] as? String ?? "")" })
    }

    @Test func jsonMultiarchPerPlatform() throws {
        let per = try #require(Facts.named("prisma-multiarch.tar").verify?.perPlatform)
        for (platform, v) in per {
            let r = try TS.imgtool(["verify", "--json", "--platform", platform, TS.fixture("prisma-multiarch.tar")])
            let root = try Self.json(r)
            let images = try #require(root["images"] as? [[String: Any]])
            #expect(images.map { $0["platform"] as? String } == [platform])
            #expect(Self.checkStatus(images[0], "prisma") == [Self.prismaStatus(v.result!)], "\(platform)")
            #expect(root["passed"] as? Bool == (r.status == 0))
        }
    }

    // MARK: - --junit

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
        #expect(r.stderr.isEmpty)
        let root = try Self.json(r)
        let images = try #require(root["images"] as? [[String: Any]])
        let all = images.flatMap(Self.checks)
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
            let checks = Self.checks(image)
            #expect(s == [checks.count, checks.filter { $0["status"] as? String == "failed" }.count])
        }
        let text = try String(contentsOfFile: xml, encoding: .utf8)
        #expect(text.components(separatedBy: "<failure ").count - 1 == failed.count)
    }

    @Test func junitUnwritablePathIsAnIOError() throws {
        let r = try TS.imgtool(["verify", "--arch", "amd64", "--junit", "/nonexistent-imgtool-dir/report.xml", TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(r.status == 6)
        #expect(r.stderr.contains("/nonexistent-imgtool-dir/report.xml"))
    }

    // MARK: - Options

    @Test func forcedPrismaWithoutClientFails() throws {
        let r = try TS.imgtool(["verify", "--prisma", TS.fixture("skopeo-docker-archive.tar")])
        #expect(r.status == 1)
        let report = Self.parse(r.stdout)
        #expect(report.status("prisma") == ["FAIL"])
        #expect(report.row("prisma")?.text.contains("@prisma/client") == true)
        // Without --prisma the check does not run on an image without @prisma/client.
        let auto = try TS.imgtool(["verify", TS.fixture("skopeo-docker-archive.tar")])
        #expect(Self.parse(auto.stdout).row("prisma") == nil)
    }

    @Test func noPrismaSkipsTheCheck() throws {
        let r = try TS.imgtool(["verify", "--arch", "amd64", "--no-prisma", TS.fixture("prisma-missing.tar")])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(!r.stdout.contains(" prisma "))
        #expect(Self.parse(r.stdout).row("prisma") == nil)
        #expect(Self.parse(r.stdout).rows.allSatisfy { $0.status == "PASS" })
        let without = try TS.imgtool(["verify", "--arch", "amd64", TS.fixture("prisma-missing.tar")])
        #expect(without.status == 1)
    }

    @Test func strictELFFailsOnArchMismatch() throws {
        let r = try TS.imgtool(["verify", "--strict-elf", TS.fixture("arch-mismatch.tar.gz")])
        #expect(r.status == 1)
        let report = Self.parse(r.stdout)
        #expect(report.status("strict-elf") == ["FAIL"])
        #expect(report.row("strict-elf")?.text.contains("/usr/local/bin/node") == true)
        let ok = try TS.imgtool(["verify", "--strict-elf", "--arch", "amd64", TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(ok.status == 0)
        #expect(Self.parse(ok.stdout).status("strict-elf") == ["PASS"])
    }

    typealias UsageCase = (args: [String], first: String)
    static let usageCases: [UsageCase] = [
        (["--prisma", "--no-prisma"], "Error: --prisma and --no-prisma exclude each other"),
        (["--arch", "sparc"], "Error: The value 'sparc' is invalid for '--arch <arch>'"),
        (["--arch", "arm64", "--platform", "linux/amd64"], "Error: --arch arm64 contradicts --platform linux/amd64"),
        (["--platform", "linux//amd64"], "Error: The value 'linux//amd64' is invalid for '--platform <platform>'"),
        (["--bogus"], "Error: Unknown option '--bogus'"),
    ]

    @Test(arguments: usageCases)
    func usageErrors(_ c: UsageCase) throws {
        let r = try TS.imgtool(["verify"] + c.args + [TS.fixture("prisma-missing.tar")])
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        let l = Self.lines(r.stderr)
        #expect(l.first == c.first)
        #expect(l.contains { $0.hasPrefix("Usage: imgtool verify ") })
        #expect(l.last == "  See 'imgtool verify --help' for more information.")
    }

    @Test func missingArchiveArgument() throws {
        let r = try TS.imgtool(["verify", "--arch", "amd64"])
        #expect(r.status == 64)
        #expect(Self.lines(r.stderr).first == "Error: Missing expected argument '<archive>'")
    }

    // MARK: - Reader errors keep their exit codes

    typealias ExitCase = (file: String, code: Int32)
    static let exitCases: [ExitCase] = [
        ("truncated.tar.gz", 2),
        ("truncated-mid-member.tar", 2),
        ("truncated-at-boundary.tar", 2),
        ("not-an-archive.bin", 4),
        ("plain-tar-not-image.tar", 4),
        ("bad-layer-count.tar", 4),
        ("skopeo-docker-archive.tar.zst", 5),
        ("skopeo-docker-archive.tar.xz", 5),
        ("skopeo-docker-archive.tar.bz2", 5),
        ("does-not-exist.tar", 6),
    ]

    @Test(arguments: exitCases)
    func readerErrors(_ c: ExitCase) throws {
        for json in [false, true] {
            let r = try TS.imgtool(["verify", "--arch", "amd64"] + (json ? ["--json"] : []) + [TS.fixture(c.file)])
            #expect(r.status == c.code, "\(c.file): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(c.file): \(r.stdout.prefix(200))")
            let l = Self.lines(r.stderr)
            #expect(l.count == 1 && l[0].hasPrefix("Error: "), "\(l)")
        }
    }

    /// A digest mismatch is found during the pass: the report is printed with a failed
    /// integrity check, and the exit code is 3, not 1.
    @Test func corruptLayerExit3() throws {
        let facts = FixtureFacts.named("bad-layer-digest.tar")
        let layer = try #require(facts.images?.first?.layers?.first)
        let r = try TS.imgtool(["verify", "--arch", "amd64", TS.fixture(facts.file)])
        #expect(r.status == 3)
        let report = Self.parse(r.stdout)
        #expect(report.status("integrity") == ["FAIL"])
        let text = try #require(report.row("integrity")?.text)
        #expect(text.contains(layer.diffID!))
        #expect(text.contains(layer.actualDiffID!))
        #expect(!r.stdout.contains("checks passed"))

        let j = try TS.imgtool(["verify", "--arch", "amd64", "--json", TS.fixture(facts.file)])
        #expect(j.status == 3)
        let root = try Self.json(j)
        #expect(root["passed"] as? Bool == false)
        let images = try #require(root["images"] as? [[String: Any]])
        #expect(images.map { Self.checkStatus($0, "integrity") } == [["failed"]])
    }

    // MARK: - Text layout

    /// Every line of the text report is a title, a `  STATUS  id` row, a continuation aligned with
    /// the row's value column (25), the `  ELF files` row, or the summary; none is blank.
    static let layoutCases: [[String]] =
        Facts.singlePlatformVerify.map { ["--arch", "amd64", "--require", "node_modules/.prisma", $0] }
        + [["--platform", "linux/arm64", "prisma-multiarch.tar"], ["prisma-multiarch.tar"]]

    @Test(arguments: layoutCases)
    func textRowsStayInTheirColumns(_ args: [String]) throws {
        let file = args.last!
        let r = try TS.imgtool(["verify"] + args.dropLast() + [TS.fixture(file)])
        var bad: [String] = []
        for line in Self.lines(r.stdout) {
            let isTitle = line.hasPrefix(TS.fixture(file) + ": ")
            let isRow = line.count > 8 && Self.statusWords.contains(String(line.dropFirst(2).prefix(4))) && line.hasPrefix("  ")
            let isContinuation = line.hasPrefix(String(repeating: " ", count: 25)) && line.count > 25 && line.dropFirst(25).first != " "
            let isCensus = line.hasPrefix("  ELF files  ")
            let isSummary = line.hasPrefix("verify: ")
            if !(isTitle || isRow || isContinuation || isCensus || isSummary) || line.hasSuffix(" ") { bad.append(line) }
        }
        #expect(bad.isEmpty, "\(args): misplaced lines \(bad.map { "'\($0)'" })")
    }

    // MARK: - ls

    /// `-rw-r--r--  0/0   111  L2  /app/server.js` → (path, layer, mode, link)
    struct LsRow {
        var mode: String
        var layer: Int
        var path: String
        var symlinkTarget: String?
    }

    static func lsRows(_ text: String) -> [LsRow] {
        lines(text).compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count >= 5, let lIndex = fields.firstIndex(where: { $0.hasPrefix("L") && Int($0.dropFirst()) != nil }),
                lIndex + 1 < fields.count
            else { return nil }
            var target: String?
            if let arrow = fields.firstIndex(of: "->"), arrow + 1 < fields.count { target = fields[arrow + 1] }
            return LsRow(mode: fields[0], layer: Int(fields[lIndex].dropFirst())!, path: fields[lIndex + 1], symlinkTarget: target)
        }
    }

    @Test func lsListsTheMergedDirectory() throws {
        let r = try TS.imgtool(["ls", TS.fixture("prisma-ok-debian-amd64.tar"), "/app"])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let rows = Self.lsRows(r.stdout)
        #expect(rows.count == Self.lines(r.stdout).count, "every line is a row")
        let facts = Facts.named("prisma-ok-debian-amd64.tar")
        let children = Set((facts.mergedPaths ?? []).filter { $0.hasPrefix("/app/") && !$0.dropFirst(5).contains("/") })
        #expect(Set(rows.map(\.path)) == children)
        #expect(rows.first { $0.path == "/app/node_modules" }?.mode.hasPrefix("d") == true)
        #expect(rows.first { $0.path == "/app/server.js" }?.mode.hasPrefix("-") == true)
        #expect(rows.allSatisfy { $0.layer >= 1 })

        let links = try TS.imgtool(["ls", TS.fixture("skopeo-docker-archive.tar"), "/app"])
        #expect(links.status == 0)
        let current = Self.lsRows(links.stdout).first { $0.path == "/app/current" }
        #expect(current?.mode.hasPrefix("l") == true)
        #expect(current?.symlinkTarget == "data")
        #expect(current?.layer == 3)

        let etc = try TS.imgtool(["ls", TS.fixture("prisma-ok-debian-amd64.tar"), "/etc"])
        #expect(etc.stdout.contains(" L1  /etc/os-release -> ../usr/lib/os-release\n"))
    }

    /// `ls -R` of `/app` (and of `/` where known) is exactly the tree `umoci unpack` made.
    @Test(arguments: Facts.all.filter { $0.mergedPaths != nil }.map(\.file))
    func lsRecursiveMatchesMergedPaths(_ file: String) throws {
        let facts = Facts.named(file)
        var cases: [(String, [String])] = [("/app", facts.mergedPaths ?? [])]
        if let all = facts.mergedPathsAll { cases.append(("/", all)) }
        for (root, expected) in cases {
            let r = try TS.imgtool(["ls", "-R", TS.fixture(file), root])
            #expect(r.status == 0, "\(file): \(r.stderr)")
            let paths = Self.lsRows(r.stdout).map(\.path)
            #expect(paths.count == Self.lines(r.stdout).count)
            #expect(Set(paths).count == paths.count, "no path twice")
            #expect(Set(paths) == Set(expected).subtracting([root]), "\(file) \(root)")
        }
    }

    @Test func lsWhiteouts() throws {
        let facts = Facts.named("whiteouts.tar")
        let r = try TS.imgtool(["ls", "-R", TS.fixture("whiteouts.tar"), "/app"])
        #expect(r.status == 0)
        let paths = Self.lsRows(r.stdout).map(\.path)
        #expect(Set(paths) == Set(facts.mergedPaths!).subtracting(["/app"]))
        // --recursive is the same flag.
        let long = try TS.imgtool(["ls", "--recursive", TS.fixture("whiteouts.tar"), "/app"])
        #expect(long.stdout == r.stdout)
        // The deleted entry is gone.
        let a = try TS.imgtool(["ls", TS.fixture("whiteouts.tar"), "/app/a"])
        #expect(a.status == 1)
    }

    /// A symlink given as the path is listed itself, as `ls -l` does; with a trailing slash, a
    /// symlink to a directory is followed, as with `ls -l link/`.
    @Test func lsSymlinkListsTheLinkItself() throws {
        let debian = TS.fixture("prisma-ok-debian-amd64.tar")
        let r = try TS.imgtool(["ls", debian, "/etc/os-release"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = Self.lsRows(r.stdout)
        #expect(rows.count == 1 && Self.lines(r.stdout).count == 1, "\(r.stdout)")
        #expect(rows.first?.path == "/etc/os-release")
        #expect(rows.first?.mode.hasPrefix("l") == true)
        #expect(rows.first?.symlinkTarget == "../usr/lib/os-release")
        // The same row as in the listing of /etc.
        let etc = try TS.imgtool(["ls", debian, "/etc"])
        #expect(Self.lines(etc.stdout).contains(Self.lines(r.stdout)[0]))

        let skopeo = TS.fixture("skopeo-docker-archive.tar")
        for args in [["/app/current"], ["-R", "/app/current"]] {
            let link = try TS.imgtool(["ls", skopeo] + args)
            #expect(link.status == 0, "\(link.stderr)")
            let linkRows = Self.lsRows(link.stdout)
            #expect(linkRows.count == 1 && linkRows.first?.path == "/app/current" && linkRows.first?.symlinkTarget == "data", "\(args): \(link.stdout)")
        }
        let followed = try TS.imgtool(["ls", skopeo, "/app/current/"])
        #expect(followed.status == 0, "\(followed.stderr)")
        let data = try TS.imgtool(["ls", skopeo, "/app/data"])
        #expect(!data.stdout.isEmpty)
        #expect(followed.stdout == data.stdout)
    }

    @Test func lsMissingPath() throws {
        let r = try TS.imgtool(["ls", TS.fixture("prisma-ok-debian-amd64.tar"), "/nope"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(Self.lines(r.stderr) == ["Error: /nope: no such file or directory"])
    }

    @Test(arguments: ["prisma-multiarch.tar", "skopeo-docker-archive-multi.tar"])
    func lsNeedsOneImage(_ file: String) throws {
        let r = try TS.imgtool(["ls", TS.fixture(file), "/app"])
        #expect(r.status == 7)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("Error: the archive holds 2 images"))
        #expect(r.stderr.contains("--platform or --image"))
    }

    @Test func lsWithPlatform() throws {
        let r = try TS.imgtool(["ls", "--platform", "linux/arm64", TS.fixture("prisma-multiarch.tar"), "/app"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Set(Self.lsRows(r.stdout).map(\.path)).isSuperset(of: ["/app/server.js", "/app/package.json", "/app/node_modules"]))
        let s390 = try TS.imgtool(["ls", "--platform", "linux/s390x", TS.fixture("prisma-multiarch.tar"), "/app"])
        #expect(s390.status == 7)
    }

    // MARK: - cat

    @Test(arguments: ["prisma-ok-debian-amd64.tar", "prisma-alpine-musl.tar", "prisma-wrong-elf.tar.gz"])
    func catFollowsTheOsReleaseSymlink(_ file: String) throws {
        let r = try TS.imgtool(["cat", TS.fixture(file), "/etc/os-release"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        let expected = try Self.layerFile(TS.fixture(file), "usr/lib/os-release")
        #expect(!expected.isEmpty)
        #expect(r.stdout == expected)
        let id = file.contains("alpine") ? "ID=alpine" : "ID=debian"
        #expect(Self.lines(r.stdout).contains(id))
        // The symlink's target directly: the same bytes.
        let direct = try TS.imgtool(["cat", TS.fixture(file), "/usr/lib/os-release"])
        #expect(direct.stdoutData == r.stdoutData)
    }

    @Test(arguments: ["server.js", "package.json"])
    func catRelativePathUsesWorkingDir(_ name: String) throws {
        let path = TS.fixture("prisma-ok-debian-amd64.tar")
        let relative = try TS.imgtool(["cat", path, name])
        #expect(relative.status == 0, "\(relative.stderr)")
        let absolute = try TS.imgtool(["cat", path, "/app/" + name])
        #expect(absolute.status == 0)
        #expect(relative.stdoutData == absolute.stdoutData)
        #expect(relative.stdout == (try Self.layerFile(path, "app/" + name)))
        #expect(!relative.stdoutData.isEmpty)
    }

    @Test func catMissingAndDirectory() throws {
        let path = TS.fixture("prisma-ok-debian-amd64.tar")
        let missing = try TS.imgtool(["cat", path, "/app/nope.js"])
        #expect(missing.status == 1)
        #expect(missing.stdout.isEmpty)
        #expect(Self.lines(missing.stderr) == ["Error: /app/nope.js: no such file or directory"])
        let dir = try TS.imgtool(["cat", path, "/app"])
        #expect(dir.status == 1)
        #expect(dir.stdout.isEmpty)
        #expect(Self.lines(dir.stderr) == ["Error: /app: not a regular file"])
        let relDir = try TS.imgtool(["cat", path, "node_modules"])
        #expect(relDir.status == 1)
        #expect(relDir.stdout.isEmpty)
    }

    @Test func catNeedsOneImage() throws {
        let path = TS.fixture("prisma-multiarch.tar")
        let r = try TS.imgtool(["cat", path, "/etc/os-release"])
        #expect(r.status == 7)
        #expect(r.stdout.isEmpty)
        let arm = try TS.imgtool(["cat", "--platform", "linux/arm64", path, "/etc/os-release"])
        #expect(arm.status == 0)
        #expect(Self.lines(arm.stdout).contains("ID=debian"))
    }

    // MARK: - Help

    @Test(arguments: [
        ["help", "verify"], ["verify", "--help"], ["verify", "-h"],
        ["help", "ls"], ["ls", "-h"], ["ls", "--help"],
        ["help", "cat"], ["cat", "--help"], ["cat", "-h"],
    ])
    func subcommandHelp(_ args: [String]) throws {
        let command = args[0] == "help" ? args[1] : args[0]
        let r = try TS.imgtool(args)
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.hasPrefix("OVERVIEW: "))
        for section in ["\nUSAGE: imgtool \(command) ", "\nARGUMENTS:\n  <archive>", "\nOPTIONS:\n", "  -h, --help", "\nEXIT CODES:\n"] {
            #expect(r.stdout.contains(section), "\(args): missing \(section)")
        }
        let reference = try TS.imgtool([command, "--help"])
        #expect(r.stdout == reference.stdout)
        let long = Self.lines(r.stdout).filter { $0.count > 80 }
        #expect(long.isEmpty, "\(args): lines over 80 columns: \(long)")
    }

    @Test func verifyHelpListsItsOptions() throws {
        let r = try TS.imgtool(["verify", "--help"])
        for option in ["--arch <arch>", "--platform <platform>", "--require <path>", "--strict-elf", "--prisma", "--no-prisma", "--image <image>", "--json", "--junit <file>"] {
            #expect(r.stdout.contains("\n  \(option) "), "missing \(option)")
        }
        let ls = try TS.imgtool(["ls", "--help"])
        #expect(ls.stdout.contains("\n  -R, --recursive "))
        #expect(ls.stdout.contains("<path>"))
    }
}
