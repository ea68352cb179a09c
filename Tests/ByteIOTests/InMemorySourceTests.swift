import ByteIO
import TestSupport
import Testing

/// Sources over bytes in memory: `PrefixedSource` (sniffed bytes put back in front of a source)
/// and `BufferSource`, read and skipped.
@Suite struct InMemorySourceTests {
    @Test func prefixedSourceReadsAndSkips() throws {
        let prefix: [UInt8] = [1, 2, 3, 4, 5]
        let rest = TS.randomBytes(1000)
        #expect(try TS.readAll(PrefixedSource(prefix: prefix, source: BufferSource(rest)), chunk: 3) == prefix + rest)

        let source = PrefixedSource(prefix: prefix, source: BufferSource(rest))
        #expect(try source.skip(2) == 2)
        #expect(source.remainingPrefixCount == 3)
        #expect(try source.skip(10) == 10)  // 3 from the prefix, 7 from the source
        #expect(source.remainingPrefixCount == 0)
        #expect(try TS.readAll(source) == Array(rest[7...]))
        #expect(try source.skip(5) == 0)

        let short = PrefixedSource(prefix: prefix, source: BufferSource([9]))
        #expect(try short.skip(100) == 6)
    }

    @Test func bufferSourceSkip() throws {
        var source = BufferSource([1, 2, 3, 4, 5])
        #expect(source.skip(2) == 2)
        #expect(source.position == 2)
        #expect(try TS.readAll(source) == [3, 4, 5])
        #expect(source.skip(10) == 3)
        #expect(source.remaining == 0)
    }
}
