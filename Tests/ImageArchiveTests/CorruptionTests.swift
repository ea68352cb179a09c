import ByteIO
import Foundation
import ImageArchive
import OCI
import Tar
import TestSupport
import Testing

/// What must not change unnoticed: every image's config digest and layer DiffIDs.
private struct Signature: Equatable, CustomStringConvertible {
    var images: [[Digest]]
    init(_ a: ImageArchive) { images = a.images.map { [$0.configDigest] + $0.layers.map(\.diffID) } }
    var description: String { images.map { $0.map(\.short).joined(separator: ",") }.joined(separator: " | ") }
}

private enum Outcome {
    case threw(ArchiveError.Kind)
    case problems
    case same
    case wrong(String)
}

/// Reads damaged bytes in-process: an ArchiveError, or an archive that is either flagged
/// (problems) or identical to the pristine one. Anything else is returned as `.wrong`.
private func judge(_ bytes: [UInt8], pristine: Signature) -> Outcome {
    do {
        let archive = try ImageArchive.read(.stream(BufferSource(bytes)))
        if !archive.problems.isEmpty { return .problems }
        let s = Signature(archive)
        return s == pristine ? .same : .wrong("read without problems as \(s)")
    } catch {
        // Damage is an `ArchiveError`, whatever layer found it: nothing else may come out.
        guard let e = error as? ArchiveError else { return .wrong("threw \(type(of: error)): \(error)") }
        _ = e.description  // every message renders
        return .threw(e.kind)
    }
}

@Suite struct CorruptionTests {
    static let fixtures = [
        TS.fixture("skopeo-docker-archive.tar"),
        TS.fixture("skopeo-docker-archive.tar.gz"),
        TS.fixture("oci-archive.tar"),
        TS.fixture("skopeo-docker-archive.tar.zst"),
        TS.fixture("zstd/oci-zstd.tar"),
    ]

    /// Every 97th byte and every 512-byte boundary: never a crash, never a silently wrong result.
    /// The same on Docker's own archive, when ../shared is there.
    @Test(.timeLimit(.minutes(1)), .enabled(if: TS.realArchivesAvailable, Comment(rawValue: TS.realArchivesMissing)))
    func truncatedEverywhereOnDockerArchive() throws { try truncatedEverywhere(TS.real("docker25-hello-world.tar")) }

    @Test(.timeLimit(.minutes(1)), arguments: fixtures)
    func truncatedEverywhere(_ path: String) throws {
        let bytes = try TS.bytes(path)
        let pristine = Signature(try ImageArchive.read(.stream(BufferSource(bytes))))
        #expect(!pristine.images.isEmpty)
        var cuts = Set(stride(from: 0, to: bytes.count, by: 97))
        cuts.formUnion(stride(from: 0, to: bytes.count, by: 512))
        let clock = ContinuousClock()
        let start = clock.now
        var wrong: [String] = []
        var threw = 0
        var kinds: [ArchiveError.Kind: Int] = [:]
        for cut in cuts.sorted() {
            switch judge(Array(bytes.prefix(cut)), pristine: pristine) {
            case .threw(let k):
                threw += 1
                kinds[k, default: 0] += 1
            case .problems, .same: break
            case .wrong(let why): wrong.append("cut at \(cut): \(why)")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) silently wrong: \(wrong.prefix(5))")
        // A cut before the end of the archive's data is always reported as such.
        #expect(threw >= cuts.filter { $0 < bytes.count - 10240 }.count)
        #expect(kinds[.truncated, default: 0] > cuts.count / 2, "\(kinds)")
        #expect(clock.now - start < .seconds(30))
    }

    /// A few hundred single-byte flips at deterministic positions per fixture.
    /// The same on Docker's own archive, when ../shared is there.
    @Test(.timeLimit(.minutes(1)), .enabled(if: TS.realArchivesAvailable, Comment(rawValue: TS.realArchivesMissing)))
    func flippedBytesOnDockerArchive() throws { try flippedBytes(TS.real("docker25-hello-world.tar")) }

    @Test(.timeLimit(.minutes(1)), arguments: fixtures)
    func flippedBytes(_ path: String) throws {
        let bytes = try TS.bytes(path)
        let pristine = Signature(try ImageArchive.read(.stream(BufferSource(bytes))))
        var positions: [Int] = []
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for i in 0..<300 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Half spread evenly, half pseudo-random.
            positions.append(i % 2 == 0 ? i * bytes.count / 300 : Int((state >> 33) % UInt64(bytes.count)))
        }
        let clock = ContinuousClock()
        let start = clock.now
        var wrong: [String] = []
        var detected = 0
        for (i, p) in positions.enumerated() {
            var damaged = bytes
            damaged[p] ^= UInt8(1 << (i % 8))
            switch judge(damaged, pristine: pristine) {
            case .threw, .problems: detected += 1
            case .same: break
            case .wrong(let why): wrong.append("flip at \(p) (0x\(TS.hex([bytes[p]])) -> 0x\(TS.hex([damaged[p]]))): \(why)")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) silently wrong: \(wrong.prefix(5))")
        #expect(detected > 0)
        #expect(clock.now - start < .seconds(30))
    }

    /// A flipped byte inside a config named by its digest must not go unnoticed.
    @Test func flippedConfigByteInADockerArchive() throws {
        let path = TS.fixture("skopeo-docker-archive.tar")
        let bytes = try TS.bytes(path)
        let archive = try ImageArchive.read(.stream(BufferSource(bytes)))
        let image = try #require(archive.images.first)
        // Find the config member's data in the tar and change one letter of its "created" value.
        let reader = TarReader(BufferSource(bytes))
        var dataOffset: Int?
        while let e = try reader.next() {
            if e.path == image.configMember {
                dataOffset = Int(reader.offset)
                break
            }
        }
        let start = try #require(dataOffset)
        let needle = Array("2024-01-01".utf8)
        let config = image.rawConfig
        let at = try #require((0...(config.count - needle.count)).first { Array(config[$0..<($0 + needle.count)]) == needle })
        var damaged = bytes
        damaged[start + at + 3] = UInt8(ascii: "5")  // 2024 -> 2025: still valid JSON, still a valid config
        let outcome = judge(damaged, pristine: Signature(archive))
        switch outcome {
        case .threw, .problems: break
        case .same: Issue.record("the config changed but the result did not")
        case .wrong(let why):
            Issue.record("config \(image.configMember) no longer hashes to its name, yet it was accepted: \(why)")
        }
    }
}
