import ImageArchive
import OCI

/// The entry point of the checks: every check `imgtool verify` runs, on every image of an
/// archive that the request selects, each on the image's merged filesystem.
///
/// ```swift
/// let archive = try ImageArchive.read(path: "app.tar.gz", options: .verify)
/// let verdicts = try ImageVerifier.verify(archive, options: VerifyOptions(platform: Platform(parsing: "linux/amd64")))
/// let ok = verdicts.allSatisfy(\.passed) && archive.problems.isEmpty
/// ```
public enum ImageVerifier {
    /// Runs every check on the images of `archive` that `reference` and the options' platform
    /// select.
    ///
    /// When the options name a platform that no candidate has, the result is one verdict, on
    /// the first candidate: integrity, the failed platform check, and every other check asked
    /// for, skipped (run, they would be about the wrong image).
    ///
    /// - Parameters:
    ///   - archive: The archive, read with ``ImageArchive/ReadOptions/verify`` (or a policy
    ///     that captures at least as much).
    ///   - options: What to check.
    ///   - policy: A policy's checks, run after the built-in ones.
    ///   - reference: Only the images with this tag or digest (prefix).
    /// - Returns: One verdict per image checked, in archive order.
    /// - Throws: ``ImageArchive/ArchiveError/noMatchingImage(selection:available:)`` when
    ///   `reference` matches no image.
    public static func verify(
        _ archive: ImageArchive, options: VerifyOptions, policy: Policy? = nil, image reference: String? = nil
    ) throws(ArchiveError) -> [ImageVerdict] {
        var candidates = try archive.select(reference: reference)
        if let wanted = options.platform, candidates.count > 1 || !candidates.allSatisfy({ $0.platform.matches(wanted) }) {
            let matching = candidates.filter { $0.platform.matches(wanted) }
            if matching.isEmpty {
                let check = ImageChecks.platformMissing(wanted, available: candidates.map(\.platform))
                let skipped = SkippedChecks.afterMissingPlatform(wanted, image: candidates[0], options: options, policy: policy)
                return [ImageVerdict(image: candidates[0], checks: [ImageChecks.integrity(archive), check] + skipped, elfCensus: [:])]
            }
            candidates = matching
        }
        return candidates.map { image in
            let fs = MergedFilesystem(image: image)
            let result = verify(image: image, archive: archive, options: options, filesystem: fs)
            let extra = policy.map { PolicyChecks.run($0, image: image, filesystem: fs) } ?? []
            return ImageVerdict(image: image, checks: result.checks + extra, elfCensus: result.elfCensus)
        }
    }

    /// Runs every built-in check on one image, with details.
    /// - Parameters:
    ///   - image: The image.
    ///   - archive: Its archive (for integrity problems).
    ///   - options: What to check.
    ///   - filesystem: The image's merged filesystem, if already built.
    /// - Returns: The results, in order, and the Prisma details.
    public static func verify(
        image: ArchiveImage, archive: ImageArchive, options: VerifyOptions, filesystem: MergedFilesystem? = nil
    ) -> VerifyResult {
        let fs = filesystem ?? MergedFilesystem(image: image)
        var checks: [CheckResult] = [ImageChecks.integrity(archive)]
        if let wanted = options.platform { checks.append(ImageChecks.platform(image.platform, wanted: wanted)) }
        let workingDir = PrismaCheck.normaliseDir(image.config.config?.workingDir)
        for path in options.requiredPaths {
            checks.append(ImageChecks.require(path, workingDir: workingDir, fs))
        }
        checks.append(ImageChecks.entrypoint(config: image.config, platform: image.platform, fs))
        for path in options.requiredPaths {
            if let check = ImageChecks.elfUnder(path, workingDir: workingDir, platform: image.platform, fs) { checks.append(check) }
        }
        if options.strictELF { checks.append(ImageChecks.strictELF(platform: image.platform, fs)) }
        var prisma: PrismaCheck? = nil
        if options.prisma != .off {
            let p = PrismaCheck.run(filesystem: fs, config: image.config, platform: image.platform)
            var result = p.checkResult
            if p.outcome == .noPrismaClient && options.prisma == .force {
                result.status = .failed
                result.message = "no node_modules/@prisma/client/package.json in the image, but the Prisma check was asked for"
            }
            if p.outcome != .noPrismaClient || options.prisma == .force { checks.append(result) }
            prisma = p
        }
        return VerifyResult(checks: checks, prisma: prisma, elfCensus: fs.elfCensus())
    }
}
