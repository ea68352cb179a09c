import Dispatch
import Synchronization

/// A bounded hand-over of byte buffers from a producer thread to a consumer thread, with the
/// emptied buffers handed back: the only thing the two threads share.
///
/// Only values cross: `[UInt8]` buffers, a final ``Summary`` and an error. The consumer lends
/// the producer a fixed set of buffers (``lend(_:)``); the producer waits for one
/// (``takeEmpty()``), fills it and ``send(_:)``s it; the consumer ``receive()``s it and gives it
/// back with ``giveBack(_:)``. The number of buffers is the bound: a producer ahead of its
/// consumer waits, and memory stays fixed. ``finish(_:)`` and ``fail(_:)`` end the stream after
/// every buffer sent before them; ``cancel()`` lets a consumer that stops early wake a waiting
/// producer, which then stops too.
public final class BufferChannel: Sendable {
    /// A filled buffer: its first `count` bytes are data.
    public struct Chunk: Sendable {
        public var bytes: [UInt8]
        public var count: Int

        /// A buffer whose first `count` bytes are data.
        public init(bytes: [UInt8], count: Int) {
            self.bytes = bytes
            self.count = count
        }
    }

    /// What the producer reports at the clean end of the stream.
    public struct Summary: Sendable {
        /// Bytes read from the input.
        public var inputBytes: Int64
        /// Bytes produced (the uncompressed stream).
        public var outputBytes: Int64
        /// Compressed members (gzip) or frames (zstd) decompressed.
        public var members: Int

        /// A summary.
        public init(inputBytes: Int64, outputBytes: Int64, members: Int) {
            self.inputBytes = inputBytes
            self.outputBytes = outputBytes
            self.members = members
        }
    }

    /// What ``receive()`` returns.
    public enum Received: Sendable {
        /// A filled buffer.
        case chunk(Chunk)
        /// The clean end.
        case end(Summary)
        /// The producer's error.
        case failure(any Error)
    }

    private struct State: Sendable {
        var ready: [Chunk] = []
        var empty: [[UInt8]] = []
        var end: Received?
        var cancelled = false
    }

    private let state = Mutex(State())
    /// Counts chunks (and the end) ready for the consumer.
    private let readySignal = DispatchSemaphore(value: 0)
    /// Counts empty buffers (and the cancellation) for the producer.
    private let emptySignal = DispatchSemaphore(value: 0)

    public init() {}

    // MARK: - Consumer side

    /// Gives the producer a buffer to fill (called once per buffer, before and while reading).
    public func lend(_ buffer: consuming [UInt8]) {
        let b = buffer
        state.withLock { $0.empty.append(b) }
        emptySignal.signal()
    }

    /// Gives back a buffer the consumer has finished with.
    public func giveBack(_ buffer: consuming [UInt8]) { lend(buffer) }

    /// The next chunk, or the end of the stream; waits for the producer.
    public func receive() -> Received {
        readySignal.wait()
        return state.withLock { s -> Received in
            if !s.ready.isEmpty { return .chunk(s.ready.removeFirst()) }
            // The end: signal again, so that every later call returns it too.
            readySignal.signal()
            return s.end ?? .failure(ByteIOError(operation: "read (the reading thread stopped without a result)", errno: POSIX.ioError))
        }
    }

    /// Stops the producer: its next ``takeEmpty()`` returns `nil`.
    public func cancel() {
        state.withLock { $0.cancelled = true }
        emptySignal.signal()
    }

    // MARK: - Producer side

    /// An empty buffer to fill; waits for one. `nil` once the consumer has cancelled.
    public func takeEmpty() -> [UInt8]? {
        emptySignal.wait()
        return state.withLock { s -> [UInt8]? in
            if s.cancelled {
                emptySignal.signal()
                return nil
            }
            return s.empty.popLast()
        }
    }

    /// Hands a filled buffer to the consumer.
    public func send(_ chunk: consuming Chunk) {
        let c = chunk
        state.withLock { $0.ready.append(c) }
        readySignal.signal()
    }

    /// Ends the stream cleanly, after the chunks already sent.
    public func finish(_ summary: Summary) { end(.end(summary)) }

    /// Ends the stream with an error, after the chunks already sent.
    public func fail(_ error: any Error) { end(.failure(error)) }

    private func end(_ value: Received) {
        state.withLock { s in
            if s.end == nil { s.end = value }
        }
        readySignal.signal()
    }
}
