import ByteIO
import Foundation
import Gzip
import TestSupport
import Testing

/// `GzipMemberScanner`: the members of any gzip stream (ours, gzip's, pigz's), with their data,
/// and truncation and garbage reported.
@Suite struct GzipMemberScannerTests {
    @Test func scannerRecoversTheMembersWritten() throws {
        let (bytes, members) = try ParallelDeflaterTests.pack(ParallelDeflaterTests.sample)
        #expect(try GzipMemberScanner.members(of: BufferSource(bytes)) == members)
    }

    @Test func scannerReadsOtherWritersAndHandsOutTheData() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let data = ParallelDeflaterTests.mixedBytes(300_000, seed: 31)
        try TS.write(data, to: tmp.path("d"))
        // Two gzip members back to back, as `cat a.gz b.gz` makes, plus zero padding.
        let a = try TS.run(
            "/bin/sh", ["-c", "head -c 1000 d | gzip -9 -n > x.gz && tail -c +1001 d | pigz -n >> x.gz && head -c 100 /dev/zero >> x.gz"],
            currentDirectory: tmp.url.path)
        #expect(a.status == 0, "\(a.stderr)")
        let scanner = try GzipMemberScanner(FileSource(path: tmp.path("x.gz")))
        var out: [UInt8] = []
        var members: [GzipMember] = []
        while let m = try scanner.next({ out += $0 }) { members.append(m) }
        #expect(out == data)
        #expect(members.map(\.uncompressedSize) == [1000, Int64(data.count - 1000)])
        #expect(members[1].compressedOffset == members[0].compressedSize)
        let size = try FileManager.default.attributesOfItem(atPath: tmp.path("x.gz"))[.size] as? Int64
        #expect(members[1].compressedRange.upperBound + 100 == size)
        #expect(scanner.compressedBytesConsumed == size)
    }

    @Test func scannerReportsTruncationAndGarbage() throws {
        let (bytes, members) = try ParallelDeflaterTests.pack(ParallelDeflaterTests.sample)
        let cut = Array(bytes.prefix(Int(members[2].compressedOffset) + 100))
        #expect(throws: GzipError.self) { try GzipMemberScanner.members(of: BufferSource(cut)) }
        do {
            _ = try GzipMemberScanner.members(of: BufferSource(cut))
        } catch let e as GzipError {
            guard case .truncated = e else {
                Issue.record("expected truncated, got \(e)")
                return
            }
        }
        #expect(throws: GzipError.trailingGarbage(compressedOffset: Int64(bytes.count))) {
            try GzipMemberScanner.members(of: BufferSource(bytes + [0x41, 0x42, 0x43, 0x44]))
        }
        #expect(throws: GzipError.notGzip(offset: 0)) { try GzipMemberScanner.members(of: BufferSource(Array("plain".utf8))) }
    }
}
