import Foundation
import ImageVerify
import TestSupport

// @testable: a table built by hand, as `LayerScanner` builds it, needs `LayerTable.append` and
// `capture` (ImageArchive) and `TarEntryView`'s initializer (Tar), all internal.
@testable import ImageArchive
@testable import Tar

/// Helpers of the merged-filesystem and verify tests.
enum VH {
    /// One hand-written layer entry.
    enum Entry {
        case dir(String, mode: UInt32 = 0o755)
        case file(String, machine: UInt16? = nil, content: String? = nil, mode: UInt32 = 0o644, shebang: String? = nil)
        case symlink(String, to: String)
        case hardlink(String, to: String)
        case whiteout(String)
    }

    /// Builds a layer table by hand, as `LayerScanner` would from a tar.
    static func makeTable(_ entries: [Entry]) -> LayerTable {
        var table = LayerTable()
        var previous: [UInt8] = []
        for e in entries {
            var path = ""
            var kind = TarEntry.Kind.regular
            var extra: [UInt8] = []
            var flags: UInt8 = 0
            var elf: ELFHeader? = nil
            var mode: UInt32 = 0o644
            var size: Int64 = 0
            var captured: [UInt8]? = nil
            switch e {
            case .dir(let p, let m):
                path = p
                kind = .directory
                mode = m
            case .file(let p, let machine, let content, let m, let shebang):
                path = p
                mode = m
                if let machine { elf = ELFHeader(machine: machine, type: 3, is64Bit: true, isBigEndian: false) }
                if let content {
                    captured = Array(content.utf8)
                    size = Int64(content.utf8.count)
                }
                if let shebang {
                    flags |= LayerTable.Flag.shebang
                    extra = Array(shebang.utf8)
                }
            case .symlink(let p, let target):
                path = p
                kind = .symlink
                extra = Array(target.utf8)
            case .hardlink(let p, let target):
                path = p
                kind = .hardlink
                extra = Array(target.utf8)
            case .whiteout(let p):
                path = p
                flags |= p.hasSuffix(".wh..wh..opq") ? LayerTable.Flag.opaque : LayerTable.Flag.whiteout
            }
            let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
            let entry = TarEntryView(
                name: empty, linkName: empty, kind: kind, mode: mode, uid: 0, gid: 0, size: size, dataSize: size, mtime: 0,
                hasXattrs: false, headerOffset: 0, deviceMajor: 0, deviceMinor: 0)
            let bytes = Array(path.utf8)
            bytes.withUnsafeBytes { raw in
                previous.withUnsafeBytes { before in
                    extra.withUnsafeBytes { table.append(path: raw, previous: before, entry: entry, extra: $0, flags: flags, elf: elf) }
                }
            }
            previous = bytes
            if let captured { table.capture(path, captured) }
        }
        return table
    }

    /// `Tests/Fixtures`.
    static func fixturesDirectory() -> URL { TS.fixturesDir }

    /// fixtures.json, as JSON objects.
    static func fixtureFacts() throws -> [[String: Any]] {
        let data = try Data(contentsOf: fixturesDirectory().appendingPathComponent("fixtures.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
    }

    static func readFixture(_ name: String) throws -> ImageArchive {
        try ImageArchive.read(path: fixturesDirectory().appendingPathComponent(name).path, options: .verify)
    }
}
