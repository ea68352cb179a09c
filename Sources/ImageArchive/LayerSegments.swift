import ByteIO
import Codec
import Dispatch
import Gzip
import OCI
import Synchronization
import Tar

/// The helper thread of ``LayerScanner/scan(memory:)``: scans the pieces of a layer held in
/// memory from the last one backwards, until it reaches a piece the scanning thread has
/// claimed.
///
/// Each piece is claimed once, by one of the two threads. The helper's table of a piece is
/// `nil` when its walk failed or did not end exactly where the next piece starts (its start was
/// not an entry boundary); the scanning thread then scans that piece itself.
final class LayerSegments: Sendable {
    private enum Owner { case none, scanner, helper }

    private struct State {
        var owners: [Owner]
        var tables: [LayerTable?]
        var stopped = false
    }

    private let state: Mutex<State>
    /// One per piece, left when the helper has finished it or will never take it.
    private let pieces: [DispatchGroup]
    private let running = DispatchGroup()

    /// Starts the helper on `memory`, which must stay valid until ``finish()`` has returned.
    ///
    /// - Parameters:
    ///   - scanner: The layer's scanner.
    ///   - memory: The whole layer.
    ///   - starts: Where each piece starts; the first is 0 and is the scanning thread's.
    ///   - releasingPages: Whether `memory` is mapped file pages, released behind the walk.
    init(scanner: LayerScanner, memory: UnsafeRawBufferPointer, starts: [Int], releasingPages: Bool) {
        var owners = [Owner](repeating: .none, count: starts.count)
        owners[0] = .scanner
        state = Mutex(State(owners: owners, tables: [LayerTable?](repeating: nil, count: starts.count)))
        pieces = starts.map { _ in DispatchGroup() }
        for group in pieces.dropFirst() { group.enter() }
        // Crosses to the other thread as plain values.
        let address = UInt(bitPattern: memory.baseAddress)
        let count = memory.count
        running.enter()
        // A queue of its own: the scanning thread waits for it, so it must not wait for a
        // thread of a shared pool to come free.
        DispatchQueue(label: "imgtool.layer-pieces").async { [self] in
            let layer = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: address), count: count)
            var k = starts.count - 1
            while k >= 1, takeForHelper(k) {
                let table = scanner.scanPiece(
                    of: layer, from: starts[k], to: k + 1 < starts.count ? starts[k + 1] : nil, releasingPages: releasingPages)
                state.withLock { $0.tables[k] = table }
                pieces[k].leave()
                k -= 1
            }
            // The pieces never taken: nobody waits for them, but the groups are balanced.
            for j in stride(from: k, through: 1, by: -1) { pieces[j].leave() }
            running.leave()
        }
    }

    private func takeForHelper(_ k: Int) -> Bool {
        state.withLock { s in
            guard !s.stopped, s.owners[k] == .none else { return false }
            s.owners[k] = .helper
            return true
        }
    }

    /// Claims piece `k` for the scanning thread.
    /// - Returns: `true` when the piece is the scanning thread's to scan; `false` when the helper
    ///   has it (then ``table(_:)`` gives its result).
    func claim(_ k: Int) -> Bool {
        state.withLock { s in
            if s.owners[k] == .helper { return false }
            s.owners[k] = .scanner
            return true
        }
    }

    /// The helper's table of piece `k`, waiting for it; `nil` when the helper did not take the
    /// piece or its walk did not hold.
    func table(_ k: Int) -> LayerTable? {
        guard state.withLock({ $0.owners[k] == .helper }) else { return nil }
        pieces[k].wait()
        return state.withLock { $0.tables[k] }
    }

    /// Stops the helper from taking more pieces and waits for it to return.
    func finish() {
        state.withLock { $0.stopped = true }
        running.wait()
    }
}
