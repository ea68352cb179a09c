import ByteIO
import Codec
import Foundation
import ImageArchive
import OCI
import TestSupport
import Testing
import Zstd

/// zstd archives and zstd layers, made by real tools (`zstd`, `pzstd`, `skopeo copy
/// --dest-compress-format zstd`; Tests/Fixtures/zstd/make-zstd-fixtures.sh), read in the same
/// single pass as gzip: the same images as the gzip or plain archives they were made from.
@Suite struct ZstdArchiveTests {
    /// Config digest and diff_ids of every image: what recompression must not change.
    static func diffIDs(_ a: ImageArchive) -> [[Digest]] { a.images.map { $0.layers.map(\.diffID) } }
    /// Entry paths of every layer.
    static func entries(_ a: ImageArchive) -> [[String]] {
        a.images.flatMap { $0.layers.map { l in (0..<l.table.count).map { l.table.path($0) } } }
    }

    @Test(arguments: ["zstd/docker-archive.pzstd.tar.zst", "zstd/docker-archive.frames.tar.zst", "skopeo-docker-archive.tar.zst"])
    func outerZstdReadsAsTheTarItCompresses(_ file: String) throws {
        let plain = try ImageArchive.read(path: TS.fixture("skopeo-docker-archive.tar"))
        let zstd = try ImageArchive.read(path: TS.fixture(file))
        #expect(zstd.compression == .zstd)
        #expect(zstd.problems.isEmpty)
        #expect(zstd.verified)
        #expect(Self.diffIDs(zstd) == Self.diffIDs(plain))
        #expect(zstd.images.map(\.configDigest) == plain.images.map(\.configDigest))
        #expect(Self.entries(zstd) == Self.entries(plain))
        #expect(zstd.tarBytes == plain.inputBytes)
        #expect(zstd.inputBytes == Int64(try TS.bytes(TS.fixture(file)).count))
        #expect(zstd.gzipMembers == (file.contains("frames") ? 3 : 1))
        // The same from a pipe, read on one thread.
        let stream = try ImageArchive.read(.stream(BufferSource(try TS.bytes(TS.fixture(file)))))
        #expect(Self.diffIDs(stream) == Self.diffIDs(plain))
        #expect(stream.gzipMembers == zstd.gzipMembers)
    }

    /// skopeo's zstd layers: the diff_ids (over the decompressed bytes) are the gzip original's,
    /// the blob digests (over the compressed bytes) are checked, and the media type says zstd.
    @Test func skopeoZstdLayersInAnOCIArchive() throws {
        let gzip = try ImageArchive.read(path: TS.fixture("skopeo-docker-archive.tar"))
        let zstd = try ImageArchive.read(path: TS.fixture("zstd/oci-zstd.tar"))
        #expect(zstd.problems.isEmpty)
        #expect(Self.diffIDs(zstd) == Self.diffIDs(gzip))
        #expect(Self.entries(zstd) == Self.entries(gzip))
        let layers = try #require(zstd.images.first?.layers)
        #expect(layers.allSatisfy { $0.compression == .zstd && $0.mediaType?.isZstd == true && $0.digest != nil })
        #expect(layers.allSatisfy { $0.mediaType == MediaType.ociLayerZstd })
    }

