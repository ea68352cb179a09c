import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// Delta deploys of packed archives: the second version sends only the changed layer, and
    /// `--keep` remembers exactly the last N archives to reuse chunks from.
    @Suite struct Delta {
        /// One gzip member of a packed archive, from `imgtool pack --json`.
        typealias PackedMember = PackCLITests.JSONDoc.Pack.Member

        /// Packs `fixture` into `dir/name` with `imgtool pack` and returns its members.
        static func pack(_ fixture: String, into dir: String, name: String) throws -> (path: String, members: [PackedMember]) {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let out = dir + "/" + name
            let r = try TS.imgtool(["pack", "--json", "--arch", "amd64", "-o", out, TS.fixture(fixture)])
            #expect(r.status == 0, "\(r.stderr)")
            return (out, try PackCLITests.json(r).pack.members)
        }

        /// The bytes of each member of a packed file, keyed by where it starts.
        static func memberBytes(_ path: String, _ members: [PackedMember]) throws -> [(PackedMember, [UInt8])] {
            let all = try TS.bytes(path)
            return members.map { m in
                let start = Int(m.compressedOffset)
                return (m, Array(all[start..<start + Int(m.compressedSize)]))
            }
        }

        /// The same with gzip members (`maia.tar.gz`) and zstd frames (`maia.tar.zst`: pack writes
        /// zstd for that name).
        @Test(arguments: ["gz", "zst"])
        func aSecondVersionSendsOnlyTheChangedLayer(_ ext: String) throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            // Two builds of one app, packed as the deploy loop does, under the same file name.
            let name = "maia.tar." + ext
            let v1 = try Self.pack("deploy-v1.tar.gz", into: local.path("v1"), name: name)
            let v2 = try Self.pack("deploy-v2.tar.gz", into: local.path("v2"), name: name)
            let v1Members = Set(try Self.memberBytes(v1.path, v1.members).map { TS.hex($0.1) })
            let v2Members = try Self.memberBytes(v2.path, v2.members)
            // What differs between the two files, member by member: the app layer and the small
            // grouped members around it (its tar header, config, manifest.json).
            let changed = v2Members.filter { !v1Members.contains(TS.hex($0.1)) }
            let changedBytes = changed.reduce(0) { $0 + Int($1.0.compressedSize) }
            let size = try TS.bytes(v2.path).count
            let shared = size - changedBytes
            #expect(changed.contains { $0.0.tarMember != nil }, "the app layer's member changed")
            #expect(shared > 300_000, "the base layers' members are the same bytes in both files")

            let remote = server.remote("maia")
            let first = try server.imgtool(["ship", "--json", "--chunk-size", "64K", v1.path, "ship:\(remote)"])
            #expect(first.status == 0, "\(first.stderr)")

            let counter = try TCPProxy(to: server.port, countFile: local.path("v2.count"))
            defer { counter.stop() }
            let r = try server.imgtool(["ship", "--json", "--chunk-size", "64K", v2.path, "127.0.0.1:\(counter.port):\(remote)"])
            #expect(r.status == 0, "\(r.stderr)")
            let d = try ShipOverSSHTests.summary(r).destinations[0]
            #expect((d.chunksReused ?? 0) > 0, "the base layers' chunks come from the archive shipped before")
            #expect(d.replaced == true, "version 1 had the same name")
            #expect(try ShipOverSSHTests.summary(first).destinations[0].replaced == false)
            #expect(d.bytesSent.map { $0 <= Int64(changedBytes) } == true, "sent \(d.bytesSent ?? -1) bytes; \(changedBytes) changed")
            #expect(d.bytesSkipped.map { $0 >= Int64(shared) } == true)
            // Counted on the wire: the changed members plus ssh's and the protocol's overhead, far
            // less than the shared base layers.
            #expect(counter.bytesUp < changedBytes + 48 * 1024, "\(counter.bytesUp) bytes up for \(changedBytes) changed of \(size)")
            #expect(try TS.bytes(remote + "/" + name) == TS.bytes(v2.path))
            #expect(try TS.bytes(v2.path).starts(with: ext == "zst" ? [0x28, 0xB5, 0x2F, 0xFD] : [0x1F, 0x8B]))
            #expect(
                try String(contentsOfFile: remote + "/\(name).sha256", encoding: .utf8).hasPrefix(try ShipOverSSHTests.sha256(v2.path)))

            // The same second ship to a new directory sends everything: the count above is a delta.
            let control = try TCPProxy(to: server.port, countFile: local.path("fresh.count"))
            defer { control.stop() }
            let fresh = try server.imgtool(["ship", "--chunk-size", "64K", v2.path, "127.0.0.1:\(control.port):\(server.remote("fresh"))"])
            #expect(fresh.status == 0, "\(fresh.stderr)")
            #expect(control.bytesUp > size)
        }

        /// An archive small enough to be one chunk, shipped again under another name: the kept
        /// index's header line (the archive's hash, which is also its one chunk's) is not mistaken
        /// for a chunk line, and the chunk is reused, not reported damaged and sent again.
        @Test func aOneChunkArchiveIsReusedUnderAnotherName() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let file = TS.fixture("prisma-ok-debian-amd64.tar")
            let a = local.path("a.tar")
            let b = local.path("b.tar")
            try FileManager.default.copyItem(atPath: file, toPath: a)
            try FileManager.default.copyItem(atPath: file, toPath: b)
            let remote = server.remote("one-chunk")
            let first = try server.imgtool(["ship", "--json", "--no-verify", a, "ship:\(remote)"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(try ShipOverSSHTests.summary(first).chunks == 1)
            let second = try server.imgtool(["ship", "--json", "--no-verify", b, "ship:\(remote)"])
            #expect(second.status == 0, "\(second.stderr)")
            let d = try ShipOverSSHTests.summary(second).destinations[0]
            #expect(d.chunksReused == 1, "\(second.stdout)")
            #expect((d.chunksSent ?? 0) == 0 && (d.chunksResent ?? 0) == 0, "\(second.stdout)")
            #expect(try TS.bytes(remote + "/b.tar") == TS.bytes(file))
        }

        @Test func keepRemembersExactlyTheLastNArchives() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let v1 = try Self.pack("deploy-v1.tar.gz", into: local.path("a"), name: "maia-1.tar.gz")
            let v2 = try Self.pack("deploy-v2.tar.gz", into: local.path("a"), name: "maia-2.tar.gz")
            let other = try Self.pack("prisma-ok-debian-amd64.tar", into: local.path("a"), name: "other-3.tar.gz")
            let remote = server.remote("kept")
            func ship(_ path: String) throws -> Summary.Destination {
                let r = try server.imgtool(["ship", "--json", "--keep", "2", "--chunk-size", "64K", path, "ship:\(remote)"])
                #expect(r.status == 0, "\(r.stderr)")
                return try ShipOverSSHTests.summary(r).destinations[0]
            }
            func kept() throws -> [String] {
                try FileManager.default.contentsOfDirectory(atPath: remote + "/.imgtool/kept").map { name in
                    let text = try String(contentsOfFile: remote + "/.imgtool/kept/" + name, encoding: .utf8)
                    return String(text.prefix { $0 != "\n" }.split(separator: " ")[1])
                }.sorted()
            }
            _ = try ship(v1.path)
            _ = try ship(v2.path)
            #expect(try kept() == ["maia-1.tar.gz", "maia-2.tar.gz"])
            _ = try ship(other.path)
            #expect(try kept() == ["maia-2.tar.gz", "other-3.tar.gz"], "the oldest is forgotten")
            #expect(!ShipOverSSHTests.exists(remote + "/.imgtool/chunks"))

            // v1's content again under a new name: maia-1.tar.gz is still on the disk, but forgotten,
            // so the chunks only v1 has (its app layer) are sent, and the ones it shares with
            // maia-2.tar.gz (the base layers) are cut out of that file.
            let again = local.path("b/maia-4.tar.gz")
            try FileManager.default.createDirectory(atPath: local.path("b"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: v1.path, toPath: again)
            let v2Members = Set(try Self.memberBytes(v2.path, v2.members).map { TS.hex($0.1) })
            let onlyV1 = try Self.memberBytes(v1.path, v1.members).filter { !v2Members.contains(TS.hex($0.1)) }
                .reduce(0) { $0 + Int($1.0.compressedSize) }
            let d = try ship(again)
            #expect((d.chunksReused ?? 0) > 0)
            #expect(d.bytesSent.map { $0 > 0 && $0 <= Int64(onlyV1) } == true, "sent \(d.bytesSent ?? -1); \(onlyV1) bytes are only in v1")
            #expect(try kept() == ["maia-4.tar.gz", "other-3.tar.gz"])
            #expect(try TS.bytes(remote + "/maia-4.tar.gz") == TS.bytes(v1.path))
        }
    }
}
