import Foundation
import Gzip
import ByteIO
import Codec
import Testing

// MARK: - Helpers

/// Deterministic pseudo-random bytes (xorshift64*), fast even in debug builds.
private func randomBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed | 1
    var result = [UInt8](repeating: 0, count: count)
    result.withUnsafeMutableBytes { raw in
        var i = 0
        while i < count {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            var word = (state &* 0x2545_F491_4F6C_DD1D).littleEndian
            let n = min(8, count - i)
            withUnsafeBytes(of: &word) { w in
                UnsafeMutableRawBufferPointer(rebasing: raw[i..<i + n]).copyMemory(from: UnsafeRawBufferPointer(rebasing: w[0..<n]))
            }
            i += n
        }
    }
    return result
}

/// Highly compressible text.
private func compressibleBytes(_ count: Int) -> [UInt8] {
    let line = Array("layer.tar: sha256:0123456789abcdef usr/lib/x86_64-linux-gnu/libz.so.1\n".utf8)
    var result: [UInt8] = []
    result.reserveCapacity(count)
    while result.count < count {
        result.append(contentsOf: line.prefix(count - result.count))
    }
    return result
}

/// Compresses with our Deflater into memory.
private func gzip(_ bytes: [UInt8], level: Int32 = 6, outputBufferSize: Int = 256 * 1024) throws -> [UInt8] {
    let sink = BufferSink()
    let deflater = try Deflater(sink, level: level, outputBufferSize: outputBufferSize)
    try bytes.withUnsafeBytes { try deflater.write($0) }
    try deflater.finish()
    #expect(sink.isFinished)
    #expect(deflater.bytesConsumed == Int64(bytes.count))
    #expect(deflater.compressedBytesWritten == Int64(sink.bytes.count))
    return sink.bytes
}

/// Reads a source to its end in chunks of `chunk` bytes.
private func readAll(_ source: any ByteSource, chunk: Int = 64 * 1024) throws -> [UInt8] {
    var source = source
    var result: [UInt8] = []
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
    defer { buffer.deallocate() }
    while true {
        let n = try source.read(into: buffer)
        if n == 0 { return result }
        #expect(n <= chunk)
        result.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
}

/// Decompresses with our Inflater, returning the output and the inflater for its counters.
private func gunzip(
    _ bytes: [UInt8], chunk: Int = 64 * 1024, inputBufferSize: Int = 256 * 1024, maximumOutput: Int64? = nil
) throws -> ([UInt8], Inflater) {
    let inflater = try Inflater(BufferSource(bytes), inputBufferSize: inputBufferSize, maximumOutput: maximumOutput)
    return (try readAll(inflater, chunk: chunk), inflater)
}

/// Decompresses until the end or the first error, returning what came out before it.
private func gunzipUntilError(_ bytes: [UInt8], inputBufferSize: Int = 256 * 1024) throws -> ([UInt8], GzipError?) {
    let inflater = try Inflater(BufferSource(bytes), inputBufferSize: inputBufferSize)
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    do {
        while true {
            let n = try buffer.withUnsafeMutableBytes { try inflater.read(into: $0) }
            if n == 0 { return (output, nil) }
            output.append(contentsOf: buffer[0..<n])
        }
    } catch let error as GzipError {
        return (output, error)
    }
}

/// A fresh directory under the system temp dir, removed when `body` returns.
private func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("GzipTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// Runs `command` with /bin/sh in `directory` and expects it to succeed.
private func shell(_ command: String, in directory: URL) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    process.currentDirectoryURL = directory
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "`\(command)` failed with status \(process.terminationStatus)")
}

private func write(_ bytes: [UInt8], to url: URL) throws {
    try Data(bytes).write(to: url)
}

private func contents(of url: URL) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: url))
}

// MARK: - Tests

@Suite struct GzipTests {
    // MARK: Round trips

    @Test(arguments: [0, 1, 2, 1000, 256 * 1024 + 1, 3 * 1024 * 1024])
    func roundTripRandom(size: Int) throws {
        let input = randomBytes(size, seed: UInt64(size) &+ 7)
        let compressed = try gzip(input)
        #expect(compressed.count >= 18 + (size == 0 ? 0 : 1))
        let (output, inflater) = try gunzip(compressed)
        #expect(output == input)
        #expect(inflater.bytesProduced == Int64(size))
        #expect(inflater.compressedBytesConsumed == Int64(compressed.count))
        #expect(inflater.membersCompleted == 1)
    }

