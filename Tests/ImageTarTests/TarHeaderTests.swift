import Testing

@testable import ImageArchive
@testable import ImageVerify
@testable import Tar
import OCI
import ByteIO
import Codec

/// The header arithmetic the reader leans on for every entry: numeric fields (the eight-digits-
/// at-a-time path and the byte-by-byte one must agree), checksums, and the byte scans.
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

    @Test func byteScans() {
        let text = Array("app/node_modules/x/index.js".utf8)
        text.withUnsafeBytes { raw in
            #expect(ByteScan.firstIndex(of: UInt8(ascii: "/"), in: raw) == 3)
            #expect(ByteScan.firstIndex(of: UInt8(ascii: "x"), in: raw) == 17)
            #expect(ByteScan.firstIndex(of: 0, in: raw) == text.count)
            #expect(ByteScan.lastIndex(of: UInt8(ascii: "/"), in: raw) == 18)
            #expect(ByteScan.lastIndex(of: UInt8(ascii: "a"), in: raw) == 0)
            #expect(ByteScan.lastIndex(of: 0, in: raw) == -1)
        }
        // Every position of a single match, in buffers of every length up to 24.
        for length in 0...24 {
            for at in 0..<max(length, 1) where length > 0 {
                var bytes = [UInt8](repeating: 0x41, count: length)
                bytes[at] = 0x2F
                bytes.withUnsafeBytes { raw in
                    #expect(ByteScan.firstIndex(of: 0x2F, in: raw) == at)
                    #expect(ByteScan.lastIndex(of: 0x2F, in: raw) == at)
                }
            }
        }
        for cut in 0...text.count {
            var other = text
            if cut < text.count { other[cut] ^= 1 }
            let shared = text.withUnsafeBytes { a in other.withUnsafeBytes { b in ByteScan.commonPrefixLength(a, b) } }
            #expect(shared == cut)
        }
    }

    @Test(arguments: [("a/b/c", 5), ("a/b/", 3), ("a", 1), ("", 0), (".hidden/x", 9), ("..a/b", 5)] as [(String, Int)])
    func cleanNamesAreUsedAsTheyAre(_ c: (String, Int)) {
        #expect(PathCleaner.alreadyCleanLength(Array(c.0.utf8)) == c.1)
    }

    /// The word-at-a-time check agrees with the rule, component by component, on every name of up
    /// to 8 bytes over `a`, `.`, `/`, and on longer ones across word boundaries.
    @Test func cleanCheckAgreesWithTheRule() {
        func reference(_ name: [UInt8]) -> Int? {
            if name.isEmpty { return 0 }
            var parts = name.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(Array.init)
            if name.last == UInt8(ascii: "/") { parts.removeLast() }
            for part in parts where part.isEmpty || part == [0x2E] || part == [0x2E, 0x2E] { return nil }
            return name.last == UInt8(ascii: "/") ? name.count - 1 : name.count
        }
        let alphabet: [UInt8] = [0x61, 0x2E, 0x2F]
        var names: [[UInt8]] = [[]]
        var frontier: [[UInt8]] = [[]]
        for _ in 1...8 {
            frontier = frontier.flatMap { n in alphabet.map { n + [$0] } }
            names += frontier
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let length = Int.random(in: 9...40, using: &rng)
            // Mostly clean names with the odd bad spot, which then lands at every offset.
            var n = (0..<length).map { _ in Int.random(in: 0..<8, using: &rng) == 0 ? UInt8(ascii: "/") : UInt8(ascii: "x") }
            if Bool.random(using: &rng) { n[Int.random(in: 0..<length, using: &rng)] = UInt8(ascii: ".") }
            names.append(n)
        }
        var disagreements = 0
        for name in names where PathCleaner.alreadyCleanLength(name) != reference(name) { disagreements += 1 }
        #expect(disagreements == 0)
        #expect(names.count > 9000)
    }

    @Test(arguments: ["/a", "./a", "a/./b", "a//b", "a/..", "a/../b", ".", "..", "a/b//"])
    func otherNamesAreCleanedTheSlowWay(_ name: String) {
        #expect(PathCleaner.alreadyCleanLength(Array(name.utf8)) == nil)
    }
}
