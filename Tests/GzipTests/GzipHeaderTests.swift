import Codec
import Gzip
import TestSupport
import Testing

/// The gzip header and trailer the Deflater writes: reproducible (mtime 0, OS 255, no name),
/// with the XFL of the level, the CRC-32 and the length.
@Suite struct GzipHeaderTests {
    @Test func reproducibleOutput() throws {
        let input = TS.randomBytes(50_000) + TS.compressibleBytes(50_000)
        let first = try gzip(input, level: 6)
        let second = try gzip(input, level: 6)
        #expect(first == second)
        #expect(Array(first[0..<4]) == [0x1F, 0x8B, 0x08, 0x00])  // magic, deflate, no flags (no name)
        #expect(Array(first[4..<8]) == [0, 0, 0, 0])  // mtime 0
        #expect(first[9] == 255)  // OS unknown
        #expect(try gzip(input, level: 9)[8] == 2)  // XFL: maximum compression
        #expect(try gzip(input, level: 1)[8] == 4)  // XFL: fastest
        // The trailer is the input's CRC-32 and length, little-endian.
        let isize = first.suffix(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
        #expect(isize == UInt32(input.count))
    }

    /// Codec's format detection takes our own output for gzip (moved from CodecTests'
    /// detectRealFormats, which tries the real tools' output).
    @Test func ourOutputIsDetectedAsGzip() throws {
        #expect(CompressionFormat.detect(try gzip([1, 2, 3])) == .gzip)
    }
}
