import ByteIO
import Foundation
import OCI
import Synchronization

/// A ``ByteIO/ByteSink`` that uploads a blob as it is written: in ordered chunks (`PATCH` with
/// `Content-Range`), hashed on the way, and completed by `PUT ?digest=` with the last bytes, so
/// the registry checks the whole blob's digest before it takes it.
///
/// A chunk is sent on a thread of its own while the next one fills, so compressing and sending
/// overlap; at most two chunks are held. Given an upload the registry already holds a prefix of
/// (``init(client:location:alreadyUploaded:chunkSize:onProgress:)``), the same bytes written
/// again are hashed but not sent: the blob must be written from its start, the same bytes.
public final class BlobUpload: ByteSink, @unchecked Sendable {
    /// The digest of the blob, once finished.
    public private(set) var digest: Digest?
    /// Bytes written so far: the blob's size once finished.
    public private(set) var size: Int64 = 0
    /// Bytes this upload sent (what the registry held already is not counted).
    public var bytesSent: Int64 { state.withLock { $0.sent } }

    private let client: RegistryClient
    private let chunkSize: Int
    private let alreadyUploaded: Int64
    private let hash = SHA256()
    private var buffer = Data()
    private let queue = DispatchQueue(label: "imgtool.blob-upload")
    private let slot = DispatchSemaphore(value: 1)
    private let state: Mutex<State>
    private let onProgress: @Sendable (URL, Int64) -> Void

    private struct State {
        var location: URL
        /// Bytes the registry holds.
        var committed: Int64
        var sent: Int64 = 0
        var failure: RegistryError?
    }

    /// Starts (or takes up) an upload.
    ///
    /// - Parameters:
    ///   - client: The repository's client.
    ///   - location: The upload's location (``RegistryClient/startUpload()``).
    ///   - alreadyUploaded: How many bytes of the blob the registry holds
    ///     (``RegistryClient/uploadedBytes(at:)``), 0 for a new upload.
    ///   - chunkSize: The bytes of one `PATCH` (at least the registry's minimum).
    ///   - onProgress: Called after each chunk with the next location and the bytes the
    ///     registry holds (for resuming after an interruption).
    public init(
        client: RegistryClient, location: URL, alreadyUploaded: Int64 = 0, chunkSize: Int = 8 << 20,
        onProgress: @escaping @Sendable (URL, Int64) -> Void = { _, _ in }
    ) {
        self.client = client
        self.chunkSize = max(64 * 1024, chunkSize)
        self.alreadyUploaded = alreadyUploaded
        self.state = Mutex(State(location: location, committed: alreadyUploaded))
        self.onProgress = onProgress
        buffer.reserveCapacity(self.chunkSize)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let failure = state.withLock({ $0.failure }) { throw failure }
        hash.update(bytes)
        var part = bytes
        if size < alreadyUploaded {
            let skip = Int(min(Int64(bytes.count), alreadyUploaded - size))
            part = UnsafeRawBufferPointer(rebasing: bytes[skip...])
        }
        size += Int64(bytes.count)
        var offset = 0
        while offset < part.count {
            let n = min(chunkSize - buffer.count, part.count - offset)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: part[offset..<(offset + n)]))
            offset += n
            if buffer.count == chunkSize { try send() }
        }
    }

    /// Cancels the upload on the registry (`DELETE`; best effort).
    public func cancel() {
        client.cancel(state.withLock { $0.location })
    }

    /// Sends what is buffered as the last bytes and completes the upload with the digest.
    ///
    /// - Throws: ``RegistryError``: a chunk or the completion failed (a `DIGEST_INVALID` when
    ///   the bytes differ from what an earlier upload sent).
    public func finish() throws {
        slot.wait()
        slot.signal()
        let s = state.withLock { $0 }
        if let failure = s.failure { throw failure }
        // Not begun once a signal stopped the uploads: the process is ending.
        guard InFlight.shared.begin() else {
            throw RegistryError.transport(method: "PUT", url: RegistryClient.redacted(s.location), detail: Self.stopped)
        }
        defer { InFlight.shared.end() }
        let d = Digest(sha256Bytes: hash.finalize().bytes)
        let last = buffer
        buffer = Data()
        try client.complete(s.location, digest: d, last: last)
        state.withLock { $0.sent += Int64(last.count) }
        digest = d
    }

    /// The detail of the error an upload stopped by a signal throws.
    public static let stopped = "stopped by a signal"

    /// Stops every upload of the process after the chunk each has in flight, waiting up to
    /// `seconds` for those chunks: for a signal handler, so that the location each upload
    /// records after its last chunk is the registry's own. (distribution cancels an upload that
    /// is taken up at another offset than the registry holds, "upload resumed at wrong offset",
    /// so an upload stopped mid-chunk could not be resumed.)
    public static func stopUploads(waitingUpTo seconds: Double) {
        InFlight.shared.stop(waitingUpTo: seconds)
    }

    /// Waits for the chunk in flight, then hands the buffer to the sending thread.
    private func send() throws {
        slot.wait()
        if let failure = state.withLock({ $0.failure }) {
            slot.signal()
            throw failure
        }
        guard InFlight.shared.begin() else {
            slot.signal()
            throw RegistryError.transport(
                method: "PATCH", url: state.withLock { RegistryClient.redacted($0.location) }, detail: Self.stopped)
        }
        let chunk = buffer
        buffer = Data()
        buffer.reserveCapacity(chunkSize)
        queue.async { [self] in
            defer {
                InFlight.shared.end()
                slot.signal()
            }
            let (location, offset) = state.withLock { ($0.location, $0.committed) }
            do {
                let next = try client.patch(location, chunk, offset: offset)
                let committed = state.withLock {
                    $0.location = next
                    $0.committed += Int64(chunk.count)
                    $0.sent += Int64(chunk.count)
                    return $0.committed
                }
                onProgress(next, committed)
            } catch {
                state.withLock {
                    $0.failure =
                        error as? RegistryError ?? .transport(method: "PATCH", url: RegistryClient.redacted(location), detail: "\(error)")
                }
            }
        }
    }
}

/// The chunks in flight in the process, and whether new ones may start.
private final class InFlight: @unchecked Sendable {
    static let shared = InFlight()
    private let condition = NSCondition()
    private var count = 0
    private var stopping = false

    func begin() -> Bool {
        condition.withLock {
            guard !stopping else { return false }
            count += 1
            return true
        }
    }

    func end() {
        condition.withLock {
            count -= 1
            condition.broadcast()
        }
    }

    func stop(waitingUpTo seconds: Double) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.withLock {
            stopping = true
            while count > 0 && condition.wait(until: deadline) {}
        }
    }
}
