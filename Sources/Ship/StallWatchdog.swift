import Foundation
import OCI
import Synchronization

/// Watches a transfer for stalls: when no byte has gone out for ``seconds``, it reports once
/// (and again after each recovery and new stall), from a timer thread of its own.
/// `@unchecked`: the timer is set once, in `init`, and a dispatch source may be cancelled from any thread.
final class StallWatchdog: @unchecked Sendable {
    private struct State {
        var last = Date()
        var reported = false
        var stalls = 0
        var stopped = false
    }

    private let state = Mutex(State())
    private let seconds: Double
    private let timer: any DispatchSourceTimer

    /// Starts watching.
    /// - Parameters:
    ///   - seconds: The stall time; 0 or less watches nothing.
    ///   - report: Called with the stall time when a stall begins.
    init(seconds: Double, report: @escaping @Sendable (Int) -> Void) {
        self.seconds = seconds
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "imgtool.stall"))
        // Resumed even when it watches nothing: libdispatch traps on releasing a source that was
        // never resumed.
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler { [weak self] in
            guard let self, seconds > 0 else { return }
            let stalled: Bool = self.state.withLock { s in
                guard !s.stopped, !s.reported, Date().timeIntervalSince(s.last) >= seconds else { return false }
                s.reported = true
                s.stalls += 1
                return true
            }
            if stalled { report(Int(seconds.rounded())) }
        }
        timer.resume()
    }

    /// Bytes went out.
    func moved() {
        state.withLock { s in
            s.last = Date()
            s.reported = false
        }
    }

    /// Stops watching; returns how many stalls there were.
    func stop() -> Int {
        let n = state.withLock { s in
            s.stopped = true
            return s.stalls
        }
        timer.cancel()
        return n
    }
}
