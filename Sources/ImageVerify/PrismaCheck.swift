import ByteIO
import Foundation
import ImageArchive
import OCI
import Tar

// Source: prisma/prisma @6.19.x: packages/client/src/runtime/core/engines/common/resolveEnginePath.ts
// (search order, PRISMA_QUERY_ENGINE_LIBRARY/BINARY), packages/internals/src/client/getClientEngineType.ts
// (PRISMA_CLIENT_ENGINE_TYPE first, then the generator's engineType, default library),
// packages/get-platform/src/getNodeAPIName.ts (file names), errors/engine-not-found/*.ts (messages).

/// Whether an image holds the Prisma query engine its runtime will look for.
public struct PrismaCheck: Sendable, Codable, Equatable {
    /// What the check concluded.
    public enum Outcome: String, Sendable, Codable {
        /// The engine for the expected target is present, for the image's architecture (or none is needed).
        case ok
        /// No query engine at all in the directories Prisma searches.
        case missingEngine = "missing-engine"
        /// Engines are present, but not for the target this image needs.
        case wrongTarget = "wrong-target"
        /// The right file name, but an ELF for another architecture (or not an ELF).
        case wrongELFArch = "wrong-elf-arch"
        /// No `@prisma/client` in the image.
        case noPrismaClient = "no-prisma-client"
    }

    /// One engine file found.
    public struct EngineFile: Sendable, Codable, Equatable {
        /// Absolute path.
        public var path: String
        /// The target its name says (`debian-openssl-3.0.x`), if it is an engine name.
        public var target: String?
        /// The ELF machine as `file(1)` names it (`x86-64`, `ARM aarch64`), `nil` when not an ELF.
        public var elf: String?
        /// The ELF's architecture as image platforms name it (`amd64`, `arm64`).
        public var architecture: String?
    }

    /// One directory Prisma searches for the engine.
    public struct SearchedDirectory: Sendable, Codable, Equatable {
        /// Absolute path.
        public var path: String
        /// Why it is searched (`WorkingDir`, `next to @prisma/client`, `generator output`, `pnpm`).
        public var why: String
        /// Whether it exists in the merged filesystem.
        public var exists: Bool
        /// The query engine files in it.
        public var engines: [EngineFile]
    }

    /// The outcome.
    public var outcome: Outcome
    /// `passed`, `failed` or `skipped`.
    public var status: CheckResult.Status
    /// `@prisma/client`'s version, from its `package.json`.
    public var clientVersion: String?
    /// Where that `package.json` is (resolved).
    public var clientPackagePath: String?
    /// `library`, `binary`, `client`, or `none` (Prisma 7).
    public var engineType: String
    /// Where the engine type came from.
    public var engineTypeSource: String
    /// The schema read, if any.
    public var schemaPath: String?
    /// The target the image needs, with its reasons (absent when no engine is needed).
    public var expected: PrismaTarget?
    /// The file required (`libquery_engine-<target>.so.node` or `query-engine-<target>`, or an env path).
    public var requiredFile: String?
    /// The engine file that satisfies the check.
    public var match: EngineFile?
    /// The searched directories and their engines.
    public var directories: [SearchedDirectory]
    /// The result in words Prisma users recognise.
    public var message: String
    /// What to change, when failed.
    public var fix: String?

    /// Every engine file found, in search order, without duplicates.
    public var engineFiles: [EngineFile] {
        var seen = Set<String>()
        return directories.flatMap(\.engines).filter { seen.insert($0.path).inserted }
    }

