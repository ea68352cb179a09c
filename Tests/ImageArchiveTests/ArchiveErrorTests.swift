import ImageArchive
import Tar
import Testing

/// How the reader's errors are classified: the kind decides the exit code.
@Suite struct ArchiveErrorTests {
    /// A tar error keeps its kind once it is the archive's (moved from TarTests' reader error
    /// tests, which test the tar errors themselves).
    @Test func tarErrorsKeepTheirKind() {
        #expect(ArchiveError.tar(.badHeaderChecksum(member: nil, offset: 0, expected: 1, found: 2)).kind == .corrupt)
        #expect(ArchiveError.tar(.truncated(member: nil, offset: 0, expected: "")).kind == .truncated)
    }
}
