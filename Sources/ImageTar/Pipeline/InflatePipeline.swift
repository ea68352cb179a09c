import Dispatch
import Gzip

/// The archive's gzip stream decompressed on a thread of its own, so that inflating (the one
/// job that takes a whole core) overlaps with tar parsing, hashing and table building on the
/// caller's thread. A plain tar is only read there (`inflates: false`): the kernel's copy out of
/// the page cache or the pipe, a quarter of a verifying pass's time, then overlaps with hashing
/// too, and the caller's thread copies each byte once in user space instead.
///
/// The reading thread makes its own ``FileSource`` over the same descriptor, its ``Inflater``
/// and counters; none of them leaves it. It hands the caller full buffers of uncompressed tar
/// through a ``BufferChannel``, and at the end the byte and member counts. Errors arrive
/// where the single-threaded reader would have thrown them, after the bytes before them.
final class InflatePipeline {
    /// The uncompressed tar stream, for the caller's thread.
    let source: ChannelSource
    private let channel: BufferChannel
    private let done = DispatchSemaphore(value: 0)
    private let regular: Bool
    private var joined = false

    /// How many buffers circulate, and their size: 1 MiB in flight at most.
    static let bufferCount = 4
    static let bufferSize = 256 << 10

    /// Starts decompressing.
    ///
    /// - Parameters:
    ///   - file: The archive, already open; the caller keeps it open (and does not read it)
    ///     until ``stop()``.
    ///   - head: The bytes the caller has read from it already, to sniff the format.
    ///   - progress: Called now and then with the number of input bytes read (from the reading
    ///     thread).
    ///   - tap: Called with the input bytes after `head` as the reading thread reads them.
    ///   - inflates: Whether the input is gzip to inflate (the default), or a plain tar to pass on.
    init(
        file: FileSource, head: [UInt8], progress: (@Sendable (Int64) -> Void)?, tap: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil,
        inflates: Bool = true
    ) {
        let channel = BufferChannel()
        self.channel = channel
        self.source = ChannelSource(channel)
        for _ in 0..<Self.bufferCount { channel.lend([UInt8](repeating: 0, count: Self.bufferSize)) }
        let fd = file.fileDescriptor
        let regular = file.isSeekableRegularFile
        self.regular = regular
        let done = self.done
        DispatchQueue(label: "imgtool.inflate").async {
            defer { done.signal() }
            Self.produce(fd: fd, regular: regular, head: head, progress: progress, tap: tap, inflates: inflates, into: channel)
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
        if regular {
            done.wait()
        } else {
            _ = done.wait(timeout: .now() + .milliseconds(200))
        }
    }

    deinit { stop() }

    /// The reading thread's work: read, inflate, fill buffers, until the end, an error or a
    /// cancellation.
    private static func produce(
        fd: Int32, regular: Bool, head: [UInt8], progress: (@Sendable (Int64) -> Void)?,
        tap: (@Sendable (UnsafeRawBufferPointer) -> Void)?, inflates: Bool, into channel: BufferChannel
    ) {
        let file = FileSource(fileDescriptor: fd, closeOnDeinit: false)
        let counted = CountingSource(file, progress: progress, tap: tap)
        var inflater: Inflater?
        var source: any ByteSource
        do {
            // A regular file is read again from the same place; a pipe's first bytes are gone.
            if regular { _ = try file.skip(Int64(head.count)) }
            let input = PrefixedSource(prefix: head, source: counted)
            if inflates {
                let z = try Inflater(input)
                inflater = z
                source = OuterGzipSource(z)
            } else {
                source = input
            }
        } catch let e as GzipError where inflates {
            channel.fail(ArchiveError.gzip(member: nil, e))
            return
        } catch {
            channel.fail(error)
            return
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
                let input = Int64(head.count) + counted.count
                channel.finish(
                    BufferChannel.Summary(
                        inputBytes: input, outputBytes: inflater?.bytesProduced ?? input, members: inflater?.membersCompleted ?? 0))
                return
            }
        }
    }
}
