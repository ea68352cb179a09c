import ByteIO
import Foundation
import ImageArchive
import TestSupport
import Testing

/// The input tap: every byte of the input, once, in order, on one thread, whatever the reading.
@Suite struct ArchiveInputTapTests {
    /// What a tap saw, and on which threads.
    final class Recorder: @unchecked Sendable {
        var bytes: [UInt8] = []
        var threads = Set<UInt64>()
        func record(_ b: UnsafeRawBufferPointer) {
            bytes.append(contentsOf: b)
            var tid: UInt64 = 0
            #if canImport(Glibc)
            tid = UInt64(pthread_self())
            #else
            tid = UInt64(UInt(bitPattern: pthread_self()))
            #endif
            threads.insert(tid)
        }
    }

    static let fixtures = [
        "skopeo-docker-archive.tar", "skopeo-docker-archive.tar.gz", "skopeo-docker-archive.multimember.tar.gz", "oci-multiarch.tar",
    ]

    @Test(arguments: fixtures, [ArchiveInput.Reading.whole, .wholeOnOneThread, .headersOnly(mapped: true)])
    func theTapSeesEveryByteInOrderOnOneThread(_ name: String, _ reading: ArchiveInput.Reading) throws {
        let path = TS.fixture(name)
        let file = try FileSource(path: path)
        let recorder = Recorder()
        let archive = try ImageArchive.read(.file(file, reading: reading).tapped { recorder.record($0) })
        let expected = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(recorder.bytes == expected, "\(name): the tap saw \(recorder.bytes.count) of \(expected.count) bytes")
        #expect(recorder.threads.count == 1)
        // A tapped read is a whole read: every digest checked, even when headers only were asked.
        #expect(archive.verified)
        #expect(archive.inputBytes == Int64(expected.count))
    }

    @Test func aStreamIsTappedToo() throws {
        let path = TS.fixture("skopeo-docker-archive.tar.gz")
        let expected = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let recorder = Recorder()
        _ = try ImageArchive.read(.stream(BufferSource(expected)).tapped { recorder.record($0) })
        #expect(recorder.bytes == expected)
        #expect(recorder.threads.count == 1)
    }
}
