import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Push
import Registry

/// `imgtool push`: verify an archive and push its image to an OCI registry in the same pass.
enum PushCommand {
    static let spec = CommandSpec(
        name: "push",
        abstract: "Verify an image archive and push it to an OCI registry, in one pass, without a Docker daemon.",
        discussion:
            "Reads a docker save or OCI archive once (.tar, .tar.gz or .tar.zst, a file or - for stdin), runs the checks of `imgtool verify` (same options) on the way, and uploads each blob as it streams past: a blob the registry has is skipped (HEAD) or mounted (--from), an uncompressed layer is compressed to gzip on every core, uploads go in chunks that an interrupted push takes up again. The manifests and the tag go last, only when the checks pass; with several platforms, each manifest and then the index. Credentials come from --username with --password-stdin, else from ~/.docker/config.json (auths, credHelpers, credsStore), as for docker push.",
        arguments: [
            .init(name: "archive", help: "The archive: a .tar, .tar.gz or .tar.zst file, or - for stdin."),
            .init(name: "reference", help: "Where it goes: REGISTRY/REPOSITORY[:TAG] (TAG: latest by default)."),
        ],
        options: VerifyCommand.checkOptions.filter { $0.key != "json" } + [
            .init(names: ["--no-verify"], valueName: nil, help: "Push without running the checks (the digests are still checked)."),
            .init(
                names: ["--from"], valueName: "repository",
                help: "A repository of the same registry to mount blobs from instead of uploading them. Repeatable.", repeatable: true),
            .init(names: ["--username"], valueName: "user", help: "The user name; the password (or token) is read from stdin."),
            .init(names: ["--password-stdin"], valueName: nil, help: "Read the password from stdin (with --username)."),
            .init(names: ["--ca-cert"], valueName: "file", help: "Trust this CA certificate (PEM) for the registry's TLS (macOS)."),
            .init(
                names: ["--insecure"], valueName: nil,
                help: "Plain HTTP instead of HTTPS (a registry on loopback, or one you trust the path to)."),
            .init(
                names: ["--chunk-size"], valueName: "size", help: "The bytes of one upload request (default 8M; 64K to 1G)."),
            .init(
                names: ["--level"], valueName: "level",
                help: "The gzip level of layers compressed on the way: 1 to 9, 3 by default (6 is 5% smaller and twice as slow)."),
            .init(names: ["--threads"], valueName: "n", help: "How many threads compress (default: one per processor)."),
            .init(
                names: ["--no-cache"], valueName: nil,
                help: "Neither read nor write the push cache (what layers compressed to, uploads in progress)."),
            .init(names: ["--json"], valueName: nil, help: "Print a JSON report: the checks and what was pushed."),
        ])

