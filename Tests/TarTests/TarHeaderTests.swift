import Tar
import TestSupport
import Testing

/// The header arithmetic the reader leans on for every entry: numeric fields (the eight-digits-
/// at-a-time path and the byte-by-byte one must agree) and checksums. (The byte scans it also
/// leans on are ByteIO's: ByteIOTests' ByteScanTests.)
@Suite struct TarHeaderTests {
    /// `field` placed at offset 100 (the mode field, 8 bytes) or 124 (the size field, 12 bytes).
    private func parse(_ field: [UInt8]) -> Int64? {
        var block = [UInt8](repeating: 0, count: 512)
        let at = field.count == 8 ? 100 : 124
        for (i, b) in field.enumerated() { block[at + i] = b }
        return block.withUnsafeBytes { TarHeader.number($0, at..<(at + field.count)) }
    }

    static let cases: [(field: String, expected: Int64?)] = [
        ("0000644\0", 0o644), ("0000644 ", 0o644), ("7777777\0", 0o7777777), ("0000000\0", 0),
        ("    644 ", 0o644), ("  644\0\0\0", 0o644), ("\0\0\0\0\0\0\0\0", 0), ("        ", 0),
        ("0000648\0", nil), ("00006 4\0", nil), ("0000644x", nil), ("000064\u{1}\0", nil),
        ("00000001234\0", 0o1234), ("77777777777\0", 0o77777777777), ("00000000000 ", 0),
        ("00000001238\0", nil), ("0000000123 \0", 0o123), ("12345670123\0", 0o12345670123),
    ]

    @Test(arguments: cases)
    func numericFields(_ c: (field: String, expected: Int64?)) {
        #expect(parse(Array(c.field.utf8)) == c.expected, "\(c.field.debugDescription)")
    }

    /// Base-256 (GNU, for values octal cannot hold): positive and negative.
    @Test func base256() {
        var big: [UInt8] = [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0]
        #expect(parse(big) == 0x1000)
        big = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]
        #expect(parse(big) == -2)
    }

    /// Every value of every digit position: the fast path against a plain conversion.
    @Test func octalDigitsEverywhere() {
        for position in 0..<11 {
            for digit in 0..<8 {
                var text = Array(repeating: UInt8(ascii: "0"), count: 11)
                text[position] = UInt8(ascii: "0") + UInt8(digit)
                let value = Int64(String(decoding: text, as: UTF8.self), radix: 8)
                #expect(parse(text + [0]) == value)
            }
        }
    }

    @Test func checksumsMatchTheDefinition() {
        for seed in 0..<20 as Range<UInt64> {
            let block = TS.noise(512, seed: seed)
            let expectedUnsigned = block.enumerated().reduce(Int64(0)) { $0 + ((148..<156).contains($1.offset) ? 32 : Int64($1.element)) }
            let expectedSigned = block.enumerated().reduce(Int64(0)) {
                $0 + ((148..<156).contains($1.offset) ? 32 : Int64(Int8(bitPattern: $1.element)))
            }
            block.withUnsafeBytes { raw in
                #expect(TarHeader.unsignedChecksum(raw) == expectedUnsigned)
                let (u, s) = TarHeader.checksums(raw)
                #expect(u == expectedUnsigned)
                #expect(s == expectedSigned)
            }
        }
    }
}
