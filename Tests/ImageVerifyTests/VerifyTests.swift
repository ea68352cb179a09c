import Foundation
import ImageArchive
import ImageVerify
import OCI
import TestSupport
import Testing

@Suite struct VerifyTests {
    /// fixtures.json's ELF names (`x86-64`, `aarch64`) as GOARCH names.
    static func arch(_ elf: String?) -> String? {
        switch elf {
        case "x86-64": "amd64"
        case "aarch64": "arm64"
        default: elf
        }
    }

    static let prismaFixtures = [
        "prisma-ok-debian-amd64.tar", "prisma-missing.tar", "prisma-whiteout.tar", "prisma-opaque.tar", "prisma-readded.tar",
        "prisma-wrong-target.tar", "prisma-wrong-elf.tar.gz", "prisma-alpine-musl.tar", "prisma-arm64.tar.gz", "prisma-multiarch.tar",
        "prisma-pnpm.tar", "prisma7.tar", "prisma-binary-engine.tar", "arch-mismatch.tar.gz",
    ]

    @Test(arguments: prismaFixtures)
    func prismaFixtureMatchesExpectation(file: String) throws {
        let facts = try #require(try VH.fixtureFacts().first { $0["file"] as? String == file })
        let verify = try #require(facts["verify"] as? [String: Any])
        let archive = try VH.readFixture(file)
        #expect(!archive.images.isEmpty)
        for image in archive.images {
            let expect = (verify["perPlatform"] as? [String: [String: Any]])?[image.platform.description] ?? verify
            let fs = MergedFilesystem(image: image)
            let check = PrismaCheck.run(filesystem: fs, config: image.config, platform: image.platform)
            let result = expect["result"] as? String
            // arch-mismatch is about the entrypoint; the engine itself is right.
            let wantedOutcome = result == "arch-mismatch" ? "ok" : result
            #expect(check.outcome.rawValue == wantedOutcome, "\(file) \(image.platform): \(check.message)")
            #expect(check.status == (wantedOutcome == "ok" ? .passed : .failed))
            #expect(check.clientVersion == expect["prismaClientVersion"] as? String)
            if let target = expect["expectedTarget"] as? String {
                #expect(check.expected?.target == target, "\(file): \(check.expected?.reason ?? "")")
            }
            let engines = (expect["engineFiles"] as? [[String: String]] ?? []).map { "\($0["path"] ?? "") \(Self.arch($0["elf"]) ?? "")" }
            let found = check.engineFiles.map { "\($0.path) \($0.architecture ?? "")" }
            #expect(found.sorted() == engines.sorted(), "\(file) \(image.platform)")
            if let engineType = expect["engineType"] as? String {
                #expect(engineType.hasPrefix(check.engineType))
            }
            if check.status == .failed {
                #expect(check.message.contains("Query Engine") || check.message.contains("ELF"))
                #expect(check.fix != nil)
            }
            // The entrypoint (Cmd node server.js via PATH) is node, whose ELF fixtures.json names.
            let entry = ImageChecks.entrypoint(config: image.config, platform: image.platform, fs)
            let nodeArch = Self.arch(expect["nodeElf"] as? String)
            #expect(entry.status == (nodeArch == image.platform.architecture ? .passed : .failed), "\(file): \(entry.message)")
            #expect(entry.subject == "/usr/local/bin/node")
        }
    }

    @Test func wrongTargetMessageNamesTargets() throws {
        let archive = try VH.readFixture("prisma-wrong-target.tar")
        let image = try #require(archive.images.first)
        let check = PrismaCheck.run(filesystem: MergedFilesystem(image: image), config: image.config, platform: image.platform)
        #expect(check.message.hasPrefix("Prisma Client could not locate the Query Engine for runtime \"debian-openssl-3.0.x\""))
        #expect(check.message.contains("\"darwin-arm64\""))
        #expect(check.message.contains("\"linux-musl-openssl-3.0.x\""))
        #expect(check.fix?.contains("binaryTargets") == true)
        #expect(check.expected?.libsslFile == "/usr/lib/x86_64-linux-gnu/libssl.so.3")
        #expect(check.expected?.osReleasePath == "/etc/os-release -> /usr/lib/os-release")
        #expect(check.expected?.osReleaseID == "debian")
    }

    @Test func missingEngineSuggestsCopy() throws {
        let archive = try VH.readFixture("prisma-missing.tar")
        let image = try #require(archive.images.first)
        let check = PrismaCheck.run(filesystem: MergedFilesystem(image: image), config: image.config, platform: image.platform)
        #expect(check.fix?.contains("COPY --from=builder /app/node_modules/.prisma ./node_modules/.prisma") == true)
        #expect(check.directories.first?.path == "/app/node_modules/.prisma/client")
    }

