import Dispatch
import Synchronization

/// A ``ByteSink`` that writes to another on a thread of its own, in order, so that the writer's
/// thread never waits for `write(2)`: bytes are gathered into 1 MiB buffers, and at most a few
/// buffers wait to be written (bounded memory).
///
/// An error of the wrapped sink comes back from the next ``write(_:)`` or from ``finish()``.
/// ``finish()`` waits until everything is written, then finishes the wrapped sink; ``cancel()``
/// drops what waits and stops the thread. Either must be called before the wrapped sink is used
/// again (committed, discarded). The sink belongs to one writing thread; it is not `Sendable`.
public final class WriteBehindSink: ByteSink {
    /// The wrapped sink and what the writing thread shares with the caller's: the first error,
    /// and whether to drop what waits. The sink is touched by the writing thread only, until
    /// ``finish()`` or ``cancel()`` has waited for it.
    private final class Target: @unchecked Sendable {
        var sink: any ByteSink
        let failure = Mutex<(any Error)?>(nil)
        let cancelled = Mutex(false)
        init(_ sink: any ByteSink) { self.sink = sink }
    }

    private let target: Target
    private let queue = DispatchQueue(label: "imgtool.write-behind")
    private let slots: DispatchSemaphore
    private var buffer: [UInt8] = []
    private let bufferSize: Int
    private var ended = false

    /// Wraps `sink`.
    ///
    /// - Parameters:
    ///   - sink: Where the bytes go, written on the sink's own thread only from now on.
    ///   - bufferSize: The size of the buffers handed to the thread (1 MiB).
    ///   - queued: How many may wait to be written (4).
    public init(_ sink: any ByteSink, bufferSize: Int = 1 << 20, queued: Int = 4) {
        target = Target(sink)
        self.bufferSize = bufferSize
        slots = DispatchSemaphore(value: queued)
        buffer.reserveCapacity(bufferSize)
    }

    /// Gathers `bytes`, handing full buffers to the writing thread.
    ///
    /// - Throws: What the wrapped sink threw for earlier bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let error = target.failure.withLock({ $0 }) { throw error }
        var offset = 0
        while offset < bytes.count {
            let n = min(bufferSize - buffer.count, bytes.count - offset)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            offset += n
            if buffer.count == bufferSize { hand() }
        }
    }

    /// Writes what is gathered, waits for every write, then finishes the wrapped sink.
    ///
    /// - Throws: What the wrapped sink threw.
    public func finish() throws {
        guard !ended else { return }
        ended = true
        if !buffer.isEmpty { hand() }
        queue.sync {}
        if let error = target.failure.withLock({ $0 }) { throw error }
        try target.sink.finish()
    }

    /// Drops what waits to be written and waits for the thread to stop; the wrapped sink is not
    /// finished.
    public func cancel() {
        guard !ended else { return }
        ended = true
        target.cancelled.withLock { $0 = true }
        buffer = []
        queue.sync {}
    }

    private func hand() {
        let bytes = buffer
        buffer = []
        buffer.reserveCapacity(bufferSize)
        slots.wait()
        let target = self.target
        let slots = self.slots
        queue.async {
            defer { slots.signal() }
            guard !target.cancelled.withLock({ $0 }), target.failure.withLock({ $0 }) == nil else { return }
            do {
                try bytes.withUnsafeBytes { try target.sink.write($0) }
            } catch {
                target.failure.withLock { $0 = error }
            }
        }
    }
}
