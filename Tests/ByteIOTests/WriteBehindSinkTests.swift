import ByteIO
import Foundation
import TestSupport
import Testing

/// `WriteBehindSink`: what is written arrives whole and in order on the wrapped sink, a failure
/// of the wrapped sink comes back to the writer, and a cancelled one writes nothing more.
@Suite struct WriteBehindSinkTests {
    /// Fails once it has taken `limit` bytes, as a full disk does.
    final class FullSink: ByteSink {
        var taken = 0
        let limit: Int
        init(limit: Int) { self.limit = limit }
        func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard taken + bytes.count <= limit else { throw ByteIOError(operation: "write", errno: 28, path: "/full") }
            taken += bytes.count
        }
        func finish() throws {}
    }

    @Test(arguments: [1, 10, 4095, 1 << 20, 3 << 20])
    func everyByteArrivesInOrder(piece: Int) throws {
        let data = TS.noise(5_000_000, seed: UInt64(piece))
        let inner = BufferSink()
        let sink = WriteBehindSink(inner, bufferSize: 64 << 10, queued: 2)
        var offset = 0
        try data.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = min(piece, raw.count - offset)
                try sink.write(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)]))
                offset += n
            }
        }
        try sink.finish()
        #expect(inner.isFinished)
        #expect(inner.bytes == data)
    }

    @Test func aFailureOfTheWrappedSinkComesBack() throws {
        let sink = WriteBehindSink(FullSink(limit: 200_000), bufferSize: 64 << 10, queued: 2)
        let piece = [UInt8](repeating: 7, count: 50_000)
        #expect {
            for _ in 0..<100 { try piece.withUnsafeBytes { try sink.write($0) } }
            try sink.finish()
        } throws: { ($0 as? ByteIOError)?.isOutOfSpace == true }
    }

    @Test func aCancelledSinkWritesNothingMoreAndIsNotFinished() throws {
        let inner = BufferSink()
        let sink = WriteBehindSink(inner, bufferSize: 1024, queued: 1)
        try [UInt8](repeating: 1, count: 100).withUnsafeBytes { try sink.write($0) }
        sink.cancel()
        #expect(inner.bytes.isEmpty, "the 100 bytes were still gathered, not handed over")
        #expect(!inner.isFinished)
        try sink.finish()
        #expect(!inner.isFinished, "finish after cancel does nothing")
    }
}
