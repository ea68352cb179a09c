import Foundation

extension TS {
    /// The repository root: three levels above this file (Tests/TestSupport/Paths.swift), found
    /// from the path the compiler records, so that every test target finds the same fixtures.
    package static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    package static let fixturesDir = repoRoot.appendingPathComponent("Tests/Fixtures")

    /// Docker-written archives, read in place (never copied).
    package static let realDir = repoRoot.appendingPathComponent("../shared/fixtures/real").standardizedFileURL

    /// Whether ``realDir`` is there: CI lays `../shared` beside the clone; a fresh clone has none,
    /// and the tests of those archives are then skipped with ``realArchivesMissing``.
    package static let realArchivesAvailable = FileManager.default.fileExists(atPath: realDir.path)

    /// Why the tests of Docker's own archives did not run.
    package static let realArchivesMissing = "../shared/fixtures/real (Docker-written archives, laid beside the clone in CI) is absent"

    package static func fixture(_ name: String) -> String { fixturesDir.appendingPathComponent(name).path }
    package static func real(_ name: String) -> String { realDir.appendingPathComponent(name).path }

    /// The archives of ``realDir`` that read without errors (the directory also holds
    /// `bad-null-manifest.tar`).
    package static let readableRealArchives = [
        "docker25-hello-world.tar", "docker-legacy-almostempty.tar", "docker-legacy-symlinked-layer.tar",
        "docker-legacy-two-images.tar", "docker-legacy-whiteout.tar", "docker-v1-no-manifest.tar", "docker-v1-empty-layers.tar",
    ]
}
