import ByteIO
import Codec
import TestSupport
import Testing
import Zstd

/// Damaged zstd: cut anywhere, a flipped byte, a wrong checksum, trailing garbage, not zstd at
/// all, a window over the limit; each a ``ZstdError`` located by compressed offset, never a crash.
@Suite struct ZstdDamagedInputTests {
    let input = TS.randomBytes(50_000) + TS.compressibleBytes(200_000)

    @Test func everyCutIsTruncation() throws {
        let valid = try pipe("zstd -c", input)
        for cut in Array(1..<20) + stride(from: 20, to: valid.count, by: max(1, valid.count / 60)) + [valid.count - 1] {
            do {
                _ = try unzstd(Array(valid.prefix(cut)), inputBufferSize: 64)
                Issue.record("cut at \(cut) was read without an error")
            } catch let e as ZstdError {
                switch e {
                case .truncated(let offset): #expect(offset <= Int64(cut), "cut at \(cut)")
                case .notZstd where cut < 4: break
                default: Issue.record("cut at \(cut): \(e)")
                }
            }
        }
    }

    @Test func flippedBytesAreCaught() throws {
        let valid = try pipe("zstd -c", input)
        var caught = 0
        for position in stride(from: 4, to: valid.count, by: max(1, valid.count / 40)) {
            var damaged = valid
            damaged[position] ^= 0x55
            do {
                let (out, _) = try unzstd(damaged)
                // A flip can only go unnoticed if the checksum also matched: never, in practice.
                Issue.record("flip at \(position) gave \(out.count) bytes and no error")
            } catch is ZstdError {
                caught += 1
            }
        }
        #expect(caught > 30)
    }

    @Test func wrongChecksum() throws {
        var damaged = try pipe("zstd -c", input)
        damaged[damaged.count - 1] ^= 0xFF
        #expect {
            _ = try unzstd(damaged)
        } throws: { e in
            guard case .corrupt(let offset, let reason) = e as? ZstdError else { return false }
            // The frame's last 4 bytes are its checksum.
            return offset >= Int64(damaged.count - 4) && offset <= Int64(damaged.count) && reason.contains("checksum")
        }
    }

    @Test func trailingGarbage() throws {
        let valid = try pipe("zstd -c", input)
        #expect(throws: ZstdError.trailingGarbage(compressedOffset: Int64(valid.count))) {
            _ = try unzstd(valid + Array("garbage".utf8))
        }
        #expect(throws: ZstdError.trailingGarbage(compressedOffset: Int64(valid.count))) { _ = try unzstd(valid + [0, 0, 0, 0]) }
    }

    @Test func notZstd() {
        #expect(throws: ZstdError.notZstd(offset: 0)) { _ = try unzstd([]) }
        #expect(throws: ZstdError.notZstd(offset: 0)) { _ = try unzstd(Array("hello, world\n".utf8)) }
        #expect(throws: ZstdError.notZstd(offset: 0)) { _ = try unzstd([0x1F, 0x8B, 0x08, 0]) }
    }

    @Test func windowOverTheLimitIsRefusedBeforeDecoding() throws {
        // zstd --long=28 asks for a 256 MiB window; the reader's limit is 128 MiB.
        let big = try pipe("zstd -1 --long=28 -c", input)
        #expect(throws: ZstdError.windowTooLarge(compressedOffset: 0, windowSize: 1 << 28, limit: 1 << 27)) { _ = try unzstd(big) }
        #expect(
            ZstdError.windowTooLarge(compressedOffset: 0, windowSize: 1 << 28, limit: 1 << 27).description
                == "zstd frame at compressed byte 0 needs a 256 MiB window; imgtool decodes windows of at most 128 MiB "
                + "(zstd -d needs --memory for such frames too)")
        // A smaller limit refuses an ordinary frame the same way.
        let ordinary = try pipe("zstd -19 -c", TS.randomBytes(3_000_000))
        #expect {
            _ = try unzstd(ordinary, windowLogMax: 20)
        } throws: { e in
            guard case .windowTooLarge(0, _, 1 << 20) = e as? ZstdError else { return false }
            return true
        }
    }

    @Test func errorsAreSticky() throws {
        let valid = try pipe("zstd -c", input)
        let d = try ZstdDecompressor(BufferSource(Array(valid.prefix(valid.count / 2))))
        #expect(throws: ZstdError.self) { _ = try TS.readAll(d) }
        var one = [UInt8](repeating: 0, count: 10)
        #expect(throws: ZstdError.self) { _ = try one.withUnsafeMutableBytes { try d.read(into: $0) } }
    }
}