    static func run(_ arguments: [String], io: Output) -> Int32 {
        let parsed: ParsedArguments
        switch CLI.parse(arguments, spec: spec, io: io) {
        case .exit(let code): return code
        case .run(let p): parsed = p
        }
        var request: PushRequest
        do { request = try PushRequest(parsed, spec: spec) } catch {
            io.err(error.text)
            return ExitCode.usage.rawValue
        }
        let path = request.path
        let reference = request.reference
        if request.plainHTTP && !reference.isLoopback {
            io.err(
                "Warning: --insecure: plain HTTP to \(reference.registry): the image and any credentials cross the network unencrypted\n")
        }
        let client: RegistryClient
        do {
            let credentials = try request.credentials()
            let transport = try HTTPTransport(caCertificatePath: request.caCertificate)
            client = RegistryClient(
                reference: reference, plainHTTP: request.plainHTTP, transport: transport, credentials: credentials,
                mountFrom: request.options.mountFrom)
        } catch {
            return fail(.registry(error, blob: nil), path: path, io: io)
        }
        let show = io.errIsTerminal
        request.options.read = request.verify ? .verify : ReadOptions()
        request.options.read.progress = Terminal.progress(label: "pushing", total: FileSize.of(path), enabled: show)
        if show {
            request.options.events.blobDone = { blob in
                Terminal.clearProgress(enabled: true)
                Terminal.writeError("  \(blob.digest.short) \(PushReport.outcomeText(blob))\n")
            }
        }
        // Ctrl-C, kill: the chunk in flight is let finish (up to 30 s), so that the location
        // the cache keeps is the registry's own and the same command takes up the upload.
        let interrupt = Terminal.onInterrupt { BlobUpload.stopUploads(waitingUpTo: 30) }
        defer { interrupt.cancel() }
        let started = Date()
        var verdicts: [ImageVerdict] = []
        var selectionFailure: ImageSelection.Failure?
        let checks = request.checks
        let verify = request.verify
        let result: PushResult
        do {
            result = try Pusher.push(path: path, client: client, cache: PushCache(path: request.cachePath), options: request.options) {
                archive in
                Terminal.clearProgress(enabled: show)
                guard verify else {
                    do { return try archive.select(platform: checks.platform, reference: checks.image) } catch {
                        let d = CLI.describe(error)
                        io.err("Error: \(d.text)\n")
                        selectionFailure = ImageSelection.Failure(code: d.code, message: d.text)
                        return nil
                    }
                }
                switch VerifyCommand.evaluate(archive, request: checks, io: io) {
                case .failure(let f):
                    selectionFailure = f
                    return nil
                case .success(let r):
                    verdicts = r
                    return r.allSatisfy(\.passed) ? r.map(\.image) : nil
                }
            }
            Terminal.clearProgress(enabled: show)
        } catch let e as PushError {
            Terminal.clearProgress(enabled: show)
            return fail(e, path: path, io: io)
        } catch {
            Terminal.clearProgress(enabled: show)
            let d = CLI.describe(error)
            io.err("Error: \(d.text)\n")
            return d.code
        }
        let report = PushReport(result: result, reference: reference, seconds: Date().timeIntervalSince(started))
        if let selectionFailure {
            if parsed.flag("json") {
                return VerifyCommand.reportFailure(selectionFailure, check: "select", path: path, request: checks, io: io)
            }
            return selectionFailure.code
        }
        let archive = result.archive
        let failed = verdicts.reduce(0) { $0 + $1.checks.filter { $0.status == .failed }.count }
        if parsed.flag("json") {
            let passed = verdicts.allSatisfy(\.passed) && archive.problems.isEmpty
            var json = JSONReport(archive: path, passed: passed, images: verdicts.map(JSONReport.Image.init), checks: [])
            json.push = report.json
            io.out(json.text)
        } else if verify {
            io.out(
                VerifyTextReport.render(path: path, reports: verdicts, passed: failed == 0 && archive.problems.isEmpty)
                    + (result.tagged ? report.text : ""))
        } else if result.tagged {
            io.out(report.text)
        }
        VerifyCommand.listProblems(archive, path: path, io: io)
        if let code = VerifyCommand.writeJUnit(JUnit.render(path: path, reports: verdicts), request: checks, io: io) { return code }
        if !archive.problems.isEmpty {
            CLI.error("not pushed: the archive is corrupt (see above); no manifest or tag was put", input: path, io: io)
            return ExitCode.corrupt.rawValue
        }
        if failed > 0 {
            CLI.error(
                "not tagged: \(Format.plural(failed, "check", "checks")) failed; the blobs sent stay in the registry, unreferenced; fix the image, or pass --no-verify to push it anyway",
                input: path, io: io)
            return ExitCode.checkFailed.rawValue
        }
        return ExitCode.success.rawValue
    }

    /// Prints a failed push's error; its exit code.
    static func fail(_ error: PushError, path: String, io: Output) -> Int32 {
        switch error {
        case .archive(let e):
            let d = CLI.describe(e)
            io.err("Error: \(d.text)\n")
            return d.code
        case .registry(let e, let blob):
            // Stopped by SIGINT, SIGTERM or SIGHUP: the handler ends the process of the signal.
            if case .transport(_, _, BlobUpload.stopped) = e {
                while true { pause() }
            }
            var text = "\(error)"
            if e.isRetriable {
                text +=
                    blob == nil
                    ? "; nothing was sent: run the same command again once the registry answers"
                    : "; what arrived stays in the registry: run the same command again to send the rest"
            }
            io.err("Error: push: \(text)\n")
            return error.isAuthentication ? ExitCode.pushDenied.rawValue : ExitCode.pushFailed.rawValue
        case .ambiguous:
            io.err("Error: push: \(error)\n")
            return ExitCode.noMatch.rawValue
        case .staleCache, .layerNotUploaded, .compression:
            io.err("Error: push: \(CLI.inputName(path)): \(error)\n")
            return ExitCode.pushFailed.rawValue
        }
    }
}
