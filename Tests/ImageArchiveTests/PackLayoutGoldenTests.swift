import ByteIO
import CZlib
import Codec
import Gzip
import ImageArchive
import TestSupport
import Testing

/// The output of `pack` on a fixed archive (Tests/Fixtures/prisma-ok-debian-amd64.tar, default
/// options), as literals: what must never change by accident, since a deploy reuses the remote's
/// chunks only while the same layer gives the same member bytes.
///
/// Where the members lie in the tar, what each holds and its CRC-32 depend only on the tar and
/// the own-member threshold (16 KiB), and are checked everywhere. The compressed bytes also
/// depend on zlib: deflate output differs between zlib builds (zlib-ng-compat on Fedora, for
/// one), so those literals are checked only with the zlib they were recorded with, and the test
/// is skipped, saying why, with any other.
@Suite struct PackLayoutGoldenTests {
    /// The runtime zlib the compressed literals were recorded with (`zlibVersion()`; Debian's
    /// zlib1g, whose `zlibCompileFlags()` is 0xa9).
    static let recordedZlib = "1.2.13"
    /// The zlib this process runs with.
    static let runtimeZlib = String(cString: zlibVersion())

    static func pack() throws -> (bytes: [UInt8], packed: PackedArchive) {
        let sink = BufferSink()
        let packed = try ArchivePacker.pack(
            FileSource(path: TS.fixture("prisma-ok-debian-amd64.tar")), into: sink, options: PackOptions(threads: 2))
        #expect(sink.isFinished)
        return (sink.bytes, packed)
    }

    /// The members in the tar: the two layers each a member of its own, the headers and small
    /// members around them grouped.
    @Test func membersFollowTheTar() throws {
        let (_, packed) = try Self.pack()
        #expect(packed.archive.problems.isEmpty)
        #expect(packed.tarBytes == 108_544)
        #expect(
            packed.members.map { [$0.compressed.uncompressedOffset, $0.compressed.uncompressedSize] } == [
                [0, 512], [512, 58_368], [58_880, 512], [59_392, 39_424], [98_816, 9_728],
            ])
        #expect(packed.members.map(\.compressed.crc32) == [0x9102_ED85, 0xCD3E_7DBC, 0xEFC9_CE08, 0x4CEA_C537, 0x0EE8_C040])
        #expect(
            packed.members.map(\.tarMember) == [
                nil, "7aa52860c2a84f3854cc0f23d764462f2cceb8e5aa9d05292cbe2f81fb86ca49.tar",
                nil, "7519a4ef686570dd9173e815e2494b333d938bde1406bceca859fada2cb0d721.tar",
                nil,
            ])
    }

    /// The members in the `.tar.gz`, and the SHA-256 of the whole output.
    @Test(
        .enabled(
            if: runtimeZlib == recordedZlib,
            "recorded with zlib \(recordedZlib); this process runs zlib \(runtimeZlib), whose deflate output may differ"))
    func compressedLayoutAndDigestWithTheRecordedZlib() throws {
        let (bytes, packed) = try Self.pack()
        #expect(packed.compressedBytes == 23_577)
        #expect(bytes.count == 23_577)
        #expect(
            packed.members.map { [$0.compressed.compressedOffset, $0.compressed.compressedSize] } == [
                [0, 124], [124, 13_565], [13_689, 125], [13_814, 8_740], [22_554, 1_023],
            ])
        #expect(SHA256.hash(bytes).hex == "271620f3f74e6bb620923d6456c0fd786e9b2bd9d1340f59243d46148289de14")
    }
}
