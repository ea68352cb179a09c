// fuzz-max-len: 65536
// fuzz-seeds:

// Harness `gzip`: the gzip decompressor (`Inflater`) and `GzipMemberScanner`.
//
// The first byte picks the mode. Raw: the rest is a gzip stream, inflated with an input buffer
// and read sizes the second byte picks, and scanned for members; the two must agree on whether
// the stream is sound, on its length and on its members. Built: the rest is cut into pieces that
// are gzipped (`Deflater`) into a multi-member stream with optional zero padding, so the CRC-32s
// and lengths are right and the fuzzer drives member boundaries, read sizes and padding; the
// stream must inflate back to the pieces exactly. A third mode flips one byte of a built stream.
import ByteIO

@testable import Gzip

/// The most bytes one input may inflate to here (a bomb is bounded by the limit, not the harness).
private let outputLimit: Int64 = 8 << 20

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let mode = data[0] % 4
    let knob = Int(data[1])
    let rest = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    switch mode {
    case 0, 1:
        compare(rest, knob: knob, expected: nil)
    default:
        let (stream, plain) = build(rest, knob: knob)
        if mode == 2 {
            compare(stream, knob: knob, expected: plain)
        } else if !stream.isEmpty {
            var damaged = stream
            let at = (knob * 2_654_435_761) % damaged.count
            damaged[at] ^= UInt8(truncatingIfNeeded: knob | 1)
            compare(damaged, knob: knob, expected: nil)
        }
    }
    return 0
}

/// What one reading of a stream gave.
private struct Outcome: Equatable {
    var produced: Int64 = 0
    var consumed: Int64 = 0
    var members: Int = 0
    var failed = false
}

/// Inflates `stream` and scans its members; they must agree, and match `expected` when given.
private func compare(_ stream: [UInt8], knob: Int, expected: [UInt8]?) {
    let inputBuffer = 64 + (knob * 37) % 5000
    var output: [UInt8] = []
    var inflated = Outcome()
    var limited = false
    do {
        let z = try Inflater(BufferSource(stream), inputBufferSize: inputBuffer, maximumOutput: outputLimit)
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: 70_000, alignment: 16)
        defer { piece.deallocate() }
        var want = 1 + knob % 17
        do {
            while true {
                let n = try z.read(into: UnsafeMutableRawBufferPointer(rebasing: piece[0..<want]))
                if n == 0 { break }
                if expected != nil { output += piece[0..<n] }
                want = (want * 13 + 7) % 70_000 + 1
            }
        } catch let e as GzipError {
            if case .limitExceeded = e { limited = true }
            _ = e.description
            inflated.failed = true
        }
        inflated.produced = z.bytesProduced
        inflated.consumed = z.compressedBytesConsumed
        inflated.members = z.membersCompleted
        if !inflated.failed { precondition(z.membersCompleted >= 1, "a sound stream of no member") }
    } catch {
        inflated.failed = true
    }
    if let expected {
        precondition(!inflated.failed, "a stream Deflater wrote does not inflate")
        precondition(output == expected, "inflated bytes differ from the bytes compressed")
        precondition(inflated.consumed == Int64(stream.count), "not every compressed byte was counted")
    }
    guard !limited else { return }
    // The scanner reads through an inflater by the same rules: the same verdict, the same counts.
    var scanned = Outcome()
    var total: Int64 = 0
    do {
        let scanner = try GzipMemberScanner(BufferSource(stream), bufferSize: 4096 + (knob * 101) % 9000)
        var nextCompressed: Int64 = 0
        var nextUncompressed: Int64 = 0
        while let m = try scanner.next({ total += Int64($0.count) }) {
            precondition(m.compressedOffset == nextCompressed && m.uncompressedOffset == nextUncompressed, "members not contiguous")
            precondition(m.compressedSize > 0 && m.uncompressedOffset + m.uncompressedSize == total, "member sizes do not add up")
            nextCompressed = m.compressedOffset + m.compressedSize
            nextUncompressed = total
            scanned.members += 1
        }
        scanned.produced = scanner.bytesProduced
        scanned.consumed = scanner.compressedBytesConsumed
    } catch {
        scanned.failed = true
    }
    if inflated.failed || scanned.failed {
        precondition(inflated.failed == scanned.failed, "inflater and scanner disagree on damage: \(inflated) \(scanned)")
    } else {
        precondition(inflated == scanned, "inflater and scanner disagree: \(inflated) \(scanned)")
    }
}

/// A multi-member gzip stream of pieces of `bytes`, and the bytes it must inflate to.
private func build(_ bytes: [UInt8], knob: Int) -> (stream: [UInt8], plain: [UInt8]) {
    let pieces = 1 + knob % 5
    let level = Int32((knob / 5) % 10)
    var stream: [UInt8] = []
    var start = 0
    for i in 0..<pieces {
        let end = i == pieces - 1 ? bytes.count : min(bytes.count, start + bytes.count / pieces)
        let sink = BufferSink()
        guard let d = try? Deflater(sink, level: level, outputBufferSize: 64 + knob) else { return ([], []) }
        bytes[start..<end].withUnsafeBytes { try? d.write($0) }
        try? d.finish()
        stream += sink.bytes
        start = end
    }
    // GNU gzip's zero padding after the last member (a tape block, say).
    if knob & 0x80 != 0 { stream += [UInt8](repeating: 0, count: knob % 600) }
    return (stream, bytes)
}