    @Test func alpineTargetFacts() throws {
        let archive = try VH.readFixture("prisma-alpine-musl.tar")
        let image = try #require(archive.images.first)
        let target = PrismaTarget.compute(filesystem: MergedFilesystem(image: image), platform: image.platform)
        #expect(target.target == "linux-musl-openssl-3.0.x")
        #expect(target.osReleaseID == "alpine")
        #expect(target.libsslFile == "/lib/libssl.so.3")
        #expect(target.arch == "x64")
    }

    @Test func archMismatchFailsVerify() throws {
        let archive = try VH.readFixture("arch-mismatch.tar.gz")
        let image = try #require(archive.images.first)
        let result = ImageVerifier.verify(image: image, archive: archive, options: VerifyOptions())
        let entry = try #require(result.checks.first { $0.id == "entrypoint-arch" })
        #expect(entry.status == .failed)
        #expect(entry.found == "ARM aarch64 ELF")
        #expect(entry.message.contains("exec format error"))
        #expect(result.checks.first { $0.id == "prisma" }?.status == .passed)
        #expect(result.checks.first { $0.id == "integrity" }?.status == .passed)
        #expect(!result.passed)
        let strict = ImageVerifier.verify(image: image, archive: archive, options: VerifyOptions(strictELF: true)).checks
        #expect(strict.first { $0.id == "strict-elf" }?.status == .failed)
        let required = ImageVerifier.verify(image: image, archive: archive, options: VerifyOptions(requiredPaths: ["/usr/local/bin"]))
            .checks
        #expect(required.first { $0.id == "elf-arch" }?.status == .failed)
    }

    @Test func requireAndPlatformChecks() throws {
        let archive = try VH.readFixture("prisma-ok-debian-amd64.tar")
        let image = try #require(archive.images.first)
        let options = VerifyOptions(
            platform: Platform(parsing: "linux/arm64"),
            requiredPaths: ["node_modules/.prisma/client", "/etc/os-release", "/nope", "server.js"], strictELF: true)
        let checks = ImageVerifier.verify(image: image, archive: archive, options: options).checks
        #expect(checks.first { $0.id == "platform" }?.status == .failed)
        let require = checks.filter { $0.id == "require" }
        #expect(require.map(\.status) == [.passed, .passed, .failed, .passed])
        #expect(require[0].subject == "/app/node_modules/.prisma/client")
        #expect(checks.first { $0.id == "strict-elf" }?.status == .passed)
        #expect(checks.first { $0.id == "elf-arch" }?.status == .passed)
        #expect(checks.first { $0.id == "prisma" }?.status == .passed)
        let amd = ImageVerifier.verify(image: image, archive: archive, options: VerifyOptions(platform: Platform(parsing: "amd64"))).checks
        #expect(amd.allSatisfy { $0.status == .passed })
    }

    @Test func requireAfterWhiteoutFails() throws {
        let archive = try VH.readFixture("prisma-whiteout.tar")
        let image = try #require(archive.images.first)
        let checks = ImageVerifier.verify(
            image: image, archive: archive, options: VerifyOptions(requiredPaths: ["node_modules/.prisma/client"])
        ).checks
        #expect(checks.first { $0.id == "require" }?.status == .failed)
    }

