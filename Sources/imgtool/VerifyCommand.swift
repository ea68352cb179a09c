import ByteIO
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
        .init(
            names: ["--arch"], valueName: "arch",
            help: "The architecture the image must have: amd64, arm64, arm, 386, ppc64le, s390x or riscv64."),
        .init(
            names: ["--platform"], valueName: "platform",
            help: "The platform the image must have, os/arch[/variant]; in a multi-platform archive, the one checked."),
        .init(
            names: ["--require"], valueName: "path",
            help:
                "A path that must exist in the merged filesystem (relative to WorkingDir unless absolute); ELF files under it must match the architecture. Repeatable.",
            repeatable: true),
        .init(names: ["--strict-elf"], valueName: nil, help: "Fail on any ELF file built for another architecture anywhere in the image."),
        .init(names: ["--prisma"], valueName: nil, help: "Run the Prisma engine check even without @prisma/client."),
        .init(names: ["--no-prisma"], valueName: nil, help: "Skip the Prisma engine check."),
        .init(
            names: ["--policy"], valueName: "file",
            help: "A JSON policy: the same checks plus container-structure-test's fileExistenceTests and metadataTest (see the README)."),
        ImageSelection.imageOption,
        .init(names: ["--json"], valueName: nil, help: "Print a JSON report with an entry per check."),
        .init(names: ["--junit"], valueName: "file", help: "Also write the results as JUnit XML to this file."),
    ]

    static let spec = CommandSpec(
        name: "verify",
        abstract: "Check an image archive before shipping it: platform, required paths, ELF machines, Prisma engines, digests.",
        discussion:
            "Every check runs on the merged filesystem of the image, built in one pass over the archive. The Prisma check runs when the image contains @prisma/client. Exit 0 when every check passes, 1 when one fails; a corrupt, truncated or unreadable archive gives the codes below.",
        arguments: [.init(name: "archive", help: "The archive: a .tar or .tar.gz file, or - for stdin.")],
        options: checkOptions + [
            .init(
                names: ["--target"], valueName: "server",
                help:
                    "Also check that this server can load and run the image, as `ship` checks a server it asks: docker-20.10, docker-23, docker-25, docker-25-containerd or podman-4 (its CPU is the one of --arch or --platform)."
            ),
            .init(
                names: ["--allow-emulation"], valueName: nil,
                help: "With --target: pass an image for another CPU as a warning (the server emulates it) instead of failing."),
        ])

    static func run(_ arguments: [String], io: Output) -> Int32 {
        let parsed: ParsedArguments
        switch CLI.parse(arguments, spec: spec, io: io) {
        case .exit(let code): return code
        case .run(let p): parsed = p
        }
        let request: VerifyRequest
        do { request = try VerifyRequest(parsed, spec: spec) } catch {
            io.err(error.text)
            return ExitCode.usage.rawValue
        }
        let path = parsed.positionals[0]
        let archive: ImageArchive
        switch ImageSelection.read(path, options: .verify, io: io) {
        case .failure(let f): return reportFailure(f, check: "read", path: path, request: request, io: io)
        case .success(let a): archive = a
        }
        let reports: [ImageVerdict]
        switch evaluate(archive, request: request, io: io) {
        case .failure(let f): return reportFailure(f, check: "select", path: path, request: request, io: io)
        case .success(let r): reports = r
        }
        let written = emit(path: path, reports: reports, request: request, io: io)
        listProblems(archive, path: path, io: io)
        if let code = written { return code }
        if !archive.problems.isEmpty { return ExitCode.corrupt.rawValue }
        return reports.allSatisfy({ $0.passed }) ? ExitCode.success.rawValue : ExitCode.checkFailed.rawValue
    }

    /// Lists every integrity problem of `archive` on stderr, one line each, naming the input
    /// (as `inspect` does); the exit code is then 3.
    static func listProblems(_ archive: ImageArchive, path: String, io: Output) {
        for p in archive.problems { CLI.error("\(p)", input: path, io: io) }
    }

    /// Runs every check on the images the request selects (``ImageVerify/ImageVerifier``).
    ///
    /// - Returns: One verdict per image checked; a failure (printed) when `--image` matches nothing.
    static func evaluate(_ archive: ImageArchive, request: VerifyRequest, io: Output) -> Result<[ImageVerdict], ImageSelection.Failure> {
        do {
            var verdicts = try ImageVerifier.verify(archive, options: request.options, policy: request.policy, image: request.image)
            // The target checks judge the archive as the server will see it: once, under the first image.
            if let target = request.target, !verdicts.isEmpty {
                verdicts[0].checks += TargetChecks.run(
                    archive: archive, images: verdicts.map(\.image), target: target,
                    use: TargetChecks.Use(load: true, allowEmulation: request.allowEmulation))
            }
            return .success(verdicts)
        } catch {
            let d = CLI.describe(error)
            io.err("Error: \(d.text)\n")
            return .failure(ImageSelection.Failure(code: d.code, message: d.text))
        }
    }

    /// After the archive could not be read (`check` is `read`) or no image matched (`select`),
    /// writes the `--json` document and the `--junit` file anyway, with the error as a failed
    /// check, so that a CI report never comes up empty. The error is on stderr already.
    ///
    /// - Parameter pack: What `pack` adds to the JSON document.
    /// - Returns: The failure's exit code (or the JUnit file's write failure).
    static func reportFailure(
        _ failure: ImageSelection.Failure, check: String, path: String, request: VerifyRequest, io: Output,
        pack: PackCommand.JSONPack? = nil
    ) -> Int32 {
        guard request.json || request.junitSink != nil else { return failure.code }
        let result = ReadFailureCheck.result(failure, id: check)
        if request.json { io.out(JSONReport(archive: path, passed: false, images: [], checks: [result], pack: pack).text) }
        if let code = writeJUnit(JUnit.render(path: path, reports: [], archiveChecks: [result]), request: request, io: io) {
            return code
        }
        return failure.code
    }

    /// Prints the report (text, or JSON with `--json`) and writes the JUnit file of `--junit`.
    ///
    /// - Parameters:
    ///   - pack: What `pack` adds to the JSON document.
    ///   - trailer: What `pack` adds after the text report.
    /// - Returns: An exit code when the JUnit file cannot be written, else `nil`.
    static func emit(
        path: String, reports: [ImageVerdict], request: VerifyRequest, io: Output, pack: PackCommand.JSONPack? = nil,
        trailer: String = ""
    ) -> Int32? {
        let passed = reports.allSatisfy { $0.passed }
        if request.json {
            io.out(JSONReport(archive: path, passed: passed, images: reports.map(JSONReport.Image.init), checks: [], pack: pack).text)
        } else {
            io.out(VerifyTextReport.render(path: path, reports: reports, passed: passed) + trailer)
        }
        return writeJUnit(JUnit.render(path: path, reports: reports), request: request, io: io)
    }

    /// Writes `xml` to the `--junit` file opened when the command line was read.
    ///
    /// - Returns: `nil`, or exit code 1 when it cannot be written (a full disk).
    static func writeJUnit(_ xml: String, request: VerifyRequest, io: Output) -> Int32? {
        guard let sink = request.junitSink, let junit = request.junit else { return nil }
        do {
            try Array(xml.utf8).withUnsafeBytes { try sink.write($0) }
            try sink.close()
        } catch {
            io.err("Error: \(junit): cannot write the JUnit report: \(error)\n")
            return ExitCode.checkFailed.rawValue
        }
        return nil
    }
}
