import ByteIO
import Foundation
import ImageArchive
import OCI
import TestSupport
import Testing

/// A gzip archive read from a file or stdin is inflated on a second thread. Whatever the damage,
/// that must give exactly what the single-threaded reader gives: the same archive, or the same
/// error.
@Suite struct InflatePipelineTests {
    /// What a read gives, comparably.
    private enum Outcome: Equatable {
        case archive(images: [[Digest]], problems: [ArchiveError], inputBytes: Int64, tarBytes: Int64, members: Int)
        case error(ArchiveError)
        case other(String)
    }

    private func outcome(_ read: () throws -> ImageArchive) -> Outcome {
        do {
            let a = try read()
            return .archive(
                images: a.images.map { [$0.configDigest] + $0.layers.map(\.diffID) }, problems: a.problems,
                inputBytes: a.inputBytes, tarBytes: a.tarBytes, members: a.gzipMembers)
        } catch let e as ArchiveError {
            return .error(e)
        } catch {
            return .other("\(error)")
        }
    }

    /// Damaged copies of a gzip fixture: cut short, bytes flipped, garbage appended, members
    /// concatenated.
    private static func damaged(_ bytes: [UInt8]) -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = [("intact", bytes), ("twice", bytes + bytes)]
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 23)) {
            out.append(("cut at \(cut)", Array(bytes.prefix(cut))))
        }
        for at in stride(from: 10, to: bytes.count, by: max(1, bytes.count / 17)) {
            var b = bytes
            b[at] ^= 0x5A
            out.append(("flip at \(at)", b))
        }
        out.append(("garbage after", bytes + Array("not gzip".utf8)))
        out.append(("zeros after", bytes + [UInt8](repeating: 0, count: 1000)))
        return out
    }

    @Test(arguments: ["skopeo-docker-archive.tar.gz", "skopeo-docker-archive.multimember.tar.gz", "prisma-arm64.tar.gz"])
    func sameOutcomeAsOneThread(_ file: String) throws {
        let path = TS.fixture(file)
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        for (what, bytes) in Self.damaged(try TS.bytes(path)) {
            let copy = tmp.path("damaged.tar.gz")
            try TS.write(bytes, to: copy)
            let oneThread = outcome { try ImageArchive.read(.stream(BufferSource(bytes))) }
            let twoThreads = outcome { try ImageArchive.read(path: copy) }
            #expect(twoThreads == oneThread, "\(file), \(what)")
        }
    }
}
