import ImageArchive
import OCI

/// The checks that could not run because the archive has no image of the platform asked for:
/// listed as skipped, so that a report (text, JSON, JUnit) shows every check the request named
/// and says why it did not run, instead of leaving them out.
enum SkippedChecks {
    /// The checks `options` and `policy` ask for, each skipped, with `wanted`'s missing image as
    /// the reason.
    ///
    /// What runs depends on the image in some cases: `prisma` when it holds `@prisma/client`
    /// (looked for in the captured files of `image`, the image the report shows), the policy's
    /// checks one per expectation (as `image` lists them). `elf-arch` is listed for each
    /// `--require` path, as it would be for one that holds ELF files.
    /// - Parameters:
    ///   - wanted: The platform asked for.
    ///   - image: The image the report is about (the first candidate).
    ///   - options: What was asked for.
    ///   - policy: The policy, if any.
    static func afterMissingPlatform(_ wanted: Platform, image: ArchiveImage, options: VerifyOptions, policy: Policy?) -> [CheckResult] {
        let why = "not checked: the archive has no image for \(wanted) (see the platform check)"
        func skipped(_ id: String, expected: String, subject: String? = nil) -> CheckResult {
            CheckResult(
                id: id, status: .skipped, expected: expected, found: "not checked", message: subject.map { "\($0): \(why)" } ?? why,
                subject: subject)
        }
        let workingDir = PrismaCheck.normaliseDir(image.config.config?.workingDir)
        let arch = wanted.architecture
        var out: [CheckResult] = []
        for path in options.requiredPaths {
            let absolute = PrismaCheck.join(workingDir, path)
            out.append(skipped("require", expected: "\(absolute) exists", subject: absolute))
        }
        out.append(skipped("entrypoint-arch", expected: "an executable for \(arch)"))
        for path in options.requiredPaths {
            let absolute = PrismaCheck.join(workingDir, path)
            out.append(skipped("elf-arch", expected: "\(arch) ELF files", subject: absolute))
        }
        if options.strictELF { out.append(skipped("strict-elf", expected: "only \(arch) ELF files")) }
        let suffix = "node_modules/@prisma/client/package.json"
        let hasClient = image.layers.contains { layer in
            layer.table.captured.keys.contains { $0 == suffix || $0.hasSuffix("/" + suffix) }
        }
        if options.prisma == .force || (options.prisma == .auto && hasClient) {
            out.append(skipped("prisma", expected: "the Prisma query engine for \(wanted)"))
        }
        if let policy {
            for check in PolicyChecks.run(policy, image: image, filesystem: MergedFilesystem(image: image)) {
                out.append(skipped(check.id, expected: check.expected, subject: check.subject))
            }
        }
        return out
    }
}