    /// Runs the check.
    /// - Parameters:
    ///   - filesystem: The image's merged filesystem.
    ///   - config: The image config (WorkingDir, Env).
    ///   - platform: The image platform (the architecture to require).
    /// - Returns: The result; ``Outcome/noPrismaClient`` with status skipped when there is no `@prisma/client`.
    public static func run(filesystem fs: MergedFilesystem, config: ImageConfig, platform: Platform) -> PrismaCheck {
        let container = config.config
        let workingDir = normaliseDir(container?.workingDir)
        let env = { (name: String) in container?.environment(name) }

        // @prisma/client and its version.
        let packages = clientPackages(fs, workingDir: workingDir)
        guard let package = packages.first else {
            return PrismaCheck(
                outcome: .noPrismaClient, status: .skipped, clientVersion: nil, clientPackagePath: nil, engineType: "none",
                engineTypeSource: "no @prisma/client", schemaPath: nil, expected: nil, requiredFile: nil, match: nil, directories: [],
                message: "no node_modules/@prisma/client/package.json in the image: Prisma check skipped")
        }
        let version = package.version
        let major = version.flatMap { Int($0.split(separator: ".").first ?? "") }

        // Schema and generated client directories.
        var dirs: [(String, String)] = []
        func add(_ path: String, _ why: String) {
            if !dirs.contains(where: { $0.0 == path }) { dirs.append((path, why)) }
        }
        let schemas = schemaFiles(fs)
        var schema: (path: String, generator: PrismaSchema.Generator)? = nil
        for path in schemas {
            guard let bytes = fs.content(path), let g = PrismaSchema(parsing: String(decoding: bytes, as: UTF8.self)).client else {
                continue
            }
            schema = (path, g)
            break
        }
        if let schema, let output = schema.generator.output, !isGeneratedDir(parent(schema.path)) {
            add(join(parent(schema.path), output), "generator output in \(schema.path)")
        }
        add(join(workingDir, "node_modules/.prisma/client"), "WorkingDir \(workingDir)")
        for p in packages {
            // resolveEnginePath: __dirname/../../../.prisma/client from @prisma/client/runtime.
            add(join(parent(parent(parent(p.path))), ".prisma/client"), "next to @prisma/client (\(parent(p.path)))")
        }
        let pnpm = join(workingDir, "node_modules/.pnpm")
        for entry in fs.list(pnpm) ?? [] {
            let dir = join(entry.path, "node_modules/.prisma/client")
            if fs.lookup(dir).node?.isDirectory == true { add(dir, "pnpm") }
        }
        for path in schemas where isGeneratedDir(parent(path)) {
            add(parent(path), "generated client holding \(path)")
        }

        // Engine type.
        var engineType = "library"
        var engineSource = "default"
        if let e = env("PRISMA_CLIENT_ENGINE_TYPE"), ["library", "binary", "client"].contains(e) {
            engineType = e
            engineSource = "PRISMA_CLIENT_ENGINE_TYPE in the image's Env"
        } else if let e = schema?.generator.engineType, ["library", "binary", "client"].contains(e) {
            engineType = e
            engineSource = "engineType in \(schema?.path ?? "schema.prisma")"
        }
        if let major, major >= 7 {
            engineType = "none"
            engineSource = "@prisma/client \(version ?? "") (Prisma 7 ships no query engine)"
        }

        let arch = platform.architecture
        let searched = dirs.map { (path, why) -> SearchedDirectory in
            let exists = fs.lookup(path).node?.isDirectory == true
            return SearchedDirectory(path: path, why: why, exists: exists, engines: exists ? engines(in: path, fs) : [])
        }
        var result = PrismaCheck(
            outcome: .ok, status: .passed, clientVersion: version, clientPackagePath: package.path, engineType: engineType,
            engineTypeSource: engineSource, schemaPath: schema?.path, expected: nil, requiredFile: nil, match: nil,
            directories: searched, message: "")
        let versionText = "@prisma/client \(version ?? "(unknown version)")"
        if engineType == "none" || engineType == "client" {
            result.message =
                engineType == "none"
                ? "\(versionText) uses the query compiler: no query engine is needed"
                : "\(versionText) with engineType \"client\" (\(engineSource)) uses the query compiler: no query engine is needed"
            return result
        }

        let target = PrismaTarget.compute(filesystem: fs, platform: platform)
        result.expected = target
        let fileName = engineType == "binary" ? "query-engine-\(target.target)" : "libquery_engine-\(target.target).so.node"
        let kindWord = engineType == "binary" ? "binary" : "library"
        let wantedELF = "\(arch) ELF"

        // An explicit path in Env overrides the search.
        let envName = engineType == "binary" ? "PRISMA_QUERY_ENGINE_BINARY" : "PRISMA_QUERY_ENGINE_LIBRARY"
        if let override = env(envName), !override.isEmpty {
            let path = override.hasPrefix("/") ? override : join(workingDir, override)
            result.requiredFile = path
            guard let node = fs.lookup(path).node, node.isRegularFile else {
                result.outcome = .missingEngine
                result.status = .failed
                result.message =
                    "\(envName)=\(override) is set in the image's Env, but \(path) does not exist: Prisma Client could not locate the Query Engine for runtime \"\(target.target)\""
                result.fix = "point \(envName) at the engine file, or copy the engine to \(path)"
                return result
            }
            let file = engineFile(node)
            if file.architecture == arch {
                result.match = file
                result.message = "Query Engine \(kindWord) from \(envName): \(path) (\(file.elf ?? "ELF"))"
            } else {
                result.outcome = .wrongELFArch
                result.status = .failed
                result.message =
                    "\(path) (from \(envName)) is \(file.elf.map { "an ELF for \($0)" } ?? "not an ELF file"), but the image is \(platform): loading it fails (\"invalid ELF header\" / \"exec format error\")"
                result.fix = "replace \(path) with the \(target.target) engine built for \(arch)"
            }
            return result
        }

        let searchedList = searched.map { "  \($0.path)" + ($0.exists ? "" : " (missing)") }.joined(separator: "\n")
        var wrongArch: EngineFile? = nil
        for dir in searched where dir.exists {
            let path = join(dir.path, fileName)
            guard let node = fs.lookup(path).node, node.isRegularFile else { continue }
            let file = engineFile(node, shownAs: path)
            if file.architecture == arch {
                result.requiredFile = fileName
                result.match = file
                result.message =
                    "Query Engine \(kindWord) for runtime \"\(target.target)\" found: \(path) (\(file.elf ?? "ELF")); \(target.reason)"
                return result
            }
            if wrongArch == nil { wrongArch = file }
        }
        result.requiredFile = fileName
        result.status = .failed
        let present = result.engineFiles.compactMap(\.target)
        let head = "Prisma Client could not locate the Query Engine for runtime \"\(target.target)\" (\(target.reason))."
        let copyFix = "COPY --from=builder \(join(workingDir, "node_modules/.prisma")) ./node_modules/.prisma"
        // pnpm: @prisma/client is in node_modules/.pnpm, and `prisma generate` writes beside it.
        let pnpmGenerated =
            package.path.contains("/node_modules/.pnpm/") ? join(parent(parent(parent(package.path))), ".prisma/client") : nil
        if let wrongArch {
            result.outcome = .wrongELFArch
            result.message =
                "\(wrongArch.path) is \(wrongArch.elf.map { "an ELF for \($0)" } ?? "not an ELF file"), but the image is \(platform) (\(wantedELF) needed): Node fails to load it (\"invalid ELF header\")."
            result.fix =
                "run `prisma generate` (and `npm ci`) for \(platform), e.g. build the stage with `--platform=\(platform)` instead of copying node_modules from another architecture"
        } else if !present.isEmpty {
            result.outcome = .wrongTarget
            let had = present.map { "\"\($0)\"" }.joined(separator: ", ")
            result.message =
                "\(head) This happened because Prisma Client was generated for \(had), but the actual deployment required \"\(target.target)\". The following locations have been searched:\n\(searchedList)"
            result.fix =
                "add \"\(target.target)\" to binaryTargets in the generator block of schema.prisma (binaryTargets = [\"native\", \"\(target.target)\"]) and run `prisma generate`"
        } else {
            result.outcome = .missingEngine
            let generatedDir = pnpmGenerated ?? join(workingDir, "node_modules/.prisma/client")
            result.message =
                "\(head) This is likely caused by tooling that has not copied \"\(fileName)\" to the deployment folder. Ensure that you ran `prisma generate` and that \"\(fileName)\" has been copied to \"\(generatedDir)\". The following locations have been searched:\n\(searchedList)"
            result.fix =
                pnpmGenerated == nil
                ? "copy the generated client into the runner stage: `\(copyFix)` (Next.js standalone: add it to outputFileTracingIncludes)"
                : "pnpm keeps the generated client beside @prisma/client's real path, in \(generatedDir): run `prisma generate` in the build stage and copy the whole of \(join(workingDir, "node_modules")), .pnpm included (COPY --from=builder \(join(workingDir, "node_modules")) \(join(workingDir, "node_modules")))"
        }
        return result
    }

