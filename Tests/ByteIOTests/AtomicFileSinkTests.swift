import ByteIO
import Foundation
import TestSupport
import Testing

/// `AtomicFileSink`: nothing shows at the destination until committed; discarded or dropped,
/// the destination is left alone.
@Suite struct AtomicFileSinkTests {
    @Test func atomicSinkShowsNothingUntilCommitted() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let destination = tmp.path("out.gz")
        try TS.write(Array("old".utf8), to: destination)
        let sink = try AtomicFileSink(destination: destination)
        #expect(sink.temporaryPath.hasPrefix(tmp.url.path + "/.out.gz."))
        try Array("new".utf8).withUnsafeBytes { try sink.write($0) }
        #expect(try TS.bytes(destination) == Array("old".utf8))
        try sink.commit()
        #expect(try TS.bytes(destination) == Array("new".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path) == ["out.gz"])
    }

    @Test func atomicSinkDiscardedOrDroppedLeavesTheDestinationAlone() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let destination = tmp.path("out.gz")
        let sink = try AtomicFileSink(destination: destination)
        try Array("partial".utf8).withUnsafeBytes { try sink.write($0) }
        sink.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path) == [])
        do {
            let dropped = try AtomicFileSink(destination: destination)
            try Array("partial".utf8).withUnsafeBytes { try dropped.write($0) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path) == [])
        #expect(throws: ByteIOError.self) { try AtomicFileSink(destination: tmp.path("missing-dir/out.gz")) }
    }
}
