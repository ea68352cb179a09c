import ByteIO
import CZlib
import Dispatch
import Synchronization

/// Worker threads that compress blocks in parallel for a ``ParallelDeflater``.
///
/// Only values cross threads: a ``Job`` (the block and its dictionary, as arrays) goes to a
/// worker, an ``Output`` (the compressed bytes and the block's CRC-32) comes back, both through
/// state behind a `Mutex`. Each worker owns its ``BlockCompressor``, created on its own thread,
/// which never leaves it. Results are keyed by sequence number and taken in order by the one
/// thread that submits, so the output does not depend on which worker finished first.
final class CompressionPool: Sendable {
    /// One block to compress.
    struct Job: Sendable {
        /// The block's place in the stream, from 0.
        var sequence: Int
        /// The uncompressed bytes.
        var data: [UInt8]
        /// The member's bytes before `data` (the last 32 KiB are used); empty at a member's start.
        var dictionary: [UInt8]
        /// Whether the block starts a gzip member.
        var isFirst: Bool
        /// Whether the block ends a gzip member.
        var isFinal: Bool
    }

    /// One compressed block.
    struct Output: Sendable {
        /// The job's sequence number.
        var sequence: Int
        /// The raw deflate bytes, or why zlib failed.
        var compressed: Result<[UInt8], GzipError>
        /// The CRC-32 of the uncompressed bytes.
        var crc: UInt32
        /// How many uncompressed bytes the block had.
        var count: Int
        /// Copied from the job.
        var isFirst: Bool
        /// Copied from the job.
        var isFinal: Bool
    }

    private struct State {
        var jobs: [Job] = []
        var results: [Int: Output] = [:]
        var closed = false
    }

    /// How many worker threads compress.
    let threads: Int

    private let state = Mutex(State())
    /// Signalled once per job queued, and once per worker at shutdown.
    private let jobsReady = DispatchSemaphore(value: 0)
    /// Signalled once per result stored.
    private let resultReady = DispatchSemaphore(value: 0)
    private let workers = DispatchGroup()

    /// Starts `threads` workers, each on its own serial dispatch queue (which runs on a thread of
    /// its own, not on the width-limited shared pool).
    ///
    /// - Parameters:
    ///   - threads: How many blocks to compress at once (at least 1).
    ///   - level: The compression level, `0...9`.
    init(threads: Int, level: Int32) {
        self.threads = max(1, threads)
        for index in 0..<self.threads {
            workers.enter()
            DispatchQueue(label: "imgtool.deflate.\(index)").async { [self] in
                defer { workers.leave() }
                work(level: level)
            }
        }
    }

    /// A worker's loop: take a job, compress it, store the output, until shutdown.
    private func work(level: Int32) {
        let compressor = Result { () throws(GzipError) in try BlockCompressor(level: level) }
        while let job = nextJob() {
            let crc = job.data.withUnsafeBufferPointer { b in
                UInt32(truncatingIfNeeded: CZlib.crc32(0, b.baseAddress, uInt(b.count)))
            }
            let compressed = compressor.flatMap { c in
                Result { () throws(GzipError) in try c.compress(job.data, dictionary: job.dictionary, isFinal: job.isFinal) }
            }
            let output = Output(
                sequence: job.sequence, compressed: compressed, crc: crc, count: job.data.count, isFirst: job.isFirst,
                isFinal: job.isFinal)
            state.withLock { $0.results[job.sequence] = output }
            resultReady.signal()
        }
    }

    /// Waits for a job; `nil` once the pool is shut down.
    private func nextJob() -> Job? {
        while true {
            jobsReady.wait()
            let taken: Job?? = state.withLock { s in
                if s.closed { return .some(nil) }
                if s.jobs.isEmpty { return nil }
                return .some(s.jobs.removeFirst())
            }
            if let taken { return taken }
        }
    }

    /// Queues a block for the next free worker.
    ///
    /// - Parameter job: The block.
    func submit(_ job: Job) {
        state.withLock { $0.jobs.append(job) }
        jobsReady.signal()
    }

    /// The output of job `sequence` if a worker has finished it, removed from the pool.
    ///
    /// - Parameter sequence: The job's sequence number.
    func takeResult(_ sequence: Int) -> Output? {
        state.withLock { $0.results.removeValue(forKey: sequence) }
    }

    /// Waits until job `sequence` is done, then returns its output, removed from the pool.
    ///
    /// - Parameter sequence: The sequence number of a submitted job.
    func waitForResult(_ sequence: Int) -> Output {
        while true {
            if let output = takeResult(sequence) { return output }
            resultReady.wait()
        }
    }

    /// Drops the queued jobs, lets each worker finish the block in hand, and waits for every
    /// worker to end. Calling it again does nothing.
    func shutdown() {
        let first = state.withLock { s in
            defer {
                s.closed = true
                s.jobs.removeAll()
            }
            return !s.closed
        }
        guard first else { return }
        for _ in 0..<threads { jobsReady.signal() }
        workers.wait()
    }
}
