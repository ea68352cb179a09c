import ByteIO
import Foundation
import TestSupport
import Testing

/// `FileSink`: writes, counts, closes once, and reports a broken pipe as such.
@Suite struct FileSinkTests {
    @Test func fileSinkWritesAndReportsBrokenPipe() throws {
        try TS.withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("out")
            let sink = try FileSink(creating: url.path)
            let data = TS.randomBytes(70_000)
            try data.withUnsafeBytes { try sink.write($0) }
            try sink.finish()
            #expect(sink.bytesWritten == 70_000)
            try sink.close()
            try sink.close()  // idempotent
            #expect(try TS.contents(of: url) == data)
            #expect(throws: ByteIOError(operation: "write", errno: EBADF, path: url.path)) {
                try data.withUnsafeBytes { try sink.write($0) }
            }
        }
        // A pipe without a reader: EPIPE, thrown (SIGPIPE ignored, as a CLI that handles it does).
        _ = signal(SIGPIPE, SIG_IGN)
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let sink = FileSink(fileDescriptor: pipe.fileHandleForWriting.fileDescriptor, closeOnDeinit: false)
        let error = #expect(throws: ByteIOError.self) {
            try [UInt8(1), 2, 3].withUnsafeBytes { try sink.write($0) }
        }
        #expect(error == ByteIOError(operation: "write", errno: EPIPE, path: nil))
        #expect(error?.isBrokenPipe == true)
    }
}
