import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Ship
import Synchronization

/// The progress line of `ship` on a terminal: bytes sent of the bytes to send, rate, ETA and
/// chunks already on the remote, summed over the destinations; redrawn in place at most ten times
/// a second, cut to the terminal's width (asked at each redraw, so a resized window is followed).
///
/// The rate is measured from the first byte sent, not from the start (connecting and the target
/// probe take seconds that say nothing about the link), and the ETA appears only once the rate
/// rests on enough of the transfer: two seconds and 2% of it.
final class ShipProgressLine: Sendable {
    private struct State {
        var perDestination: [Int: ShipProgress] = [:]
        var lastDraw = Date.distantPast
        var firstByte: Date?
    }

    private let state = Mutex(State())
    private let enabled: Bool

    init(enabled: Bool) { self.enabled = enabled }

    /// Records the progress of destination `index` and redraws.
    func update(_ index: Int, _ p: ShipProgress) {
        guard enabled else { return }
        let line: String? = state.withLock { s in
            s.perDestination[index] = p
            let now = Date()
            if s.firstByte == nil && p.bytesSent > 0 { s.firstByte = now }
            guard now.timeIntervalSince(s.lastDraw) >= 0.1 else { return nil }
            s.lastDraw = now
            let all = s.perDestination.values
            let sent = all.reduce(Int64(0)) { $0 + $1.bytesSent }
            let toSend = all.reduce(Int64(0)) { $0 + $1.bytesToSend + $1.bytesSent - min($1.bytesSent, $1.bytesToSend) }
            let skipped = all.reduce(0) { $0 + $1.chunksSkipped }
            let seconds = s.firstByte.map { now.timeIntervalSince($0) } ?? 0
            var text = "ship: \(Format.bytes(sent))"
            if toSend > 0 { text += " of \(Format.bytes(toSend)) (\(min(100, Int(sent * 100 / toSend)))%)" }
            if seconds >= 0.5 {
                let rate = Double(sent) / seconds
                text += ", \(Format.bytes(Int64(rate)))/s"
                if rate > 0, toSend > sent, seconds >= 2, sent * 50 >= toSend {
                    let eta = Int(Double(toSend - sent) / rate)
                    text += ", ETA \(eta / 60):" + (eta % 60 < 10 ? "0" : "") + "\(eta % 60)"
                }
            }
            if skipped > 0 { text += ", \(Format.plural(skipped, "chunk", "chunks")) already there" }
            return "\r\u{1B}[K" + Terminal.fitted(text, columns: TerminalSize.columns(of: 2))
        }
        if let line { Terminal.writeError(line) }
    }

    /// Clears the line before other output.
    func clear() {
        if enabled { Terminal.writeError("\r\u{1B}[K") }
    }
}
