import Dispatch
import Synchronization

/// The SHA-256 of a whole file, computed on a thread of its own by a read of its own, so that
/// another thread can do its own work on the same bytes meanwhile (the second read mostly finds
/// them in the page cache).
///
/// Only the caller can tell whether both reads saw the same bytes: compare what depends on them
/// (the file's status before and after, or a check at the far end).
public final class FileDigestTask: Sendable {
    private let done = DispatchGroup()
    private let outcome = Mutex<Result<(digest: SHA256Digest, size: Int64), ByteIOError>?>(nil)

    /// Starts hashing the file at `path`.
    /// - Parameter path: The file.
    public init(path: String) {
        done.enter()
        DispatchQueue.global().async { [self] in
            let r = Result { () throws(ByteIOError) in try Self.hash(path) }
            outcome.withLock { $0 = r }
            done.leave()
        }
    }

    /// Waits for the hash.
    /// - Returns: The file's SHA-256 and the number of bytes hashed.
    /// - Throws: ``ByteIOError`` when the file could not be opened or read.
    public func wait() throws(ByteIOError) -> (digest: SHA256Digest, size: Int64) {
        done.wait()
        guard let r = outcome.withLock({ $0 }) else { throw ByteIOError(operation: "read", errno: 0, path: "") }
        return try r.get()
    }

    private static func hash(_ path: String) throws(ByteIOError) -> (digest: SHA256Digest, size: Int64) {
        let file = try FileSource(path: path)
        defer { file.close() }
        let hasher = SHA256()
        do {
            let size = try file.forEachRead { hasher.update($0) }
            return (hasher.finalize(), size)
        } catch let e as ByteIOError {
            throw e
        } catch {
            throw ByteIOError(operation: "read", errno: 0, path: path)
        }
    }
}