    /// The check as a ``CheckResult``.
    public var checkResult: CheckResult {
        let expectedText: String
        if let expected, let requiredFile {
            expectedText = "\(requiredFile) for \(expected.target)"
        } else {
            expectedText =
                engineType == "none" || engineType == "client" ? "no query engine (engineType \(engineType))" : "no Prisma Client"
        }
        let engines = engineFiles
        let foundText =
            engines.isEmpty
            ? (outcome == .noPrismaClient ? "no @prisma/client" : "no query engine files")
            : engines.map { "\($0.path) (\($0.elf ?? "not ELF"))" }.joined(separator: ", ")
        return CheckResult(
            id: "prisma", status: status, expected: expectedText, found: foundText, message: message, fix: fix, subject: clientPackagePath)
    }

    // MARK: - Helpers

    struct ClientPackage {
        var path: String
        var version: String?
    }

    /// `@prisma/client` packages: under WorkingDir first, then anywhere a captured package.json is visible.
    static func clientPackages(_ fs: MergedFilesystem, workingDir: String) -> [ClientPackage] {
        var result: [ClientPackage] = []
        func add(_ path: String) {
            guard let node = fs.lookup(path).node, node.isRegularFile, !result.contains(where: { $0.path == node.path }) else { return }
            let version = fs.bytes(atOptional: node.content).flatMap { packageVersion($0) }
            result.append(ClientPackage(path: node.path, version: version))
        }
        add(join(workingDir, "node_modules/@prisma/client/package.json"))
        for path in fs.capturedPaths(withSuffix: "node_modules/@prisma/client/package.json") { add(path) }
        return result
    }

