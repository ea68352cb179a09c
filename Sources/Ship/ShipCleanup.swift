import ByteIO
import Foundation
import OCI
import Synchronization

/// Stops every ssh connection and remote command that ship started, and removes their private
/// directories: what an interrupted `imgtool ship` does before it exits.
public enum ShipCleanup {
    private struct State {
        var sessions: [ObjectIdentifier: SSHSession] = [:]
        var stopping = false
    }

    private static let state = Mutex(State())

    /// Registers a new session; `false` once ``stopAll()`` has begun (the session must then not
    /// start anything).
    static func register(_ s: SSHSession) -> Bool {
        state.withLock { st in
            guard !st.stopping else { return false }
            st.sessions[ObjectIdentifier(s)] = s
            return true
        }
    }

    static func unregister(_ s: SSHSession) { _ = state.withLock { $0.sessions.removeValue(forKey: ObjectIdentifier(s)) } }

    /// Stops the remote commands of every open session, then closes each (`ssh -O exit`, the
    /// master stopped, its directory removed), waiting for a close another thread has begun.
    /// Sessions created from now on start nothing. Safe to call from a signal handler's queue
    /// while ships are running on other threads.
    public static func stopAll() {
        let open = state.withLock { st in
            st.stopping = true
            return Array(st.sessions.values)
        }
        for s in open { s.terminateCommands() }
        for s in open { s.close() }
        removeDirectories()
    }

    /// Removes every private directory of this process (`/tmp/imgtool-PID-*`) that is still
    /// there: the last step of ``stopAll()``, so that no path through a race with a closing
    /// session leaves one behind.
    static func removeDirectories() {
        let prefix = "imgtool-\(ProcessInfo.processInfo.processIdentifier)-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [] where name.hasPrefix(prefix) {
            SSHSession.removeDirectory("/tmp/" + name)
        }
    }
}
