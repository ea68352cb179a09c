import Foundation
import TestSupport
import Testing

/// `imgtool verify`, run through the built binary as a user would, against the facts
/// `make-fixtures.sh` computed with independent tools (fixtures.json). The suites are in the
/// extensions (one file each: VerifyCLITests+*.swift); here, the facts and the report readers
/// they share. (`ls` and `cat` are LsCLITests' and CatCLITests'; help is HelpCLITests'.)
@Suite struct VerifyCLITests {
    // MARK: - Fixture facts (the `verify` and `mergedPaths` fields of fixtures.json)

    struct Facts: Decodable, Sendable {
        struct EngineFile: Decodable, Sendable {
            var path: String
            var elf: String
        }

        /// pnpm fixtures: `node_modules/@prisma/client`, a symlink into `node_modules/.pnpm`.
        struct ClientSymlink: Decodable, Sendable {
            var path: String
            var target: String
        }

        struct Verify: Decodable, Sendable {
            var result: String?
            var clientSymlink: ClientSymlink?
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

        /// Where Node finds `.prisma` for the app in /app: beside `@prisma/client`'s real path
        /// (the symlink's target, for pnpm), else `/app/node_modules/.prisma`.
        var prismaDir: String {
            guard let link = verify?.clientSymlink else { return "/app/node_modules/.prisma" }
            let real = URL(fileURLWithPath: "/" + link.path).deletingLastPathComponent().appendingPathComponent(link.target).standardized
            return real.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".prisma").path
        }

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

    static func json(_ r: TS.ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any], sourceLocation: sourceLocation)
    }

    static func checks(_ image: [String: Any]) -> [[String: Any]] { image["checks"] as? [[String: Any]] ?? [] }

    static func checkStatus(_ image: [String: Any], _ id: String) -> [String] {
        checks(image).filter { $0["id"] as? String == id }.compactMap { $0["status"] as? String }
    }
}
