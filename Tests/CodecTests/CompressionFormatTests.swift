import Codec
import Foundation
import TestSupport
import Testing

/// Telling the compression formats apart by their first bytes, on real tools' output and on
/// the edge cases, and the command that decompresses each.
@Suite struct CompressionFormatTests {
    @Test func detectRealFormats() throws {
        try TS.withTemporaryDirectory { dir in
            try TS.write(TS.compressibleBytes(10_000), to: dir.appendingPathComponent("data"))
            try TS.shell(
                """
                /usr/bin/gzip -c data > data.gz && /usr/bin/zstd -q -c data > data.zst && \
                /usr/bin/xz -c data > data.xz && /usr/bin/bzip2 -c data > data.bz2 && \
                /usr/bin/pigz -c data > data.pigz.gz && tar -cf data.tar data
                """, in: dir)
            let expected: [(String, CompressionFormat)] = [
                ("data.gz", .gzip), ("data.pigz.gz", .gzip), ("data.zst", .zstd), ("data.xz", .xz),
                ("data.bz2", .bzip2), ("data.tar", .none), ("data", .none),
            ]
            for (name, format) in expected {
                let prefix = Array(try TS.contents(of: dir.appendingPathComponent(name)).prefix(CompressionFormat.sniffLength))
                #expect(CompressionFormat.detect(prefix) == format, "\(name)")
            }
            // Our own output too: GzipTests' GzipHeaderTests.
        }
    }

    @Test func detectEdgeCases() {
        #expect(CompressionFormat.detect([0x50, 0x2A, 0x4D, 0x18, 0, 0]) == .zstd)  // skippable frame
        #expect(CompressionFormat.detect([0x5F, 0x2A, 0x4D, 0x18]) == .zstd)
        #expect(CompressionFormat.detect([0x60, 0x2A, 0x4D, 0x18]) == .none)
        #expect(CompressionFormat.detect([0x1F, 0x8B]) == .none)  // too short to tell
        #expect(CompressionFormat.detect([]) == .none)
        #expect(CompressionFormat.detect([0xFD, 0x37, 0x7A, 0x58, 0x5A]) == .none)
        #expect(CompressionFormat.gzip.decompressCommand == "gzip -dc")
        #expect(CompressionFormat.zstd.decompressCommand == "zstd -dc")
        #expect(CompressionFormat.xz.decompressCommand == "xz -dc")
        #expect(CompressionFormat.bzip2.decompressCommand == "bzip2 -dc")
        #expect(CompressionFormat.none.decompressCommand == nil)
    }
}
