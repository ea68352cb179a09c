import Tar
import TestSupport
import Testing

/// `TarSpanSplitter`, which tells `pack` where the data of each large tar member lies: whatever
/// pieces the tar arrives in, the same spans.
@Suite struct TarSpanSplitterTests {
    /// Feeds `tar` to a splitter in pieces of `piece` bytes and merges consecutive spans.
    static func spans(_ tar: [UInt8], minimumOwnSize: Int64 = 1024, piece: Int) -> [(owner: String?, offset: Int, count: Int)] {
        var splitter = TarSpanSplitter(minimumOwnSize: minimumOwnSize)
        var out: [(owner: String?, entry: Int?, offset: Int, count: Int)] = []
        var offset = 0
        tar.withUnsafeBytes { all in
            while offset < all.count {
                let end = min(all.count, offset + piece)
                var at = offset
                while at < end {
                    let span = splitter.next(UnsafeRawBufferPointer(rebasing: all[at..<end]))
                    if let last = out.last, last.entry == span.owner?.entry {
                        out[out.count - 1].count += span.count
                    } else {
                        out.append((span.owner?.name, span.owner?.entry, at, span.count))
                    }
                    at += span.count
                }
                offset = end
            }
        }
        return out.map { ($0.owner, $0.offset, $0.count) }
    }

    /// A tar exercising what moves or names data: PAX `path` and `size`, a GNU long name,
    /// header-only types with a non-zero size field, a small file, zero-size files.
    static func cornerTar() -> (tar: [UInt8], owned: [(name: String, offset: Int, count: Int)]) {
        var tar: [UInt8] = []
        var owned: [(String, Int, Int)] = []
        func add(_ bytes: [UInt8]) { tar += bytes }
        add(TS.file("small.json", "{\"a\":1}"))
        let big = TS.noise(3000, seed: 1)
        add(TS.header(name: "blobs/sha256/big", size: Int64(big.count)))
        owned.append(("blobs/sha256/big", tar.count, TS.padded(big).count))
        add(TS.padded(big))
        // Header-only types: their size fields are not followed by data.
        add(TS.header(name: "link", typeflag: UInt8(ascii: "2"), size: 5000, linkName: "big"))
        add(TS.header(name: "dir/", typeflag: UInt8(ascii: "5"), size: 5000))
        add(TS.header(name: "hard", typeflag: UInt8(ascii: "1"), size: 5000, linkName: "big"))
        // PAX path and size override the header's name and (wrong) size field.
        let paxed = TS.noise(2048, seed: 2)
        add(TS.paxHeader([("path", "very/long/" + String(repeating: "p", count: 120)), ("size", "\(paxed.count)")]))
        add(TS.header(name: "short-name", size: 1))
        owned.append(("very/long/" + String(repeating: "p", count: 120), tar.count, paxed.count))
        add(paxed)
        // GNU long name.
        let longName = "gnu/" + String(repeating: "g", count: 150)
        let nameData = Array(longName.utf8) + [0]
        add(TS.entry(TS.header(name: "././@LongLink", typeflag: UInt8(ascii: "L"), size: Int64(nameData.count), magic: .gnu), nameData))
        let gnu = TS.noise(1500, seed: 3)
        add(TS.header(name: String(longName.prefix(99)), size: Int64(gnu.count), magic: .gnu))
        owned.append((longName, tar.count, TS.padded(gnu).count))
        add(TS.padded(gnu))
        // A global header applies to nothing; an empty file has no data.
        add(TS.paxHeader([("comment", "x")], typeflag: "g"))
        add(TS.header(name: "empty", size: 0))
        // Small (under the minimum) stays grouped.
        add(TS.file("VERSION", "1.0"))
        add(TS.endMarker)
        return (tar, owned)
    }

    @Test(arguments: [1, 7, 511, 512, 513, 4096, 1 << 20])
    func splitterFindsTheDataOfLargeMembersWhateverThePieces(piece: Int) {
        let (tar, owned) = Self.cornerTar()
        let spans = Self.spans(tar, piece: piece)
        let found = spans.filter { $0.owner != nil }
        #expect(found.map(\.owner) == owned.map(\.name))
        #expect(found.map(\.offset) == owned.map(\.offset))
        #expect(found.map(\.count) == owned.map(\.count))
        #expect(spans.reduce(0) { $0 + $1.count } == tar.count)
    }

    @Test func splitterGroupsEverythingAfterAHeaderItCannotFollow() {
        var tar = TS.file("a", "x")
        var bad = TS.header(name: "b", size: 4096)
        bad.replaceSubrange(124..<136, with: Array("zzzzzzzzzzz\0".utf8))
        tar += bad + TS.padded(TS.noise(4096, seed: 4)) + TS.endMarker
        let spans = Self.spans(tar, piece: 100)
        #expect(spans.count == 1)
        #expect(spans.first?.owner == nil)
        #expect(spans.first?.count == tar.count)
    }
}
