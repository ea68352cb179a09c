// Shared by every harness: image archives written in memory, with digests that add up.
import ByteIO
import Foundation

/// Small image archives for the harnesses.
enum FuzzArchiveBuilder {
    /// `sha256:<hex>` of `bytes`.
    static func digest(_ bytes: [UInt8]) -> String { "sha256:" + SHA256.hash(bytes).hex }

    /// A `docker save` (before Docker 25) archive of one image: `<n>/layer.tar` members, the
    /// config as `<hex>.json`, and `manifest.json`. `{{diffids}}` in `config` becomes the JSON
    /// array of the layers' DiffIDs.
    static func dockerArchive(config template: String, layers: [[UInt8]], tag: String = "fuzz:1") -> [UInt8] {
        let diffIDs = "[" + layers.map { "\"\(digest($0))\"" }.joined(separator: ",") + "]"
        let config = Array(template.replacingOccurrences(of: "{{diffids}}", with: diffIDs).utf8)
        let configName = SHA256.hash(config).hex + ".json"
        var entries: [FuzzTarEntry] = []
        var names: [String] = []
        for (i, layer) in layers.enumerated() {
            entries.append(FuzzTarEntry(name: "\(i)/", typeflag: UInt8(ascii: "5"), mode: 0o755))
            entries.append(FuzzTarEntry(name: "\(i)/layer.tar", data: layer))
            names.append("\"\(i)/layer.tar\"")
        }
        entries.append(FuzzTarEntry(name: configName, data: config))
        let manifest = "[{\"Config\":\"\(configName)\",\"RepoTags\":[\"\(tag)\"],\"Layers\":[\(names.joined(separator: ","))]}]"
        entries.append(FuzzTarEntry(name: "manifest.json", data: Array(manifest.utf8)))
        return FuzzTar.archive(entries)
    }

    /// A small layer with something for every check: `/etc/os-release`, an amd64 ELF `node`
    /// and a Prisma client whose engine is there.
    static let fixedLayer: [UInt8] = FuzzTar.archive([
        FuzzTarEntry(name: "etc/", typeflag: UInt8(ascii: "5"), mode: 0o755),
        FuzzTarEntry(name: "etc/os-release", data: Array("ID=debian\nVERSION_ID=\"12\"\n".utf8)),
        FuzzTarEntry(name: "usr/local/bin/node", mode: 0o755, data: elf(machine: 62)),
        FuzzTarEntry(name: "usr/lib/x86_64-linux-gnu/libssl.so.3", data: elf(machine: 62)),
        FuzzTarEntry(
            name: "app/node_modules/@prisma/client/package.json", data: Array("{\"name\":\"@prisma/client\",\"version\":\"6.1.0\"}".utf8)),
        FuzzTarEntry(
            name: "app/node_modules/.prisma/client/libquery_engine-debian-openssl-3.0.x.so.node", data: elf(machine: 62)),
        FuzzTarEntry(name: "app/server.js", data: Array("require('@prisma/client')\n".utf8)),
    ])

    /// The first bytes of an ELF file (64-bit, little-endian, a shared object) for `machine`.
    static func elf(machine: UInt16, is64Bit: Bool = true, bigEndian: Bool = false) -> [UInt8] {
        var h: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, is64Bit ? 2 : 1, bigEndian ? 2 : 1, 1, 0]
        h += [UInt8](repeating: 0, count: 8)
        let type: UInt16 = 3
        for v in [type, machine] {
            h += bigEndian ? [UInt8(v >> 8), UInt8(v & 0xff)] : [UInt8(v & 0xff), UInt8(v >> 8)]
        }
        h += [1, 0, 0, 0]
        h += [UInt8](repeating: 0, count: 44)
        return h
    }
}
