// fuzz-max-len: 65536
// fuzz-seeds:

// Harness `zstd`: the zstd decompressor (`ZstdDecompressor`) and compressor (`ZstdCompressor`).
//
// The first byte picks the mode (0-5 raw, 6 built, 7 built and flipped). Raw: the rest is a zstd stream, read with an input buffer, read
// sizes and a window limit the second byte picks; it must end in a clean end or a `ZstdError`,
// its counts must add up, and a window over the limit must be refused. Built: the rest is cut
// into pieces that `ZstdCompressor` writes as frames (a skippable frame between some), which must
// decompress back to the pieces exactly and in the frame count written. A third mode flips one
// byte of a built stream: every frame has a checksum, so it must be caught or change nothing.
import ByteIO
import Codec
import Zstd

/// The most bytes one input may decompress to here.
private let outputLimit: Int64 = 8 << 20

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZstd(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    // Raw streams six times in eight: building frames starts libzstd's worker threads, which
    // costs more per input than decompressing.
    let mode = data[0] % 8
    let knob = Int(data[1])
    let rest = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    switch mode {
    case 0..<6:
        _ = decompress(rest, knob: knob)
    default:
        let (stream, plain, frames) = build(rest, knob: knob)
        let outcome = decompress(stream, knob: knob, windowLogMax: 27)
        // No bytes, no frame: an empty stream is not zstd, as an empty file is not gzip.
        if stream.isEmpty {
            precondition(outcome.error == .notZstd(offset: 0), "an empty stream: \(String(describing: outcome.error))")
            return 0
        }
        precondition(outcome.error == nil, "a stream ZstdCompressor wrote does not decompress: \(outcome.error!)")
        precondition(outcome.output == plain, "decompressed bytes differ from the bytes compressed")
        precondition(outcome.frames == frames, "frame count \(outcome.frames), \(frames) written")
        precondition(outcome.consumed == Int64(stream.count), "not every compressed byte was counted")
        if mode == 7, !stream.isEmpty {
            var damaged = stream
            let at = (knob * 2_654_435_761) % damaged.count
            damaged[at] ^= UInt8(truncatingIfNeeded: knob | 1)
            let d = decompress(damaged, knob: knob, windowLogMax: 27)
            // Every frame has a checksum: a flip is caught, or it changed nothing decoded (a
            // skippable frame's payload).
            precondition(d.error != nil || d.output == plain, "a flipped byte at \(at) decoded to other bytes without an error")
        }
    }
    return 0
}

private struct Outcome {
    var output: [UInt8] = []
    var frames = 0
    var consumed: Int64 = 0
    var error: ZstdError?
}

private func decompress(_ stream: [UInt8], knob: Int, windowLogMax: Int32? = nil) -> Outcome {
    var outcome = Outcome()
    let limit = windowLogMax ?? Int32(10 + knob % 18)
    do {
        let z = try ZstdDecompressor(
            BufferSource(stream), inputBufferSize: 64 + (knob * 37) % 5000, maximumOutput: outputLimit, windowLogMax: limit)
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: 70_000, alignment: 16)
        defer { piece.deallocate() }
        var want = 1 + knob % 17
        do {
            while true {
                let n = try z.read(into: UnsafeMutableRawBufferPointer(rebasing: piece[0..<want]))
                if n == 0 { break }
                outcome.output += piece[0..<n]
                want = (want * 13 + 7) % 70_000 + 1
            }
            precondition(z.compressedBytesConsumed == Int64(stream.count), "a clean end before the end of the input")
        } catch let e as ZstdError {
            _ = e.description
            outcome.error = e
            if case .windowTooLarge(_, let w, let l) = e { precondition(w.map { $0 > l } ?? true, "a window within the limit refused") }
        }
        precondition(z.bytesProduced == Int64(outcome.output.count), "produced bytes miscounted")
        outcome.frames = z.membersCompleted
        outcome.consumed = z.compressedBytesConsumed
    } catch {
        outcome.error = error as? ZstdError
    }
    return outcome
}

/// Frames of pieces of `bytes`, with a skippable frame between some, and the bytes and frame
/// count they must decompress to.
private func build(_ bytes: [UInt8], knob: Int) -> (stream: [UInt8], plain: [UInt8], frames: Int) {
    let pieces = 1 + knob % 5
    let level = Int32(1 + (knob / 5) % 9)
    let sink = BufferSink()
    guard let z = try? ZstdCompressor(sink, level: level, threads: 1 + knob % 2) else { return ([], [], 0) }
    var stream: [UInt8] = []
    var written = 0
    var start = 0
    for i in 0..<pieces {
        let end = i == pieces - 1 ? bytes.count : min(bytes.count, start + bytes.count / pieces)
        bytes[start..<end].withUnsafeBytes { try? z.write($0) }
        try? z.endMember()
        if end > start { written += 1 }
        start = end
    }
    try? z.finish()
    stream = sink.bytes
    if knob & 0x80 != 0 {
        // A skippable frame (magic 0x184D2A5?, little-endian size, payload) at the end.
        let payload = Array(bytes.prefix(knob % 40))
        let n = UInt32(payload.count)
        stream += [0x50 | UInt8(knob & 0xF), 0x2A, 0x4D, 0x18, UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), 0, 0] + payload
    }
    return (stream, bytes, written)
}
