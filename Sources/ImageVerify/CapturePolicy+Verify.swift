import ImageArchive

extension CapturePolicy {
    /// What the checks of this module read from the layers: the os-release files (the libc the
    /// Prisma check expects) and Prisma's package and schema files.
    public static let verify = CapturePolicy(
        exact: ["etc/os-release", "usr/lib/os-release"],
        suffixes: [
            "node_modules/@prisma/client/package.json",
            "node_modules/prisma/package.json",
            "node_modules/.prisma/client/schema.prisma",
            "node_modules/.prisma/client/package.json",
        ],
        maximumSize: 256 * 1024)
}

extension ReadOptions {
    /// What a read for ``ImageVerifier`` keeps: ``CapturePolicy/verify``, and the first bytes of
    /// every file (the ELF census, the entrypoint check).
    public static var verify: ReadOptions { ReadOptions(capture: .verify, readFileHeads: true) }
}
