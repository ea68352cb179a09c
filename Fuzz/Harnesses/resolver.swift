// fuzz-max-len: 65536
// fuzz-seeds:

// Harness `resolver`: the image resolver's JSON (manifest.json, index.json, OCI manifests,
// configs, `repositories` and the pre-1.10 layer `json`), inside archives whose digests add up.
//
// The input is a list of archive members in a small text language (`FuzzMembers`, below), so
// that the fuzzer mutates JSON while the harness names blobs by their digest and fills in the
// digests and sizes the JSON refers to. The archive is written in memory and read as `verify`
// reads stdin; every image found goes through `select` and every check.
import ByteIO
import Foundation
import Gzip
import ImageArchive
import ImageVerify
import OCI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResolver(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = Array(UnsafeBufferPointer(start: data, count: size))
    let tar = FuzzTar.archive(FuzzMembers.entries(text))
    let archive: ImageArchive
    do {
        archive = try ImageArchive.read(.stream(BufferSource(tar), name: "stdin"), options: .verify)
    } catch {
        _ = "\(error)"  // the message the CLI prints
        return 0
    }
    _ = archive.problems.map(\.description)
    for image in archive.images {
        _ = try? archive.select(reference: image.tags.first ?? image.configDigest.hex)
        _ = try? archive.select(platform: image.platform)
    }
    _ = try? ImageVerifier.verify(archive, options: VerifyOptions(platform: Platform(os: "linux", architecture: "amd64"), prisma: .force))
    return 0
}

/// The member language. Members are separated by lines `=== NAME`; what follows, up to the next
/// such line, is the member's content. In a name, `@` stands for the hex SHA-256 of the member's
/// own (final) content, and the name `blob` for `blobs/sha256/@`; `DIR/` is a directory and
/// `NAME -> TARGET` a symlink. In a content, `{{d:N}}` is `sha256:<hex>` of member N (from 0),
/// `{{h:N}}` its hex, `{{s:N}}` its size and `{{n:N}}` its name; `{{diff}}` is the DiffID of the
/// harness's fixed layer; a content of just `{{layer}}` is that layer and `{{gzlayer}}` it
/// gzipped. A reference that leads back to itself is left as 64 zeros.
enum FuzzMembers {
    struct Member {
        var name: [UInt8]
        var content: [UInt8]
        var final: (name: String, content: [UInt8], hex: String)?
        var resolving = false
    }

    static let maximumMembers = 128

    static func entries(_ text: [UInt8]) -> [FuzzTarEntry] {
        var members = split(text)
        for i in members.indices { resolve(i, &members) }
        return members.map { m in
            let f = m.final!
            if let arrow = f.name.range(of: " -> ") {
                return FuzzTarEntry(
                    name: String(f.name[..<arrow.lowerBound]), typeflag: UInt8(ascii: "2"), mode: 0o777,
                    linkName: String(f.name[arrow.upperBound...]))
            }
            if f.name.hasSuffix("/") { return FuzzTarEntry(name: f.name, typeflag: UInt8(ascii: "5"), mode: 0o755) }
            return FuzzTarEntry(name: f.name, data: f.content)
        }
    }

    /// The members, unresolved.
    static func split(_ text: [UInt8]) -> [Member] {
        var members: [Member] = []
        var lines = text.split(separator: 0x0a, omittingEmptySubsequences: false)[...]
        var current: Member? = nil
        var content: [[UInt8]] = []
        func close() {
            if var m = current {
                m.content = Array(content.joined(separator: [0x0a]))
                members.append(m)
            }
            content = []
        }
        while let line = lines.popFirst() {
            if line.starts(with: "=== ".utf8) {
                close()
                if members.count == maximumMembers { return members }
                current = Member(name: Array(line.dropFirst(4)), content: [])
            } else if current != nil {
                content.append(Array(line))
            }
        }
        close()
        return members
    }

    static let zeros = String(repeating: "0", count: 64)
    static let gzippedLayer: [UInt8] = {
        let sink = BufferSink()
        let d = try! Deflater(sink)
        try! FuzzArchiveBuilder.fixedLayer.withUnsafeBytes { try d.write($0) }
        try! d.finish()
        return sink.bytes
    }()

    /// Resolves member `i` (and, first, the members it refers to).
    static func resolve(_ i: Int, _ members: inout [Member]) {
        guard members[i].final == nil, !members[i].resolving else { return }
        members[i].resolving = true
        var content = substitute(members[i].content, &members)
        if content.elementsEqual("{{layer}}".utf8) { content = FuzzArchiveBuilder.fixedLayer }
        if content.elementsEqual("{{gzlayer}}".utf8) { content = gzippedLayer }
        let hex = SHA256.hash(content).hex
        var name = String(decoding: members[i].name, as: UTF8.self)
        if name == "blob" { name = "blobs/sha256/@" }
        name = name.replacingOccurrences(of: "@", with: hex)
        members[i].final = (name, content, hex)
        members[i].resolving = false
    }

    /// `content` with its `{{...}}` references filled in.
    static func substitute(_ content: [UInt8], _ members: inout [Member]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < content.count {
            if content[i] == UInt8(ascii: "{"), i + 1 < content.count, content[i + 1] == UInt8(ascii: "{"),
                let close = content[(i + 2)...].firstIndex(of: UInt8(ascii: "}")), close + 1 < content.count,
                content[close + 1] == UInt8(ascii: "}"), close - i < 16
            {
                let token = String(decoding: content[(i + 2)..<close], as: UTF8.self)
                if let value = value(of: token, &members) {
                    out += value
                    i = close + 2
                    continue
                }
            }
            out.append(content[i])
            i += 1
        }
        return out
    }

    static let diffID = Array(FuzzArchiveBuilder.digest(FuzzArchiveBuilder.fixedLayer).utf8)

    static func value(of token: String, _ members: inout [Member]) -> [UInt8]? {
        if token == "diff" { return diffID }
        let parts = token.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[1]), members.indices.contains(n) else { return nil }
        resolve(n, &members)
        let f = members[n].final
        switch parts[0] {
        case "d": return Array(("sha256:" + (f?.hex ?? zeros)).utf8)
        case "h": return Array((f?.hex ?? zeros).utf8)
        case "s": return Array(String(f?.content.count ?? 0).utf8)
        case "n": return Array((f?.name ?? "").utf8)
        default: return nil
        }
    }
}
