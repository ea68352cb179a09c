import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// A ship killed or cut off resumes with only the missing chunks; a published archive damaged on
    /// the remote is repaired from its intact chunks.
    @Suite struct Resume {
        @Test func aKilledShipResumesWithOnlyTheMissingChunks() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let size = 24 << 20
            let archive = try ShipOverSSHTests.randomFile(local, "app.tar", size: size)
            let remote = server.remote("resume")
            // Slow the upload down so that the kill lands mid-transfer.
            let slow = try TCPProxy(to: server.port, rate: 6_000_000, countFile: local.path("slow.count"))
            defer { slow.stop() }
            let p = try server.startImgtool(["ship", "--no-verify", "--chunk-size", "1M", archive, "127.0.0.1:\(slow.port):\(remote)"])
            let deadline = Date().addingTimeInterval(60)
            while ShipOverSSHTests.chunkFiles(remote).count < 4 && Date() < deadline && p.isRunning { usleep(50_000) }
            #expect(p.isRunning, "the ship ended before it could be killed")
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            // Let the remote side see the end of its input and drop the partial chunk.
            usleep(1_500_000)
            var present = ShipOverSSHTests.chunkFiles(remote)
            #expect(present.count >= 4)
            #expect(!ShipOverSSHTests.exists(remote + "/app.tar"), "nothing is published before the whole file is checked")
            // Damage one of the chunks that arrived: the next ship must find it and send it again.
            let (victim, victimSize) = try #require(present.sorted { $0.key < $1.key }.first)
            var damaged = try TS.bytes(remote + "/.imgtool/chunks/" + victim)
            damaged[damaged.count / 3] ^= 0x01
            try TS.write(damaged, to: remote + "/.imgtool/chunks/" + victim)
            present[victim] = nil
            let presentBytes = present.values.reduce(0, +)

            let counter = try TCPProxy(to: server.port, countFile: local.path("resume.count"))
            defer { counter.stop() }
            let r = try server.imgtool([
                "ship", "--json", "--no-verify", "--chunk-size", "1M", archive, "127.0.0.1:\(counter.port):\(remote)",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            let d = try ShipOverSSHTests.summary(r).destinations[0]
            #expect(d.chunksSkipped == present.count)
            #expect(d.chunksResent == 1, "the damaged chunk \(victim) (\(victimSize) bytes) is detected")
            #expect(d.bytesSkipped == Int64(presentBytes))
            #expect(d.bytesSent == Int64(size - presentBytes))
            // What went over the wire: the missing chunks plus ssh's and the protocol's overhead.
            #expect(counter.bytesUp >= size - presentBytes)
            #expect(counter.bytesUp < size - presentBytes + 512 * 1024, "sent \(counter.bytesUp) bytes for \(size - presentBytes) missing")
            #expect(try TS.bytes(remote + "/app.tar") == TS.bytes(archive))
            #expect(!ShipOverSSHTests.exists(remote + "/.imgtool/chunks"))
        }

        @Test func aCutConnectionFailsCleanlyAndTheNextShipResumes() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let size = 16 << 20
            let archive = try ShipOverSSHTests.randomFile(local, "app.tar.gz", size: size)
            let remote = server.remote("cut")
            let cutter = try TCPProxy(to: server.port, cutAfter: 7 << 20, countFile: local.path("cut.count"))
            let first = try server.imgtool(["ship", "--no-verify", "--chunk-size", "1M", archive, "127.0.0.1:\(cutter.port):\(remote)"])
            cutter.stop()
            #expect(first.status == 8, "\(first.stderr)")
            #expect(first.stderr.contains("127.0.0.1:\(cutter.port)"))
            #expect(first.stderr.contains("run the same command again"))
            #expect(!ShipOverSSHTests.exists(remote + "/app.tar.gz"))
            let present = ShipOverSSHTests.chunkFiles(remote)
            #expect(present.count >= 2)

            let counter = try TCPProxy(to: server.port, countFile: local.path("again.count"))
            defer { counter.stop() }
            let r = try server.imgtool([
                "ship", "--json", "--no-verify", "--chunk-size", "1M", archive, "127.0.0.1:\(counter.port):\(remote)",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            let d = try ShipOverSSHTests.summary(r).destinations[0]
            let presentBytes = present.values.reduce(0, +)
            #expect(d.bytesSkipped == Int64(presentBytes))
            #expect(d.bytesSent == Int64(size - presentBytes))
            #expect(counter.bytesUp < size - presentBytes + 512 * 1024)
            #expect(try TS.bytes(remote + "/app.tar.gz") == TS.bytes(archive))
        }

        @Test func aDamagedPublishedArchiveIsRepairedFromItsIntactChunks() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let size = 8 << 20
            let archive = try ShipOverSSHTests.randomFile(local, "app.tar", size: size)
            let remote = server.remote("damaged")
            let first = try server.imgtool(["ship", "--json", "--no-verify", "--chunk-size", "1M", archive, "ship:\(remote)"])
            #expect(first.status == 0, "\(first.stderr)")
            let chunks = try ShipOverSSHTests.summary(first).chunks
            // One byte of the published file rots on the remote disk.
            var bytes = try TS.bytes(remote + "/app.tar")
            bytes[size / 2] ^= 0xFF
            try TS.write(bytes, to: remote + "/app.tar")

            let r = try server.imgtool(["ship", "--json", "--no-verify", "--chunk-size", "1M", archive, "ship:\(remote)"])
            #expect(r.status == 0, "\(r.stderr)")
            let d = try ShipOverSSHTests.summary(r).destinations[0]
            #expect(d.alreadyPresent == false, "the damage is found: the file's SHA-256 is checked, not trusted")
            #expect(d.chunksReused == chunks - 1, "the intact chunks are cut out of the damaged file")
            #expect(d.chunksResent == 1)
            #expect(d.chunksSent == 1)
            #expect((d.bytesSent ?? 0) > 0 && (d.bytesSent ?? 0) <= 4 << 20)
            #expect(try TS.bytes(remote + "/app.tar") == TS.bytes(archive))
        }
    }
}
