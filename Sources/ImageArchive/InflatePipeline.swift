import ByteIO
import Codec
import Dispatch
import OCI
import Tar

/// The archive's compressed stream (gzip or zstd) decompressed on a thread of its own, so that
/// inflating (the one job that takes a whole core) overlaps with tar parsing, hashing and table
/// building on the caller's thread. A plain tar is only read there (compression `.none`): the kernel's copy out of
/// the page cache or the pipe, a quarter of a verifying pass's time, then overlaps with hashing
/// too, and the caller's thread copies each byte once in user space instead.
///
/// The caller hands over its whole input chain (the file, the bytes it sniffed, the counting and
/// the tap) through a ``ByteIO/Handoff``; from then on only the reading thread touches it, so a
/// tap sees every byte on that one thread, in order. The reading thread hands the caller full
/// buffers of uncompressed tar through a ``ByteIO/BufferChannel``, and at the end the byte and
/// member counts. Errors arrive where the single-threaded reader would have thrown them, after
/// the bytes before them.
final class InflatePipeline {
    /// The uncompressed tar stream, for the caller's thread.
    let source: ChannelSource
    private let channel: BufferChannel
    private let done = DispatchSemaphore(value: 0)
    private let waitsForEnd: Bool
    private var joined = false

    /// How many buffers circulate, and their size: 1 MiB in flight at most.
    static let bufferCount = 4
    static let bufferSize = 256 << 10

    /// Starts reading.
    ///
    /// - Parameters:
    ///   - input: The archive's bytes from the first, counted (and tapped); the caller gives it
    ///     up, and keeps the file under it open until ``stop()``.
    ///   - compression: The input's compression (one ``ArchiveDecompression`` reads), or `.none`
    ///     for a plain tar to pass on.
    ///   - waitsForEnd: Whether ``stop()`` waits for the reading thread however long it takes
    ///     (a regular file, where it stops within one buffer), or gives up after a short wait (a
    ///     pipe that may stay silent).
    init(_ input: CountingSource, compression: CompressionFormat, waitsForEnd: Bool) {
        let channel = BufferChannel()
        self.channel = channel
        self.source = ChannelSource(channel)
        self.waitsForEnd = waitsForEnd
        for _ in 0..<Self.bufferCount { channel.lend([UInt8](repeating: 0, count: Self.bufferSize)) }
        let handoff = Handoff(input)
        let done = self.done
        DispatchQueue(label: "imgtool.inflate").async {
            defer { done.signal() }
            guard let input = handoff.take() else { return }
            Self.produce(input, compression: compression, into: channel)
        }
    }

    /// Stops the reading thread (if it is still going) and waits for it to exit.
    ///
    /// A thread reading a regular file always stops within one buffer. One waiting for a pipe
    /// (stdin) that stays silent is given up on after a short wait: it holds nothing but the
    /// descriptor, which stdin's owner never closes, and exits at the pipe's next bytes.
    func stop() {
        guard !joined else { return }
        joined = true
        channel.cancel()
        if waitsForEnd {
            done.wait()
        } else {
            _ = done.wait(timeout: .now() + .milliseconds(200))
        }
    }

    deinit { stop() }

    /// The reading thread's work: read, inflate, fill buffers, until the end, an error or a
    /// cancellation.
    private static func produce(_ counted: CountingSource, compression: CompressionFormat, into channel: BufferChannel) {
        var decompressor: (any Decompressor)?
        var source: any ByteSource
        if compression != .none {
            do {
                let d = try ArchiveDecompression.decompressor(compression, counted, member: nil)
                decompressor = d
                source = OuterDecompressedSource(d)
            } catch {
                channel.fail(error)
                return
            }
        } else {
            source = counted
        }
        while true {
            guard var buffer = channel.takeEmpty() else { return }
            var filled = 0
            var ended = false
            var failure: (any Error)?
            buffer.withUnsafeMutableBytes { bytes in
                do {
                    while filled < bytes.count {
                        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[filled...]))
                        if n == 0 {
                            ended = true
                            break
                        }
                        filled += n
                    }
                } catch {
                    failure = error
                }
            }
            if filled > 0 { channel.send(BufferChannel.Chunk(bytes: buffer, count: filled)) }
            if let failure {
                channel.fail(failure)
                return
            }
            if ended {
                channel.finish(
                    BufferChannel.Summary(
                        inputBytes: counted.count, outputBytes: decompressor?.bytesProduced ?? counted.count,
                        members: decompressor?.membersCompleted ?? 0))
                return
            }
        }
    }
}
