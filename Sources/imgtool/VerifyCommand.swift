import ByteIO
import Codec
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Ship

/// `imgtool verify`: architecture, required paths, ELF machines, Prisma engines and integrity,
/// checked in the merged filesystem, in the same single pass.
enum VerifyCommand {
    /// The options that choose and configure the checks, shared with `pack`.
    static let checkOptions: [CommandSpec.Option] = [
        .init(names: ["--arch"], valueName: "arch", help: "The architecture the image must have: amd64, arm64, arm, 386, ppc64le, s390x or riscv64."),
        .init(names: ["--platform"], valueName: "platform", help: "The platform the image must have, os/arch[/variant]; in a multi-platform archive, the one checked."),
        .init(names: ["--require"], valueName: "path", help: "A path that must exist in the merged filesystem (relative to WorkingDir unless absolute); ELF files under it must match the architecture. Repeatable.", repeatable: true),
        .init(names: ["--strict-elf"], valueName: nil, help: "Fail on any ELF file built for another architecture anywhere in the image."),
        .init(names: ["--prisma"], valueName: nil, help: "Run the Prisma engine check even without @prisma/client."),
        .init(names: ["--no-prisma"], valueName: nil, help: "Skip the Prisma engine check."),
        .init(names: ["--policy"], valueName: "file", help: "A JSON policy: the same checks plus container-structure-test's fileExistenceTests and metadataTest (see the README)."),
        ImageSelection.imageOption,
        .init(names: ["--json"], valueName: nil, help: "Print a JSON report with an entry per check."),
        .init(names: ["--junit"], valueName: "file", help: "Also write the results as JUnit XML to this file."),
    ]

    static let spec = CommandSpec(
        name: "verify",
        abstract: "Check an image archive before shipping it: platform, required paths, ELF machines, Prisma engines, digests.",
        discussion: "Every check runs on the merged filesystem of the image, built in one pass over the archive. The Prisma check runs when the image contains @prisma/client. Exit 0 when every check passes, 1 when one fails; a corrupt, truncated or unreadable archive gives the codes below.",
        arguments: [.init(name: "archive", help: "The archive: a .tar or .tar.gz file, or - for stdin.")],
        options: checkOptions)

    static func run(_ arguments: [String], io: Output) -> Int32 {
        let parsed: ParsedArguments
        switch CLI.parse(arguments, spec: spec, io: io) {
        case .exit(let code): return code
        case .run(let p): parsed = p
        }
        let request: VerifyRequest
        do { request = try VerifyRequest(parsed, spec: spec) } catch { io.err(error.text); return ExitCode.usage.rawValue }
        let path = parsed.positionals[0]
        let archive: ImageArchive
        switch ImageSelection.read(path, options: ReadOptions(), io: io) {
        case .failure(let f): return f.code
        case .success(let a): archive = a
        }
        let reports: [ImageReport]
        switch evaluate(archive, request: request, io: io) {
        case .failure(let f): return f.code
        case .success(let r): reports = r
        }
        if let code = emit(path: path, reports: reports, request: request, io: io) { return code }
        if !archive.problems.isEmpty { return ExitCode.corrupt.rawValue }
        return reports.allSatisfy({ $0.passed }) ? ExitCode.success.rawValue : ExitCode.checkFailed.rawValue
    }

    /// Runs every check on the images the request selects.
    ///
    /// - Returns: One report per image checked; a failure (printed) when `--image` matches nothing.
    static func evaluate(_ archive: ImageArchive, request: VerifyRequest, io: Output) -> Result<[ImageReport], ImageSelection.Failure> {
        var candidates: [ArchiveImage]
        do { candidates = try archive.select(reference: request.image) } catch {
            return .failure(ImageSelection.Failure(code: CLI.fail(error, io: io)))
        }
        var reports: [ImageReport] = []
        if let wanted = request.platform, candidates.count > 1 || !candidates.allSatisfy({ $0.platform.matches(wanted) }) {
            let matching = candidates.filter { $0.platform.matches(wanted) }
            if matching.isEmpty {
                // The platform is not in the archive: that is the failed check.
                let found = candidates.map { $0.platform.description }.joined(separator: ", ")
                let check = CheckResult(
                    id: "platform", status: .failed, expected: wanted.description, found: found,
                    message: "the archive has no image for \(wanted) (it has \(found)): this image fails with `exec format error` on \(wanted.architecture) hosts",
                    fix: "build for the target: docker buildx build --platform \(wanted) ...")
                let first = candidates[0]
                reports = [ImageReport(image: first, checks: [ImageChecks.integrity(archive), check], elfCensus: [:])]
            } else {
                candidates = matching
            }
        }
        if reports.isEmpty {
            for image in candidates {
                let fs = MergedFilesystem(image: image)
                let result = verifyImage(image, archive: archive, options: request.options, filesystem: fs)
                let extra = request.policy.map { PolicyChecks.run($0, image: image, filesystem: fs) } ?? []
                reports.append(ImageReport(image: image, checks: result.checks + extra, elfCensus: result.elfCensus))
            }
        }
        return .success(reports)
    }

