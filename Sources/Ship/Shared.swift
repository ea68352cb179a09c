import OCI
import Synchronization

/// A value that threads share behind a lock: the reader threads of a ``RemoteProcess`` and the
/// thread that waits for it.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    /// Runs `body` with the value locked.
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        mutex.withLock { value in body(&value) }
    }

    /// A copy of the value.
    var value: Value { mutex.withLock { $0 } }
}
