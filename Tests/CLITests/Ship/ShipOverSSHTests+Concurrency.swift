import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// Ships running at once into one directory.
    @Suite struct Concurrency {
        @Test func concurrentShipsToOneDirectoryDoNotCorruptEachOther() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let a = try ShipOverSSHTests.randomFile(local, "a.tar", size: 6 << 20)
            let b = try ShipOverSSHTests.randomFile(local, "b.tar", size: 6 << 20)
            let remote = server.remote("shared")
            let other = server.remote("second")
            let flags = ["ship", "--no-verify", "--chunk-size", "512K"]
            let processes = try [
                server.startImgtool(flags + [a, "ship:\(remote)"], stderrPath: local.path("1.err")),
                server.startImgtool(flags + [a, "ship:\(remote)"], stderrPath: local.path("2.err")),
                server.startImgtool(flags + [b, "ship:\(remote)", "ship:\(other)"], stderrPath: local.path("3.err")),
            ]
            for (i, p) in processes.enumerated() {
                p.waitUntilExit()
                let stderr = (try? String(contentsOfFile: local.path("\(i + 1).err"), encoding: .utf8)) ?? ""
                #expect(p.terminationStatus == 0, "ship \(i + 1): \(stderr)")
            }
            #expect(try TS.bytes(remote + "/a.tar") == TS.bytes(a))
            #expect(try TS.bytes(remote + "/b.tar") == TS.bytes(b))
            #expect(try TS.bytes(other + "/b.tar") == TS.bytes(b))
            for (dir, name, path) in [(remote, "a.tar", a), (remote, "b.tar", b)] {
                #expect(
                    try String(contentsOfFile: "\(dir)/\(name).sha256", encoding: .utf8)
                        == "\(try ShipOverSSHTests.sha256(path))  \(name)\n")
            }
            let left = try TS.tool("find", [remote + "/.imgtool"]).stdout
            #expect(!ShipOverSSHTests.exists(remote + "/.imgtool/chunks"), "left behind: \(left)")
            #expect(!left.contains(".tmp.") && !left.contains(".part.") && !left.contains(".idx."), "left behind: \(left)")
        }
    }
}