    @Test func prismaModes() throws {
        let archive = try VH.readFixture("whiteouts.tar")
        let image = try #require(archive.images.first)
        #expect(
            ImageVerifier.verify(image: image, archive: archive, options: VerifyOptions()).checks.contains { $0.id == "prisma" } == false)
        let forced = ImageVerifier.verify(image: image, archive: archive, options: VerifyOptions(prisma: .force)).checks
        #expect(forced.first { $0.id == "prisma" }?.status == .failed)
        let ok = try VH.readFixture("prisma-missing.tar")
        let okImage = try #require(ok.images.first)
        #expect(
            ImageVerifier.verify(image: okImage, archive: ok, options: VerifyOptions(prisma: .off)).checks.contains { $0.id == "prisma" }
                == false)
    }

    @Test func integrityProblemsFail() throws {
        let archive = try ImageArchive.read(
            path: VH.fixturesDirectory().appendingPathComponent("bad-layer-digest.tar").path, options: ReadOptions())
        let image = try #require(archive.images.first)
        #expect(ImageChecks.integrity(archive).status == (archive.problems.isEmpty ? .passed : .failed))
        #expect(!archive.problems.isEmpty)
        _ = image
    }

    @Test(
        arguments: [
            ("libssl.so.3", "3.0.x"), ("libssl.so.1.1", "1.1.x"), ("libssl.so.1.0.2k", "1.0.x"), ("libssl.so.10", "1.0.x"),
            ("libssl.so.4", nil), ("libssl.so", nil), ("libssl.so.3.2", "3.0.x"),
        ] as [(String, String?)])
    func libsslVersions(name: String, version: String?) {
        #expect(PrismaTarget.parseLibSSLVersion(name) == version)
    }

    @Test func distroFamilies() {
        #expect(PrismaTarget.distro(id: "alpine", idLike: "").target == "musl")
        #expect(PrismaTarget.distro(id: "linuxmint", idLike: "ubuntu debian").target == "debian")
        #expect(PrismaTarget.distro(id: "arch", idLike: "").target == "debian")
        #expect(PrismaTarget.distro(id: "amzn", idLike: "centos rhel fedora").target == "rhel")
        #expect(PrismaTarget.distro(id: "opensuse-leap", idLike: "suse opensuse").target == "rhel")
        #expect(PrismaTarget.distro(id: "nixos", idLike: "").target == "nixos")
        #expect(PrismaTarget.distro(id: "wolfi", idLike: "").target == nil)
    }

    @Test func targetsFromHandBuiltImages() {
        func target(_ osRelease: String?, _ libs: [String], _ platform: String) -> PrismaTarget {
            var entries: [VH.Entry] = [.dir("usr"), .dir("usr/lib"), .dir("etc"), .dir("lib"), .dir("lib64"), .dir("usr/lib64")]
            if let osRelease {
                entries.append(.file("usr/lib/os-release", content: osRelease))
                entries.append(.symlink("etc/os-release", to: "../usr/lib/os-release"))
            }
            entries += libs.map { .file($0, machine: 62) }
            let fs = MergedFilesystem(layers: [VH.makeTable(entries)])
            return PrismaTarget.compute(
                filesystem: fs, platform: Platform(parsing: platform) ?? Platform(os: "linux", architecture: "amd64"))
        }
        #expect(target("ID=alpine\n", ["lib/libssl.so.1.1"], "linux/amd64").target == "linux-musl")
        #expect(target("ID=alpine\n", ["lib/libssl.so.3"], "linux/arm64").target == "linux-musl-arm64-openssl-3.0.x")
        #expect(target("ID=\"rhel\"\nID_LIKE=\"fedora\"\n", ["usr/lib64/libssl.so.3"], "linux/amd64").target == "rhel-openssl-3.0.x")
        #expect(target("ID=debian\n", [], "linux/amd64").target == "debian-openssl-1.1.x")
        #expect(target("ID=debian\n", [], "linux/amd64").warnings.contains { $0.contains("Defaulting to \"openssl-1.1.x\"") })
        #expect(target(nil, ["lib/libssl.so.3"], "linux/amd64").target == "debian-openssl-3.0.x")
        #expect(
            target("ID=debian\n", ["usr/lib/libssl.so.0.9.8", "usr/lib/libssl.so.1.0.0"], "linux/arm/v7").target
                == "linux-arm-openssl-1.0.x")
        #expect(target("ID=nixos\n", ["lib/libssl.so.3"], "linux/amd64").target == "linux-nixos")
    }

    @Test func schemaParsing() {
        let schema = PrismaSchema(
            parsing: """
                // comment
                generator client {
                  provider      = "prisma-client-js" // the JS client
                  output        = "../generated/client"
                  engineType    = "binary"
                  binaryTargets = [
                    "native",
                    "debian-openssl-3.0.x"
                  ]
                }
                datasource db {
                  provider = "postgresql"
                  url      = env("DATABASE_URL")
                }
                """)
        #expect(schema.client?.provider == "prisma-client-js")
        #expect(schema.client?.output == "../generated/client")
        #expect(schema.client?.engineType == "binary")
        #expect(schema.client?.binaryTargets == ["native", "debian-openssl-3.0.x"])
        #expect(schema.generators.count == 1)
    }

    @Test func engineNames() {
        #expect(PrismaCheck.engineTarget("libquery_engine-debian-openssl-3.0.x.so.node") == "debian-openssl-3.0.x")
        #expect(PrismaCheck.engineTarget("libquery_engine-darwin-arm64.dylib.node") == "darwin-arm64")
        #expect(PrismaCheck.engineTarget("query-engine-rhel-openssl-1.1.x") == "rhel-openssl-1.1.x")
        #expect(PrismaCheck.engineTarget("query_engine-windows.dll.node") == "windows")
        #expect(PrismaCheck.engineTarget("schema-engine-debian-openssl-3.0.x") == nil)
        #expect(PrismaCheck.engineTarget("index.js") == nil)
    }

    @Test func archParsing() {
        #expect(VerifyOptions.architecture(parsing: "x86_64") == "amd64")
        #expect(VerifyOptions.architecture(parsing: "aarch64") == "arm64")
        #expect(VerifyOptions.architecture(parsing: "armhf") == "arm")
        #expect(VerifyOptions.architecture(parsing: "riscv64") == "riscv64")
        #expect(VerifyOptions.architecture(parsing: "sparc") == nil)
    }
}
