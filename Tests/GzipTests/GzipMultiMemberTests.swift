import ByteIO
import Foundation
import Gzip
import TestSupport
import Testing

/// Streams of several members, empty members, and what may follow the last member: zeros are
/// accepted, anything else is located.
@Suite struct GzipMultiMemberTests {
    @Test func multiMemberFromSystemGzip() throws {
        try TS.withTemporaryDirectory { dir in
            let a = TS.compressibleBytes(70_000)
            let b = TS.randomBytes(30_000)
            try TS.write(a, to: dir.appendingPathComponent("a"))
            try TS.write(b, to: dir.appendingPathComponent("b"))
            try TS.shell("/usr/bin/gzip -c a > a.gz && /usr/bin/gzip -c b > b.gz && cat a.gz b.gz > ab.gz", in: dir)
            let concatenated = try TS.contents(of: dir.appendingPathComponent("ab.gz"))
            let (output, inflater) = try gunzip(concatenated, inputBufferSize: 1000)
            #expect(output == a + b)
            #expect(inflater.membersCompleted == 2)
            #expect(inflater.compressedBytesConsumed == Int64(concatenated.count))
        }
    }

    @Test func multiMemberWithEmptyMember() throws {
        let a = TS.randomBytes(5000)
        let stream = try gzip(a) + gzip([]) + gzip([7, 8, 9])
        let (output, inflater) = try gunzip(stream, chunk: 333, inputBufferSize: 64)
        #expect(output == a + [7, 8, 9])
        #expect(inflater.membersCompleted == 3)
    }

    @Test(arguments: [1, 8, 1000, 300_000])
    func trailingZerosAccepted(zeros: Int) throws {
        let input = TS.randomBytes(10_000)
        let stream = try gzip(input) + [UInt8](repeating: 0, count: zeros)
        let (output, inflater) = try gunzip(stream, inputBufferSize: 64)
        #expect(output == input)
        #expect(inflater.membersCompleted == 1)
        #expect(inflater.compressedBytesConsumed == Int64(stream.count))
    }

    @Test(
        arguments: [
            Array("garbage".utf8),
            [0x00, 0x00, 0x00, 0x01],  // zeros then something else: garbage from the first zero
            [0x1F, 0x8B, 0x09, 0x00],  // almost a member, wrong method
            [0x1F, 0x8C],
        ] as [[UInt8]])
    func trailingGarbageLocated(garbage: [UInt8]) throws {
        let input = TS.compressibleBytes(20_000)
        let valid = try gzip(input)
        // Decompressed data comes out in full before the error.
        let (output, error) = try gunzipUntilError(valid + garbage)
        #expect(output == input)
        #expect(error == .trailingGarbage(compressedOffset: Int64(valid.count)))
        // Also when the garbage lands in a later input buffer.
        #expect(
            try gunzipUntilError(valid + garbage, inputBufferSize: 64).1
                == .trailingGarbage(compressedOffset: Int64(valid.count)))
    }

    @Test func partialSecondMemberMagicIsTruncation() throws {
        let valid = try gzip([1, 2, 3])
        #expect(throws: GzipError.truncated(compressedOffset: Int64(valid.count + 2))) {
            _ = try gunzip(valid + [0x1F, 0x8B])
        }
        let second = try gzip(TS.randomBytes(1000))
        #expect(throws: GzipError.truncated(compressedOffset: Int64(valid.count + 500))) {
            _ = try gunzip(valid + second.prefix(500))
        }
    }
}
