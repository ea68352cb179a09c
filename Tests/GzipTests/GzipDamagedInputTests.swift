import ByteIO
import Foundation
import Gzip
import TestSupport
import Testing

/// Damaged input: truncation at every kind of offset, not gzip at all, a corrupt block, corrupt
/// data, a corrupt trailer; each error located, and sticky.
@Suite struct GzipDamagedInputTests {
    @Test func truncationAtSeveralOffsets() throws {
        let input = TS.randomBytes(100_000) + TS.compressibleBytes(100_000)
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
        #expect(
            GzipError.truncated(compressedOffset: 1234).description
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
        let valid = try gzip(TS.compressibleBytes(50_000))
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
        let valid = try gzip(TS.compressibleBytes(200_000) + TS.randomBytes(1000))
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
        let input = TS.randomBytes(10_000)
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
        #expect(throws: GzipError.corrupt(compressedOffset: offset, reason: reason)) { _ = try TS.readAll(inflater) }
        #expect(throws: GzipError.corrupt(compressedOffset: offset, reason: reason)) { _ = try TS.readAll(inflater) }
    }
}