    /// Captured schema files still visible: those in generated client dirs first.
    static func schemaFiles(_ fs: MergedFilesystem) -> [String] {
        let all = fs.capturedPaths(withSuffix: "schema.prisma")
        return all.filter { isGeneratedDir(parent($0)) } + all.filter { !isGeneratedDir(parent($0)) }
    }

    static func isGeneratedDir(_ dir: String) -> Bool { dir.hasSuffix("/.prisma/client") }

    static func packageVersion(_ bytes: [UInt8]) -> String? {
        struct Package: Decodable { var version: String? }
        return (try? JSONDecoder().decode(Package.self, from: Data(bytes)))?.version
    }

    static func engines(in dir: String, _ fs: MergedFilesystem) -> [EngineFile] {
        (fs.list(dir) ?? []).compactMap { entry in
            guard let target = engineTarget(entry.name) else { return nil }
            let path = join(dir, entry.name)
            guard let node = fs.lookup(path).node else { return EngineFile(path: path, target: target, elf: nil, architecture: nil) }
            return engineFile(node, shownAs: path)
        }
    }

    static func engineFile(_ node: FilesystemNode, shownAs path: String? = nil) -> EngineFile {
        EngineFile(
            path: path ?? node.path, target: engineTarget(node.name), elf: node.elf.map { $0.machineName },
            architecture: node.elf.flatMap { $0.architecture })
    }

    /// The binary target an engine file name names: `libquery_engine-<t>.so.node`,
    /// `libquery_engine-<t>.dylib.node`, `query_engine-<t>.dll.node`, `query-engine-<t>[.exe]`.
    /// - Parameter name: A file name.
    public static func engineTarget(_ name: String) -> String? {
        for prefix in ["libquery_engine-", "query_engine-", "query-engine-"] where name.hasPrefix(prefix) {
            var rest = Substring(name.dropFirst(prefix.count))
            for suffix in [".so.node", ".dylib.node", ".dll.node", ".exe"] where rest.hasSuffix(suffix) {
                rest = rest.dropLast(suffix.count)
                break
            }
            if prefix == "query-engine-" || name.hasSuffix(".node") { return rest.isEmpty ? nil : String(rest) }
        }
        return nil
    }

    static func normaliseDir(_ dir: String?) -> String {
        guard let dir, !dir.isEmpty else { return "/" }
        return dir.hasPrefix("/") ? dir : "/" + dir
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "/" }
        let p = String(path[..<slash])
        return p.isEmpty ? "/" : p
    }

    /// Joins and cleans (`..` never above `/`); absolute `path` replaces `dir`.
    static func join(_ dir: String, _ path: String) -> String {
        let full = path.hasPrefix("/") ? path : dir + "/" + path
        var parts: [Substring] = []
        for c in full.split(separator: "/") {
            if c == "." { continue }
            if c == ".." {
                _ = parts.popLast()
                continue
            }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }
}

extension MergedFilesystem {
    /// Paths (absolute) of captured files ending in `suffix` (after a `/`) that are still visible in
    /// the merged tree as written, sorted.
    /// - Parameter suffix: A path suffix such as `node_modules/@prisma/client/package.json`.
    public func capturedPaths(withSuffix suffix: String) -> [String] {
        var result = Set<String>()
        for (index, files) in captured.enumerated() {
            for key in files.keys where key == suffix || key.hasSuffix("/" + suffix) {
                let location = ContentLocation(layer: index + 1, path: key)
                if lookup("/" + key, followFinalSymlink: false).node?.content == location { result.insert("/" + key) }
            }
        }
        return result.sorted()
    }
}
