import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// A first ship publishes the file and its checksum, the same again sends nothing, and an
    /// archive that fails its checks never reaches the remote.
    @Suite struct Publish {
        @Test func freshShipPublishesTheFileAndItsChecksumThenSkipsWhenPresent() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let archive = TS.fixture("prisma-ok-debian-amd64.tar")
            let remote = server.remote("maia")
            let r = try server.imgtool(["ship", "--json", archive, "ship:\(remote)"])
            #expect(r.status == 0, "\(r.stderr)")
            let s = try ShipOverSSHTests.summary(r)
            let hex = try ShipOverSSHTests.sha256(archive)
            #expect(s.verified)
            #expect(s.sha256 == "sha256:" + hex)
            let d = try #require(s.destinations.first)
            #expect(d.ok && d.alreadyPresent == false)
            #expect(d.bytesSent == s.size && d.bytesSkipped == 0 && d.chunksSent == s.chunks)
            #expect(try TS.bytes(remote + "/prisma-ok-debian-amd64.tar") == TS.bytes(archive))
            #expect(
                try String(contentsOfFile: remote + "/prisma-ok-debian-amd64.tar.sha256", encoding: .utf8)
                    == "\(hex)  prisma-ok-debian-amd64.tar\n")
            // `sha256sum -c` accepts the checksum file as written.
            let check = try TS.run("/bin/sh", ["-c", "cd \"$0\" && sha256sum -c prisma-ok-debian-amd64.tar.sha256", remote])
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            #expect(!ShipOverSSHTests.exists(remote + "/.imgtool/chunks"), "staged chunks are removed after success")
            // What stays is the archive's chunk index (--keep 1), for the next ship to reuse from.
            let kept = try FileManager.default.contentsOfDirectory(atPath: remote + "/.imgtool/kept")
            #expect(kept.count == 1)
            let index = try String(contentsOfFile: remote + "/.imgtool/kept/" + kept[0], encoding: .utf8)
            #expect(index.hasPrefix("\(hex) prisma-ok-debian-amd64.tar\n"))
            #expect(index.split(separator: "\n").count == 1 + s.chunks)

            let again = try server.imgtool(["ship", archive, "ship:\(remote)"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("is already there"))
            #expect(again.stdout.contains("nothing sent"))
            let json = try ShipOverSSHTests.summary(try server.imgtool(["ship", "--json", archive, "ship:\(remote)"]))
            #expect(json.destinations[0].alreadyPresent == true && json.destinations[0].bytesSent == 0)
            #expect(!ShipOverSSHTests.exists(remote + "/.imgtool/chunks"), "checking leaves nothing behind")

            // --keep 0 leaves nothing at all.
            let bare = server.remote("bare")
            let k0 = try server.imgtool(["ship", "--keep", "0", archive, "ship:\(bare)"])
            #expect(k0.status == 0, "\(k0.stderr)")
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: bare).sorted()
                    == ["prisma-ok-debian-amd64.tar", "prisma-ok-debian-amd64.tar.sha256"])
        }

        @Test func aFailingOrDamagedArchiveIsNotShipped() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let cases: [(String, [String], Int32)] = [
                ("prisma-ok-debian-amd64.tar", ["--arch", "arm64"], 1),
                ("prisma-missing.tar", [], 1),
                ("bad-layer-digest.tar", [], 3),
                ("truncated.tar.gz", [], 2),
                ("not-an-archive.bin", [], 4),
            ]
            for (name, flags, code) in cases {
                let remote = server.remote("refused-\(name)")
                let r = try server.imgtool(["ship"] + flags + [TS.fixture(name), "ship:\(remote)"])
                #expect(r.status == code, "\(name): \(r.stderr)")
                #expect(!ShipOverSSHTests.exists(remote), "\(name): nothing may reach the remote")
            }
            // --no-verify ships it anyway.
            let remote = server.remote("forced")
            let r = try server.imgtool(["ship", "--no-verify", TS.fixture("prisma-missing.tar"), "ship:\(remote)"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try TS.bytes(remote + "/prisma-missing.tar") == TS.bytes(TS.fixture("prisma-missing.tar")))
        }
    }
}
