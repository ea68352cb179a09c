import Foundation
import ImageArchive
import ImageVerify
import OCI
import TestSupport
import Testing

/// `.prisma` found the way Node finds it, from `@prisma/client`'s real path
/// (``GeneratedClientResolution``), in the `require` and `elf-arch` checks and the Prisma
/// check's fix; and the checks a missing platform keeps from running, listed skipped.
@Suite struct PnpmResolutionTests {
    static let store = "app/node_modules/.pnpm/@prisma+client@6.19.0/node_modules"

    /// An app in /app whose `node_modules/@prisma/client` is pnpm's symlink into the store;
    /// `generated`: with the `.prisma` that `prisma generate` writes beside the real client.
    static func pnpmLayout(generated: Bool, appPrisma: Bool = false) -> MergedFilesystem {
        var entries: [VH.Entry] = [
            .dir("app"), .dir("app/node_modules"), .dir("app/node_modules/.pnpm"), .dir("app/node_modules/.pnpm/@prisma+client@6.19.0"),
            .dir(store), .dir("\(store)/@prisma"), .dir("\(store)/@prisma/client"),
            .file("\(store)/@prisma/client/package.json", content: #"{"name":"@prisma/client","version":"6.19.0"}"#),
            .dir("app/node_modules/@prisma"),
            .symlink("app/node_modules/@prisma/client", to: "../.pnpm/@prisma+client@6.19.0/node_modules/@prisma/client"),
        ]
        if generated {
            entries += [
                .dir("\(store)/.prisma"), .dir("\(store)/.prisma/client"),
                .file("\(store)/.prisma/client/libquery_engine-debian-openssl-3.0.x.so.node", machine: 62),
            ]
        }
        if appPrisma { entries += [.dir("app/node_modules/.prisma"), .dir("app/node_modules/.prisma/client")] }
        return MergedFilesystem(layers: [VH.makeTable(entries)])
    }

    static func platform(_ text: String) throws -> Platform { try #require(Platform(parsing: text)) }

    @Test func nodeModulePathsSkipNodeModulesDirectories() throws {
        let fs = Self.pnpmLayout(generated: true)
        let r = try #require(GeneratedClientResolution.resolve(fs, workingDir: "/app"))
        #expect(r.clientPath == "/app/node_modules/@prisma/client")
        #expect(r.clientRealPath == "/\(Self.store)/@prisma/client")
        #expect(r.isPnpm)
        #expect(
            r.candidates == [
                "/\(Self.store)/@prisma/client/node_modules/.prisma", "/\(Self.store)/@prisma/node_modules/.prisma",
                "/\(Self.store)/.prisma", "/app/node_modules/.pnpm/node_modules/.prisma", "/app/node_modules/.prisma",
                "/node_modules/.prisma",
            ])
        #expect(r.found == "/\(Self.store)/.prisma")
        #expect(r.generatedPath == "/\(Self.store)/.prisma")
        #expect(GeneratedClientResolution.resolve(fs, workingDir: "/srv") == nil)
    }

    /// Node finds the first: the store's `.prisma` before the app's own.
    @Test func theStoresPrismaComesFirst() throws {
        let both = try #require(GeneratedClientResolution.resolve(Self.pnpmLayout(generated: true, appPrisma: true), workingDir: "/app"))
        #expect(both.found == "/\(Self.store)/.prisma")
        let appOnly = try #require(
            GeneratedClientResolution.resolve(Self.pnpmLayout(generated: false, appPrisma: true), workingDir: "/app"))
        #expect(appOnly.found == "/app/node_modules/.prisma")
        let none = try #require(GeneratedClientResolution.resolve(Self.pnpmLayout(generated: false), workingDir: "/app"))
        #expect(none.found == nil)
    }

