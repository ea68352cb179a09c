import ByteIO
import Foundation
import Gzip
import TestSupport
import Testing

/// Interoperability with the system gzip and pigz, both ways.
@Suite struct GzipInteropTests {
    @Test(arguments: ["gzip", "pigz"])
    func ourOutputReadBySystemTool(tool: String) throws {
        try TS.withTemporaryDirectory { dir in
            let input = TS.randomBytes(600_000) + TS.compressibleBytes(2_000_000)
            let sink = try FileSink(creating: dir.appendingPathComponent("ours.gz").path)
            let deflater = try Deflater(sink, level: 6)
            try input.withUnsafeBytes { try deflater.write($0) }
            try deflater.finish()
            try sink.close()
            #expect(sink.bytesWritten == deflater.compressedBytesWritten)
            try TS.shell("/usr/bin/\(tool) -t ours.gz && /usr/bin/\(tool) -dc ours.gz > out", in: dir)
            #expect(try TS.contents(of: dir.appendingPathComponent("out")) == input)
        }
    }

    @Test(arguments: ["gzip", "pigz"], [1, 9])
    func systemToolOutputReadByUs(tool: String, level: Int) throws {
        try TS.withTemporaryDirectory { dir in
            let input = TS.randomBytes(1_000_000, seed: 42) + TS.compressibleBytes(2_000_000)
            try TS.write(input, to: dir.appendingPathComponent("in"))
            // Named input: the header carries FNAME and MTIME, which zlib must parse past.
            try TS.shell("/usr/bin/\(tool) -\(level) -c in > in.gz", in: dir)
            let path = dir.appendingPathComponent("in.gz").path
            let compressedSize = try TS.contents(of: dir.appendingPathComponent("in.gz")).count
            let inflater = try Inflater(try FileSource(path: path))
            #expect(try TS.readAll(inflater) == input)
            #expect(inflater.compressedBytesConsumed == Int64(compressedSize))
            #expect(inflater.membersCompleted == 1)
        }
    }
}
