import ByteIO
import Foundation
import TestSupport
import Testing

/// ByteIO's SHA-256: the FIPS 180-4 vectors, in pieces of every size, and streamed through
/// `HashingSource` against sha256sum and openssl.
@Suite struct SHA256Tests {
    /// FIPS 180-4 / NIST CSRC example values (SHA256.pdf, SHA2_Additional.pdf).
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ]

    @Test(arguments: vectors)
    func fipsVectors(_ message: String, _ expected: String) {
        #expect(SHA256.hash(Array(message.utf8)).description == "sha256:" + expected)
        // Byte by byte gives the same.
        let h = SHA256()
        for b in message.utf8 { h.update([b]) }
        #expect(h.finalize().hex == expected)
    }

    @Test func oneMillionA() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)).hex == expected)
        // In uneven pieces.
        let h = SHA256()
        var left = 1_000_000
        var piece = 1
        while left > 0 {
            let n = min(piece, left)
            h.update([UInt8](repeating: 0x61, count: n))
            left -= n
            piece = piece * 3 + 1
        }
        #expect(h.finalize().hex == expected)
    }

    @Test func emptyUpdatesChangeNothing() {
        let h = SHA256()
        h.update([])
        h.update(UnsafeRawBufferPointer(start: nil, count: 0))
        h.update(Array("abc".utf8))
        h.update([])
        #expect(h.finalize().hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // `Digest.sha256OfNothing` (OCI) is that of the first vector: OCITests' DigestTests.
    }

    /// Several MiB streamed through HashingSource over a FileSource, against sha256sum and openssl.
    @Test func streamedFileMatchesSha256sumAndOpenssl() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let path = tmp.path("stream.bin")
        let bytes = TS.noise(6 * 1024 * 1024 + 12_345, seed: 0xC0FFEE)
        try TS.write(bytes, to: path)

        let sum = try TS.tool("sha256sum", [path])
        try #require(sum.status == 0)
        let fromSha256sum = String(sum.stdout.prefix(64))
        let ssl = try TS.tool("openssl", ["dgst", "-sha256", "-r", path])
        try #require(ssl.status == 0)
        let fromOpenssl = String(ssl.stdout.prefix(64))
        #expect(fromSha256sum == fromOpenssl)
        #expect(fromSha256sum.count == 64)

        let hashing = HashingSource(try FileSource(path: path))
        // Read some, skip some (skipping must hash too), then finish.
        var buffer = [UInt8](repeating: 0, count: 100_000)
        _ = try buffer.withUnsafeMutableBytes { try hashing.read(into: $0) }
        _ = try hashing.skip(1_000_003)
        let (digest, count) = try hashing.finish()
        #expect(count == Int64(bytes.count))
        #expect(digest.hex == fromSha256sum)

        // Hashing the array in odd chunks gives the same.
        let h = SHA256()
        var i = 0
        var chunk = 7
        while i < bytes.count {
            let n = min(chunk, bytes.count - i)
            bytes.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[i..<(i + n)])) }
            i += n
            chunk = chunk * 2 + 1
            if chunk > 1 << 20 { chunk = 13 }
        }
        #expect(h.finalize().hex == fromSha256sum)
    }
}
