import ByteIO
import Foundation
import TestSupport
import Testing

/// `FileSource`: seeks over what it skips in a regular file, reads past it in a pipe, and
/// names the file when it cannot open it.
@Suite struct FileSourceTests {
    @Test func fileSourceSeeksOnRegularFile() throws {
        try TS.withTemporaryDirectory { dir in
            let data = TS.randomBytes(100_000)
            let url = dir.appendingPathComponent("f")
            try TS.write(data, to: url)
            let source = try FileSource(path: url.path)
            #expect(source.isSeekableRegularFile)
            #expect(source.size == 100_000)
            var head = [UInt8](repeating: 0, count: 10)
            #expect(try head.withUnsafeMutableBytes { try source.readFully(into: $0) } == 10)
            #expect(head == Array(data[0..<10]))
            #expect(try source.skip(50_000) == 50_000)
            #expect(source.offset == 50_010)
            var next = [UInt8](repeating: 0, count: 5)
            _ = try next.withUnsafeMutableBytes { try source.readFully(into: $0) }
            #expect(next == Array(data[50_010..<50_015]))
            #expect(try source.skip(1_000_000) == 100_000 - 50_015)  // never past the end
            #expect(try source.skip(1) == 0)
            #expect(source.offset == 100_000)
            #expect(try TS.readAll(source).isEmpty)
            source.close()
            #expect(throws: ByteIOError.self) { _ = try TS.readAll(source) }
        }
    }

    @Test func fileSourceOpenFailure() throws {
        try TS.withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("missing").path
            #expect(throws: ByteIOError(operation: "open", errno: ENOENT, path: path)) {
                _ = try FileSource(path: path)
            }
            let message = ByteIOError(operation: "open", errno: ENOENT, path: path).description
            #expect(message == "open \(path) failed: No such file or directory (errno \(ENOENT))")
        }
    }

    @Test func fileSourceSkipsOnPipeByReading() throws {
        let data = TS.randomBytes(40_000)  // fits in a pipe's buffer: no writer thread needed
        let pipe = Pipe()
        pipe.fileHandleForWriting.write(Data(data))
        try pipe.fileHandleForWriting.close()
        let source = FileSource(fileDescriptor: pipe.fileHandleForReading.fileDescriptor, closeOnDeinit: false)
        #expect(!source.isSeekableRegularFile)
        #expect(source.size == nil)
        #expect(try source.skip(12_345) == 12_345)
        #expect(source.offset == 12_345)
        var next = [UInt8](repeating: 0, count: 3)
        _ = try next.withUnsafeMutableBytes { try source.readFully(into: $0) }
        #expect(next == Array(data[12_345..<12_348]))
        #expect(try source.skip(1_000_000) == Int64(40_000 - 12_348))
        #expect(try source.skip(1) == 0)
    }
}
