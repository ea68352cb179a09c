import ByteIO
import Testing

/// The byte scans the tar reader leans on for every entry: first and last index of a byte, and
/// the common prefix of two names, at every position and length.
@Suite struct ByteScanTests {
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
}