    /// Prints the report (text, or JSON with `--json`) and writes the JUnit file of `--junit`.
    ///
    /// - Parameters:
    ///   - pack: What `pack` adds to the JSON document.
    ///   - trailer: What `pack` adds after the text report.
    /// - Returns: An exit code when the JUnit file cannot be written, else `nil`.
    static func emit(
        path: String, reports: [ImageReport], request: VerifyRequest, io: Output, pack: PackCommand.JSONPack? = nil,
        trailer: String = ""
    ) -> Int32? {
        let passed = reports.allSatisfy { $0.passed }
        if request.json {
            let doc = JSONReport(archive: path, passed: passed, images: reports.map(JSONReport.Image.init), pack: pack)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            io.out(String(decoding: (try? encoder.encode(doc)) ?? Data(), as: UTF8.self) + "\n")
        } else {
            io.out(render(path: path, reports: reports, passed: passed) + trailer)
        }
        if let junit = request.junit {
            let xml = JUnit.render(path: path, reports: reports)
            do {
                let sink = try FileSink(creating: junit, mode: 0o644)
                try Array(xml.utf8).withUnsafeBytes { try sink.write($0) }
                try sink.close()
            } catch {
                io.err("Error: \(junit): cannot write the JUnit report: \(error)\n")
                return ExitCode.io.rawValue
            }
        }
        return nil
    }

    static func describe(_ e: DecodingError) -> String {
        switch e {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            let path = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return (path.isEmpty ? "" : "at \(path): ") + c.debugDescription
        case .keyNotFound(let k, let c):
            let path = c.codingPath.map { $0.stringValue }.joined(separator: ".")
            return "missing key '\(k.stringValue)'" + (path.isEmpty ? "" : " at \(path)")
        @unknown default:
            return "\(e)"
        }
    }

    struct ImageReport {
        var image: ArchiveImage
        var checks: [CheckResult]
        var elfCensus: [String: Int]
        var passed: Bool { !checks.contains { $0.status == .failed } }
        var title: String { "\(image.displayName) (\(image.platform))" }
    }

    struct JSONReport: Encodable {
        var schemaVersion = 1
        var archive: String
        var passed: Bool
        var images: [Image]
        /// `pack` only: the output and its gzip members.
        var pack: PackCommand.JSONPack?

        struct Image: Encodable {
            var tags: [String]
            var platform: String
            var configDigest: String
            var passed: Bool
            var checks: [CheckResult]
            var elfCensus: [String: Int]

            init(_ r: ImageReport) {
                tags = r.image.tags
                platform = r.image.platform.description
                configDigest = r.image.configDigest.description
                passed = r.passed
                checks = r.checks
                elfCensus = r.elfCensus
            }
        }
    }

    static func render(path: String, reports: [ImageReport], passed: Bool) -> String {
        var out = ""
        var failed = 0
        var total = 0
        for r in reports {
            out += "\(path == "-" ? "stdin" : path): \(r.title)\n"
            for c in r.checks {
                total += 1
                let word: String = switch c.status {
                case .passed: "PASS"
                case .failed: "FAIL"
                case .skipped: "SKIP"
                case .warning: "WARN"
                }
                if c.status == .failed { failed += 1 }
                var t = TextReport(labelWidth: 23)
                let label = word + "  " + c.id
                t.row(label, c.message)
                if c.status != .passed {
                    t.row("", "expected: \(c.expected)")
                    t.row("", "found: \(c.found)")
                    if let fix = c.fix { t.row("", "fix: \(fix)") }
                }
                out += t.text
            }
            if !r.elfCensus.isEmpty {
                let census = r.elfCensus.keys.sorted().map { "\($0) \(r.elfCensus[$0] ?? 0)" }.joined(separator: ", ")
                var t = TextReport(labelWidth: 23)
                t.row("ELF files", census)
                out += t.text
            }
        }
        out += passed ? "verify: all \(total) checks passed\n" : "verify: \(failed) of \(total) checks failed\n"
        return out
    }
}

/// JUnit XML, as CI systems (GitLab, Jenkins, GitHub test reporters) display it.
enum JUnit {
    static func render(path: String, reports: [VerifyCommand.ImageReport]) -> String {
        let tests = reports.reduce(0) { $0 + $1.checks.count }
        let failures = reports.reduce(0) { $0 + $1.checks.filter { $0.status == .failed }.count }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"imgtool verify\" tests=\"\(tests)\" failures=\"\(failures)\">\n"
        for r in reports {
            let f = r.checks.filter { $0.status == .failed }.count
            let s = r.checks.filter { $0.status == .skipped }.count
            xml += "  <testsuite name=\"\(escape(path + ": " + r.title))\" tests=\"\(r.checks.count)\" failures=\"\(f)\" skipped=\"\(s)\">\n"
            for c in r.checks {
                xml += "    <testcase classname=\"imgtool.verify\" name=\"\(escape(c.id + (c.subject.map { " " + $0 } ?? "")))\">"
                let detail = "expected: \(c.expected)\nfound: \(c.found)" + (c.fix.map { "\nfix: \($0)" } ?? "")
                switch c.status {
                case .failed:
                    xml += "\n      <failure message=\"\(escape(c.message))\">\(escape(detail))</failure>\n    "
                case .skipped:
                    xml += "\n      <skipped message=\"\(escape(c.message))\"/>\n    "
                default:
                    xml += "<system-out>\(escape(c.message))</system-out>"
                }
                xml += "</testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 forbids most control characters.
                if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { out += "?" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
