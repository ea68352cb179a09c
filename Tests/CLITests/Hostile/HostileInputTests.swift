import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Tar
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Small, well-formed (digest-correct where digests apply) archives built to take the tool down:
/// references multiplied, entries by the million, headers that claim gigabytes, symlinks without
/// end, a gzip bomb. Each must end, in bounded time and memory, with the right answer or a clear
/// error. The archives are written at test time (Python's `tarfile`, hand-built bytes where the
/// point is a header no tool writes) into a temporary directory, and read through the library
/// or through the built `imgtool`, whose peak memory is measured (by `/usr/bin/time`; the memory
/// checks are skipped where it is missing).
///
/// The bounds asserted are loose (a few times what this 2-core machine takes in a debug build);
/// the numbers measured before and after the fix are in the commit message.
@Suite(.serialized) struct HostileInputTests {
    // MARK: - References multiplied

    /// `index.json` lists an index 6 times, which lists the next 6 times, 7 indexes deep: 6^7
    /// paths to one manifest. Every index used to be decoded once per path (26 s for `inspect`
    /// and for `verify` here); each is now walked once (30 ms), and the image gets the names of
    /// every entry.
    @Test(.timeLimit(.minutes(2))) func nestedIndexesAreWalkedOncePerDigest() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("fanout.tar")
        // 6 indexes under index.json, each listing the next (the last: the manifest) 6 times.
        try python(Scripts.fanout, [archive, "6", "6", "fanout:1,fanout:2"])
        let headersOnly = try measure { try ImageArchive.read(path: archive, reading: .headersOnly(mapped: false)) }
        #expect(headersOnly.seconds < 10)
        #expect(headersOnly.value.images.count == 1)
        #expect(headersOnly.value.images.first?.tags == ["fanout:1", "fanout:2"])
        #expect(headersOnly.value.skipped.isEmpty)
        let whole = try measure { try ImageArchive.read(path: archive, options: .verify) }
        #expect(whole.seconds < 10)
        #expect(whole.value.problems.isEmpty)
        #expect(whole.value.images.map(\.tags) == [["fanout:1", "fanout:2"]])
        let verify = try imgtool(["verify", "--json", archive])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.seconds < 10)
        let inspect = try imgtool(["inspect", "--json", archive])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.seconds < 10)
    }

    /// Two indexes that list each other (their names are not their digests, so only a read that
    /// does not hash, or one that reports the mismatch, gets that far): a cycle, reported as
    /// one, not walked until the depth limit.
    @Test func indexCycleIsReported() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("cycle.tar")
        try python(Scripts.cycle, [archive])
        let a = "blobs/sha256/" + String(repeating: "a", count: 64)
        let b = "blobs/sha256/" + String(repeating: "b", count: 64)
        let expected = ArchiveError.malformedJSON(
            member: a, reason: "image index leads back to itself: expected a tree of indexes, found a cycle (listed by \(b))")
        for reading in [ArchiveInput.Reading.headersOnly(mapped: false), .whole] {
            #expect(throws: expected) { try ImageArchive.read(path: archive, reading: reading) }
        }
        let cli = try imgtool(["verify", archive])
        #expect(cli.status == 4)
        #expect(cli.stderr.contains("found a cycle"), "\(cli.stderr)")
    }

    /// `manifest.json` lists one 20,000-entry layer 80,000 times, and the config has no
    /// `diff_ids`. `verify` used to reserve the merged filesystem for 80,000 × 20,000 nodes and
    /// abort ("failed to allocate 102400001120 bytes", exit 134), and headers-only `inspect`
    /// hashed the layer once per reference. Now: more layers than an image may have, said so.
    @Test(.timeLimit(.minutes(2))) func layerListedTooManyTimesIsRefused() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("refs.tar")
        try python(Scripts.references, [archive, "--refs", "80000", "--entries", "20000", "--no-diff-ids"])
        let message = "Error: \(archive): manifest.json: too many layers for one image in entry 1: expected at most 1000, found 80000\n"
        for command in ["verify", "inspect"] {
            let run = try imgtool([command, archive])
            #expect(run.status == 4)
            #expect(run.stderr == message)
            #expect(run.seconds < 10)
            #expect(run.maxRSSMiB < 200, "\(command): \(run.maxRSSMiB) MiB")
        }
        #expect(
            throws: ArchiveError.malformedJSON(
                member: "manifest.json", reason: "too many layers for one image in entry 1: expected at most 1000, found 80000")
        ) {
            try ImageArchive.read(path: archive, options: .verify)
        }
    }

    /// One layer (1,000 entries and an 8 MiB file) listed 1,000 times, the most an image may
    /// have, config without `diff_ids`. Headers-only `inspect` hashes the member for its DiffID
    /// once (it used to, 1,000 times: 8 GiB of hashing); the merged filesystem reserves room for
    /// one layer's entries, not 1,000 times as many; the answer is the same as it always was.
    @Test(.timeLimit(.minutes(2))) func layerListedUpToTheLimitIsReadOnce() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("refs.tar")
        let layerDigest = try python(
            Scripts.references, [archive, "--refs", "1000", "--entries", "1000", "--big-mib", "8", "--no-diff-ids"]
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
        let inspect = try imgtool(["inspect", "--json", archive])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.seconds < 10)
        let report = try json(inspect.stdout)
        let image = try #require((report["images"] as? [[String: Any]])?.first)
        let layers = try #require(image["layers"] as? [[String: Any]])
        #expect(layers.count == 1000)
        #expect(Set(layers.compactMap { $0["diffID"] as? String }) == [layerDigest])
        #expect(image["entries"] as? Int == 1000 * 1001)

        let verify = try imgtool(["verify", "--json", archive])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.seconds < 30)
        // About 29 MiB (a debug imgtool reading a small archive takes 27); 45 MiB when the tree
        // was reserved for every reference (its child index of 2^21 slots is written at once).
        #expect(verify.maxRSSMiB < 40, "\(verify.maxRSSMiB) MiB")

        let read = try ImageArchive.read(path: archive, options: .verify)
        #expect(read.problems.isEmpty)
        let one = try #require(read.images.first)
        #expect(one.layers.count == 1000)
        #expect(Set(one.layers.map(\.diffID.description)) == [layerDigest])
        let fs = MergedFilesystem(image: one)
        #expect(fs.nodeCount == 1 + 1001)
        #expect(fs.lookup("/big.bin").node?.layer == 1000)
        #expect(fs.lookup("/f999").node?.size == 0)
    }

    /// 101 images (distinct configs) of 1,000 layers each: 101,000 layer references, over
    /// ``ReadOptions/maximumLayerReferences``, refused when the 101st image is counted.
    @Test func layerReferencesOverTheArchiveAreBounded() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("refs.tar")
        try python(Scripts.references, [archive, "--refs", "1000", "--entries", "1", "--images", "101"])
        let expected = ArchiveError.malformedJSON(
            member: "manifest.json",
            reason: "too many layer references over the archive's images: expected at most 100000, found 101000 by the image in entry 101")
        for reading in [ArchiveInput.Reading.headersOnly(mapped: false), .whole] {
            let outcome = measure { readFailure(archive, reading: reading) }
            #expect(outcome.value == expected)
            #expect(outcome.seconds < 10)
        }
        #expect(ReadOptions.maximumLayersPerImage == 1_000)
        #expect(ReadOptions.maximumLayerReferences == 100_000)
        #expect(ReadOptions.maximumImageReferences == 100_000)
    }

    /// `index.json` lists, 5,000 times, one index of 21 image manifests: 105,000 references to
    /// images, each adding its names to the image. The index is walked once; the references are
    /// bounded by ``ReadOptions/maximumImageReferences``.
    @Test(.timeLimit(.minutes(2))) func imageReferencesAreBounded() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let archive = dir.path("images.tar")
        try python(Scripts.imageReferences, [archive, "5000", "21"])
        let outcome = measure { readFailure(archive, reading: .headersOnly(mapped: false)) }
        // 21 references per entry of index.json: the 4,762nd entry makes 100,002.
        #expect(
            outcome.value
                == .malformedJSON(
                    member: "index.json", reason: "too many image references over the archive: expected at most 100000, found 100002"))
        #expect(outcome.seconds < 10)
        // Under the limit (4,000 entries: 84,000 references), the 21 images, each named once.
        try python(Scripts.imageReferences, [archive, "4000", "21"])
        let fine = try measure { try ImageArchive.read(path: archive, options: .verify) }
        #expect(fine.seconds < 10)
        #expect(fine.value.images.count == 21)
        #expect(fine.value.images.allSatisfy { $0.tags == ["many:1"] })
        #expect(fine.value.problems.isEmpty)
    }
}
