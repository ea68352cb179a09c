import OCI
import Testing

/// `sha256:` digests as the OCI image spec writes them: parsed strictly, shown short, placed in a
/// layout.
@Suite struct DigestTests {
    @Test func digestParsing() throws {
        let hex = String(repeating: "ab", count: 32)
        let d = try Digest(parsing: "sha256:" + hex)
        #expect(d.algorithm == "sha256" && d.hex == hex)
        #expect(d.short == "sha256:" + String(hex.prefix(12)))
        #expect(d.layoutPath == "blobs/sha256/" + hex)
        for bad in ["sha256:" + String(hex.dropLast()), "sha256:" + hex.uppercased(), hex, "sha256:", ":" + hex, "sha256:" + hex + "0"] {
            #expect(throws: Digest.ValidationError.malformed(bad)) { try Digest(parsing: bad) }
        }
        #expect("\(Digest.ValidationError.malformed("x"))" == "'x' is not a digest: expected sha256: and 64 hex digits")
    }

    /// The DiffID of an empty layer file, as a constant (moved from ByteIOTests' SHA256Tests,
    /// whose first vector is the same hash computed).
    @Test func sha256OfNothingIsTheHashOfZeroBytes() {
        #expect(Digest.sha256OfNothing.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
