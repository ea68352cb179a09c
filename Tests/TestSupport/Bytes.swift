import Foundation

extension TS {
    // MARK: - Files

    package static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    package static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    package static func write(_ bytes: [UInt8], to url: URL) throws {
        try Data(bytes).write(to: url)
    }

    package static func contents(of url: URL) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url))
    }

    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 15)])
        }
        return s
    }

    // MARK: - Made-up bytes

    /// Deterministic pseudo-random bytes (xorshift64*).
    package static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            if i % 8 == 0 {
                state ^= state >> 12
                state ^= state << 25
                state ^= state >> 27
            }
            out[i] = UInt8(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> (UInt64(i % 8) * 8))
        }
        return out
    }

    /// Deterministic pseudo-random bytes (xorshift64*, a word at a time: not the bytes of
    /// ``noise(_:seed:)``), fast even in debug builds.
    package static func randomBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
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
    package static func compressibleBytes(_ count: Int) -> [UInt8] {
        let line = Array("layer.tar: sha256:0123456789abcdef usr/lib/x86_64-linux-gnu/libz.so.1\n".utf8)
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            result.append(contentsOf: line.prefix(count - result.count))
        }
        return result
    }
}
