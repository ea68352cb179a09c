// The helpers every test target shares, in the `TS` namespace so that nothing collides with the
// file-private helpers of the test files. One file per concern:
//
// - Paths.swift           the repository, Tests/Fixtures and the Docker-written archives
// - FixtureFacts.swift    fixtures.json: what independent tools say about each fixture
// - Processes.swift       running a process, a tool on PATH, python3, a shell, the built `imgtool`
// - TempDir.swift         fresh directories, removed after the test
// - Bytes.swift           files as bytes, hex, deterministic pseudo-random and compressible bytes
// - TarBytes.swift        hand-built tar headers, entries and PAX records
// - SparseArchives.swift  a 128 MiB image archive of holes, for reads that must not read it all
// - ByteSources.swift     sources that count or dribble, and reading a source to its end
//
// The module does not import Testing: `swift build` builds it with the products (a regular
// target), also in release with a static Swift runtime, which has no Testing module. A helper
// whose check fails throws a ``TS/Failure``, which fails the test that called it.

/// The namespace of the shared test helpers.
package enum TS {
    /// A check of a helper that failed (a tool's exit status, a short write...): thrown, it fails
    /// the test.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
        package init(_ description: String) { self.description = description }
    }
}