    /// Nested indexes (index.json -> image index -> per-platform manifests) with zstd layers, and
    /// a containerd-store export of it where only amd64's blobs are present.
    @Test(arguments: ["zstd/oci-multiarch-zstd.tar", "zstd/containerd-export-zstd.tar"])
    func multiPlatformZstd(_ file: String) throws {
        let original = try ImageArchive.read(path: TS.fixture("oci-multiarch.tar"))
        let zstd = try ImageArchive.read(path: TS.fixture(file))
        #expect(zstd.problems.isEmpty)
        let platforms = Set(zstd.images.map { $0.platform.description })
        #expect(platforms.contains("linux/amd64"))
        if file.contains("containerd") { #expect(zstd.layout == .containerd) } else { #expect(platforms.contains("linux/arm64/v8")) }
        for image in zstd.images where !image.layers.isEmpty && image.platform.architecture != "unknown" {
            let same = try #require(original.images.first { $0.platform == image.platform })
            #expect(image.layers.map(\.diffID) == same.layers.map(\.diffID))
            #expect(image.layers.allSatisfy { $0.compression == .zstd })
        }
    }

    /// Outer and inner compressions that differ, made by the real tools at test time.
    @Test(arguments: [
        ("zstd -q -c", "zstd/oci-zstd.tar", CompressionFormat.zstd),  // zstd over zstd layers
        ("gzip -n -c", "zstd/oci-zstd.tar", .gzip),  // gzip over zstd layers
        ("zstd -q -c", "oci-archive.tar", .zstd),  // zstd over gzip layers
    ])
    func mixedCompressions(_ command: String, _ file: String, _ outer: CompressionFormat) throws {
        let inner = try ImageArchive.read(path: TS.fixture(file))
        try TS.withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent("mixed").path
            let r = try TS.run("/bin/sh", ["-c", "\(command) \"$1\" > \"$2\"", "sh", TS.fixture(file), out])
            try #require(r.status == 0, "\(r.stderr)")
            for reading in [ArchiveInput.Reading.whole, .wholeOnOneThread] {
                let a = try ImageArchive.read(.file(try FileSource(path: out), reading: reading))
                #expect(a.compression == outer)
                #expect(a.problems.isEmpty)
                #expect(Self.diffIDs(a) == Self.diffIDs(inner))
                #expect(a.images.flatMap(\.layers).map(\.compression) == inner.images.flatMap(\.layers).map(\.compression))
            }
        }
    }

    /// A damaged zstd layer blob is named, with the compressed offset inside it: its frame
    /// checksum (the blob's last 4 bytes) flipped, and a byte in its middle.
    @Test func aDamagedZstdLayerNamesTheMember() throws {
        let archive = try ImageArchive.read(path: TS.fixture("zstd/oci-zstd.tar"))
        let layer = try #require(archive.images.first?.layers.last)
        let pristine = try TS.bytes(TS.fixture("zstd/oci-zstd.tar"))
        // Find the blob's data: its name in a tar header, the data 512 bytes later.
        let name = Array(layer.member.utf8)
        let header = try #require((0..<(pristine.count - name.count)).first { Array(pristine[$0..<($0 + name.count)]) == name })
        let size = Int(try #require(layer.compressedSize))
        var checksum = pristine
        checksum[header + 512 + size - 1] ^= 0xFF
        #expect {
            try ImageArchive.read(.stream(BufferSource(checksum)))
        } throws: { e in
            guard let e = e as? ArchiveError, case .zstd(layer.member, .corrupt(let offset, let reason)) = e else { return false }
            return offset >= Int64(size - 4) && reason.contains("checksum") && e.kind == .corrupt
                && e.description.hasPrefix("\(layer.member): zstd stream corrupt at compressed byte \(offset)")
        }
        // In the middle: zstd, or the tar reader on what it decoded, names the member; or the
        // blob's digest no longer matches.
        var middle = pristine
        middle[header + 512 + size / 2] ^= 0xFF
        do {
            let damaged = try ImageArchive.read(.stream(BufferSource(middle)))
            #expect(!damaged.problems.isEmpty)
        } catch let e as ArchiveError {
            #expect(e.description.hasPrefix("\(layer.member): "), "\(e)")
        }
    }

    /// A frame asking for a window over the limit: refused before decoding, as an
    /// unsupported compression (exit 5), with the limit in the message.
    @Test func aWindowOverTheLimit() throws {
        try TS.withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent("long.tar.zst").path
            let r = try TS.run(
                "/bin/sh", ["-c", "zstd -q -1 --long=28 -c < \"$1\" > \"$2\"", "sh", TS.fixture("skopeo-docker-archive.tar"), out])
            try #require(r.status == 0, "\(r.stderr)")
            #expect {
                try ImageArchive.read(path: out)
            } throws: { e in
                guard let e = e as? ArchiveError,
                    case .zstd(nil, .windowTooLarge(compressedOffset: 0, windowSize: 1 << 28, limit: 1 << 27)) = e
                else { return false }
                return e.kind == .unsupported
            }
        }
    }
}
