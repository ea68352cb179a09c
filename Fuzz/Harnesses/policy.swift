// fuzz-max-len: 16384
// fuzz-seeds: Tests/Fixtures/policies/*.json

// Harness `policy`: the `--policy` parser, and the checks of a policy that parses.
//
// The bytes are decoded as `imgtool verify --policy` decodes a policy file (`Policy.decode(json:)`,
// its located error formatted as the CLI prints it, the platform and
// arch strings parsed), then the policy's checks run against a small image that has a file, a
// symlink, an ELF binary, environment variables, labels and ports for them to look at.
import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPolicy(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let policy: Policy
    do {
        policy = try Policy.decode(json: bytes)
    } catch {
        // Located at a line and column of the bytes, as the CLI prints it.
        _ = error.description
        return 0
    }
    if let p = policy.platform { _ = Platform(parsing: p) }
    if let a = policy.arch { _ = VerifyOptions.architecture(parsing: a) }
    let image = PolicyImage.image
    let fs = MergedFilesystem(image: image)
    for check in PolicyChecks.run(policy, image: image, filesystem: fs) { _ = check.message }
    let options = VerifyOptions(
        platform: nil, requiredPaths: policy.require ?? [], strictELF: policy.strictElf ?? false, prisma: policy.prisma ?? .auto)
    _ = ImageVerifier.verify(image: image, archive: PolicyImage.archive, options: options, filesystem: fs)
    return 0
}

/// The image every policy is checked against, read once from a layer written in memory.
enum PolicyImage {
    static let archive: ImageArchive = {
        let config = """
            {"architecture":"amd64","os":"linux","config":{"User":"node","Env":["PATH=/usr/local/bin:/usr/bin:/bin",\
            "NODE_ENV=production","PORT=3000"],"Entrypoint":["docker-entrypoint.sh"],"Cmd":["node","server.js"],\
            "WorkingDir":"/app","ExposedPorts":{"3000/tcp":{}},"Volumes":{"/data":{}},"Labels":{"org.opencontainers.image.source":\
            "https://example.com/app","maintainer":"a@example.com"},"Healthcheck":{"Test":["CMD","true"]}},\
            "rootfs":{"type":"layers","diff_ids":{{diffids}}}}
            """
        let elf: [UInt8] =
            [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8) + [2, 0, 62, 0] + [UInt8](repeating: 0, count: 44)
        let layer = FuzzTar.archive([
            FuzzTarEntry(name: "app/", typeflag: UInt8(ascii: "5"), mode: 0o755),
            FuzzTarEntry(name: "app/server.js", mode: 0o644, data: Array("require('x')\n".utf8)),
            FuzzTarEntry(name: "usr/local/bin/node", mode: 0o755, data: elf),
            FuzzTarEntry(name: "usr/local/bin/docker-entrypoint.sh", mode: 0o755, data: Array("#!/bin/sh\nexec \"$@\"\n".utf8)),
            FuzzTarEntry(name: "bin/sh", typeflag: UInt8(ascii: "2"), mode: 0o777, linkName: "/usr/local/bin/node"),
            FuzzTarEntry(name: "etc/passwd", mode: 0o600, data: Array("root:x:0:0::/root:/bin/sh\n".utf8)),
        ])
        let tar = FuzzArchiveBuilder.dockerArchive(config: config, layers: [layer])
        do {
            return try ImageArchive.read(.stream(BufferSource(tar)), options: .verify)
        } catch {
            fatalError("the policy harness's own image does not read: \(error)")
        }
    }()
    static let image = archive.images[0]
}
