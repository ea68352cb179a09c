/// The consumer's end of a ``BufferChannel``, as a ``ByteSource``: it serves each received
/// buffer's bytes, gives the buffer back, and ends (or throws) where the producer did.
///
/// It belongs to the consumer's thread; it is not `Sendable`.
public final class ChannelSource: ByteSource {
    private let channel: BufferChannel
    private var current: [UInt8] = []
    private var start = 0
    private var end = 0
    /// The producer's report, once the stream has ended cleanly.
    public private(set) var summary: BufferChannel.Summary?
    private var failure: (any Error)?

    public init(_ channel: BufferChannel) {
        self.channel = channel
    }

    /// Makes bytes available; `false` at the end of the stream.
    private func refill() throws -> Bool {
        while start == end {
            if let failure { throw failure }
            if summary != nil { return false }
            if end > 0 || !current.isEmpty {
                var done: [UInt8] = []
                swap(&done, &current)
                channel.giveBack(done)
                start = 0
                end = 0
            }
            switch channel.receive() {
            case .chunk(let chunk):
                current = chunk.bytes
                start = 0
                end = chunk.count
            case .end(let s):
                summary = s
                return false
            case .failure(let e):
                failure = e
                throw e
            }
        }
        return true
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        guard try refill() else { return 0 }
        let n = min(buffer.count, end - start)
        current.withUnsafeBytes { bytes in
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: n)
        }
        start += n
        return n
    }

    public func skip(_ count: Int64) throws -> Int64 {
        var done: Int64 = 0
        while done < count {
            guard try refill() else { break }
            let n = Int(min(Int64(end - start), count - done))
            start += n
            done += Int64(n)
        }
        return done
    }
}