    @Test func requireAndELFChecksFollowTheResolution() throws {
        let fs = Self.pnpmLayout(generated: true)
        for path in ["node_modules/.prisma", "node_modules/.prisma/client", "/app/node_modules/.prisma/client/"] {
            let check = ImageChecks.require(path, workingDir: "/app", fs)
            #expect(check.status == .passed, "\(path): \(check.message)")
            #expect(check.message.contains("as Node finds it from @prisma/client"))
        }
        let amd = try #require(
            ImageChecks.elfUnder("node_modules/.prisma", workingDir: "/app", platform: try Self.platform("linux/amd64"), fs))
        #expect(amd.status == .passed)
        #expect(amd.found == "1 ELF file, all amd64")
        let arm = try #require(
            ImageChecks.elfUnder("node_modules/.prisma", workingDir: "/app", platform: try Self.platform("linux/arm64"), fs))
        #expect(arm.status == .failed)
        // Other paths are looked up as they are.
        #expect(ImageChecks.require("node_modules/.pnpm-missing", workingDir: "/app", fs).status == .failed)
    }

    @Test func missingGeneratedClientGetsThePnpmFix() {
        let fs = Self.pnpmLayout(generated: false)
        let check = ImageChecks.require("node_modules/.prisma", workingDir: "/app", fs)
        #expect(check.status == .failed)
        #expect(check.message.contains("nor does Node find .prisma from @prisma/client"))
        #expect(
            check.fix?.hasPrefix("pnpm keeps the generated client beside @prisma/client's real path, in /\(Self.store)/.prisma:") == true)
        #expect(check.fix?.hasSuffix("(COPY --from=builder /app/node_modules /app/node_modules)") == true)
    }

    @Test func aPrismaCheckOnPnpmNamesTheStore() throws {
        let config = try JSONDecoder().decode(
            ImageConfig.self, from: Data(#"{"architecture":"amd64","os":"linux","config":{"WorkingDir":"/app"}}"#.utf8))
        let result = PrismaCheck.run(
            filesystem: Self.pnpmLayout(generated: false), config: config, platform: try Self.platform("linux/amd64"))
        #expect(result.outcome == .missingEngine)
        #expect(result.message.contains("has been copied to \"/\(Self.store)/.prisma/client\""))
        #expect(result.fix?.contains("(COPY --from=builder /app/node_modules /app/node_modules)") == true)
    }

    // MARK: - Skipped checks

    @Test func checksAMissingPlatformKeepsFromRunningAreSkipped() throws {
        let archive = try VH.readFixture("prisma-pnpm.tar")
        let options = VerifyOptions(
            platform: Platform(parsing: "linux/arm64"), requiredPaths: ["node_modules/.prisma", "server.js"], strictELF: true)
        let verdicts = try ImageVerifier.verify(archive, options: options)
        let checks = try #require(verdicts.first).checks
        #expect(
            checks.map(\.id) == [
                "integrity", "platform", "require", "require", "entrypoint-arch", "elf-arch", "elf-arch", "strict-elf", "prisma",
            ])
        #expect(checks.map(\.status) == [.passed, .failed] + Array(repeating: .skipped, count: 7))
        #expect(
            checks.filter { $0.status == .skipped }.allSatisfy {
                $0.found == "not checked" && $0.message.contains("no image for linux/arm64")
            })
        #expect(
            checks.compactMap(\.subject) == ["/app/node_modules/.prisma", "/app/server.js", "/app/node_modules/.prisma", "/app/server.js"])
        #expect(checks[4].expected == "an executable for arm64")
        // No @prisma/client, no Prisma check to skip (unless forced); --prisma off, none either.
        let plain = try VH.readFixture("whiteouts.tar")
        let wanted = Platform(parsing: "linux/s390x")
        #expect(
            try ImageVerifier.verify(plain, options: VerifyOptions(platform: wanted)).first?.checks.map(\.id) == [
                "integrity", "platform", "entrypoint-arch",
            ])
        #expect(
            try ImageVerifier.verify(plain, options: VerifyOptions(platform: wanted, prisma: .force)).first?.checks.last?.id == "prisma")
        #expect(
            try ImageVerifier.verify(archive, options: VerifyOptions(platform: wanted, prisma: .off)).first?.checks.last?.id
                == "entrypoint-arch")
    }
}