    @Test func roundTripCompressibleWithSmallBuffers() throws {
        let input = compressibleBytes(5 * 1024 * 1024 + 3)
        let compressed = try gzip(input, level: 9, outputBufferSize: 100)
        #expect(compressed.count < input.count / 50)
        // Odd caller buffers and a tiny input buffer exercise the refill and partial-read paths.
        let (output, inflater) = try gunzip(compressed, chunk: 100_003, inputBufferSize: 64)
        #expect(output == input)
        #expect(inflater.compressedBytesConsumed == Int64(compressed.count))
    }

    @Test func oneByteReads() throws {
        let input = randomBytes(3000) + compressibleBytes(3000)
        let compressed = try gzip(input, level: 1)
        let (output, inflater) = try gunzip(compressed, chunk: 1, inputBufferSize: 64)
        #expect(output == input)
        #expect(inflater.bytesProduced == Int64(input.count))
    }

    @Test func manySmallWrites() throws {
        let input = compressibleBytes(200_000) + randomBytes(100_000)
        let sink = BufferSink()
        let deflater = try Deflater(sink, level: 6, outputBufferSize: 1000)
        var offset = 0
        while offset < input.count {
            let n = min(777, input.count - offset)
            try input[offset..<offset + n].withUnsafeBytes { try deflater.write($0) }
            offset += n
        }
        try deflater.finish()
        try deflater.finish()  // idempotent
        #expect(try gunzip(sink.bytes).0 == input)
        #expect(throws: GzipError.self) {
            try [UInt8(1)].withUnsafeBytes { try deflater.write($0) }
        }
    }

    @Test func invalidLevelThrows() {
        #expect(throws: GzipError.invalidLevel(10)) { _ = try Deflater(BufferSink(), level: 10) }
        #expect(throws: GzipError.invalidLevel(-1)) { _ = try Deflater(BufferSink(), level: -1) }
    }

    @Test func maximumOutput() throws {
        let input = compressibleBytes(100_000)
        let compressed = try gzip(input)
        #expect(try gunzip(compressed, maximumOutput: 100_000).0 == input)
        #expect(throws: GzipError.limitExceeded(limit: 99_999)) {
            _ = try gunzip(compressed, maximumOutput: 99_999)
        }
        #expect(throws: GzipError.limitExceeded(limit: 0)) {
            _ = try gunzip(compressed, maximumOutput: 0)
        }
    }

    // MARK: Reproducible header

    @Test func reproducibleOutput() throws {
        let input = randomBytes(50_000) + compressibleBytes(50_000)
        let first = try gzip(input, level: 6)
        let second = try gzip(input, level: 6)
        #expect(first == second)
        #expect(Array(first[0..<4]) == [0x1F, 0x8B, 0x08, 0x00])  // magic, deflate, no flags (no name)
        #expect(Array(first[4..<8]) == [0, 0, 0, 0])  // mtime 0
        #expect(first[9] == 255)  // OS unknown
        #expect(try gzip(input, level: 9)[8] == 2)  // XFL: maximum compression
        #expect(try gzip(input, level: 1)[8] == 4)  // XFL: fastest
        // The trailer is the input's CRC-32 and length, little-endian.
        let isize = first.suffix(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
        #expect(isize == UInt32(input.count))
    }

    // MARK: Interoperability with gzip and pigz

    @Test(arguments: ["gzip", "pigz"])
    func ourOutputReadBySystemTool(tool: String) throws {
        try withTemporaryDirectory { dir in
            let input = randomBytes(600_000) + compressibleBytes(2_000_000)
            let sink = try FileSink(creating: dir.appendingPathComponent("ours.gz").path)
            let deflater = try Deflater(sink, level: 6)
            try input.withUnsafeBytes { try deflater.write($0) }
            try deflater.finish()
            try sink.close()
            #expect(sink.bytesWritten == deflater.compressedBytesWritten)
            try shell("/usr/bin/\(tool) -t ours.gz && /usr/bin/\(tool) -dc ours.gz > out", in: dir)
            #expect(try contents(of: dir.appendingPathComponent("out")) == input)
        }
    }

    @Test(arguments: ["gzip", "pigz"], [1, 9])
    func systemToolOutputReadByUs(tool: String, level: Int) throws {
        try withTemporaryDirectory { dir in
            let input = randomBytes(1_000_000, seed: 42) + compressibleBytes(2_000_000)
            try write(input, to: dir.appendingPathComponent("in"))
            // Named input: the header carries FNAME and MTIME, which zlib must parse past.
            try shell("/usr/bin/\(tool) -\(level) -c in > in.gz", in: dir)
            let path = dir.appendingPathComponent("in.gz").path
            let compressedSize = try contents(of: dir.appendingPathComponent("in.gz")).count
            let inflater = try Inflater(try FileSource(path: path))
            #expect(try readAll(inflater) == input)
            #expect(inflater.compressedBytesConsumed == Int64(compressedSize))
            #expect(inflater.membersCompleted == 1)
        }
    }

    // MARK: Multi-member, trailing bytes

    @Test func multiMemberFromSystemGzip() throws {
        try withTemporaryDirectory { dir in
            let a = compressibleBytes(70_000)
            let b = randomBytes(30_000)
            try write(a, to: dir.appendingPathComponent("a"))
            try write(b, to: dir.appendingPathComponent("b"))
            try shell("/usr/bin/gzip -c a > a.gz && /usr/bin/gzip -c b > b.gz && cat a.gz b.gz > ab.gz", in: dir)
            let concatenated = try contents(of: dir.appendingPathComponent("ab.gz"))
            let (output, inflater) = try gunzip(concatenated, inputBufferSize: 1000)
            #expect(output == a + b)
            #expect(inflater.membersCompleted == 2)
            #expect(inflater.compressedBytesConsumed == Int64(concatenated.count))
        }
    }

    @Test func multiMemberWithEmptyMember() throws {
        let a = randomBytes(5000)
        let stream = try gzip(a) + gzip([]) + gzip([7, 8, 9])
        let (output, inflater) = try gunzip(stream, chunk: 333, inputBufferSize: 64)
        #expect(output == a + [7, 8, 9])
        #expect(inflater.membersCompleted == 3)
    }

    @Test(arguments: [1, 8, 1000, 300_000])
    func trailingZerosAccepted(zeros: Int) throws {
        let input = randomBytes(10_000)
        let stream = try gzip(input) + [UInt8](repeating: 0, count: zeros)
        let (output, inflater) = try gunzip(stream, inputBufferSize: 64)
        #expect(output == input)
        #expect(inflater.membersCompleted == 1)
        #expect(inflater.compressedBytesConsumed == Int64(stream.count))
    }

    @Test(arguments: [
        Array("garbage".utf8),
        [0x00, 0x00, 0x00, 0x01],  // zeros then something else: garbage from the first zero
        [0x1F, 0x8B, 0x09, 0x00],  // almost a member, wrong method
        [0x1F, 0x8C],
    ] as [[UInt8]])
    func trailingGarbageLocated(garbage: [UInt8]) throws {
        let input = compressibleBytes(20_000)
        let valid = try gzip(input)
        // Decompressed data comes out in full before the error.
        let (output, error) = try gunzipUntilError(valid + garbage)
        #expect(output == input)
        #expect(error == .trailingGarbage(compressedOffset: Int64(valid.count)))
        // Also when the garbage lands in a later input buffer.
        #expect(try gunzipUntilError(valid + garbage, inputBufferSize: 64).1
            == .trailingGarbage(compressedOffset: Int64(valid.count)))
    }

    @Test func partialSecondMemberMagicIsTruncation() throws {
        let valid = try gzip([1, 2, 3])
        #expect(throws: GzipError.truncated(compressedOffset: Int64(valid.count + 2))) {
            _ = try gunzip(valid + [0x1F, 0x8B])
        }
        let second = try gzip(randomBytes(1000))
        #expect(throws: GzipError.truncated(compressedOffset: Int64(valid.count + 500))) {
            _ = try gunzip(valid + second.prefix(500))
        }
    }

    // MARK: Damaged input

    @Test func truncationAtSeveralOffsets() throws {
        let input = randomBytes(100_000) + compressibleBytes(100_000)
        let valid = try gzip(input)
        let cuts = [1, 2, 3, 5, 9, 10, 11, 500, valid.count / 2, valid.count - 8, valid.count - 4, valid.count - 1]
        for cut in cuts {
            #expect(throws: GzipError.truncated(compressedOffset: Int64(cut)), "cut at \(cut)") {
                _ = try gunzip(Array(valid.prefix(cut)))
            }
            #expect(throws: GzipError.truncated(compressedOffset: Int64(cut)), "cut at \(cut), small buffers") {
                _ = try gunzip(Array(valid.prefix(cut)), chunk: 1000, inputBufferSize: 64)
            }
        }
        #expect(try gunzip(valid).0 == input)
    }

    @Test func truncationMessage() {
        #expect(GzipError.truncated(compressedOffset: 1234).description
            == "gzip stream truncated at compressed byte 1234: the file is incomplete (an interrupted download or copy?)")
    }

    @Test func notGzip() throws {
        #expect(throws: GzipError.notGzip(offset: 0)) { _ = try gunzip([]) }
        #expect(throws: GzipError.notGzip(offset: 0)) { _ = try gunzip(Array("hello, world\n".utf8)) }
        #expect(throws: GzipError.notGzip(offset: 0)) { _ = try gunzip([0x1F, 0x8B, 0x07, 0, 0, 0, 0, 0, 0, 0]) }
        #expect(throws: GzipError.notGzip(offset: 0)) { _ = try gunzip([0x42, 0x5A, 0x68, 0x39]) }
        #expect(throws: GzipError.truncated(compressedOffset: 1)) { _ = try gunzip([0x1F]) }
    }

    @Test func corruptBlockType() throws {
        let valid = try gzip(compressibleBytes(50_000))
        // Byte 10 starts the deflate data: BFINAL in bit 0, BTYPE in bits 1-2 (2 = dynamic Huffman).
        #expect(valid[10] & 0b110 == 0b100)
        var damaged = valid
        damaged[10] ^= 0b010  // BTYPE 3: reserved
        let error = #expect(throws: GzipError.self) { _ = try gunzip(damaged) }
        guard case .corrupt(let offset, let reason)? = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
        #expect(reason == "invalid block type")
        #expect(offset == 11)
    }

    @Test func corruptDeflateDataInTheMiddle() throws {
        let valid = try gzip(compressibleBytes(200_000) + randomBytes(1000))
        var damaged = valid
        damaged[valid.count / 3] ^= 0xFF
        let (_, error) = try gunzipUntilError(damaged)
        guard case .corrupt(let offset, let reason)? = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
        #expect(offset > Int64(valid.count / 3) - 1)
        #expect(offset <= Int64(valid.count))
        #expect(!reason.isEmpty)
    }

    @Test func corruptTrailer() throws {
        let input = randomBytes(10_000)
        let valid = try gzip(input)
        var badCRC = valid
        badCRC[valid.count - 8] ^= 0x01
        let (output, crcError) = try gunzipUntilError(badCRC)
        #expect(output == input)  // the data comes out; the check fails at the end
        guard case .corrupt(let offset, let reason)? = crcError else {
            Issue.record("expected .corrupt, got \(String(describing: crcError))")
            return
        }
        #expect(reason.contains("incorrect data check"))
        #expect(offset == Int64(valid.count - 4))  // zlib compares after reading the 4 CRC bytes
        #expect(crcError?.description.hasPrefix("gzip stream corrupt at compressed byte \(offset): ") == true)

        var badLength = valid
        badLength[valid.count - 1] ^= 0x01
        let (_, lengthError) = try gunzipUntilError(badLength)
        guard case .corrupt(let lengthOffset, let lengthReason)? = lengthError else {
            Issue.record("expected .corrupt, got \(String(describing: lengthError))")
            return
        }
        #expect(lengthReason.contains("incorrect length check"))
        #expect(lengthOffset == Int64(valid.count))

        // The error sticks: reading again throws it again.
        let inflater = try Inflater(BufferSource(badCRC))
        #expect(throws: GzipError.corrupt(compressedOffset: offset, reason: reason)) { _ = try readAll(inflater) }
        #expect(throws: GzipError.corrupt(compressedOffset: offset, reason: reason)) { _ = try readAll(inflater) }
    }

    // MARK: Format detection

    @Test func detectRealFormats() throws {
        try withTemporaryDirectory { dir in
            try write(compressibleBytes(10_000), to: dir.appendingPathComponent("data"))
            try shell("""
                /usr/bin/gzip -c data > data.gz && /usr/bin/zstd -q -c data > data.zst && \
                /usr/bin/xz -c data > data.xz && /usr/bin/bzip2 -c data > data.bz2 && \
                /usr/bin/pigz -c data > data.pigz.gz && tar -cf data.tar data
                """, in: dir)
            let expected: [(String, CompressionFormat)] = [
                ("data.gz", .gzip), ("data.pigz.gz", .gzip), ("data.zst", .zstd), ("data.xz", .xz),
                ("data.bz2", .bzip2), ("data.tar", .none), ("data", .none),
            ]
            for (name, format) in expected {
                let prefix = Array(try contents(of: dir.appendingPathComponent(name)).prefix(CompressionFormat.sniffLength))
                #expect(CompressionFormat.detect(prefix) == format, "\(name)")
            }
            // Our own output too.
            #expect(CompressionFormat.detect(try gzip([1, 2, 3])) == .gzip)
        }
    }

    @Test func detectEdgeCases() {
        #expect(CompressionFormat.detect([0x50, 0x2A, 0x4D, 0x18, 0, 0]) == .zstd)  // skippable frame
        #expect(CompressionFormat.detect([0x5F, 0x2A, 0x4D, 0x18]) == .zstd)
        #expect(CompressionFormat.detect([0x60, 0x2A, 0x4D, 0x18]) == .none)
        #expect(CompressionFormat.detect([0x1F, 0x8B]) == .none)  // too short to tell
        #expect(CompressionFormat.detect([]) == .none)
        #expect(CompressionFormat.detect([0xFD, 0x37, 0x7A, 0x58, 0x5A]) == .none)
        #expect(CompressionFormat.gzip.decompressCommand == "gzip -dc")
        #expect(CompressionFormat.zstd.decompressCommand == "zstd -dc")
        #expect(CompressionFormat.xz.decompressCommand == "xz -dc")
        #expect(CompressionFormat.bzip2.decompressCommand == "bzip2 -dc")
        #expect(CompressionFormat.none.decompressCommand == nil)
    }

    // MARK: Sources and sinks

    @Test func prefixedSourceReadsAndSkips() throws {
        let prefix: [UInt8] = [1, 2, 3, 4, 5]
        let rest = randomBytes(1000)
        #expect(try readAll(PrefixedSource(prefix: prefix, source: BufferSource(rest)), chunk: 3) == prefix + rest)

        let source = PrefixedSource(prefix: prefix, source: BufferSource(rest))
        #expect(try source.skip(2) == 2)
        #expect(source.remainingPrefixCount == 3)
        #expect(try source.skip(10) == 10)  // 3 from the prefix, 7 from the source
        #expect(source.remainingPrefixCount == 0)
        #expect(try readAll(source) == Array(rest[7...]))
        #expect(try source.skip(5) == 0)

        let short = PrefixedSource(prefix: prefix, source: BufferSource([9]))
        #expect(try short.skip(100) == 6)
    }

    @Test func sniffThenInflateThroughPrefixedSource() throws {
        try withTemporaryDirectory { dir in
            let input = randomBytes(300_000)
            let path = dir.appendingPathComponent("x.gz").path
            let sink = try FileSink(creating: path)
            let deflater = try Deflater(sink)
            try input.withUnsafeBytes { try deflater.write($0) }
            try deflater.finish()
            try sink.close()

            let file = try FileSource(path: path)
            var prefix = [UInt8](repeating: 0, count: CompressionFormat.sniffLength)
            let n = try prefix.withUnsafeMutableBytes { try file.readFully(into: $0) }
            #expect(n == CompressionFormat.sniffLength)
            #expect(CompressionFormat.detect(prefix) == .gzip)
            let inflater = try Inflater(PrefixedSource(prefix: prefix, source: file))
            #expect(try readAll(inflater) == input)
            #expect(inflater.compressedBytesConsumed == file.size)
        }
    }

    @Test func bufferSourceSkip() throws {
        var source = BufferSource([1, 2, 3, 4, 5])
        #expect(source.skip(2) == 2)
        #expect(source.position == 2)
        #expect(try readAll(source) == [3, 4, 5])
        #expect(source.skip(10) == 3)
        #expect(source.remaining == 0)
    }

    @Test func fileSourceSeeksOnRegularFile() throws {
        try withTemporaryDirectory { dir in
            let data = randomBytes(100_000)
            let url = dir.appendingPathComponent("f")
            try write(data, to: url)
            let source = try FileSource(path: url.path)
            #expect(source.isSeekableRegularFile)
            #expect(source.size == 100_000)
            var head = [UInt8](repeating: 0, count: 10)
            #expect(try head.withUnsafeMutableBytes { try source.readFully(into: $0) } == 10)
            #expect(head == Array(data[0..<10]))
            #expect(try source.skip(50_000) == 50_000)
            #expect(source.offset == 50_010)
            var next = [UInt8](repeating: 0, count: 5)
            _ = try next.withUnsafeMutableBytes { try source.readFully(into: $0) }
            #expect(next == Array(data[50_010..<50_015]))
            #expect(try source.skip(1_000_000) == 100_000 - 50_015)  // never past the end
            #expect(try source.skip(1) == 0)
            #expect(source.offset == 100_000)
            #expect(try readAll(source).isEmpty)
            source.close()
            #expect(throws: ByteIOError.self) { _ = try readAll(source) }
        }
    }

    @Test func fileSourceOpenFailure() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("missing").path
            #expect(throws: ByteIOError(operation: "open", errno: ENOENT, path: path)) {
                _ = try FileSource(path: path)
            }
            let message = ByteIOError(operation: "open", errno: ENOENT, path: path).description
            #expect(message == "open \(path) failed: No such file or directory (errno \(ENOENT))")
        }
    }

    @Test func fileSourceSkipsOnPipeByReading() throws {
        let data = randomBytes(40_000)  // fits in a pipe's buffer: no writer thread needed
        let pipe = Pipe()
        pipe.fileHandleForWriting.write(Data(data))
        try pipe.fileHandleForWriting.close()
        let source = FileSource(fileDescriptor: pipe.fileHandleForReading.fileDescriptor, closeOnDeinit: false)
        #expect(!source.isSeekableRegularFile)
        #expect(source.size == nil)
        #expect(try source.skip(12_345) == 12_345)
        #expect(source.offset == 12_345)
        var next = [UInt8](repeating: 0, count: 3)
        _ = try next.withUnsafeMutableBytes { try source.readFully(into: $0) }
        #expect(next == Array(data[12_345..<12_348]))
        #expect(try source.skip(1_000_000) == Int64(40_000 - 12_348))
        #expect(try source.skip(1) == 0)
    }

    @Test func fileSinkWritesAndReportsBrokenPipe() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("out")
            let sink = try FileSink(creating: url.path)
            let data = randomBytes(70_000)
            try data.withUnsafeBytes { try sink.write($0) }
            try sink.finish()
            #expect(sink.bytesWritten == 70_000)
            try sink.close()
            try sink.close()  // idempotent
            #expect(try contents(of: url) == data)
            #expect(throws: ByteIOError(operation: "write", errno: EBADF, path: url.path)) {
                try data.withUnsafeBytes { try sink.write($0) }
            }
        }
        // A pipe without a reader: EPIPE, thrown (SIGPIPE ignored, as a CLI that handles it does).
        _ = signal(SIGPIPE, SIG_IGN)
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let sink = FileSink(fileDescriptor: pipe.fileHandleForWriting.fileDescriptor, closeOnDeinit: false)
        let error = #expect(throws: ByteIOError.self) {
            try [UInt8(1), 2, 3].withUnsafeBytes { try sink.write($0) }
        }
        #expect(error == ByteIOError(operation: "write", errno: EPIPE, path: nil))
        #expect(error?.isBrokenPipe == true)
    }
}
