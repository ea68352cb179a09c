import Foundation

extension TS {
    /// Writes `segments` (file offset, bytes) into a new file of `size` bytes: the gaps stay
    /// holes, so a 128 MiB archive costs no disk space.
    package static func writeSparse(_ path: String, size: Int64, _ segments: [(Int64, [UInt8])]) throws {
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Failure("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        for (offset, bytes) in segments {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard n == bytes.count else { throw Failure("pwrite at \(offset) wrote \(n) of \(bytes.count) bytes") }
        }
        guard ftruncate(fd, off_t(size)) == 0 else { throw Failure("cannot extend \(path) to \(size) bytes: errno \(errno)") }
    }

    /// A docker-archive with two layers, each holding a 64 MiB file of zeros (holes on disk).
    package static func makeBigArchive(_ path: String) throws -> (size: Int64, layerSize: Int64) {
        let big: Int64 = 64 << 20
        // One layer: big.bin (64 MiB), then bin/tool, then the end marker.
        let tool = TS.file("bin/tool", "#!/bin/sh\necho hi\n")
        let layerSize = 512 + big + Int64(tool.count) + 1024
        let config = Array(
            """
            {"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[\
            "sha256:\(String(repeating: "a", count: 64))","sha256:\(String(repeating: "b", count: 64))"]}}
            """.utf8)
        let manifest = Array(#"[{"Config":"config.json","RepoTags":["big:1.0"],"Layers":["one.tar","two.tar"]}]"#.utf8)
        var segments: [(Int64, [UInt8])] = []
        var at: Int64 = 0
        for name in ["one.tar", "two.tar"] {
            segments.append((at, TS.header(name: name, size: layerSize)))
            segments.append((at + 512, TS.header(name: "big.bin", size: big)))
            segments.append((at + 1024 + big, tool))
            at += 512 + layerSize
        }
        for (name, bytes) in [("config.json", config), ("manifest.json", manifest)] {
            let e = TS.entry(TS.header(name: name, size: Int64(bytes.count)), bytes)
            segments.append((at, e))
            at += Int64(e.count)
        }
        let size = at + 1024
        try writeSparse(path, size: size, segments)
        return (size, layerSize)
    }
}
